import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addMoney,
  allocate,
  assertMoney,
  divideRounded,
  MoneyError,
  percentOf,
  subtractMoney,
  sumMoney,
  vatExclusive,
  vatInclusive,
} from '../../../cloud/vending/money.js';

describe('money values', () => {
  it('accepts safe integers and refuses fractions, non-numbers and unsafe values, naming the field', () => {
    expect(() => assertMoney(-5, 'x')).not.toThrow();
    expect(() => assertMoney(1.5, 'paid')).toThrow(/paid: must be a whole number of minor units \(no fractions\), got 1.5/);
    expect(() => assertMoney(Number.NaN, 'paid')).toThrow(MoneyError);
    expect(() => assertMoney(Infinity, 'paid')).toThrow(MoneyError);
    expect(() => assertMoney('5', 'paid')).toThrow(MoneyError);
    expect(() => assertMoney(2 ** 53, 'paid')).toThrow(/beyond the safe integer range/);
    expect(() => assertMoney(-1, 'paid', { nonNegative: true })).toThrow(/must not be negative/);
  });

  it('adds and subtracts exactly and refuses to overflow', () => {
    expect(addMoney(Number.MAX_SAFE_INTEGER - 1, 1)).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => addMoney(Number.MAX_SAFE_INTEGER, 1, 'balance')).toThrow(/balance: 9007199254740992 overflows/);
    expect(() => subtractMoney(-Number.MAX_SAFE_INTEGER, 1)).toThrow(MoneyError);
    expect(sumMoney([1, 2, -3, 40])).toBe(40);
    expect(() => sumMoney([1, 0.5], 'lines')).toThrow(/lines\[1\]/);
  });
});

describe('rounding', () => {
  it('rounds by the named rule', () => {
    expect(divideRounded(5n, 2n, 'half-up')).toBe(3n); // 2.5 → 3
    expect(divideRounded(-5n, 2n, 'half-up')).toBe(-3n); // −2.5 → −3 (away from zero)
    expect(divideRounded(5n, 2n, 'half-even')).toBe(2n); // 2.5 → 2
    expect(divideRounded(7n, 2n, 'half-even')).toBe(4n); // 3.5 → 4
    expect(divideRounded(-5n, 2n, 'floor')).toBe(-3n);
    expect(divideRounded(5n, 2n, 'ceil')).toBe(3n);
    expect(divideRounded(1n, 3n, 'half-up')).toBe(0n); // 0.33
    expect(divideRounded(2n, 3n, 'half-up')).toBe(1n); // 0.67
    expect(divideRounded(-2n, 3n, 'half-up')).toBe(-1n); // −0.67
    expect(divideRounded(6n, 3n, 'ceil')).toBe(2n); // exact: no rounding
  });

  it('half-up is within half a unit of the exact quotient, and a half goes away from zero', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.bigInt({ min: 1n, max: 10n ** 12n }), (num, den) => {
        const q = divideRounded(num, den, 'half-up');
        const diff = 2n * (q * den - num); // 2·(q − exact)·den
        expect(diff <= den && diff >= -den).toBe(true);
        if (diff === den) expect(num > 0n).toBe(true);
        if (diff === -den) expect(num < 0n).toBe(true);
      }),
    );
  });
});

describe('percentages, VAT and allocation', () => {
  it('percent of an amount: part rounded half-up, the rest keeps the difference', () => {
    // 10 % of 1001 = 100.1 → 100, rest 901
    expect(percentOf(1001, 1000)).toEqual({ part: 100, rest: 901 });
    // 10 % of 1005 = 100.5 → 101, rest 904
    expect(percentOf(1005, 1000)).toEqual({ part: 101, rest: 904 });
    expect(percentOf(1005, 1000, 'floor')).toEqual({ part: 100, rest: 905 });
    expect(() => percentOf(100, 10_001)).toThrow(/basisPoints: must be whole basis points 0..10000/);
  });

  it('splits VAT on net (exclusive) and gross (inclusive) prices', () => {
    // 16 % of 10.00 = 1.60
    expect(vatExclusive(1000, 1600)).toEqual({ net: 1000, vat: 160, gross: 1160 });
    // 16 % of 10.03 = 1.6048 → 1.60
    expect(vatExclusive(1003, 1600)).toEqual({ net: 1003, vat: 160, gross: 1163 });
    // 11.60 gross at 16 %: VAT = 11.60 · 16/116 = 1.60
    expect(vatInclusive(1160, 1600)).toEqual({ net: 1000, vat: 160, gross: 1160 });
    // 10.00 gross at 20 %: VAT = 10.00 / 6 = 1.6667 → 1.67, net 8.33
    expect(vatInclusive(1000, 2000)).toEqual({ net: 833, vat: 167, gross: 1000 });
  });

  it('allocates by weights with the largest remainders, losing nothing', () => {
    expect(allocate(100, [1, 1, 1])).toEqual([34, 33, 33]);
    // 10·1/3 = 3.33, 10·2/3 = 6.67: floors 3 + 6, the spare unit goes to the larger fraction
    expect(allocate(10, [1, 2])).toEqual([3, 7]);
    expect(() => allocate(10, [0, 0])).toThrow(/must not all be zero/);
  });

  it('every split adds up to the whole', () => {
    const amount = fc.integer({ min: 0, max: Math.floor(Number.MAX_SAFE_INTEGER / 2) });
    const bp = fc.integer({ min: 0, max: 10_000 });
    fc.assert(
      fc.property(amount, bp, (a, r) => {
        const p = percentOf(a, r);
        expect(p.part + p.rest).toBe(a);
        expect(p.part).toBeGreaterThanOrEqual(0);
        expect(p.rest).toBeGreaterThanOrEqual(0);
        const inc = vatInclusive(a, r);
        expect(inc.net + inc.vat).toBe(a);
        const exc = vatExclusive(a, r);
        expect(exc.net + exc.vat).toBe(exc.gross);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e12 }), fc.array(fc.integer({ min: 0, max: 1e6 }), { minLength: 1, maxLength: 8 }), (a, w) => {
        fc.pre(w.some((x) => x > 0));
        const parts = allocate(a, w);
        expect(parts.reduce((s, p) => s + p, 0)).toBe(a);
        parts.forEach((p, i) => expect(Math.abs(p * w.reduce((s, x) => s + x, 0) - a * w[i]!)).toBeLessThan(w.reduce((s, x) => s + x, 0)));
      }),
    );
  });
});
