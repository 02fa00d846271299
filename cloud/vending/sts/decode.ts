// Token decoding: 20 digits → class bits and ciphertext → decrypt (classes 0, 2, 3)
// → CRC check → fields. A token for another meter (or SGC, TI, KRN) decrypts to
// noise, which the CRC catches; such a token comes back with crcOk = false rather
// than as an exception. Only malformed digits or bad key arguments throw (StsError).
import { decodeAmount } from './amount.js';
import { crcMatches, parseBlock } from './block.js';
import { blockCipher } from './cipher.js';
import { DECODER_KEY_BYTES, type EncryptionAlgorithm, parseHexKey } from './decoder-key.js';
import { StsError, check } from './errors.js';
import { type BaseDate, isBaseDate, timeFromTid } from './tid.js';
import { parseTokenDigits, untransposeClass } from './token-number.js';
import {
  AMOUNT_ENCODED_MANAGEMENT,
  CREDIT_UNITS,
  type CreditSubclass,
  type CreditUnit,
  fromTransferUnits,
  type TokenClass,
  tokenName,
} from './token-types.js';

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

export interface DecodedToken {
  readonly digits: string;
  readonly class: TokenClass;
  readonly subclass: number;
  readonly name: string;
  /** The plain 64-bit block (after decryption for classes 0, 2, 3). */
  readonly block: bigint;
  readonly crcOk: boolean;
  // The rest is present only when crcOk.
  readonly rnd?: number;
  readonly tid?: number;
  /** The minute the TID stands for, from the given base date. */
  readonly issuedAt?: Date;
  /** Class 0: credit in whole transfer units, and in display units. */
  readonly transferUnits?: number;
  readonly amount?: number;
  readonly unit?: CreditUnit['unit'];
  /** Class 2 subclasses 0,1,2,5,6,7: MPL/MPPUL in W, or the raw 16-bit register/rate/pad/factor. */
  readonly value?: number;
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
  const baseDate = options.baseDate ?? 1993;
  if (!isBaseDate(baseDate)) throw new StsError('parameter', 'baseDate', `must be 1993, 2014 or 2035, got ${baseDate}`);
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
    case 'transfer': {
      const timed = { ...base, crcOk: true, rnd: f.rnd, tid: f.tid, issuedAt: timeFromTid(f.tid, baseDate) };
      if (f.tokenClass === 0) {
        const unit = CREDIT_UNITS[f.subclass as CreditSubclass];
        const transferUnits = decodeAmount(f.value16);
        return { ...timed, transferUnits, amount: fromTransferUnits(transferUnits, unit), unit: unit.unit };
      }
      const value = AMOUNT_ENCODED_MANAGEMENT.includes(f.subclass) ? decodeAmount(f.value16) : f.value16;
      return { ...timed, value };
    }
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
