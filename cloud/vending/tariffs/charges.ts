// Fixed charges due at a purchase (or at closing): periodic ones for every local
// day/month that began since the last period paid, the current one included
// (charged in advance); percent-of-purchase ones on the payment.
import { percentOf } from '../money.js';
import { applyVat, type Priced } from './pricing.js';
import { endOfLocalPeriod, periodsSpanned } from '../../../shared/prepayment/local-time.js';
import { TariffError, type Tariff } from './tariff.js';

export interface ChargeDue extends Priced {
  name: string;
  /** Periods charged (periodic charges), 0 for percent charges. */
  periods: number;
}

export interface ChargesDue {
  /** Only charges with a non-zero amount. */
  charges: ChargeDue[];
  /** The new paid-through instants: the end of the period containing `at` (never moved back). */
  paidThrough: { daily: number; monthly: number };
}

/**
 * Charges due at `at` for an account whose periods are paid through `paidThrough`,
 * on a payment of `paid` minor units (0 at closing: no percent charges).
 */
export function chargesDue(tariff: Tariff, paidThrough: { daily: number; monthly: number }, at: number, paid: number): ChargesDue {
  const charges: ChargeDue[] = [];
  for (const c of tariff.fixedCharges) {
    if (c.kind === 'periodic') {
      const periods = periodsSpanned(c.period, paidThrough[c.period], at, tariff.timeZoneMinutes);
      const amount = c.amount * periods;
      if (!Number.isSafeInteger(amount)) throw new TariffError(`fixedCharges.${c.name}`, `${periods} periods × ${c.amount} overflows the safe integer range`);
      if (amount > 0) charges.push({ name: c.name, periods, ...applyVat(amount, tariff.vat) });
    } else {
      const { part } = percentOf(paid, c.basisPoints);
      if (part > 0) charges.push({ name: c.name, periods: 0, ...applyVat(part, tariff.vat) });
    }
  }
  const advance = (period: 'daily' | 'monthly') => Math.max(paidThrough[period], endOfLocalPeriod(period, at, tariff.timeZoneMinutes));
  return { charges, paidThrough: { daily: advance('daily'), monthly: advance('monthly') } };
}
