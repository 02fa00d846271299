import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MeterModel } from '../../../simulators/meter/model.js';
import { tariffOf, weekdaysBefore, isoDayOfWeek } from '../../../simulators/meter/tariff.js';
import { DAY, HOUR, QUARTER, START } from './helpers.js';

const model = (over: Partial<ConstructorParameters<typeof MeterModel>[0]> = {}) =>
  new MeterModel({ seed: 42, serial: '12345678', startOfLife: START, ...over });

const SERIES = (e: ReturnType<MeterModel['energy']>) => [...e.importTariffs, e.exportTotal, e.importTotal, e.reactiveImport, e.reactiveExport];

describe('MeterModel', () => {
  it('starts at zero and is identical for identical inputs, different for another meter', () => {
    const m = model();
    expect(m.energy(START).importTotal).toBe(0);
    expect(m.energy(START - DAY).importTotal).toBe(0);
    const t = START + 10 * DAY + 7 * HOUR + 123_456;
    expect(model().energy(t)).toEqual(m.energy(t));
    expect(model({ serial: '12345679' }).energy(t).importTotal).not.toBe(m.energy(t).importTotal);
    expect(model({ seed: 43 }).energy(t).importTotal).not.toBe(m.energy(t).importTotal);
  });

  it('total import is the sum of the tariffs; values are integers', () => {
    const m = model();
    const e = m.energy(START + 33 * DAY + 5 * QUARTER + 1);
    expect(e.importTotal).toBe(e.importTariffs.reduce((a, b) => a + b, 0));
    for (const v of SERIES(e)) expect(Number.isInteger(v)).toBe(true);
  });

  it('a day is the sum of its 96 quarter-hours, each in the tariff in force', () => {
    const m = model({ pv: true });
    for (const day of [0, 4, 5, 6, 200]) {
      const from = START + day * DAY;
      let sum = 0;
      let exported = 0;
      for (let q = 0; q < 96; q++) {
        const i = m.intervalIndex(from + q * QUARTER);
        const e = m.intervalEnergy(i);
        const tariff = m.tariffAt(from + q * QUARTER);
        e.tariffs.forEach((wh, k) => expect(k + 1 === tariff || wh === 0).toBe(true));
        expect(e.import).toBeGreaterThan(0);
        sum += e.import;
        exported += e.export;
      }
      expect(m.energy(from + DAY).importTotal - m.energy(from).importTotal).toBe(sum);
      expect(m.energy(from + DAY).exportTotal - m.energy(from).exportTotal).toBe(exported);
      expect(exported).toBeGreaterThan(0);
    }
  });

  it('daily consumption varies around the meter mean, within (D/2, 3D/2) per tariff', () => {
    const m = model();
    const daily = m.dailyWh.slice(0, 4).reduce((a, b) => a + b, 0);
    const totals = Array.from({ length: 14 }, (_, d) => m.energy(START + (d + 1) * DAY).importTotal - m.energy(START + d * DAY).importTotal);
    expect(new Set(totals).size).toBeGreaterThan(10);
    for (const t of totals) {
      expect(t).toBeGreaterThan(daily * 0.3);
      expect(t).toBeLessThan(daily * 1.7);
    }
  });

  it('follows the tariff schedule in local time', () => {
    // Monday 2024-01-01 local CET: 07:00 local = 06:00 UTC starts T2.
    const m = model({ timeZoneMinutes: 60 });
    expect(m.tariffAt(START + 6 * HOUR - 1)).toBe(1);
    expect(m.tariffAt(START + 6 * HOUR)).toBe(2);
    expect(m.tariffAt(START + 16 * HOUR)).toBe(3);
    expect(m.tariffAt(START + 22 * HOUR)).toBe(1);
    expect(m.tariffAt(START + 5 * DAY + 12 * HOUR)).toBe(4); // Saturday
    expect(tariffOf(0, true)).toBe(1);
  });

  it('counts weekdays consistently with the day of week', () => {
    for (let d = -30; d < 30; d++) expect(weekdaysBefore(d + 1) - weekdaysBefore(d)).toBe(isoDayOfWeek(d) <= 5 ? 1 : 0);
  });

  it('accrues nothing during an outage, and a later outage does not change earlier values', () => {
    const outage = { from: START + 2 * DAY + 10 * HOUR + 7 * 60_000, to: START + 2 * DAY + 13 * HOUR + 20 * 60_000 };
    const m = model({ outages: [outage] });
    const plain = model();
    const before = m.energy(outage.from);
    expect(before).toEqual(plain.energy(outage.from));
    expect(m.energy(outage.from + HOUR)).toEqual(before);
    expect(m.energy(outage.to)).toEqual(before);
    expect(m.energy(outage.to + QUARTER).importTotal).toBeGreaterThan(before.importTotal);
    expect(m.powered(outage.from)).toBe(false);
    expect(m.powered(outage.to)).toBe(true);
    const lost = plain.energy(outage.to).importTotal - plain.energy(outage.from).importTotal;
    expect(plain.energy(outage.to + DAY).importTotal - m.energy(outage.to + DAY).importTotal).toBe(lost);
    expect(m.instantaneous(outage.from + 1).voltage).toEqual([0, 0, 0]);
  });

  it('is monotonic and consistent for any meter and times (property)', () => {
    fc.assert(
      fc.property(
        fc.integer(), fc.string({ minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 3 * 365 * DAY }), fc.integer({ min: 0, max: 5 * DAY }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 * 365 * DAY }), fc.integer({ min: 1, max: 3 * DAY })), { maxLength: 3 }),
        (seed, serial, a, gap, outs) => {
          const m = new MeterModel({ seed, serial, startOfLife: START, outages: outs.map(([f, l]) => ({ from: START + f, to: START + f + l })) });
          const x = m.energy(START + a);
          const y = m.energy(START + a + gap);
          SERIES(x).forEach((v, k) => expect(SERIES(y)[k]).toBeGreaterThanOrEqual(v));
          expect(y.importTotal).toBe(y.importTariffs.reduce((p, q) => p + q, 0));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('gives phase values that add up and stay in range', () => {
    const m = model();
    for (let q = 0; q < 96; q++) {
      const v = m.instantaneous(START + 3 * DAY + q * QUARTER + 1000);
      expect(v.powerImportPhases.reduce((a, b) => a + b, 0)).toBe(v.powerImport);
      for (const u of v.voltage) expect(u >= 2250 && u < 2350).toBe(true);
      expect(v.frequency >= 4990 && v.frequency <= 5010).toBe(true);
      expect(v.powerImport).toBe(m.intervalEnergy(m.intervalIndex(START + 3 * DAY + q * QUARTER)).import * 4);
    }
    expect(m.instantaneous(START + DAY, false).current).toEqual([0, 0, 0]);
  });

  it('16 meters, 3 days of quarter-hours: registers at every capture never go backwards', () => {
    for (let k = 0; k < 16; k++) {
      const m = model({ serial: `SIM${k}`, outages: [{ from: START + 300 * DAY, to: START + 300 * DAY + HOUR }] });
      let previous = -1;
      for (let q = 0; q < 3 * 96; q++) {
        const total = m.energy(START + 400 * DAY + q * QUARTER).importTotal;
        expect(total).toBeGreaterThanOrEqual(previous);
        previous = total;
      }
    }
  });
});
