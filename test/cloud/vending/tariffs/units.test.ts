// Money → token units at vend time (and the cost of units), plus fixed charges due
// and the choice of the tariff version in force.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chargesDue, costOfUnits, tariffInForce, TariffError, unitsForMoney, type Tariff } from '../../../../cloud/vending/tariffs/index.js';
import { CET, KENYA, local, stepTariff, touTariff } from '../fixtures.js';

describe('units for money', () => {
  it('step tariff from the start of the month (worked example)', () => {
    // one unit (0.1 kWh) at 12 KES/kWh = 120 c net, 139.2 c with 16 % VAT; 100.00 KES / 139.2 = 71.8
    // 71 units: net 8520, VAT 1363.2 → 1363, gross 9883 ≤ 10 000; 72 units: 8640 + 1382 = 10 022 > 10 000
    expect(unitsForMoney(stepTariff, 10_000, 0)).toEqual({ units: 71, cost: { net: 8520, vat: 1363, gross: 9883 } });
  });

  it('crosses into the next step part-way (month to date 49 kWh)', () => {
    // 10 units left in step 1 at 120 c = 1200, then 150 c each; gross ≤ 50.00 KES → net ≤ 43.10
    // 20 more: net 1200 + 3000 = 4200, VAT 672, gross 4872; 21 more: 4350 + 696 = 5046 > 5000
    expect(unitsForMoney(stepTariff, 5_000, 490)).toEqual({ units: 30, cost: { net: 4200, vat: 672, gross: 4872 } });
  });

  it('a boundary hit exactly: unit 500 is step 1, unit 501 is step 2', () => {
    // after 499 units the next one is the 500th: 120 + 19.2 → 139
    expect(unitsForMoney(stepTariff, 139, 499).units).toBe(1);
    // after 500 units the next one is in step 2: 150 + 24 = 174
    expect(unitsForMoney(stepTariff, 174, 500)).toEqual({ units: 1, cost: { net: 150, vat: 24, gross: 174 } });
    expect(unitsForMoney(stepTariff, 173, 500).units).toBe(0);
  });

  it('TOU vends at the scheme vend price', () => {
    // 0.20 EUR/kWh including VAT → 2 c per unit: 10.01 EUR buys 500 units for 10.00
    expect(unitsForMoney(touTariff, 1001, 0)).toEqual({ units: 500, cost: { net: 833, vat: 167, gross: 1000 } });
    // month to date does not matter for TOU
    expect(unitsForMoney(touTariff, 1001, 123_456).units).toBe(500);
  });

  it('no money, no units', () => {
    expect(unitsForMoney(stepTariff, 0, 0)).toEqual({ units: 0, cost: { net: 0, vat: 0, gross: 0 } });
  });

  it('always finds the most units the money pays for', () => {
    const tariff = fc.record({
      prices: fc.array(fc.integer({ min: 1, max: 50_000_000 }), { minLength: 1, maxLength: 10 }),
      vat: fc.integer({ min: 0, max: 3000 }),
      inclusive: fc.boolean(),
    });
    fc.assert(
      fc.property(tariff, fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 20_000 }), (p, money, mtd) => {
        const t: Tariff = {
          ...stepTariff,
          vat: { rateBasisPoints: p.vat, pricesIncludeVat: p.inclusive },
          energy: { kind: 'steps', steps: p.prices.map((price, i) => ({ upToUnits: i === p.prices.length - 1 ? null : (i + 1) * 300, pricePerKwh: price })) },
        };
        const { units, cost } = unitsForMoney(t, money, mtd, 50_000_000);
        expect(cost.gross).toBeLessThanOrEqual(money);
        expect(cost).toEqual(costOfUnits(t, mtd, units));
        if (units < 50_000_000) expect(costOfUnits(t, mtd, units + 1).gross).toBeGreaterThan(money);
      }),
    );
  });

  it('refuses bad quantities', () => {
    expect(() => costOfUnits(stepTariff, 0, -1)).toThrow(TariffError);
    expect(() => costOfUnits(stepTariff, 1.5, 1)).toThrow(/monthToDateUnits/);
    expect(() => unitsForMoney(stepTariff, 10.5, 0)).toThrow(/money: must be a non-negative whole number/);
  });
});

describe('fixed charges due', () => {
  const opened = local('2026-03-10T09:00', KENYA);
  const paidThrough = { daily: opened, monthly: opened };

  it('charges the opening month in advance and a percent of the payment', () => {
    const due = chargesDue(stepTariff, paidThrough, local('2026-03-15T12:00', KENYA), 10_000);
    // service 200.00 + 16 % = 232.00; levy 1 % of 100.00 = 1.00 + 16 % = 1.16
    expect(due.charges).toEqual([
      { name: 'service', periods: 1, net: 20_000, vat: 3_200, gross: 23_200 },
      { name: 'levy', periods: 0, net: 100, vat: 16, gross: 116 },
    ]);
    // paid through the end of March, local time (21:00 UTC on the 31st)
    expect(due.paidThrough.monthly).toBe(Date.UTC(2026, 2, 31, 21, 0));
  });

  it('charges nothing periodic again within a paid month, one period at the next local month start', () => {
    const after = chargesDue(stepTariff, paidThrough, local('2026-03-15T12:00', KENYA), 0).paidThrough;
    expect(chargesDue(stepTariff, after, local('2026-03-31T23:59', KENYA), 0).charges).toEqual([]);
    expect(chargesDue(stepTariff, after, local('2026-04-01T00:00', KENYA), 0).charges.map((c) => [c.name, c.periods])).toEqual([['service', 1]]);
  });

  it('charges every month skipped since the last purchase', () => {
    const april = { daily: local('2026-04-01T00:00', KENYA), monthly: local('2026-04-01T00:00', KENYA) };
    // April, May and June: 3 × 200.00 = 600.00 net, 696.00 gross
    const due = chargesDue(stepTariff, april, local('2026-06-02T08:00', KENYA), 0);
    expect(due.charges).toEqual([{ name: 'service', periods: 3, net: 60_000, vat: 9_600, gross: 69_600 }]);
    expect(due.paidThrough.monthly).toBe(local('2026-07-01T00:00', KENYA));
  });

  it('daily charges count local days across midnight', () => {
    const open = local('2026-12-18T23:30', CET);
    // 23:30 on the 18th → 00:30 on the 19th: two days due (the 18th and the 19th), 0.50 each incl. VAT
    const due = chargesDue(touTariff, { daily: open, monthly: open }, local('2026-12-19T00:30', CET), 500);
    expect(due.charges).toEqual([{ name: 'standing', periods: 2, net: 83, vat: 17, gross: 100 }]);
    expect(due.paidThrough.daily).toBe(local('2026-12-20T00:00', CET));
    // a purchase dated before the paid-through instant never moves it back
    expect(chargesDue(touTariff, due.paidThrough, open, 0)).toEqual({ charges: [], paidThrough: due.paidThrough });
  });
});

describe('tariff version in force', () => {
  const v1 = stepTariff;
  const v2: Tariff = { ...stepTariff, version: 2, validFrom: local('2026-06-01T00:00', KENYA) };
  const other: Tariff = { ...touTariff, validFrom: 0 };

  it('picks the latest version that has taken effect', () => {
    expect(tariffInForce([v2, other, v1], 'domestic-steps', local('2026-05-31T23:59', KENYA)).version).toBe(1);
    expect(tariffInForce([v2, other, v1], 'domestic-steps', v2.validFrom).version).toBe(2);
  });

  it('says when none is in force or two collide', () => {
    expect(() => tariffInForce([v1, v2], 'domestic-steps', v1.validFrom - 1)).toThrow(/no version of tariff 'domestic-steps' is in force/);
    expect(() => tariffInForce([v1, { ...v2, validFrom: v1.validFrom }], 'domestic-steps', v2.validFrom)).toThrow(/versions 1 and 2 both take effect/);
  });
});
