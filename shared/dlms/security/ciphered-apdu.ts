// Ciphered xDLMS APDUs (Green Book 9.5 / IEC 62056-5-3 xDLMS-APDU CHOICE).
//
//   glo-/ded-xxx:           tag ‖ length ‖ SC ‖ IC ‖ information ‖ tag
//   general-glo-ciphering:  0xDB ‖ len ‖ system-title ‖ len ‖ SC ‖ IC ‖ information ‖ tag
//   general-ded-ciphering:  0xDC, same layout
//
// glo-* use the global (unicast or broadcast) block cipher key, ded-* the dedicated key
// agreed in the InitiateRequest; which key to pass is the caller's business, the
// ciphered form itself is identical. The service-specific glo/ded forms carry no system
// title, so the receiver must know the sender's (from the AARQ/AARE).
import { ByteReader, ByteWriter } from '../../bytes.js';
import { ProtocolError, SecurityError } from '../../errors.js';
import { SYSTEM_TITLE_LENGTH, SecurityControlBit, protect, readSecurityHeader, unprotect, type SuiteKeys } from './suite0.js';

/** Plain xDLMS APDU tags that have a glo/ded ciphered counterpart. */
export const PlainTag = {
  initiateRequest: 0x01,
  readRequest: 0x05,
  writeRequest: 0x06,
  initiateResponse: 0x08,
  readResponse: 0x0c,
  writeResponse: 0x0d,
  confirmedServiceError: 0x0e,
  unconfirmedWriteRequest: 0x16,
  informationReportRequest: 0x18,
  getRequest: 0xc0,
  setRequest: 0xc1,
  eventNotificationRequest: 0xc2,
  actionRequest: 0xc3,
  getResponse: 0xc4,
  setResponse: 0xc5,
  actionResponse: 0xc7,
} as const;

// The standard numbers the ciphered forms by a fixed offset from the plain tag:
// the ACSE-era services (initiate, SN read/write, ...) at +32 (glo) / +64 (ded),
// the LN services (get/set/action/event) at +8 (glo) / +16 (ded).
const GLO_OFFSET_SHORT = 0x20;
const DED_OFFSET_SHORT = 0x40;
const GLO_OFFSET_LN = 0x08;
const DED_OFFSET_LN = 0x10;

export const CipheredTag = {
  gloInitiateRequest: 0x21,
  gloReadRequest: 0x25,
  gloWriteRequest: 0x26,
  gloInitiateResponse: 0x28,
  gloReadResponse: 0x2c,
  gloWriteResponse: 0x2d,
  gloConfirmedServiceError: 0x2e,
  gloUnconfirmedWriteRequest: 0x36,
  gloInformationReportRequest: 0x38,
  dedInitiateRequest: 0x41,
  dedReadRequest: 0x45,
  dedWriteRequest: 0x46,
  dedInitiateResponse: 0x48,
  dedReadResponse: 0x4c,
  dedWriteResponse: 0x4d,
  dedConfirmedServiceError: 0x4e,
  dedUnconfirmedWriteRequest: 0x56,
  dedInformationReportRequest: 0x58,
  gloGetRequest: 0xc8,
  gloSetRequest: 0xc9,
  gloEventNotificationRequest: 0xca,
  gloActionRequest: 0xcb,
  gloGetResponse: 0xcc,
  gloSetResponse: 0xcd,
  gloActionResponse: 0xcf,
  dedGetRequest: 0xd0,
  dedSetRequest: 0xd1,
  dedEventNotificationRequest: 0xd2,
  dedActionRequest: 0xd3,
  dedGetResponse: 0xd4,
  dedSetResponse: 0xd5,
  dedActionResponse: 0xd7,
  generalGloCiphering: 0xdb,
  generalDedCiphering: 0xdc,
  generalCiphering: 0xdd,
} as const;

export type KeyKind = 'glo' | 'ded';

const PLAIN_TAGS: ReadonlySet<number> = new Set(Object.values(PlainTag));

function isLnService(plainTag: number): boolean {
  return plainTag >= 0xc0;
}

/** The glo-ciphered tag for a plain APDU tag, or undefined if it has none. */
export function gloTagFor(plainTag: number): number | undefined {
  if (!PLAIN_TAGS.has(plainTag)) return undefined;
  return plainTag + (isLnService(plainTag) ? GLO_OFFSET_LN : GLO_OFFSET_SHORT);
}

/** The ded-ciphered tag for a plain APDU tag, or undefined if it has none. */
export function dedTagFor(plainTag: number): number | undefined {
  if (!PLAIN_TAGS.has(plainTag)) return undefined;
  return plainTag + (isLnService(plainTag) ? DED_OFFSET_LN : DED_OFFSET_SHORT);
}

/** For a glo/ded service tag: the plain tag it wraps and which key kind; else undefined. */
export function plainTagFor(cipheredTag: number): { plainTag: number; keyKind: KeyKind } | undefined {
  const candidates: Array<[number, KeyKind]> =
    cipheredTag >= 0xc0
      ? [
          [cipheredTag - GLO_OFFSET_LN, 'glo'],
          [cipheredTag - DED_OFFSET_LN, 'ded'],
        ]
      : [
          [cipheredTag - GLO_OFFSET_SHORT, 'glo'],
          [cipheredTag - DED_OFFSET_SHORT, 'ded'],
        ];
  for (const [plainTag, keyKind] of candidates) {
    if (!PLAIN_TAGS.has(plainTag)) continue;
    // The round trip keeps the two offset families from mixing.
    const back = keyKind === 'glo' ? gloTagFor(plainTag) : dedTagFor(plainTag);
    if (back === cipheredTag) return { plainTag, keyKind };
  }
  return undefined;
}

export function isCipheredTag(tag: number): boolean {
  return plainTagFor(tag) !== undefined || tag === CipheredTag.generalGloCiphering || tag === CipheredTag.generalDedCiphering;
}

export interface CipherParams extends SuiteKeys {
  securityControl: number;
  /** The sender's own system title (the IV prefix). */
  systemTitle: Uint8Array;
  invocationCounter: number;
}

/**
 * Wraps a plain APDU in its service-specific ciphered form: the tag is chosen from the
 * APDU's first byte (glo by default, ded when keyKind is 'ded').
 */
export function wrapCipheredApdu(apdu: Uint8Array, p: CipherParams & { keyKind?: KeyKind }): Uint8Array {
  if (apdu.length === 0) throw new RangeError('cannot cipher an empty APDU');
  const plainTag = apdu[0];
  const tag = p.keyKind === 'ded' ? dedTagFor(plainTag) : gloTagFor(plainTag);
  if (tag === undefined) {
    throw new RangeError(
      `APDU tag 0x${plainTag.toString(16)} has no ${p.keyKind ?? 'glo'}-ciphered form; use general-glo-ciphering`,
    );
  }
  const content = protect({ ...p, plaintext: apdu });
  return new ByteWriter(content.length + 6).u8(tag).lengthField(content.length).bytes(content).toBytes();
}

/** Wraps any APDU in general-glo-ciphering (or general-ded-ciphering), carrying the system title. */
export function wrapGeneralCiphering(apdu: Uint8Array, p: CipherParams & { keyKind?: KeyKind }): Uint8Array {
  const content = protect({ ...p, plaintext: apdu });
  const tag = p.keyKind === 'ded' ? CipheredTag.generalDedCiphering : CipheredTag.generalGloCiphering;
  return new ByteWriter(content.length + 16)
    .u8(tag)
    .lengthField(p.systemTitle.length)
    .bytes(p.systemTitle)
    .lengthField(content.length)
    .bytes(content)
    .toBytes();
}

/** A ciphered APDU taken apart without any cryptography. */
export interface CipheredApdu {
  tag: number;
  form: 'service' | 'general';
  keyKind: KeyKind;
  /** For the service form: the plain tag the decrypted APDU must start with. */
  plainTag: number | undefined;
  /** Carried by the general forms only (and may be empty there). */
  systemTitle: Uint8Array | undefined;
  securityControl: number;
  invocationCounter: number;
  /** SC ‖ IC ‖ information ‖ tag — a view into the input. */
  content: Uint8Array;
  /** Offset of `content` in the input, plus `base` (for error offsets). */
  contentOffset: number;
}

/**
 * Parses the framing of a glo-/ded-/general-ciphered APDU. Reads SC and IC so a
 * receiver can reject a replayed counter before spending a decryption on it.
 */
export function parseCipheredApdu(bytes: Uint8Array, base = 0): CipheredApdu {
  // Explicit type: lets TypeScript see that r.fail() never returns.
  const r: ByteReader = new ByteReader(bytes, 'cipher', 0, base);
  const tag = r.u8('ciphered APDU tag');
  let form: CipheredApdu['form'];
  let keyKind: KeyKind;
  let plainTag: number | undefined;
  let systemTitle: Uint8Array | undefined;

  const service = plainTagFor(tag);
  if (service) {
    form = 'service';
    keyKind = service.keyKind;
    plainTag = service.plainTag;
  } else if (tag === CipheredTag.generalGloCiphering || tag === CipheredTag.generalDedCiphering) {
    form = 'general';
    keyKind = tag === CipheredTag.generalGloCiphering ? 'glo' : 'ded';
    const titleAt = r.pos;
    const titleLength = r.length('system-title length');
    // Empty means "the one already known from the association"; otherwise exactly 8.
    if (titleLength !== 0 && titleLength !== SYSTEM_TITLE_LENGTH) {
      r.fail(`system-title must be ${SYSTEM_TITLE_LENGTH} bytes, got ${titleLength}`, titleAt);
    }
    systemTitle = titleLength === 0 ? undefined : r.take(titleLength, 'system-title').slice();
  } else if (tag === CipheredTag.generalCiphering) {
    throw new SecurityError('general-ciphering (0xDD, key agreement per message) is not supported', 'unsupported');
  } else {
    r.fail(`0x${tag.toString(16).padStart(2, '0')} is not a ciphered APDU tag`, 0);
  }

  const length = r.length('ciphered content length');
  const contentOffset = base + r.pos;
  const content = r.take(length, 'ciphered content');
  if (!r.atEnd) r.fail(`${r.remaining} byte(s) after the end of the ciphered APDU`);
  const header = readSecurityHeader(content, contentOffset);
  return {
    tag,
    form,
    keyKind,
    plainTag,
    systemTitle,
    securityControl: header.securityControl,
    invocationCounter: header.invocationCounter,
    content,
    contentOffset,
  };
}

export interface UnwrapParams extends SuiteKeys {
  /**
   * The sender's system title. Required for the service form; for the general forms it
   * is used only when the message carries an empty system-title.
   */
  systemTitle?: Uint8Array;
  /** SC bits the APDU must carry (see UnprotectParams); default 0x10, authentication. */
  requiredProtection?: number;
}

export interface UnwrappedApdu {
  tag: number;
  keyKind: KeyKind;
  /** The system title that was used as IV prefix: check it is the peer you expect. */
  systemTitle: Uint8Array;
  securityControl: number;
  invocationCounter: number;
  apdu: Uint8Array;
}

/** Decrypts/verifies an already parsed ciphered APDU. */
export function openCipheredApdu(parsed: CipheredApdu, p: UnwrapParams): UnwrappedApdu {
  const systemTitle = parsed.systemTitle ?? p.systemTitle;
  if (systemTitle === undefined) {
    throw new SecurityError(
      `0x${parsed.tag.toString(16)} carries no system title and none is known for the sender; ` +
        'the association (AARQ/AARE) must supply it',
      'rejected',
    );
  }
  const opened = unprotect({ ...p, systemTitle, protectedData: parsed.content, base: parsed.contentOffset });
  if (parsed.plainTag !== undefined && opened.plaintext[0] !== parsed.plainTag) {
    // Only possible without authentication (wrong key gives garbage) or from a faulty peer.
    const got = opened.plaintext.length === 0 ? 'nothing' : `tag 0x${opened.plaintext[0].toString(16)}`;
    throw new ProtocolError(
      `0x${parsed.tag.toString(16)} must contain an APDU with tag 0x${parsed.plainTag.toString(16)}, decrypted to ${got}` +
        ((parsed.securityControl & SecurityControlBit.authentication) === 0 ? ' (not authenticated: possibly a wrong key)' : ''),
      parsed.contentOffset + 5,
      'cipher',
    );
  }
  return {
    tag: parsed.tag,
    keyKind: parsed.keyKind,
    systemTitle,
    securityControl: opened.securityControl,
    invocationCounter: opened.invocationCounter,
    apdu: opened.plaintext,
  };
}

/** parseCipheredApdu + openCipheredApdu in one step. */
export function unwrapCipheredApdu(bytes: Uint8Array, p: UnwrapParams, base = 0): UnwrappedApdu {
  return openCipheredApdu(parseCipheredApdu(bytes, base), p);
}
