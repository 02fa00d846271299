// Token decoding: 20 digits → class bits and ciphertext → decrypt (classes 0, 2, 3)
// → CRC check → fields. A token for another meter (or SGC, TI, KRN) decrypts to
// noise, which the CRC catches; such a token comes back with crcOk = false rather
// than as an exception. Only malformed digits or bad key arguments throw (StsError).
import { crcMatches, parseBlock } from './block.js';
import { blockCipher } from './cipher.js';
import { DECODER_KEY_BYTES, type EncryptionAlgorithm, parseHexKey } from './decoder-key.js';
import { check } from './errors.js';
import { type BaseDate, checkBaseDate, timeFromTid } from './tid.js';
import { parseTokenDigits, untransposeClass } from './token-number.js';
import { type TokenClass, tokenName } from './token-types.js';
import { type TransferDetails, transferValue } from './transfer-value.js';

export interface DecodedKeyChange {
  readonly section: 1 | 2 | 3 | 4;
  /** KENHO (section 1) or KENLO (section 2). */
  readonly keyExpiryNumberPart?: number;
  readonly keyRevisionNumber?: number;
  readonly rollover?: boolean;
  readonly keyType?: number;
  /** Two digits, section 2. */
  readonly tariffIndex?: string;
  /** SGCLO (section 3) or SGCHO (section 4), 12 bits. */
  readonly supplyGroupCodePart?: number;
  /** The 32 bits of the new key this section carries, as 8 hex digits. */
  readonly keyPart: string;
}

/** A decoded token. Everything after crcOk, the transfer details included, is present only when crcOk. */
export interface DecodedToken extends TransferDetails {
  readonly digits: string;
  readonly class: TokenClass;
  readonly subclass: number;
  readonly name: string;
  /** The plain 64-bit block (after decryption for classes 0, 2, 3). */
  readonly block: bigint;
  readonly crcOk: boolean;
  // The rest is present only when crcOk.
  /** Class 1 subclasses 0 and 1. */
  readonly control?: bigint;
  readonly manufacturerCode?: number;
  readonly keyChange?: DecodedKeyChange;
  /** Types without a known layout: bits 59..16 of the block. */
  readonly data?: bigint;
}

export interface DecodeOptions {
  /** Base date for turning the TID into a time. Default 1993. */
  baseDate?: number;
}

export function decodeToken(
  digits: string,
  decoderKey?: Uint8Array | string,
  algorithm: EncryptionAlgorithm = 'EA07',
  options: DecodeOptions = {},
): DecodedToken {
  const baseDate = checkBaseDate(options.baseDate ?? 1993);
  const parsed = parseTokenDigits(digits);
  const { tokenClass, ciphertext } = untransposeClass(parsed.tokenNumber);
  let block = ciphertext;
  if (tokenClass !== 1) {
    check(decoderKey !== undefined, 'decoderKey', `is required to decode a class ${tokenClass} token`);
    const key = typeof decoderKey === 'string' ? parseHexKey(decoderKey, 'decoderKey', [DECODER_KEY_BYTES[algorithm]]) : decoderKey;
    block = blockCipher(algorithm, key).decrypt(ciphertext);
  }
  return describeBlock(parsed.digits, tokenClass as TokenClass, block, baseDate);
}

/** Plain block → decoded token. Shared by decodeToken and the meter. */
export function describeBlock(digits: string, tokenClass: TokenClass, block: bigint, baseDate: BaseDate): DecodedToken {
  const subclass = Number((block >> 60n) & 0xfn);
  const base = { digits, class: tokenClass, subclass, name: tokenName(tokenClass, subclass), block };
  if (!crcMatches(tokenClass, block)) return { ...base, crcOk: false };
  const f = parseBlock(tokenClass, block);
  switch (f.layout) {
    case 'transfer':
      return { ...base, crcOk: true, rnd: f.rnd, tid: f.tid, issuedAt: timeFromTid(f.tid, baseDate), ...transferValue(f.tokenClass, f.subclass, f.value16) };
    case 'test':
      return { ...base, crcOk: true, control: f.control, manufacturerCode: f.manufacturerCode };
    case 'key-change': {
      const keyPart = f.keyPart.toString(16).padStart(8, '0');
      const keyChange: DecodedKeyChange =
        f.section === 1
          ? { section: 1, keyExpiryNumberPart: f.kenNibble, keyRevisionNumber: f.keyRevisionNumber, rollover: f.rollover, keyType: f.keyType, keyPart }
          : f.section === 2
            ? { section: 2, keyExpiryNumberPart: f.kenNibble, tariffIndex: String(f.tariffIndex).padStart(2, '0'), keyPart }
            : { section: f.section, supplyGroupCodePart: f.supplyGroupCodePart, keyPart };
      return { ...base, crcOk: true, keyChange };
    }
    case 'opaque':
      return { ...base, crcOk: true, data: f.data };
  }
}
