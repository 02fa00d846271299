// Sealed key transfer: the cloud sends a meter's DLMS keys (EK, AK, password) to the one DCU
// that reads it, with tweetnacl `box` (X25519 + XSalsa20-Poly1305). Only the holder of that
// DCU's box secret key can open the blob, and opening proves the cloud's box key sealed it.
// The DCU id sits inside the plaintext as well, so a blob handed to the wrong DCU is refused
// even if keys were mixed up (e.g. two DCUs provisioned from one image). Pure: the caller
// brings the nonce (24 random bytes; never reuse one with the same key pair).
import nacl from 'tweetnacl';
import { encodeCbor, invalid } from './cbor.js';
import { decodeFrame, Kind } from './codec.js';
import { SyncError } from './errors.js';
import { SYNC_VERSION } from './messages.js';

/** One meter's secrets for one DCU. */
export interface MeterKeys {
  /** The DCU this is for; checked on open. */
  dcu: string;
  /** Meter serial number. */
  meter: string;
  /** The client (association) these secrets are for, e.g. 1 management, 17 reader. */
  clientSap: number;
  /** Global unicast encryption key (16 bytes for suite 0, 32 for suite 2). */
  ek?: Uint8Array;
  /** Authentication key. */
  ak?: Uint8Array;
  /** LLS password (text, or the octet-string as bytes). */
  password?: string | Uint8Array;
}

export interface BoxKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/** The seed (32 random bytes) is the X25519 secret key, as `nacl.box.keyPair.fromSecretKey(seed)` uses it. */
export function boxKeyPairFromSeed(seed: Uint8Array): BoxKeyPair {
  const kp = nacl.box.keyPair.fromSecretKey(new Uint8Array(invalid.bytes(seed, 'seed', 32)));
  return { publicKey: kp.publicKey, secretKey: kp.secretKey };
}

/** Seals `plain` for the DCU whose box public key is given. Bytes: CBOR [v, 8, nonce, box]. */
export function sealForDcu(plain: MeterKeys, dcuBoxPublicKey: Uint8Array, cloudBoxSecretKey: Uint8Array, nonce: Uint8Array): Uint8Array {
  invalid.bytes(dcuBoxPublicKey, 'dcuBoxPublicKey', 32);
  invalid.bytes(cloudBoxSecretKey, 'cloudBoxSecretKey', 32);
  invalid.bytes(nonce, 'nonce', nacl.box.nonceLength);
  const secret = (x: unknown, where: string): Uint8Array | null => (x === undefined ? null : invalid.bytes(x, where, 16, 32));
  const password = plain.password === undefined ? null : plain.password instanceof Uint8Array ? plain.password : invalid.str(plain.password, 'password');
  const inner = encodeCbor([SYNC_VERSION, Kind.meterKeys, invalid.str(plain.dcu, 'dcu'), invalid.str(plain.meter, 'meter'),
    invalid.int(plain.clientSap, 'clientSap', 0, 255), secret(plain.ek, 'ek'), secret(plain.ak, 'ak'), password]);
  const box = nacl.box(inner, nonce, dcuBoxPublicKey, cloudBoxSecretKey);
  inner.fill(0); // the plaintext copy we made; the caller owns `plain`
  return encodeCbor([SYNC_VERSION, Kind.sealedKeys, new Uint8Array(nonce), box]);
}

/**
 * Opens a sealed blob on DCU `dcuId`. Throws SyncError('cannot-open') when the blob is not
 * one, was not sealed to this DCU's key by this cloud key, was altered, or names another DCU.
 */
export function openSealed(sealed: Uint8Array, cloudBoxPublicKey: Uint8Array, dcuBoxSecretKey: Uint8Array, dcuId: string): MeterKeys {
  const refuse = (message: string, where: string): never => {
    throw new SyncError('cannot-open', message, where);
  };
  if (!(cloudBoxPublicKey instanceof Uint8Array) || cloudBoxPublicKey.length !== 32) refuse('the cloud box public key must be 32 bytes', 'cloudBoxPublicKey');
  if (!(dcuBoxSecretKey instanceof Uint8Array) || dcuBoxSecretKey.length !== 32) refuse('the DCU box secret key must be 32 bytes', 'dcuBoxSecretKey');
  let opened: Uint8Array | null = null;
  try {
    const [, outer] = decodeFrame(sealed, [Kind.sealedKeys], { [Kind.sealedKeys]: 2 });
    const [nonce, box] = outer;
    if (!(nonce instanceof Uint8Array) || nonce.length !== nacl.box.nonceLength || !(box instanceof Uint8Array)) return refuse('not a sealed key blob', 'envelope');
    opened = nacl.box.open(new Uint8Array(box), new Uint8Array(nonce), cloudBoxPublicKey, dcuBoxSecretKey);
    if (opened === null) return refuse("not sealed by this cloud key for this DCU's key, or altered on the way", 'box');
    const [, f] = decodeFrame(opened, [Kind.meterKeys], { [Kind.meterKeys]: 6 });
    const dcu = f[0];
    if (dcu !== dcuId) return refuse(`sealed for DCU ${JSON.stringify(dcu)}, this is ${JSON.stringify(dcuId)}`, 'dcu');
    const check = (x: unknown, where: string): Uint8Array | undefined =>
      x === null ? undefined : x instanceof Uint8Array && (x.length === 16 || x.length === 32) ? new Uint8Array(x) : refuse('bad key', where);
    const keys: MeterKeys = { dcu: dcuId, meter: typeof f[1] === 'string' ? f[1] : refuse('bad meter', 'meter'),
      clientSap: Number.isInteger(f[2]) && (f[2] as number) >= 0 && (f[2] as number) <= 255 ? (f[2] as number) : refuse('bad clientSap', 'clientSap') };
    const [ek, ak, password] = [check(f[3], 'ek'), check(f[4], 'ak'), f[5]];
    if (ek !== undefined) keys.ek = ek;
    if (ak !== undefined) keys.ak = ak;
    if (typeof password === 'string') keys.password = password;
    else if (password instanceof Uint8Array) keys.password = new Uint8Array(password);
    else if (password !== null) refuse('bad password', 'password');
    return keys;
  } catch (e) {
    if (e instanceof SyncError && e.kind !== 'cannot-open') refuse(e.message, e.where);
    throw e;
  } finally {
    opened?.fill(0);
  }
}
