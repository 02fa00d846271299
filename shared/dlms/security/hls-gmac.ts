// Authentication mechanisms (Green Book 9.2.2 / 9.2.7.4) and HLS mechanism 5, GMAC.
//
// HLS runs in four passes: the AARQ carries the client's challenge CtoS, the AARE the
// server's StoC; then each side proves it holds the keys by sending
//   f(challenge) = SC ‖ IC ‖ GMAC(SC ‖ AK ‖ challenge)
// with SC = 0x10 (authentication only, suite 0) and IV = the replier's own system title
// ‖ IC. The client's f(StoC) travels in reply_to_HLS_authentication, the server's
// f(CtoS) in the ACTION response. The verifier therefore needs the peer's system title.
import { timingSafeEqual } from 'node:crypto';
import { ByteReader, ByteWriter } from '../../bytes.js';
import { ProtocolError, SecurityError } from '../../errors.js';
import { SecurityPolicy, TAG_LENGTH, authenticationTag, type SuiteKeys } from './suite0.js';

/** The last arc x of the mechanism name OID 2.16.756.5.8.2.x (DLMS UA). */
export const AuthenticationMechanism = {
  lowest: 0,
  low: 1,
  high: 2,
  highMd5: 3,
  highSha1: 4,
  highGmac: 5,
  highSha256: 6,
  highEcdsa: 7,
} as const;

export type AuthenticationMechanismId = (typeof AuthenticationMechanism)[keyof typeof AuthenticationMechanism];

const MECHANISM_NAMES: Record<AuthenticationMechanismId, string> = {
  0: 'lowest (none)',
  1: 'LLS (password)',
  2: 'HLS (manufacturer specific)',
  3: 'HLS-MD5',
  4: 'HLS-SHA1',
  5: 'HLS-GMAC',
  6: 'HLS-SHA256',
  7: 'HLS-ECDSA',
};

/** The mechanisms this stack implements. */
export const SUPPORTED_MECHANISMS: readonly AuthenticationMechanismId[] = [0, 1, 5];

export function mechanismName(id: AuthenticationMechanismId): string {
  return MECHANISM_NAMES[id];
}

// BER encoding of 2.16.756.5.8.2: first two arcs 2*40+16 = 96 (0x60), 756 = 0x85 0x74.
const MECHANISM_OID_PREFIX = [0x60, 0x85, 0x74, 0x05, 0x08, 0x02] as const;

/** The encoded mechanism-name OID (content octets, as in the AARQ's [11] field). */
export function mechanismNameOid(id: AuthenticationMechanismId): Uint8Array {
  return Uint8Array.from([...MECHANISM_OID_PREFIX, id]);
}

/** Decodes mechanism-name OID content octets. */
export function mechanismFromOid(oid: Uint8Array, base = 0): AuthenticationMechanismId {
  const r = new ByteReader(oid, 'acse', 0, base);
  for (let i = 0; i < MECHANISM_OID_PREFIX.length; i++) {
    if (r.u8('mechanism name') !== MECHANISM_OID_PREFIX[i]) r.fail('not a DLMS UA mechanism name (2.16.756.5.8.2.x)', i);
  }
  const id = r.u8('mechanism id');
  if (id > 7) r.fail(`unknown authentication mechanism ${id}`, MECHANISM_OID_PREFIX.length);
  if (!r.atEnd) r.fail('trailing bytes after the mechanism id');
  return id as AuthenticationMechanismId;
}

/** LLS: compares the password in constant time (only its length can show in timing). */
export function checkLowLevelPassword(expected: Uint8Array, given: Uint8Array): void {
  const ok = expected.length === given.length && timingSafeEqual(expected, given);
  if (!ok) throw new SecurityError('LLS password does not match the one configured for this client', 'wrong-password');
}

/** f(challenge) is SC (1) ‖ IC (4) ‖ tag (12). */
export const HLS_GMAC_REPLY_LENGTH = 1 + 4 + TAG_LENGTH;

export interface HlsGmacReplyParams extends SuiteKeys {
  /** The challenge the peer sent us. */
  challenge: Uint8Array;
  /** Our own system title. */
  systemTitle: Uint8Array;
  invocationCounter: number;
}

/** Computes our answer f(challenge) to the peer's challenge. */
export function hlsGmacReply(p: HlsGmacReplyParams): Uint8Array {
  const sc = SecurityPolicy.authenticated;
  const tag = authenticationTag({ ...p, securityControl: sc, data: p.challenge });
  return new ByteWriter(HLS_GMAC_REPLY_LENGTH).u8(sc).u32(p.invocationCounter).bytes(tag).toBytes();
}

export interface HlsGmacVerifyParams extends SuiteKeys {
  /** The peer's f(ourChallenge). */
  reply: Uint8Array;
  /** The challenge we sent the peer. */
  challenge: Uint8Array;
  peerSystemTitle: Uint8Array;
  /** Added to ProtocolError offsets when `reply` is a slice of a larger APDU. */
  base?: number;
}

/**
 * Verifies the peer's f(challenge). Returns the peer's invocation counter (feed it to
 * the ReplayGuard); throws SecurityError('authentication-failed') on mismatch.
 */
export function verifyHlsGmacReply(p: HlsGmacVerifyParams): { invocationCounter: number } {
  const base = p.base ?? 0;
  const r = new ByteReader(p.reply, 'cipher', 0, base);
  const sc = r.u8('HLS-GMAC security control');
  if (sc !== SecurityPolicy.authenticated) {
    r.fail(`HLS-GMAC reply must use security control 0x10, got 0x${sc.toString(16).padStart(2, '0')}`, 0);
  }
  const invocationCounter = r.u32('HLS-GMAC invocation counter');
  const tag = r.take(TAG_LENGTH, 'HLS-GMAC tag');
  if (!r.atEnd) {
    throw new ProtocolError(`HLS-GMAC reply has ${r.remaining} byte(s) more than ${HLS_GMAC_REPLY_LENGTH}`, base + r.pos, 'cipher');
  }
  const expected = authenticationTag({
    ...p,
    securityControl: sc,
    systemTitle: p.peerSystemTitle,
    invocationCounter,
    data: p.challenge,
  });
  if (!timingSafeEqual(expected, tag)) {
    throw new SecurityError(
      'HLS-GMAC: the peer’s reply to our challenge does not verify — it holds a different ' +
        'authentication key or block cipher key, or its system title is not the one it announced',
      'authentication-failed',
    );
  }
  return { invocationCounter };
}
