// Ed25519 signatures of commands and acks. The broker is not trusted: a DCU acts only on a
// command signed by a cloud key it trusts, meant for it, in date, and new (ARCHITECTURE.md
// "Uplink contract"), and marks rows delivered only on an ack signed by such a key — else a
// broker could acknowledge batches the cloud never stored. An ack needs no expiry or replay
// check: what it says ("stored up to n in this DCU's epoch") stays true, and a replayed older
// one changes nothing. node:crypto does the arithmetic (much faster than tweetnacl, which stays
// byte-compatible: same raw 32-byte keys, same deterministic 64-byte signatures).
// Pure: the caller supplies the time, the last sequence number and the ids already seen.
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { invalid } from './cbor.js';
import { encodeAckBody, encodeCommandBody } from './codec.js';
import type { AckMessage, CommandBody, SignedCommand } from './messages.js';

// DER prefixes that turn raw Ed25519 keys into the PKCS#8 / SPKI that node:crypto reads (RFC 8410).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Raw keys as tweetnacl has them: `nacl.sign.keyPair.fromSeed(seed)` gives the same publicKey. */
export interface SigningKeyPair {
  /** 32 bytes: what a DCU keeps in its trusted keys. */
  publicKey: Uint8Array;
  /** 32 bytes: the secret; tweetnacl's 64-byte secretKey is seed ‖ publicKey. */
  seed: Uint8Array;
}

export function signingKeyPairFromSeed(seed: Uint8Array): SigningKeyPair {
  const spki = createPublicKey(privateKey(seed)).export({ format: 'der', type: 'spki' });
  return { publicKey: new Uint8Array(spki.subarray(SPKI_PREFIX.length)), seed: new Uint8Array(seed) };
}

/** The node:crypto key for a seed. Making one costs more than a signature: a signer keeps it. */
export function privateKey(seed: Uint8Array): KeyObject {
  invalid.bytes(seed, 'seed', 32);
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

// A DCU verifies every command with the same few keys: keep their KeyObjects (weakly, and
// with a copy of the bytes so that a caller reusing the array cannot make us use a stale key).
const publicKeys = new WeakMap<Uint8Array, { raw: Uint8Array; key: KeyObject }>();

function publicKey(raw: Uint8Array): KeyObject {
  const hit = publicKeys.get(raw);
  if (hit !== undefined && Buffer.compare(hit.raw, raw) === 0) return hit.key;
  const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
  publicKeys.set(raw, { raw: new Uint8Array(raw), key });
  return key;
}

/** Signs the canonical encoding of `body` (encodeCommandBody). `secret` is the 32-byte seed or its KeyObject. */
export function signCommand(body: CommandBody, keyId: string, secret: Uint8Array | KeyObject): SignedCommand {
  const key = secret instanceof Uint8Array ? privateKey(secret) : secret;
  const signature = new Uint8Array(sign(null, encodeCommandBody(body), key));
  return { body, keyId: invalid.str(keyId, 'keyId'), signature };
}

export type VerifyFailure =
  | 'malformed' | 'unknown-key' | 'bad-signature' | 'wrong-dcu' | 'expired' | 'not-yet-valid' | 'replayed-id' | 'stale-seq';

export type VerifyResult = { ok: true } | { ok: false; reason: VerifyFailure; message: string };

export interface VerifyContext {
  /** keyId → raw 32-byte Ed25519 public key (several during a key rollover). */
  trustedKeys: ReadonlyMap<string, Uint8Array>;
  /** This DCU. */
  dcuId: string;
  /** The DCU's clock, UTC ms. */
  now: number;
  /** The highest command seq acted upon (persisted), null before the first. */
  lastSeq: number | null;
  /** Ids already received (a Set, or a lookup in the DCU's command journal). */
  seenIds: { has(id: string): boolean };
  /** How far issuedAt may lie ahead of `now` (the two clocks differ). Default 5 minutes. */
  maxClockSkewMs?: number;
}

export const DEFAULT_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Decides whether a DCU may act on a command. Checks, in this order: structure, key,
 * signature, target DCU, expiry (notAfter < now), issuedAt beyond now + skew, id seen
 * before, seq ≤ lastSeq. Never throws: every problem is a reason with a message.
 */
export function verifyCommand(signed: SignedCommand, ctx: VerifyContext): VerifyResult {
  const refuse = (reason: VerifyFailure, message: string): VerifyResult => ({ ok: false, reason, message });
  let message: Uint8Array;
  let body: CommandBody;
  try {
    invalid.str(signed.keyId, 'keyId');
    invalid.bytes(signed.signature, 'signature', 64);
    body = signed.body;
    message = encodeCommandBody(body); // checks every field of the body on the way
  } catch (e) {
    return refuse('malformed', `not a well-formed signed command: ${e instanceof Error ? e.message : String(e)}`);
  }
  const raw = ctx.trustedKeys.get(signed.keyId);
  if (raw === undefined) return refuse('unknown-key', `command ${body.id} is signed with key ${JSON.stringify(signed.keyId)}, which this DCU does not trust`);
  let good = false;
  try {
    good = raw instanceof Uint8Array && raw.length === 32 && verify(null, message, publicKey(raw), signed.signature);
  } catch {
    good = false; // a trusted "key" that is not a curve point verifies nothing
  }
  if (!good) return refuse('bad-signature', `command ${body.id}: the signature does not match key ${JSON.stringify(signed.keyId)}`);
  if (body.dcu !== ctx.dcuId) return refuse('wrong-dcu', `command ${body.id} is for DCU ${JSON.stringify(body.dcu)}, this is ${JSON.stringify(ctx.dcuId)}`);
  if (body.notAfter < ctx.now) return refuse('expired', `command ${body.id} expired at ${iso(body.notAfter)} (now ${iso(ctx.now)})`);
  const skew = ctx.maxClockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
  if (body.issuedAt > ctx.now + skew) {
    return refuse('not-yet-valid', `command ${body.id} was issued at ${iso(body.issuedAt)}, more than ${skew} ms after this DCU's now ${iso(ctx.now)}: check the clocks`);
  }
  if (ctx.seenIds.has(body.id)) return refuse('replayed-id', `command ${body.id} was received before`);
  if (ctx.lastSeq !== null && body.seq <= ctx.lastSeq) {
    return refuse('stale-seq', `command ${body.id} has seq ${body.seq}, not above the last acted upon (${ctx.lastSeq})`);
  }
  return { ok: true };
}

/** The ack with its signature over encodeAckBody (a v2 ack; the old signature, if any, is replaced). */
export function signAck(ack: AckMessage, keyId: string, secret: Uint8Array | KeyObject): AckMessage {
  const key = secret instanceof Uint8Array ? privateKey(secret) : secret;
  const { signature: _old, ...body } = ack;
  const bytes = new Uint8Array(sign(null, encodeAckBody(body), key));
  return { ...body, signature: { keyId: invalid.str(keyId, 'keyId'), bytes } };
}

export type AckVerifyFailure = 'unsigned' | 'malformed' | 'unknown-key' | 'bad-signature';

/**
 * Whether an ack is signed by one of the trusted keys. Says nothing about the DCU or epoch it
 * names (the caller compares those with its own). Never throws.
 */
export function verifyAck(ack: AckMessage, trustedKeys: ReadonlyMap<string, Uint8Array>): { ok: true } | { ok: false; reason: AckVerifyFailure; message: string } {
  const what = `ack of ${String(ack?.stream)} up to ${String(ack?.upTo)}`;
  const s = ack?.signature;
  if (s === undefined) return { ok: false, reason: 'unsigned', message: `${what} carries no signature` };
  let message: Uint8Array;
  try {
    invalid.str(s.keyId, 'signature.keyId');
    invalid.bytes(s.bytes, 'signature.bytes', 64);
    message = encodeAckBody(ack);
  } catch (e) {
    return { ok: false, reason: 'malformed', message: `not a well-formed signed ack: ${e instanceof Error ? e.message : String(e)}` };
  }
  const raw = trustedKeys.get(s.keyId);
  if (raw === undefined) return { ok: false, reason: 'unknown-key', message: `${what} is signed with key ${JSON.stringify(s.keyId)}, which this DCU does not trust` };
  let good = false;
  try {
    good = raw instanceof Uint8Array && raw.length === 32 && verify(null, message, publicKey(raw), s.bytes);
  } catch {
    good = false;
  }
  return good ? { ok: true } : { ok: false, reason: 'bad-signature', message: `${what}: the signature does not match key ${JSON.stringify(s.keyId)}` };
}

function iso(ms: number): string {
  return Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : `${ms} ms`;
}
