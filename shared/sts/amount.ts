// The 16-bit STS amount field: exponent e (2 bits) ‖ mantissa m (14 bits) standing
// for t = m·10^e + Σ_{n=1..e} 2^14·10^(n-1) transfer units. The encoder rounds UP
// (a customer never gets less than paid for) and picks the smallest exponent that
// holds the rounded mantissa, so a ceil that reaches 2^14 carries into the next
// exponent with m = 0 (e.g. 180223 → e=2, m=0, which reads back as 180224).
import { StsError } from './errors.js';

const MANTISSA_LIMIT = 1 << 14;

/** Σ_{n=1..e} 2^14·10^(n-1): the value where exponent e starts. */
function offset(e: number): number {
  let sum = 0;
  for (let n = 1; n <= e; n++) sum += MANTISSA_LIMIT * 10 ** (n - 1);
  return sum;
}

/** The largest encodable value: e=3, m=16383. */
export const AMOUNT_MAX = 16383 * 1000 + offset(3); // 18 201 624

function ceilDiv(a: number, b: number): number {
  return -Math.floor(-a / b);
}

/** Integer transfer units → the 16-bit field. */
export function encodeAmount(transferUnits: number, field = 'amount'): number {
  if (!Number.isSafeInteger(transferUnits) || transferUnits < 0 || transferUnits > AMOUNT_MAX) {
    throw new StsError('parameter', field, `must be a whole number of transfer units from 0 to ${AMOUNT_MAX}, got ${transferUnits}`);
  }
  for (let e = 0; e <= 3; e++) {
    const m = Math.max(0, ceilDiv(transferUnits - offset(e), 10 ** e));
    if (m < MANTISSA_LIMIT) return (e << 14) | m;
  }
  throw new StsError('parameter', field, `${transferUnits} does not fit the amount field`);
}

/** The 16-bit field → integer transfer units. */
export function decodeAmount(raw: number): number {
  const e = (raw >>> 14) & 3;
  const m = raw & 0x3fff;
  return m * 10 ** e + offset(e);
}
