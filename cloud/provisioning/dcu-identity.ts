// Provisioning: the cloud creates a DCU's identity — a client certificate signed by its CA
// (mutual TLS), a box key pair for sealed meter keys — and a bundle the installer copies to
// the gateway. The bundle holds what the DCU needs to trust the cloud (CA, command signing
// key) and to be trusted (its key and certificate); nothing of another DCU.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { issueClientCertificate } from './certificates.js';
import type { CloudKeys } from './cloud-keys.js';

export interface DcuBundle {
  version: 1;
  dcuId: string;
  /** The broker the DCU connects to, e.g. mqtts://broker.example:8883. */
  brokerUrl: string;
  tls: { ca: string; cert: string; key: string };
  /** The DCU's X25519 key pair: the cloud seals meter keys to the public half. */
  box: { publicKey: string; secretKey: string };
  cloud: { signingKeys: Record<string, string>; boxPublicKey: string };
  issuedAt: number;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;

export async function provisionDcu(keys: CloudKeys, dcuId: string, brokerUrl: string, now = Date.now()): Promise<DcuBundle> {
  if (!ID.test(dcuId)) throw new Error(`DCU id "${dcuId}": letters, digits, - and _ only, at most 64 (it goes into topics and the certificate)`);
  const tls = await issueClientCertificate(keys.ca, dcuId, now);
  const box = nacl.box.keyPair.fromSecretKey(new Uint8Array(randomBytes(32)));
  return {
    version: 1,
    dcuId,
    brokerUrl,
    tls: { ca: keys.ca.cert, cert: tls.cert, key: tls.key },
    box: { publicKey: hex(box.publicKey), secretKey: hex(box.secretKey) },
    cloud: { signingKeys: { [keys.signing.keyId]: hex(keys.signing.publicKey) }, boxPublicKey: hex(keys.box.publicKey) },
    issuedAt: now,
  };
}

/** Writes the bundle as files an installer copies to /etc/dcu (private parts 0600). */
export function writeBundle(bundle: DcuBundle, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const files: [string, string, number][] = [
    ['ca.pem', bundle.tls.ca, 0o644],
    ['dcu.pem', bundle.tls.cert, 0o644],
    ['dcu.key', bundle.tls.key, 0o600],
    ['identity.json', JSON.stringify({ ...bundle, tls: { ca: 'ca.pem', cert: 'dcu.pem', key: 'dcu.key' } }, null, 1), 0o600],
  ];
  return files.map(([name, content, mode]) => {
    const path = join(dir, name);
    writeFileSync(path, content, { mode });
    chmodSync(path, mode);
    return path;
  });
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
