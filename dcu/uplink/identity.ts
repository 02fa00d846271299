// The DCU's identity on the uplink: the CA that signed the broker's certificate (pinned — it
// replaces the system's CA list, so no other CA is trusted), the DCU's client certificate
// and its key, from the bundle that provisioning made for this gateway. Without all three
// the DCU does not connect, and says which file is missing; only `development` allows a
// plain mqtt:// connection (a test broker) or TLS without a client certificate.
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { UplinkConfig } from '../config.js';

export class UplinkIdentityError extends Error {
  override readonly name = 'UplinkIdentityError';
}

export interface TlsIdentity {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export interface ConnectionIdentity {
  url: string;
  /** null: a plain connection (development mode only). */
  tls: TlsIdentity | null;
  development: boolean;
}

const WHAT = {
  ca: 'the CA certificate that signed the broker’s certificate',
  cert: 'the DCU’s client certificate',
  key: 'the DCU’s private key',
} as const;

const ADVICE = 'install the DCU identity bundle made by cloud provisioning (or set uplink.development for a test broker)';

function readPem(field: keyof typeof WHAT, path: string, problems: string[]): Buffer | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${(e as Error).message})`;
    problems.push(`uplink.tls.${field}: ${WHAT[field]} ${path} ${why}`);
    return undefined;
  }
  if (!bytes.includes('-----BEGIN')) {
    problems.push(`uplink.tls.${field}: ${path} is not a PEM file (${WHAT[field]} is expected)`);
    return undefined;
  }
  return bytes;
}

/**
 * Reads and checks the identity files named in the config. Throws UplinkIdentityError naming
 * every missing or unusable file (and a key that does not belong to the certificate).
 */
export function loadIdentity(config: UplinkConfig): ConnectionIdentity {
  const secure = /^(mqtts|wss):/.test(config.url);
  const problems: string[] = [];
  if (!config.development) {
    if (!secure) problems.push(`uplink.url: ${config.url} is a plain connection; a DCU connects with mqtts:// (plain only with uplink.development)`);
    for (const field of ['ca', 'cert', 'key'] as const) {
      if (!config.tls[field]) problems.push(`uplink.tls.${field}: not configured (${WHAT[field]}, a PEM file)`);
    }
  }
  if (problems.length > 0) throw new UplinkIdentityError(`the DCU will not connect without its identity: ${problems.join('; ')} — ${ADVICE}`);
  if (!secure) return { url: config.url, tls: null, development: config.development };

  const tls: TlsIdentity = {};
  for (const field of ['ca', 'cert', 'key'] as const) {
    const path = config.tls[field];
    if (path === undefined) continue;
    const pem = readPem(field, path, problems);
    if (pem !== undefined) tls[field] = pem;
  }
  if (problems.length > 0) throw new UplinkIdentityError(`the DCU will not connect without its identity: ${problems.join('; ')} — ${ADVICE}`);
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new UplinkIdentityError(`uplink.tls: a client certificate needs its key and a key its certificate (have only ${tls.cert ? 'cert' : 'key'})`);
  }
  try {
    createSecureContext({ ...tls });
  } catch (e) {
    const message = (e as Error).message;
    const hint = /key values mismatch/i.test(message) ? `uplink.tls.key ${config.tls.key} does not belong to the certificate ${config.tls.cert}` : `the identity files cannot be used: ${message}`;
    throw new UplinkIdentityError(`${hint} — ${ADVICE}`);
  }
  return { url: config.url, tls, development: config.development };
}
