// Cost of metered consumption (load-profile intervals) under one tariff version:
// for postpaid bills and for cloud-side deduction from a prepaid balance.
//
// - TOU: an interval is priced at the rate in force at its start (`from`). Load
//   profiles are aligned to 15/30/60 minutes and switching times to those
//   boundaries, so an interval never straddles a switch; one that does is priced
//   wholly at its start rate.
// - Steps: the month-to-date consumption is carried through the intervals and
//   starts again at 0 at each local month start (an interval belongs to the month
//   of its start).
// Each line (rate or step) is rounded half-up once; the total is the sum of the
// lines; VAT is computed on that total (pricing.ts).
import { addMoney } from '../money.js';
import { applyVat, roundLine, WH_PRICE_DENOMINATOR } from './pricing.js';
import { monthIndex } from '../../../shared/prepayment/local-time.js';
import { splitAcrossSteps } from './steps.js';
import { rateAt } from './tou.js';
import { TariffError, WH_PER_UNIT, type ConsumptionCost, type ConsumptionInterval, type CostLine, type Tariff } from './tariff.js';

function checkIntervals(tariff: Tariff, intervals: readonly ConsumptionInterval[]): void {
  intervals.forEach((iv, i) => {
    const field = `intervals[${i}]`;
    if (!Number.isSafeInteger(iv.from) || !Number.isSafeInteger(iv.to) || iv.to <= iv.from) {
      throw new TariffError(field, `needs whole-ms from < to, got from ${iv.from}, to ${iv.to}`);
    }
    if (!Number.isSafeInteger(iv.wh) || iv.wh < 0) throw new TariffError(`${field}.wh`, `must be a non-negative whole number of Wh, got ${iv.wh}`);
    if (iv.from < tariff.validFrom) {
      throw new TariffError(`${field}.from`, `${new Date(iv.from).toISOString()} is before tariff ${tariff.id} v${tariff.version} took effect (${new Date(tariff.validFrom).toISOString()})`);
    }
    const prev = intervals[i - 1];
    if (prev && iv.from < prev.to) throw new TariffError(`${field}.from`, `overlaps or precedes intervals[${i - 1}] (intervals must be in time order, not overlapping)`);
  });
}

/**
 * Prices the intervals. `monthToDateWh` is what the month of the first interval had
 * already used before it (steps only; ignored for TOU).
 */
export function costOfConsumption(tariff: Tariff, intervals: readonly ConsumptionInterval[], monthToDateWh = 0): ConsumptionCost {
  checkIntervals(tariff, intervals);
  if (!Number.isSafeInteger(monthToDateWh) || monthToDateWh < 0) throw new TariffError('monthToDateWh', `must be a non-negative whole number of Wh, got ${monthToDateWh}`);
  const lines = new Map<string, { pricePerKwh: number; wh: number; numerator: bigint }>();
  const add = (name: string, pricePerKwh: number, wh: number) => {
    const line = lines.get(name) ?? { pricePerKwh, wh: 0, numerator: 0n };
    line.wh += wh;
    line.numerator += BigInt(wh) * BigInt(pricePerKwh);
    lines.set(name, line);
  };
  let totalWh = 0;
  const energy = tariff.energy;
  if (energy.kind === 'tou') {
    for (const iv of intervals) {
      const rate = rateAt(energy, tariff.timeZoneMinutes, iv.from);
      add(rate.id, rate.pricePerKwh, iv.wh);
      totalWh += iv.wh;
    }
  } else {
    let month = intervals.length > 0 ? monthIndex(intervals[0]!.from, tariff.timeZoneMinutes) : 0;
    let used = monthToDateWh;
    for (const iv of intervals) {
      const m = monthIndex(iv.from, tariff.timeZoneMinutes);
      if (m !== month) {
        month = m;
        used = 0;
      }
      for (const s of splitAcrossSteps(energy, used, iv.wh, WH_PER_UNIT)) add(`step ${s.step + 1}`, s.pricePerKwh, s.quantity);
      used += iv.wh;
      totalWh += iv.wh;
    }
  }
  const costLines: CostLine[] = [...lines].map(([name, l]) => ({ name, pricePerKwh: l.pricePerKwh, wh: l.wh, amount: roundLine(l.numerator, WH_PRICE_DENOMINATOR, `cost of ${name}`) }));
  const total = costLines.reduce((s, l) => addMoney(s, l.amount, 'cost'), 0);
  return { tariff: { id: tariff.id, version: tariff.version }, lines: costLines, ...applyVat(total, tariff.vat), wh: totalWh };
}
