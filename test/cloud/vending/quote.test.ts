import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAmount, encodeAmount, AMOUNT_MAX } from '../../../shared/sts/index.js';
import { applyVend, changeTariff, closeAccount, switchMode, takeEmergencyCredit, type AccountState } from '../../../cloud/vending/accounts/index.js';
import { largestEncodableUnits, quoteVend, QuoteError, type VendQuote } from '../../../cloud/vending/quote.js';
import { costOfUnits, type Tariff } from '../../../cloud/vending/tariffs/index.js';
import { CET, KENYA, local, prepaidAccount, stepTariff, touTariff } from './fixtures.js';

/** The money identity every quote must satisfy. */
function spent(q: VendQuote): number {
  return q.fixedCharges.reduce((s, c) => s + c.amount, 0) + q.debtRecovered + q.emergencyRepaid + q.energyMoney + q.remainder;
}

function refusal(f: () => unknown): QuoteError {
  try {
    f();
  } catch (e) {
    if (e instanceof QuoteError) return e;
    throw e;
  }
  throw new Error('the quote was not refused');
}

/** Step tariff v2 from 20 March 2026 (Kenya): step 1 goes up from 12.00 to 13.00 KES/kWh. */
const stepTariffV2: Tariff = {
  ...stepTariff,
  version: 2,
  validFrom: local('2026-03-20T00:00', KENYA),
  energy: { kind: 'steps', steps: [{ upToUnits: 500, pricePerKwh: 13_000_000 }, ...(stepTariff.energy.kind === 'steps' ? stepTariff.energy.steps.slice(1) : [])] },
};

describe('quoteVend, worked examples (step tariff, KES, VAT 16 % on top)', () => {
  // Opened 10 March 09:00; debt 50.00 recovered at 10 % of each payment; emergency limit 50.00.
  const opened = prepaidAccount({ debt: { amount: 5_000, recoveryBasisPoints: 1_000 } });

  it('first purchase: monthly charge, levy, debt, then units; the odd cents stay', () => {
    const q = quoteVend({ account: opened, tariff: stepTariff, paid: 50_000, at: local('2026-03-15T12:00', KENYA), monthToDateUnits: 0 });
    // service 200.00 + 32.00 VAT = 232.00; levy 1 % of 500.00 = 5.00 + 0.80 = 5.80
    expect(q.fixedCharges).toEqual([
      { name: 'service', amount: 23_200 },
      { name: 'levy', amount: 580 },
    ]);
    // left 500.00 − 237.80 = 262.20; debt: 10 % of 500.00 = 50.00 (all of it) → 212.20
    expect(q.debtRecovered).toBe(5_000);
    expect(q.emergencyRepaid).toBe(0);
    // unit = 120 c + 16 % = 139.2 c; 152 units: net 18 240, VAT 2918.4 → 2918, gross 21 158 ≤ 21 220
    // (153 units would cost 18 360 + 2938 = 21 298)
    expect(q.units).toBe(152);
    expect(q.energyMoney).toBe(21_158);
    expect(q.remainder).toBe(62);
    // VAT: 3200 + 80 + 2918
    expect(q.vat).toBe(6_198);
    expect(q).toMatchObject({ paid: 50_000, balanceBefore: 0, tariff: { id: 'domestic-steps', version: 1 }, accountId: 'acc-1', accountRevision: 0 });
    // 23 200 + 580 + 5000 + 21 158 + 62 = 50 000
    expect(spent(q)).toBe(50_000);
  });

  it('a price change between two purchases: the kept money is carried whole and priced anew', () => {
    const q1 = quoteVend({ account: opened, tariff: stepTariff, paid: 50_000, at: local('2026-03-15T12:00', KENYA), monthToDateUnits: 0 });
    const after1 = applyVend(opened, q1).account;
    expect(after1.balance).toBe(62);
    // 25 March, v2 in force (step 1 at 13.00 KES/kWh → 130 c + 16 % = 150.8 c a unit); March service already paid
    const q2 = quoteVend({ account: after1, tariff: stepTariffV2, paid: 10_000, at: local('2026-03-25T08:00', KENYA), monthToDateUnits: 152 });
    // pool 100.00 + 0.62; levy 1.00 + 0.16 = 1.16 → 99.46 left; no debt left
    expect(q2.fixedCharges).toEqual([{ name: 'levy', amount: 116 }]);
    expect(q2.debtRecovered).toBe(0);
    // 65 units: net 8450, VAT 1352, gross 9802 ≤ 9946 (66: 8580 + 1373 = 9953)
    expect(q2).toMatchObject({ balanceBefore: 62, units: 65, energyMoney: 9_802, remainder: 144, tariff: { version: 2 } });
    expect(spent(q2)).toBe(10_062);
  });

  it('emergency credit: taken, vended from the balance, repaid from the next purchase', () => {
    const q1 = quoteVend({ account: opened, tariff: stepTariff, paid: 50_000, at: local('2026-03-15T12:00', KENYA), monthToDateUnits: 0 });
    const after1 = applyVend(opened, q1).account; // balance 62
    const taken = takeEmergencyCredit(after1, { at: local('2026-03-16T19:00', KENYA) }).account;
    expect(taken).toMatchObject({ balance: 5_062, emergencyCredit: { limit: 5_000, taken: 5_000 } });
    // vend the balance (paid 0): nothing repaid; 36 units: net 4320, VAT 691.2 → 691, gross 5011 ≤ 5062 (37: 5150)
    const qe = quoteVend({ account: taken, tariff: stepTariff, paid: 0, at: local('2026-03-16T19:01', KENYA), monthToDateUnits: 152 });
    expect(qe).toMatchObject({ paid: 0, fixedCharges: [], emergencyRepaid: 0, units: 36, energyMoney: 5_011, remainder: 51 });
    const afterE = applyVend(taken, qe).account;
    // next purchase 200.00 on the 19th: levy 2.32; emergency 50.00 repaid; 148.19 left
    const q3 = quoteVend({ account: afterE, tariff: stepTariff, paid: 20_000, at: local('2026-03-19T10:00', KENYA), monthToDateUnits: 188 });
    expect(q3.fixedCharges).toEqual([{ name: 'levy', amount: 232 }]);
    expect(q3.emergencyRepaid).toBe(5_000);
    // 106 units: net 12 720, VAT 2035.2 → 2035, gross 14 755 ≤ 14 819 (107: 14 894)
    expect(q3).toMatchObject({ units: 106, energyMoney: 14_755, remainder: 64 });
    expect(spent(q3)).toBe(20_051);
    const after3 = applyVend(afterE, q3);
    expect(after3.account.emergencyCredit.taken).toBe(0);
    expect(after3.events.map((e) => e.kind)).toContain('emergency-credit-repaid');
  });

  it('a payment short of the emergency credit repays what it can and buys nothing', () => {
    const taken = takeEmergencyCredit(applyVend(opened, quoteVend({ account: opened, tariff: stepTariff, paid: 50_000, at: local('2026-03-15T12:00', KENYA), monthToDateUnits: 0 })).account, { at: local('2026-03-16T19:00', KENYA), amount: 3_000 }).account;
    const vended = applyVend(taken, quoteVend({ account: taken, tariff: stepTariff, paid: 0, at: local('2026-03-16T19:01', KENYA), monthToDateUnits: 152 })).account;
    // pays 10.00: levy 0.10 + 0.02 = 0.12; pool 10.00 + balance; 30.00 outstanding swallows the rest
    const q = quoteVend({ account: vended, tariff: stepTariff, paid: 1_000, at: local('2026-03-17T09:00', KENYA), monthToDateUnits: 173 });
    expect(q.units).toBe(0);
    expect(q.energyMoney).toBe(0);
    expect(q.remainder).toBe(0);
    expect(q.emergencyRepaid).toBe(1_000 + vended.balance - 12);
    expect(applyVend(vended, q).account.emergencyCredit.taken).toBe(3_000 - q.emergencyRepaid);
  });
});

describe('quoteVend, TOU and the STS amount field', () => {
  const account = prepaidAccount({ currency: 'EUR', tariffId: touTariff.id, at: local('2026-12-18T10:00', CET) });
  const at = local('2026-12-18T10:05', CET);

  it('vends at the scheme vend price and rounds units down to what the amount field holds exactly', () => {
    // 400.50 EUR: standing charge 0.50 for the day, 400.00 at 2 c a unit = 20 000 units;
    // above 16 383 the field steps by 10 units (1 kWh): 16 384 + 10·361 = 19 994
    const q = quoteVend({ account, tariff: touTariff, paid: 40_050, at, monthToDateUnits: 0 });
    expect(q.fixedCharges).toEqual([{ name: 'standing', amount: 50 }]);
    expect(q.units).toBe(19_994);
    expect(decodeAmount(encodeAmount(q.units))).toBe(q.units);
    // 19 994 · 2 c = 399.88; 0.12 kept in the balance
    expect(q).toMatchObject({ energyMoney: 39_988, remainder: 12 });
    // VAT: 50 → 8.33 → 8; 39 988 → 6664.67 → 6665
    expect(q.vat).toBe(8 + 6_665);
  });

  it('vends the largest single token and refuses more', () => {
    // AMOUNT_MAX units at 2 c each, plus the 0.50 standing charge
    const max = quoteVend({ account, tariff: touTariff, paid: AMOUNT_MAX * 2 + 50, at, monthToDateUnits: 0 });
    expect(max.units).toBe(AMOUNT_MAX);
    const e = refusal(() => quoteVend({ account, tariff: touTariff, paid: AMOUNT_MAX * 2 + 52, at, monthToDateUnits: 0 }));
    expect(e.code).toBe('amount-too-large');
    expect(e.message).toMatch(/more than one STS token holds \(1820162.4 kWh\)/);
  });

  it('largestEncodableUnits steps down through the exponent ranges', () => {
    expect(largestEncodableUnits(0)).toBe(0);
    expect(largestEncodableUnits(16_383)).toBe(16_383);
    expect(largestEncodableUnits(16_384)).toBe(16_384);
    expect(largestEncodableUnits(16_393)).toBe(16_384);
    // e=2 starts at 180 224: one below falls back to e=1, m=16383 → 180 214
    expect(largestEncodableUnits(180_223)).toBe(180_214);
    expect(largestEncodableUnits(AMOUNT_MAX + 5)).toBe(AMOUNT_MAX);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: AMOUNT_MAX }), (u) => {
        const e = largestEncodableUnits(u);
        expect(e).toBeLessThanOrEqual(u);
        expect(decodeAmount(encodeAmount(e))).toBe(e);
        // nothing encodable lies between: the next encodable value is above u
        if (e < AMOUNT_MAX) expect(decodeAmount(encodeAmount(e + 1))).toBeGreaterThan(u);
      }),
    );
  });

  it('money too small for one unit stays in the balance and no token is due', () => {
    // 0.51 EUR: 0.50 standing, 0.01 < one unit (0.02)
    expect(quoteVend({ account, tariff: touTariff, paid: 51, at, monthToDateUnits: 0 })).toMatchObject({ units: 0, energyMoney: 0, remainder: 1 });
  });
});

describe('quoteVend refusals', () => {
  const account = prepaidAccount();
  const at = local('2026-03-15T12:00', KENYA);
  const base = { account, tariff: stepTariff, at, monthToDateUnits: 0 };

  it('a payment that does not cover the charges due', () => {
    // service 232.00 + levy on 200.00 (2.32) = 234.32 > 200.00
    const e = refusal(() => quoteVend({ ...base, paid: 20_000 }));
    expect(e.code).toBe('insufficient-payment');
    expect(e.message).toMatch(/payment 20000 does not cover the fixed charges due \(service 23200, levy 232; total 23432 KES minor units\)/);
  });

  it('a negative balance must be settled too', () => {
    const owing: AccountState = { ...account, balance: -1_000, chargesPaidThrough: { daily: at, monthly: local('2026-04-01T00:00', KENYA) } };
    // levy on 10.00 = 0.12; pool 10.00 − 10.00 = 0 < 0.12
    expect(refusal(() => quoteVend({ ...base, account: owing, paid: 1_000 })).message).toMatch(/with balance -1000/);
    // 20.00: levy 0.23 (0.20 + 0.032 → 0.03), pool 10.00 → 9.77 left;
    // 7 units: net 840, VAT 134.4 → 134, gross 974 (8 units: 960 + 154 = 1114); 0.03 kept
    expect(quoteVend({ ...base, account: owing, paid: 2_000 })).toMatchObject({ units: 7, energyMoney: 974, remainder: 3 });
  });

  it.each([
    ['fractional payment', { paid: 10.5 }, 'invalid', 'paid'],
    ['negative payment', { paid: -1 }, 'invalid', 'paid'],
    ['bad month to date', { paid: 100_000, monthToDateUnits: -1 }, 'invalid', 'monthToDateUnits'],
    ['tariff of another id', { paid: 100_000, tariff: { ...stepTariff, id: 'other' } }, 'tariff-mismatch', 'tariff.id'],
    ['tariff in another currency', { paid: 100_000, tariff: { ...stepTariff, currency: 'UGX' } }, 'tariff-mismatch', 'tariff.currency'],
    ['tariff not yet in force', { paid: 100_000, tariff: stepTariffV2 }, 'tariff-mismatch', 'tariff.validFrom'],
  ])('%s', (_name, change, code, field) => {
    const e = refusal(() => quoteVend({ ...base, ...change } as Parameters<typeof quoteVend>[0]));
    expect(e.code).toBe(code);
    expect(e.field).toBe(field);
  });

  it('closed and postpaid accounts', () => {
    const closed = closeAccount(account, { at, tariff: stepTariff }).account;
    expect(refusal(() => quoteVend({ ...base, account: closed, paid: 100_000 })).code).toBe('account-closed');
    const postpaid = switchMode(account, 'postpaid', at).account;
    expect(refusal(() => quoteVend({ ...base, account: postpaid, paid: 100_000 })).code).toBe('not-prepaid');
  });
});

describe('quoteVend properties', () => {
  const stepTariffs = fc.record({
    prices: fc.array(fc.integer({ min: 1, max: 40_000_000 }), { minLength: 1, maxLength: 10 }),
    vat: fc.integer({ min: 0, max: 2500 }),
    inclusive: fc.boolean(),
    monthly: fc.integer({ min: 0, max: 50_000 }),
    levy: fc.integer({ min: 0, max: 500 }),
  }).map(
    (p): Tariff => ({
      ...stepTariff,
      vat: { rateBasisPoints: p.vat, pricesIncludeVat: p.inclusive },
      energy: { kind: 'steps', steps: p.prices.map((price, i) => ({ upToUnits: i === p.prices.length - 1 ? null : (i + 1) * 250, pricePerKwh: price })) },
      fixedCharges: [
        { name: 'service', kind: 'periodic', period: 'monthly', amount: p.monthly },
        { name: 'levy', kind: 'percent-of-purchase', basisPoints: p.levy },
      ],
    }),
  );
  const states = fc.record({
    balance: fc.integer({ min: -50_000, max: 100_000 }),
    debt: fc.integer({ min: 0, max: 100_000 }),
    recovery: fc.integer({ min: 0, max: 10_000 }),
    limit: fc.integer({ min: 0, max: 20_000 }),
    takenShare: fc.double({ min: 0, max: 1, noNaN: true }),
  }).map((s): AccountState => {
    const base = prepaidAccount();
    return { ...base, balance: s.balance, debt: { amount: s.debt, recoveryBasisPoints: s.recovery }, emergencyCredit: { limit: s.limit, taken: Math.floor(s.limit * s.takenShare) } };
  });
  const when = fc.integer({ min: 0, max: 200 * 86_400_000 }).map((d) => local('2026-03-10T09:00', KENYA) + d);

  it('money is conserved exactly, no part is negative, units are exactly encodable and maximal', () => {
    fc.assert(
      fc.property(states, stepTariffs, fc.integer({ min: 0, max: 2_000_000 }), when, fc.integer({ min: 0, max: 5_000 }), (account, tariff, paid, at, mtd) => {
        let q: VendQuote;
        try {
          q = quoteVend({ account, tariff, paid, at, monthToDateUnits: mtd });
        } catch (e) {
          expect(e).toBeInstanceOf(QuoteError);
          expect(['insufficient-payment', 'amount-too-large']).toContain((e as QuoteError).code);
          return;
        }
        // paid = Σ charges + debt + emergency repaid + energyMoney + remainder − balance before
        expect(spent(q) - q.balanceBefore).toBe(paid);
        for (const part of [q.debtRecovered, q.emergencyRepaid, q.energyMoney, q.remainder, q.units, q.vat, ...q.fixedCharges.map((c) => c.amount)]) {
          expect(part).toBeGreaterThanOrEqual(0);
        }
        expect(q.debtRecovered).toBeLessThanOrEqual(account.debt.amount);
        expect(q.emergencyRepaid).toBeLessThanOrEqual(account.emergencyCredit.taken);
        expect(decodeAmount(encodeAmount(q.units))).toBe(q.units);
        expect(q.energyMoney).toBe(costOfUnits(tariff, mtd, q.units).gross);
        // below 16 384 units every count is encodable, so one more unit must not fit
        if (q.units < 16_383) expect(costOfUnits(tariff, mtd, q.units + 1).gross).toBeGreaterThan(q.energyMoney + q.remainder);
        const next = applyVend(account, q).account;
        expect(next.balance).toBe(q.remainder);
        expect(next.debt.amount + q.debtRecovered).toBe(account.debt.amount);
        expect(next.emergencyCredit.taken + q.emergencyRepaid).toBe(account.emergencyCredit.taken);
      }),
    );
  });

  it('a price change never changes the balance: it is counted whole under any tariff version', () => {
    fc.assert(
      fc.property(states, stepTariffs, stepTariffs, fc.integer({ min: 0, max: 500_000 }), (account, v1, v2raw, paid) => {
        const at = local('2026-03-25T10:00', KENYA);
        const v2: Tariff = { ...v2raw, version: 2, validFrom: local('2026-03-20T00:00', KENYA) };
        const moved = changeTariff(account, stepTariff.id, at).account;
        expect(moved.balance).toBe(account.balance);
        for (const tariff of [v1, v2]) {
          try {
            const q = quoteVend({ account: moved, tariff, paid, at, monthToDateUnits: 0 });
            expect(q.balanceBefore).toBe(account.balance);
            expect(spent(q)).toBe(paid + account.balance);
          } catch (e) {
            expect(e).toBeInstanceOf(QuoteError);
          }
        }
      }),
    );
  });
});
