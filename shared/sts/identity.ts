// Meter identity and key parameters (IEC 62055-41 §6.1): who a token is for and
// which key generation it belongs to. Everything is validated here once, so the
// key derivation and token code can trust their inputs.
//
// MeterPAN = IIN ‖ DRN ‖ PAN check digit = 18 digits. The IIN is 6 digits
// (usually 600727) or the 4-digit short form 0000, so the DRN has 11 or 13 digits,
// its last one a Luhn check digit over the DRN alone.
import { check } from './errors.js';
import { type BaseDate, checkBaseDate } from './tid.js';

/** Luhn check digit for `payload` (digits only). */
export function luhnCheckDigit(payload: string): number {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) {
    let d = payload.charCodeAt(payload.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

export interface MeterIdentity {
  /** Issuer identification number: 6 digits, or the 4-digit short form '0000'. */
  readonly iin: string;
  /** Decoder reference number: 11 digits (13 with a 4-digit IIN), Luhn digit last. */
  readonly drn: string;
  /** The 18-digit MeterPAN: IIN ‖ DRN ‖ overall Luhn digit. */
  readonly pan: string;
}

const DIGITS = /^[0-9]+$/;

/**
 * Builds a checked identity from IIN + DRN or from the 18-digit PAN. The split is
 * decided by the IIN form, not by how the caller split it: a number starting with
 * 0000 has the short IIN, so IIN '000001' + DRN '00000000008' becomes IIN '0000' +
 * DRN '0100000000008' (the same 17 digits, and a valid DRN check digit).
 */
export function meterIdentity(input: { iin: string; drn: string } | { pan: string }): MeterIdentity {
  let body: string;
  if ('pan' in input) {
    const pan = String(input.pan).replace(/[\s-]/g, '');
    check(DIGITS.test(pan) && pan.length === 18, 'pan', `must be 18 digits, got '${input.pan}'`);
    body = pan.slice(0, 17);
    const expected = luhnCheckDigit(body);
    check(Number(pan[17]) === expected, 'pan', `check digit should be ${expected} (Luhn), got ${pan[17]}`);
  } else {
    const iin = String(input.iin).trim();
    const drn = String(input.drn).replace(/[\s-]/g, '');
    check(DIGITS.test(iin) && (iin.length === 6 || iin.length === 4), 'iin', `must be 6 digits (or the 4-digit short form 0000), got '${input.iin}'`);
    check(DIGITS.test(drn) && iin.length + drn.length === 17, 'drn', `must be ${17 - iin.length} digits after a ${iin.length}-digit IIN, got '${input.drn}'`);
    body = iin + drn;
  }
  const iinLength = body.startsWith('0000') ? 4 : 6;
  const iin = body.slice(0, iinLength);
  const drn = body.slice(iinLength);
  const drnCheck = luhnCheckDigit(drn.slice(0, -1));
  check(Number(drn[drn.length - 1]) === drnCheck, 'drn', `check digit of DRN ${drn} should be ${drnCheck} (Luhn)`);
  return { iin, drn, pan: body + String(luhnCheckDigit(body)) };
}

/** Key type: 0 DITK (initialisation), 1 DDTK (default), 2 DUTK (unique), 3 DCTK (common). */
export type KeyType = 0 | 1 | 2 | 3;

export interface KeyParameters {
  readonly keyType: KeyType;
  /** Supply group code, 6 digits. */
  readonly supplyGroupCode: string;
  /** Tariff index, 2 digits. */
  readonly tariffIndex: string;
  /** Key revision number, 1–9. */
  readonly keyRevisionNumber: number;
  /** Key expiry number, 0–255 (255 = never expires). */
  readonly keyExpiryNumber: number;
  readonly baseDate: BaseDate;
}

export interface KeyParametersInput {
  keyType: number;
  supplyGroupCode: string | number;
  tariffIndex: string | number;
  keyRevisionNumber: number;
  keyExpiryNumber?: number;
  baseDate?: number;
}

/** A fixed-width digit string; numbers are zero-padded (SGC 1234 → '001234'). */
export function digitField(value: string | number, length: number, field: string): string {
  const text = String(value).trim();
  const padded = typeof value === 'number' ? text.padStart(length, '0') : text;
  check(DIGITS.test(padded) && padded.length === length, field, `must be ${length} digits, got '${value}'`);
  return padded;
}

export function keyParameters(input: KeyParametersInput): KeyParameters {
  const { keyType, keyRevisionNumber } = input;
  const keyExpiryNumber = input.keyExpiryNumber ?? 255;
  check(Number.isInteger(keyType) && keyType >= 0 && keyType <= 3, 'keyType', `must be 0–3, got ${keyType}`);
  check(Number.isInteger(keyRevisionNumber) && keyRevisionNumber >= 1 && keyRevisionNumber <= 9, 'keyRevisionNumber', `must be 1–9, got ${keyRevisionNumber}`);
  check(Number.isInteger(keyExpiryNumber) && keyExpiryNumber >= 0 && keyExpiryNumber <= 255, 'keyExpiryNumber', `must be 0–255, got ${keyExpiryNumber}`);
  const baseDate = checkBaseDate(input.baseDate ?? 1993);
  return {
    keyType: keyType as KeyType,
    supplyGroupCode: digitField(input.supplyGroupCode, 6, 'supplyGroupCode'),
    tariffIndex: digitField(input.tariffIndex, 2, 'tariffIndex'),
    keyRevisionNumber,
    keyExpiryNumber,
    baseDate,
  };
}
