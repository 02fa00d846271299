// Money as integer minor units (cents, kobo, …) in safe JavaScript integers.
// Never a float: every amount is checked to be a safe integer, and every place
// where a fraction appears (VAT, percentages, prices per kWh) goes through one
// of the explicit rounding helpers below, computed exactly with bigint.
//
// The rounding rule of the vending domain is HALF-UP: a fraction of exactly one
// half rounds away from zero (12.5 → 13, −12.5 → −13), the commercial rule
// printed on invoices. The other modes exist for the places that need them
// (floor for "what can be bought", ceil where the customer must never get less).
// Where a split produces a part and a rest, the rest is `amount − part`, so the
// two always add up to the amount exactly: nothing is dropped.

/** A bad money value or an overflow; `field` names the value. */
export class MoneyError extends Error {
  override readonly name = 'MoneyError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

export type RoundingMode = 'half-up' | 'half-even' | 'floor' | 'ceil';

/** 1 basis point = 0.01 %; 10 000 basis points = 100 %. VAT rates and percentages use it. */
export const BASIS_POINTS = 10_000;

/** Throws unless `value` is a safe integer number of minor units (optionally ≥ 0). */
export function assertMoney(value: unknown, field: string, opts: { nonNegative?: boolean } = {}): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new MoneyError(field, `must be a whole number of minor units, got ${String(value)}`);
  }
  if (!Number.isInteger(value)) throw new MoneyError(field, `must be a whole number of minor units (no fractions), got ${value}`);
  if (!Number.isSafeInteger(value)) throw new MoneyError(field, `${value} is beyond the safe integer range (±${Number.MAX_SAFE_INTEGER})`);
  if (opts.nonNegative && value < 0) throw new MoneyError(field, `must not be negative, got ${value}`);
}

/** Throws unless `value` is a whole number of basis points within 0..10 000 (0–100 %). */
export function assertBasisPoints(value: unknown, field: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > BASIS_POINTS) {
    throw new MoneyError(field, `must be whole basis points 0..${BASIS_POINTS} (1 bp = 0.01 %), got ${String(value)}`);
  }
}

/** bigint → number, refusing values a number cannot hold exactly. */
export function toSafeNumber(value: bigint, field: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new MoneyError(field, `${value} overflows the safe integer range (±${Number.MAX_SAFE_INTEGER})`);
  }
  return Number(value);
}

/** a + b, or a MoneyError when the sum leaves the safe range. */
export function addMoney(a: number, b: number, field = 'sum'): number {
  assertMoney(a, `${field} (left)`);
  assertMoney(b, `${field} (right)`);
  return toSafeNumber(BigInt(a) + BigInt(b), field);
}

/** a − b, or a MoneyError when the difference leaves the safe range. */
export function subtractMoney(a: number, b: number, field = 'difference'): number {
  assertMoney(a, `${field} (left)`);
  assertMoney(b, `${field} (right)`);
  return toSafeNumber(BigInt(a) - BigInt(b), field);
}

/** Σ amounts, checked. */
export function sumMoney(amounts: readonly number[], field = 'sum'): number {
  let total = 0n;
  amounts.forEach((a, i) => {
    assertMoney(a, `${field}[${i}]`);
    total += BigInt(a);
  });
  return toSafeNumber(total, field);
}

/**
 * num / den rounded by `mode`, exactly. den must be positive.
 * half-up rounds a half away from zero; half-even rounds a half to the even neighbour.
 */
export function divideRounded(num: bigint, den: bigint, mode: RoundingMode): bigint {
  if (den <= 0n) throw new MoneyError('denominator', `must be positive, got ${den}`);
  // floor division for bigint (which truncates toward zero)
  let q = num / den;
  let r = num % den;
  if (r < 0n) {
    q -= 1n;
    r += den;
  }
  if (r === 0n) return q;
  switch (mode) {
    case 'floor':
      return q;
    case 'ceil':
      return q + 1n;
    case 'half-up': {
      // Exact half: away from zero, i.e. up for positives (q ≥ 0), down (stay at q) for negatives.
      if (2n * r > den) return q + 1n;
      if (2n * r < den) return q;
      return q >= 0n ? q + 1n : q;
    }
    case 'half-even': {
      if (2n * r > den) return q + 1n;
      if (2n * r < den) return q;
      return q % 2n === 0n ? q : q + 1n;
    }
  }
}

/** The amount × basisPoints / 10 000, rounded; part + rest = amount exactly. */
export function percentOf(amount: number, basisPoints: number, mode: RoundingMode = 'half-up'): { part: number; rest: number } {
  assertMoney(amount, 'amount');
  assertBasisPoints(basisPoints, 'basisPoints');
  const part = Number(divideRounded(BigInt(amount) * BigInt(basisPoints), BigInt(BASIS_POINTS), mode));
  return { part, rest: amount - part };
}

/** VAT on a net amount (prices exclusive of VAT): vat = round(net × rate), gross = net + vat. */
export function vatExclusive(net: number, rateBasisPoints: number, mode: RoundingMode = 'half-up'): { net: number; vat: number; gross: number } {
  assertMoney(net, 'net');
  assertBasisPoints(rateBasisPoints, 'vatRate');
  const vat = Number(divideRounded(BigInt(net) * BigInt(rateBasisPoints), BigInt(BASIS_POINTS), mode));
  return { net, vat, gross: addMoney(net, vat, 'gross') };
}

/**
 * The VAT contained in a gross amount (prices inclusive of VAT):
 * vat = round(gross × rate / (1 + rate)), net = gross − vat.
 */
export function vatInclusive(gross: number, rateBasisPoints: number, mode: RoundingMode = 'half-up'): { net: number; vat: number; gross: number } {
  assertMoney(gross, 'gross');
  assertBasisPoints(rateBasisPoints, 'vatRate');
  const vat = Number(divideRounded(BigInt(gross) * BigInt(rateBasisPoints), BigInt(BASIS_POINTS + rateBasisPoints), mode));
  return { net: gross - vat, vat, gross };
}

/**
 * Splits an amount in proportion to integer weights; the parts add up to the amount
 * exactly (largest-remainder method: floors first, then the leftover minor units go
 * one each to the largest fractional parts, earlier entries first on ties).
 */
export function allocate(amount: number, weights: readonly number[]): number[] {
  assertMoney(amount, 'amount', { nonNegative: true });
  if (weights.length === 0) throw new MoneyError('weights', 'must not be empty');
  weights.forEach((w, i) => {
    if (!Number.isSafeInteger(w) || w < 0) throw new MoneyError(`weights[${i}]`, `must be a non-negative integer, got ${w}`);
  });
  const total = weights.reduce((s, w) => s + BigInt(w), 0n);
  if (total === 0n) throw new MoneyError('weights', 'must not all be zero');
  const exact = weights.map((w) => BigInt(amount) * BigInt(w));
  const parts = exact.map((e) => e / total);
  let left = BigInt(amount) - parts.reduce((s, p) => s + p, 0n);
  const order = exact.map((e, i) => ({ i, frac: e % total })).sort((a, b) => (a.frac === b.frac ? a.i - b.i : a.frac > b.frac ? -1 : 1));
  for (const { i } of order) {
    if (left === 0n) break;
    parts[i]! += 1n;
    left -= 1n;
  }
  return parts.map(Number);
}
