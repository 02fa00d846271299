// The cloud's own secrets, created once and kept in its data directory (mode 0600): the CA
// that signs DCU and broker certificates, the Ed25519 key that signs commands, and the
// X25519 key with which meter keys are sealed to DCUs.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { type CertificateAuthority, createCertificateAuthority } from './certificates.js';

export interface CloudKeys {
  ca: CertificateAuthority;
  /** Ed25519 command signing key: PKCS#8 PEM (node:crypto) and the raw public key. */
  signing: { keyId: string; privateKeyPem: string; publicKey: Uint8Array };
  /** X25519 (tweetnacl box) key pair for sealed key transfer. */
  box: { publicKey: Uint8Array; secretKey: Uint8Array };
}

interface Stored {
  version: 1;
  ca: CertificateAuthority;
  signing: { keyId: string; privateKeyPem: string; publicKey: string };
  box: { publicKey: string; secretKey: string };
}

/** Loads the cloud's keys from `dir`, creating them on first use. */
export async function loadOrCreateCloudKeys(dir: string, name = 'metering-edge cloud CA'): Promise<CloudKeys> {
  const file = join(dir, 'cloud-keys.json');
  if (existsSync(file)) {
    const s = JSON.parse(readFileSync(file, 'utf8')) as Stored;
    if (s.version !== 1) throw new Error(`${file}: unknown version ${String(s.version)}`);
    return {
      ca: s.ca,
      signing: { keyId: s.signing.keyId, privateKeyPem: s.signing.privateKeyPem, publicKey: Buffer.from(s.signing.publicKey, 'hex') },
      box: { publicKey: Buffer.from(s.box.publicKey, 'hex'), secretKey: Buffer.from(s.box.secretKey, 'hex') },
    };
  }
  mkdirSync(dir, { recursive: true });
  const ca = await createCertificateAuthority(name);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const box = nacl.box.keyPair.fromSecretKey(new Uint8Array(randomBytes(32)));
  const stored: Stored = {
    version: 1,
    ca,
    signing: { keyId: `cloud-${raw.subarray(0, 4).toString('hex')}`, privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), publicKey: raw.toString('hex') },
    box: { publicKey: Buffer.from(box.publicKey).toString('hex'), secretKey: Buffer.from(box.secretKey).toString('hex') },
  };
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(stored, null, 1), { mode: 0o600 });
  renameSync(tmp, file);
  chmodSync(file, 0o600);
  return loadOrCreateCloudKeys(dir, name);
}
