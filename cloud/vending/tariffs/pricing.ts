// Turning exact price × quantity products into money, and money into units.
// Rounding rule: an amount is rounded HALF-UP to the minor unit once per line;
// then VAT is added (prices exclusive) or split out (prices inclusive), also
// half-up (../money.ts). net + vat = gross always holds exactly.
import { divideRounded, toSafeNumber, vatExclusive, vatInclusive } from '../money.js';
import { splitAcrossSteps } from './steps.js';
import { PRICE_SCALE, TariffError, type Tariff, type VatRule } from './tariff.js';

export interface Priced {
  net: number;
  vat: number;
  gross: number;
}

/** Denominator of units × pricePerKwh: 10 units per kWh × PRICE_SCALE. */
export const UNIT_PRICE_DENOMINATOR = BigInt(10 * PRICE_SCALE);
/** Denominator of Wh × pricePerKwh: 1000 Wh per kWh × PRICE_SCALE. */
export const WH_PRICE_DENOMINATOR = BigInt(1000 * PRICE_SCALE);

/** A line amount in the tariff's price basis (net or gross) → net, VAT, gross. */
export function applyVat(amount: number, vat: VatRule): Priced {
  return vat.pricesIncludeVat ? vatInclusive(amount, vat.rateBasisPoints) : vatExclusive(amount, vat.rateBasisPoints);
}

/** numerator / denominator rounded half-up to minor units, as a safe number. */
export function roundLine(numerator: bigint, denominator: bigint, field: string): number {
  return toSafeNumber(divideRounded(numerator, denominator, 'half-up'), field);
}

/** The price per kWh used to vend: the TOU scheme's vend price, or the steps. */
function vendNumerator(tariff: Tariff, monthToDateUnits: number, units: number): bigint {
  if (tariff.energy.kind === 'tou') return BigInt(units) * BigInt(tariff.energy.vendPricePerKwh);
  let sum = 0n;
  for (const s of splitAcrossSteps(tariff.energy, monthToDateUnits, units)) sum += BigInt(s.quantity) * BigInt(s.pricePerKwh);
  return sum;
}

/** What `units` token units cost at vend time: one line, rounded half-up, then VAT. */
export function costOfUnits(tariff: Tariff, monthToDateUnits: number, units: number): Priced {
  for (const [field, v] of [['units', units], ['monthToDateUnits', monthToDateUnits]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new TariffError(field, `must be a non-negative whole number of 0.1 kWh units, got ${v}`);
  }
  return applyVat(roundLine(vendNumerator(tariff, monthToDateUnits, units), UNIT_PRICE_DENOMINATOR, 'energy cost'), tariff.vat);
}

/**
 * The most token units whose gross cost (costOfUnits) is at most `money`, capped at
 * `maxUnits`. Cost is non-decreasing in units, so a binary search finds it exactly.
 */
export function unitsForMoney(tariff: Tariff, money: number, monthToDateUnits: number, maxUnits = Number.MAX_SAFE_INTEGER): { units: number; cost: Priced } {
  if (!Number.isSafeInteger(money) || money < 0) throw new TariffError('money', `must be a non-negative whole number of minor units, got ${money}`);
  // Upper bound: every unit costs at least the lowest price, and rounding gives at most half a minor unit.
  const prices = tariff.energy.kind === 'tou' ? [tariff.energy.vendPricePerKwh] : tariff.energy.steps.map((s) => s.pricePerKwh);
  const lowest = BigInt(Math.min(...prices));
  const bound = ((BigInt(money) + 1n) * UNIT_PRICE_DENOMINATOR) / lowest + 1n;
  let lo = 0;
  let hi = bound > BigInt(maxUnits) ? maxUnits : Number(bound);
  // invariant: cost(lo) ≤ money; answer in [lo, hi]
  while (lo < hi) {
    const mid = lo + Math.ceil((hi - lo) / 2);
    if (costOfUnits(tariff, monthToDateUnits, mid).gross <= money) lo = mid;
    else hi = mid - 1;
  }
  return { units: lo, cost: costOfUnits(tariff, monthToDateUnits, lo) };
}
