// The 66-bit token number and its 20 decimal digits (IEC 62055-41 §6.3). The two
// class bits travel in the clear so a meter knows whether to decrypt: they are
// written over bits 27 and 28 of the ciphertext, whose displaced values move up
// to bits 64 and 65. 2^66 − 1 < 10^20, so 20 digits always suffice.
import { StsError } from './errors.js';
import { MASK64 } from './uint64.js';

const BIT27 = 1n << 27n;
const BIT28 = 1n << 28n;

/** Ciphertext + class → the 66-bit token number. */
export function transposeClass(tokenClass: number, ciphertext: bigint): bigint {
  const b27 = (ciphertext >> 27n) & 1n;
  const b28 = (ciphertext >> 28n) & 1n;
  let low = ciphertext & ~(BIT27 | BIT28) & MASK64;
  low |= BigInt(tokenClass & 1) << 27n;
  low |= BigInt((tokenClass >> 1) & 1) << 28n;
  return (b28 << 65n) | (b27 << 64n) | low;
}

/** The 66-bit token number → class + ciphertext (the inverse of transposeClass). */
export function untransposeClass(tokenNumber: bigint): { tokenClass: number; ciphertext: bigint } {
  const low = tokenNumber & MASK64;
  const tokenClass = Number(((low >> 28n) & 1n) * 2n + ((low >> 27n) & 1n));
  const b27 = (tokenNumber >> 64n) & 1n;
  const b28 = (tokenNumber >> 65n) & 1n;
  const ciphertext = (low & ~(BIT27 | BIT28) & MASK64) | (b27 << 27n) | (b28 << 28n);
  return { tokenClass, ciphertext };
}

export function formatTokenNumber(tokenNumber: bigint): string {
  return tokenNumber.toString().padStart(20, '0');
}

/** '1234 5678 …' in groups of four, the way tokens are printed on receipts. */
export function groupDigits(digits: string): string {
  return digits.replace(/(\d{4})(?=\d)/g, '$1 ');
}

/**
 * Parses keypad input: 20 decimal digits, optionally grouped with spaces or
 * hyphens. Anything else, or a value of 2^66 or more, is a 'format' error.
 */
export function parseTokenDigits(input: unknown): { digits: string; tokenNumber: bigint } {
  if (typeof input !== 'string') throw new StsError('format', 'token', 'must be a string of 20 digits');
  const digits = input.replace(/[\s-]/g, '');
  if (!/^[0-9]{20}$/.test(digits)) {
    throw new StsError('format', 'token', `must be 20 decimal digits, got ${digits.length > 40 ? `${digits.length} characters` : `'${digits}'`}`);
  }
  const tokenNumber = BigInt(digits);
  if (tokenNumber >> 66n !== 0n) throw new StsError('format', 'token', `${digits} is larger than a 66-bit token number`);
  return { digits, tokenNumber };
}
