import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { costOfConsumption, TariffError, type ConsumptionInterval } from '../../../../cloud/vending/tariffs/index.js';
import { CET, KENYA, local, stepTariff, touTariff } from '../fixtures.js';

const Q = 15 * 60_000;
const at = (iso: string, tz: number, wh: number, minutes = 15): ConsumptionInterval => ({ from: local(iso, tz), to: local(iso, tz) + minutes * 60_000, wh });

describe('cost of consumption, time of use', () => {
  it('prices each interval at the rate in force at its start (worked example)', () => {
    const intervals = [
      at('2026-12-18T06:45', CET, 400), // off-peak: 0.4 kWh · 15 c = 6.0 c
      at('2026-12-18T07:00', CET, 400), // peak:     0.4 kWh · 30 c = 12.0 c
      at('2026-12-18T20:45', CET, 333), // peak:     0.333 kWh · 30 c = 9.99 c
      at('2026-12-18T21:00', CET, 1), // off-peak:   0.001 kWh · 15 c = 0.015 c
      at('2026-12-24T08:00', CET, 1000), // Thursday holiday, off-peak: 15 c
    ];
    const cost = costOfConsumption(touTariff, intervals);
    // off-peak 1401 Wh → 21.015 c → 21; peak 733 Wh → 21.99 c → 22
    expect(cost.lines).toEqual([
      { name: 'off-peak', pricePerKwh: 150_000, wh: 1401, amount: 21 },
      { name: 'peak', pricePerKwh: 300_000, wh: 733, amount: 22 },
    ]);
    // prices include 20 % VAT: 43 c gross, VAT 43/6 = 7.17 → 7, net 36
    expect(cost).toMatchObject({ gross: 43, vat: 7, net: 36, wh: 2134, tariff: { id: 'home-tou', version: 1 } });
  });

  it('an empty series costs nothing', () => {
    expect(costOfConsumption(touTariff, [])).toMatchObject({ lines: [], net: 0, vat: 0, gross: 0, wh: 0 });
  });
});

describe('cost of consumption, steps', () => {
  it('carries month-to-date use across steps and restarts at the local month start', () => {
    // 49 kWh used in March before. 23:00–23:30 on 31 March (Kenya): 3 kWh →
    //   1 kWh at 12 KES (step 1 ends at 50 kWh) = 12.00, 2 kWh at 15 KES = 30.00.
    // 00:00 on 1 April Kenya time (21:00 UTC, still March in UTC): 2 kWh at 12 KES = 24.00.
    const cost = costOfConsumption(stepTariff, [at('2026-03-31T23:00', KENYA, 3000, 30), at('2026-04-01T00:00', KENYA, 2000, 30)], 49_000);
    expect(cost.lines).toEqual([
      { name: 'step 1', pricePerKwh: 12_000_000, wh: 3000, amount: 3600 },
      { name: 'step 2', pricePerKwh: 15_000_000, wh: 2000, amount: 3000 },
    ]);
    // net 66.00, VAT 16 % = 10.56, gross 76.56
    expect(cost).toMatchObject({ net: 6600, vat: 1056, gross: 7656 });
  });

  it('a step boundary hit exactly keeps the last unit in the lower step', () => {
    // 49 kWh + 1 kWh = exactly 50 kWh: all at 12 KES = 12.00; then 1 Wh at 15 KES/kWh = 1.5 c → 2 (half-up)
    const cost = costOfConsumption(stepTariff, [at('2026-03-20T10:00', KENYA, 1000), at('2026-03-20T10:15', KENYA, 1)], 49_000);
    expect(cost.lines).toEqual([
      { name: 'step 1', pricePerKwh: 12_000_000, wh: 1000, amount: 1200 },
      { name: 'step 2', pricePerKwh: 15_000_000, wh: 1, amount: 2 },
    ]);
    // net 12.02, VAT 1.9232 → 1.92, gross 13.94
    expect(cost).toMatchObject({ net: 1202, vat: 192, gross: 1394 });
  });

  it('reaches the open-ended last step', () => {
    // 0 → 150 kWh in one interval: 50 at 12, 50 at 15, 50 at 20 = 600 + 750 + 1000 = 2350.00 KES
    const cost = costOfConsumption(stepTariff, [at('2026-03-20T10:00', KENYA, 150_000, 60)]);
    expect(cost.lines.map((l) => [l.name, l.wh, l.amount])).toEqual([
      ['step 1', 50_000, 60_000],
      ['step 2', 50_000, 75_000],
      ['step 3', 50_000, 100_000],
    ]);
    expect(cost.net).toBe(235_000);
  });

  it('splitting a month into more intervals never changes the energy per step', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 30 }), fc.integer({ min: 0, max: 120_000 }), (whs, mtd) => {
        const start = local('2026-03-02T00:00', KENYA);
        const intervals = whs.map((wh, i) => ({ from: start + i * Q, to: start + (i + 1) * Q, wh }));
        const cost = costOfConsumption(stepTariff, intervals, mtd);
        const total = whs.reduce((s, w) => s + w, 0);
        const whole = costOfConsumption(stepTariff, [{ from: start, to: start + whs.length * Q, wh: total }], mtd);
        expect(cost.lines.map((l) => [l.name, l.wh])).toEqual(whole.lines.filter((l) => l.wh > 0).map((l) => [l.name, l.wh]));
        expect(cost.wh).toBe(total);
        expect(cost.net + cost.vat).toBe(cost.gross);
      }),
    );
  });
});

describe('cost of consumption, bad input', () => {
  const t = local('2026-03-20T10:00', KENYA);
  it.each([
    [[{ from: t, to: t, wh: 1 }], 'intervals[0]', /from < to/],
    [[{ from: t, to: t + Q, wh: -1 }], 'intervals[0].wh', /non-negative/],
    [[{ from: t, to: t + Q, wh: 0.5 }], 'intervals[0].wh', /whole number/],
    [[{ from: t, to: t + Q, wh: 1 }, { from: t + Q - 1, to: t + 2 * Q, wh: 1 }], 'intervals[1].from', /overlaps/],
    [[{ from: stepTariff.validFrom - Q, to: stepTariff.validFrom, wh: 1 }], 'intervals[0].from', /before tariff domestic-steps v1 took effect/],
  ])('names the interval: %#', (intervals, field, message) => {
    try {
      costOfConsumption(stepTariff, intervals);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TariffError);
      expect((e as TariffError).field).toBe(field);
      expect((e as Error).message).toMatch(message);
    }
  });
});
