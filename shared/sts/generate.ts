// Token generation, the vending side of IEC 62055-41: fields → data block with
// CRC → EA07/EA11 encryption (not for class 1) → class-bit transposition → 20
// digits. Pure: the issue time and (optionally) the random nibble come in as
// arguments; only the default RND uses node:crypto's randomness.
import { randomInt } from 'node:crypto';
import { encodeAmount } from './amount.js';
import { type BlockFields, buildBlock } from './block.js';
import { blockCipher } from './cipher.js';
import { DECODER_KEY_BYTES, type EncryptionAlgorithm, parseHexKey } from './decoder-key.js';
import { StsError, check } from './errors.js';
import { digitField } from './identity.js';
import { type BaseDate, checkBaseDate, tidExpired, tidFromTime, timeFromTid, TID_LIMIT } from './tid.js';
import { formatTokenNumber, groupDigits, transposeClass } from './token-number.js';
import {
  AMOUNT_ENCODED_MANAGEMENT,
  CREDIT_UNITS,
  type CreditSubclass,
  keyChangeSection,
  MANAGEMENT_SUBCLASSES,
  type TokenClass,
  toTransferUnits,
  tokenName,
} from './token-types.js';
import { type TransferDetails, transferValue } from './transfer-value.js';

export interface GenerateTokenInput {
  class: number;
  subclass: number;
  /** The meter's current decoder key (not needed for class 1). Hex or bytes, big-endian. */
  decoderKey?: Uint8Array | string;
  algorithm?: EncryptionAlgorithm;

  // Classes 0 and 2 (except key changes): when and which key generation.
  /** Issue time; the TID is the whole minutes since the base date (UTC). */
  issuedAt?: Date | number;
  /** An explicit TID instead of issuedAt (e.g. a vending system keeping TIDs unique). */
  tid?: number;
  baseDate?: number;
  /** 4 random bits; drawn with node:crypto when absent. */
  rnd?: number;
  /** KEN of the current key: generation refuses TIDs beyond it. Default 255 (no expiry). */
  keyExpiryNumber?: number;

  /** Class 0: credit in display units (kWh, m³, min, currency) — rounded up to the resolution. */
  amount?: number;
  /** Class 0: credit as whole transfer units (0.1 kWh, …), instead of amount. */
  transferUnits?: number;
  /** Class 2 subclasses 0,1,2,5,6,7: MPL/MPPUL in W, register, rate, pad, water meter factor. */
  value?: number;

  /** Class 1: control field (36 bits for subclass 0, 28 bits for subclass 1). */
  control?: bigint | number;
  /** Class 1: manufacturer code (2 digits for subclass 0, 4 digits for subclass 1). */
  manufacturerCode?: number;

  // Key change sections (class 2 subclasses 3, 4, 8, 9): the NEW key and its parameters.
  newDecoderKey?: Uint8Array | string;
  newKeyExpiryNumber?: number;
  newKeyRevisionNumber?: number;
  newKeyType?: number;
  newTariffIndex?: string | number;
  newSupplyGroupCode?: string | number;
  /** Set the RO bit: a TID-rollover key change (meter clears its TIDs, base date moves on). */
  rollover?: boolean;
}

/** A generated token; the transfer details say what it carries (classes 0 and 2 management). */
export interface GeneratedToken extends TransferDetails {
  /** The 20 digits to print or key in. */
  readonly digits: string;
  /** The same digits in groups of four. */
  readonly grouped: string;
  /** The 66-bit token number. */
  readonly tokenNumber: bigint;
  /** The plain 64-bit data block, CRC included. */
  readonly block: bigint;
  /** The encrypted block (equal to block for class 1). */
  readonly ciphertext: bigint;
  readonly class: TokenClass;
  readonly subclass: number;
  readonly name: string;
}

function intIn(value: unknown, min: number, max: number, field: string): number {
  check(typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max, field, `must be a whole number from ${min} to ${max}, got ${String(value)}`);
  return value;
}

function keyBytes(key: Uint8Array | string | undefined, algorithm: EncryptionAlgorithm, field: string): Uint8Array {
  check(key !== undefined, field, 'is required');
  const bytes = typeof key === 'string' ? parseHexKey(key, field, [DECODER_KEY_BYTES[algorithm]]) : key;
  check(bytes.length === DECODER_KEY_BYTES[algorithm], field, `${algorithm} needs a ${DECODER_KEY_BYTES[algorithm] * 8}-bit key, got ${bytes.length * 8} bits`);
  return bytes;
}

function resolveTid(input: GenerateTokenInput): { tid: number; baseDate: BaseDate } {
  const baseDate = checkBaseDate(input.baseDate ?? 1993);
  let tid: number;
  if (input.tid !== undefined) {
    tid = intIn(input.tid, 0, TID_LIMIT - 1, 'tid');
  } else {
    check(input.issuedAt !== undefined, 'issuedAt', 'is required (or give tid)');
    tid = tidFromTime(input.issuedAt, baseDate);
  }
  const ken = intIn(input.keyExpiryNumber ?? 255, 0, 255, 'keyExpiryNumber');
  if (tidExpired(tid, ken)) {
    throw new StsError('key-expired', 'issuedAt', `TID ${tid} (${timeFromTid(tid, baseDate).toISOString()}) is beyond the key's expiry number ${ken}`);
  }
  return { tid, baseDate };
}

function transferUnitsOf(input: GenerateTokenInput, subclass: CreditSubclass): number {
  check(!(input.amount !== undefined && input.transferUnits !== undefined), 'amount', 'give amount or transferUnits, not both');
  if (input.transferUnits !== undefined) return intIn(input.transferUnits, 0, Number.MAX_SAFE_INTEGER, 'transferUnits');
  check(typeof input.amount === 'number' && Number.isFinite(input.amount) && input.amount >= 0, 'amount', `must be a non-negative number, got ${String(input.amount)}`);
  return toTransferUnits(input.amount, CREDIT_UNITS[subclass].perUnit);
}

function managementValue16(subclass: number, value: number | undefined): number {
  const v = value ?? (subclass === 1 ? 0xffff : subclass === 5 ? 0 : undefined);
  check(v !== undefined, 'value', `is required for ${tokenName(2, subclass)}`);
  if (AMOUNT_ENCODED_MANAGEMENT.includes(subclass)) return encodeAmount(intIn(v, 0, Number.MAX_SAFE_INTEGER, 'value'), 'value');
  return intIn(v, 0, 0xffff, 'value');
}

/** The 32 key bits a section carries: 64-bit keys split 1st|2nd, 128-bit keys 1st|3rd|4th|2nd. */
export function keyPart(newKey: Uint8Array, section: 1 | 2 | 3 | 4): number {
  const index = newKey.length === 8 ? { 1: 0, 2: 1, 3: -1, 4: -1 }[section] : { 1: 0, 3: 1, 4: 2, 2: 3 }[section];
  check(index >= 0, 'subclass', 'the 3rd and 4th key-change sections exist only for 128-bit (EA11) keys');
  const at = index * 4;
  return ((newKey[at]! << 24) | (newKey[at + 1]! << 16) | (newKey[at + 2]! << 8) | newKey[at + 3]!) >>> 0;
}

function keyChangeFields(input: GenerateTokenInput, algorithm: EncryptionAlgorithm, section: 1 | 2 | 3 | 4): BlockFields {
  const newKey = keyBytes(input.newDecoderKey, algorithm, 'newDecoderKey');
  const base = { layout: 'key-change', tokenClass: 2, section, kenNibble: 0, keyRevisionNumber: 0, rollover: false, reserved: 0, keyType: 0, tariffIndex: 0, supplyGroupCodePart: 0, keyPart: keyPart(newKey, section) } as const;
  if (section === 1) {
    const ken = intIn(input.newKeyExpiryNumber ?? 255, 0, 255, 'newKeyExpiryNumber');
    const krn = intIn(input.newKeyRevisionNumber, 1, 9, 'newKeyRevisionNumber');
    const kt = intIn(input.newKeyType, 0, 3, 'newKeyType');
    return { ...base, kenNibble: ken >> 4, keyRevisionNumber: krn, keyType: kt, rollover: input.rollover === true };
  }
  if (section === 2) {
    const ken = intIn(input.newKeyExpiryNumber ?? 255, 0, 255, 'newKeyExpiryNumber');
    check(input.newTariffIndex !== undefined, 'newTariffIndex', 'is required');
    const ti = digitField(input.newTariffIndex, 2, 'newTariffIndex');
    return { ...base, kenNibble: ken & 0xf, tariffIndex: Number(ti) };
  }
  check(input.newSupplyGroupCode !== undefined, 'newSupplyGroupCode', 'is required');
  const sgc = Number(digitField(input.newSupplyGroupCode, 6, 'newSupplyGroupCode'));
  return { ...base, supplyGroupCodePart: section === 3 ? sgc & 0xfff : sgc >>> 12 };
}

export function generateToken(input: GenerateTokenInput): GeneratedToken {
  const tokenClass = intIn(input.class, 0, 3, 'class') as TokenClass;
  const subclass = intIn(input.subclass, 0, 15, 'subclass');
  const name = tokenName(tokenClass, subclass);

  if (tokenClass === 1) {
    check(subclass === 0 || subclass === 1, 'subclass', `class 1 generation supports subclasses 0 and 1 (meter test/display), got ${subclass}`);
    const control = BigInt(input.control ?? -1);
    const controlBits = subclass === 0 ? 36n : 28n;
    check(control >= 0n && control < 1n << controlBits, 'control', `must be a ${controlBits}-bit number, got ${String(input.control)}`);
    const manufacturerCode = intIn(input.manufacturerCode, 0, subclass === 0 ? 99 : 9999, 'manufacturerCode');
    const block = buildBlock({ layout: 'test', tokenClass: 1, subclass, control, manufacturerCode });
    return finish(tokenClass, subclass, name, block, block, {});
  }

  check(tokenClass !== 3, 'class', 'class 3 is reserved by the STS Association');
  const algorithm = input.algorithm ?? 'EA07';
  const cipher = blockCipher(algorithm, keyBytes(input.decoderKey, algorithm, 'decoderKey'));
  const section = tokenClass === 2 ? keyChangeSection(subclass) : undefined;

  let fields: BlockFields;
  let extra: TransferDetails = {};
  if (section !== undefined) {
    check(section <= 2 || algorithm === 'EA11', 'subclass', `${name} exists only for 128-bit EA11 keys`);
    fields = keyChangeFields(input, algorithm, section);
  } else {
    check(tokenClass === 0 ? subclass <= 7 : MANAGEMENT_SUBCLASSES.includes(subclass), 'subclass', `${name} cannot be generated`);
    const { tid, baseDate } = resolveTid(input);
    const rnd = intIn(input.rnd ?? randomInt(16), 0, 15, 'rnd');
    const value16 =
      tokenClass === 0
        ? encodeAmount(transferUnitsOf(input, subclass as CreditSubclass), input.transferUnits !== undefined ? 'transferUnits' : 'amount')
        : managementValue16(subclass, input.value);
    fields = { layout: 'transfer', tokenClass, subclass, rnd, tid, value16 };
    extra = { ...transferValue(tokenClass, subclass, value16), rnd, tid, issuedAt: timeFromTid(tid, baseDate) };
  }
  const block = buildBlock(fields);
  return finish(tokenClass, subclass, name, block, cipher.encrypt(block), extra);
}

function finish(tokenClass: TokenClass, subclass: number, name: string, block: bigint, ciphertext: bigint, extra: object): GeneratedToken {
  const tokenNumber = transposeClass(tokenClass, ciphertext);
  const digits = formatTokenNumber(tokenNumber);
  return { digits, grouped: groupDigits(digits), tokenNumber, block, ciphertext, class: tokenClass, subclass, name, ...extra };
}
