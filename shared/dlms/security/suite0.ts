// DLMS/COSEM security suite 0 (IEC 62056-5-3, Green Book 9.2): AES-GCM-128 with a
// 12-byte tag. The protected form on the wire is SC ‖ IC ‖ information ‖ tag, where
// SC is the security control byte, IC the 4-byte invocation counter, and the
// initialisation vector is the sender's system title (8) ‖ IC (4).
//
// Pure code: bytes in, bytes out. A wrong key, system title or altered bytes all show
// up as one thing in GCM — a tag mismatch — so every tag mismatch is reported as
// SecurityError('authentication-failed'); malformed input is a ProtocolError with the
// offset of the offending byte (layer 'cipher').
import { createCipheriv, createDecipheriv, timingSafeEqual } from 'node:crypto';
import { ByteReader, ByteWriter, hex } from '../../bytes.js';
import { SecurityError } from '../../errors.js';

export const SYSTEM_TITLE_LENGTH = 8;
export const TAG_LENGTH = 12;
export const KEY_LENGTH = 16;
/** SC ‖ IC in front of every protected APDU body. */
export const SECURITY_HEADER_LENGTH = 5;

/** Bits of the security control byte (Green Book table "Security control byte"). */
export const SecurityControlBit = {
  suiteMask: 0x0f,
  authentication: 0x10,
  encryption: 0x20,
  broadcastKey: 0x40,
  compression: 0x80,
} as const;

/** Common SC values for suite 0. */
export const SecurityPolicy = {
  authenticated: 0x10,
  encrypted: 0x20,
  authenticatedEncrypted: 0x30,
} as const;

export interface SecurityControl {
  suite: number;
  authentication: boolean;
  encryption: boolean;
  broadcastKey: boolean;
  compression: boolean;
}

export function parseSecurityControl(byte: number): SecurityControl {
  return {
    suite: byte & SecurityControlBit.suiteMask,
    authentication: (byte & SecurityControlBit.authentication) !== 0,
    encryption: (byte & SecurityControlBit.encryption) !== 0,
    broadcastKey: (byte & SecurityControlBit.broadcastKey) !== 0,
    compression: (byte & SecurityControlBit.compression) !== 0,
  };
}

export function securityControlByte(sc: SecurityControl): number {
  return (
    (sc.suite & SecurityControlBit.suiteMask) |
    (sc.authentication ? SecurityControlBit.authentication : 0) |
    (sc.encryption ? SecurityControlBit.encryption : 0) |
    (sc.broadcastKey ? SecurityControlBit.broadcastKey : 0) |
    (sc.compression ? SecurityControlBit.compression : 0)
  );
}

export interface SuiteKeys {
  /** The block cipher key (global unicast, broadcast or dedicated — the caller picks). */
  blockCipherKey: Uint8Array;
  authenticationKey: Uint8Array;
}

export interface ProtectParams extends SuiteKeys {
  securityControl: number;
  /** The sender's system title: it goes into the IV. */
  systemTitle: Uint8Array;
  invocationCounter: number;
  plaintext: Uint8Array;
}

export interface UnprotectParams extends SuiteKeys {
  /** The sender's (peer's) system title. */
  systemTitle: Uint8Array;
  /** SC ‖ IC ‖ information ‖ tag, as produced by protect(). */
  protectedData: Uint8Array;
  /** Added to reported offsets when protectedData is a slice of a larger APDU. */
  base?: number;
  /**
   * SC bits (0x10 authentication, 0x20 encryption) the APDU must carry, from the
   * association's security policy. Default 0x10: without it, flipping SC 0x30 → 0x20
   * would strip the tag check and pass tampered bytes as "decrypted" (a downgrade).
   * Pass 0 only where unauthenticated ciphering is really allowed.
   */
  requiredProtection?: number;
}

export interface Unprotected {
  securityControl: number;
  invocationCounter: number;
  plaintext: Uint8Array;
}

/** Parameters of a bare tag computation (GMAC over SC ‖ AK ‖ data). */
export interface TagParams extends SuiteKeys {
  securityControl: number;
  systemTitle: Uint8Array;
  invocationCounter: number;
  data: Uint8Array;
}

// Caller mistakes (wrong key size, bad counter) are programming errors, not bad bytes
// from a peer: they throw RangeError so they are never mistaken for a peer's fault.
function checkArguments(p: SuiteKeys & { systemTitle: Uint8Array; invocationCounter?: number }): void {
  if (p.blockCipherKey.length !== KEY_LENGTH) {
    throw new RangeError(`suite 0 block cipher key must be ${KEY_LENGTH} bytes, got ${p.blockCipherKey.length}`);
  }
  if (p.authenticationKey.length !== KEY_LENGTH) {
    throw new RangeError(`suite 0 authentication key must be ${KEY_LENGTH} bytes, got ${p.authenticationKey.length}`);
  }
  if (p.systemTitle.length !== SYSTEM_TITLE_LENGTH) {
    throw new RangeError(`system title must be ${SYSTEM_TITLE_LENGTH} bytes, got ${p.systemTitle.length}`);
  }
  const ic = p.invocationCounter;
  if (ic !== undefined && (!Number.isInteger(ic) || ic < 0 || ic > 0xffffffff)) {
    throw new RangeError(`invocation counter must be an integer 0..4294967295, got ${ic}`);
  }
}

function initialisationVector(systemTitle: Uint8Array, invocationCounter: number): Uint8Array {
  return new ByteWriter(12).bytes(systemTitle).u32(invocationCounter).toBytes();
}

/** Rejects SC values suite 0 cannot process; `onMalformed` decides the error kind for a no-protection SC. */
function checkSecurityControl(sc: number, onMalformed: (message: string) => never): void {
  const suite = sc & SecurityControlBit.suiteMask;
  if (suite !== 0) {
    throw new SecurityError(
      `security suite ${suite} (SC 0x${sc.toString(16).padStart(2, '0')}) is not supported; only suite 0 (AES-GCM-128) is`,
      'unsupported',
    );
  }
  if (sc & SecurityControlBit.compression) {
    throw new SecurityError(`compressed APDUs (SC 0x${sc.toString(16)}) are not supported`, 'unsupported');
  }
  if ((sc & (SecurityControlBit.authentication | SecurityControlBit.encryption)) === 0) {
    onMalformed(`security control 0x${sc.toString(16).padStart(2, '0')} applies neither authentication nor encryption`);
  }
}

/** GMAC: AES-GCM over an empty plaintext with AAD = SC ‖ AK ‖ data; the 12-byte tag. */
export function authenticationTag(p: TagParams): Uint8Array {
  checkArguments(p);
  const cipher = createCipheriv('aes-128-gcm', p.blockCipherKey, initialisationVector(p.systemTitle, p.invocationCounter), {
    authTagLength: TAG_LENGTH,
  });
  cipher.setAAD(new ByteWriter().u8(p.securityControl).bytes(p.authenticationKey).bytes(p.data).toBytes());
  cipher.final();
  return new Uint8Array(cipher.getAuthTag());
}

// Encryption without authentication is GCM's counter mode alone: AES-CTR starting at
// J0 + 1 = IV ‖ 00000002 (NIST SP 800-38D with a 96-bit IV). Using CTR directly avoids
// calling a GCM decipher without ever checking a tag.
function counterMode(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const counterBlock = new ByteWriter(16).bytes(iv).u32(2).toBytes();
  const ctr = createCipheriv('aes-128-ctr', key, counterBlock);
  return new Uint8Array(Buffer.concat([ctr.update(data), ctr.final()]));
}

/**
 * Protects an APDU with suite 0. Returns SC ‖ IC ‖ information ‖ tag:
 * SC 0x30 → ciphertext ‖ tag (AAD = SC ‖ AK); 0x10 → plaintext ‖ tag
 * (AAD = SC ‖ AK ‖ plaintext); 0x20 → ciphertext, no tag.
 */
export function protect(p: ProtectParams): Uint8Array {
  checkArguments(p);
  const sc = p.securityControl;
  if (!Number.isInteger(sc) || sc < 0 || sc > 0xff) throw new RangeError(`security control must be a byte, got ${sc}`);
  checkSecurityControl(sc, (message) => {
    throw new RangeError(message);
  });
  const iv = initialisationVector(p.systemTitle, p.invocationCounter);
  const out = new ByteWriter(SECURITY_HEADER_LENGTH + p.plaintext.length + TAG_LENGTH).u8(sc).u32(p.invocationCounter);
  const authenticated = (sc & SecurityControlBit.authentication) !== 0;
  const encrypted = (sc & SecurityControlBit.encryption) !== 0;
  if (encrypted && authenticated) {
    const cipher = createCipheriv('aes-128-gcm', p.blockCipherKey, iv, { authTagLength: TAG_LENGTH });
    cipher.setAAD(new ByteWriter().u8(sc).bytes(p.authenticationKey).toBytes());
    out.bytes(cipher.update(p.plaintext)).bytes(cipher.final()).bytes(cipher.getAuthTag());
  } else if (encrypted) {
    out.bytes(counterMode(p.blockCipherKey, iv, p.plaintext));
  } else {
    out.bytes(p.plaintext).bytes(authenticationTag({ ...p, data: p.plaintext }));
  }
  return out.toBytes();
}

function tagMismatch(sc: number, ic: number, systemTitle: Uint8Array): SecurityError {
  return new SecurityError(
    `suite 0 tag mismatch (SC 0x${sc.toString(16).padStart(2, '0')}, invocation counter ${ic}, ` +
      `sender system title ${hex(systemTitle)}): wrong block cipher key, authentication key or ` +
      `system title, or the APDU was altered in transit`,
    'authentication-failed',
  );
}

function describeProtection(bits: number): string {
  const parts: string[] = [];
  if (bits & SecurityControlBit.authentication) parts.push('authentication');
  if (bits & SecurityControlBit.encryption) parts.push('encryption');
  return parts.join(' and ');
}

/** Reads the SC ‖ IC header without any cryptography (for replay checks before decrypting). */
export function readSecurityHeader(protectedData: Uint8Array, base = 0): { securityControl: number; invocationCounter: number } {
  const r = new ByteReader(protectedData, 'cipher', 0, base);
  const securityControl = r.u8('security control');
  const invocationCounter = r.u32('invocation counter');
  return { securityControl, invocationCounter };
}

/** Reverses protect(). Bad bytes → ProtocolError; bad tag → SecurityError. */
export function unprotect(p: UnprotectParams): Unprotected {
  checkArguments(p);
  const base = p.base ?? 0;
  const r = new ByteReader(p.protectedData, 'cipher', 0, base);
  const sc = r.u8('security control');
  checkSecurityControl(sc, (message) => r.fail(message, 0));
  const ic = r.u32('invocation counter');
  const required =
    (p.requiredProtection ?? SecurityPolicy.authenticated) & (SecurityControlBit.authentication | SecurityControlBit.encryption);
  if ((sc & required) !== required) {
    throw new SecurityError(
      `APDU protected with SC 0x${sc.toString(16).padStart(2, '0')} but the security policy requires ` +
        `${describeProtection(required)}: refused as a possible downgrade`,
      'rejected',
    );
  }
  const authenticated = (sc & SecurityControlBit.authentication) !== 0;
  const encrypted = (sc & SecurityControlBit.encryption) !== 0;
  const iv = initialisationVector(p.systemTitle, ic);

  if (!authenticated) {
    return { securityControl: sc, invocationCounter: ic, plaintext: counterMode(p.blockCipherKey, iv, r.rest()) };
  }
  if (r.remaining < TAG_LENGTH) {
    r.fail(`authentication tag: needs ${TAG_LENGTH} byte(s), ${r.remaining} left`);
  }
  const body = r.take(r.remaining - TAG_LENGTH, 'information');
  const tag = r.take(TAG_LENGTH, 'authentication tag');

  if (!encrypted) {
    const expected = authenticationTag({ ...p, securityControl: sc, invocationCounter: ic, data: body });
    if (!timingSafeEqual(expected, tag)) throw tagMismatch(sc, ic, p.systemTitle);
    return { securityControl: sc, invocationCounter: ic, plaintext: body.slice() };
  }

  const decipher = createDecipheriv('aes-128-gcm', p.blockCipherKey, iv, { authTagLength: TAG_LENGTH });
  decipher.setAAD(new ByteWriter().u8(sc).bytes(p.authenticationKey).toBytes());
  decipher.setAuthTag(tag);
  const head = decipher.update(body);
  let tail: Buffer;
  try {
    tail = decipher.final();
  } catch {
    // Node reports a bad GCM tag only as a generic error thrown by final().
    throw tagMismatch(sc, ic, p.systemTitle);
  }
  return { securityControl: sc, invocationCounter: ic, plaintext: new Uint8Array(Buffer.concat([head, tail])) };
}
