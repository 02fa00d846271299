// Tariffs and accounts with round numbers, so the tests can work their results
// out by hand. Prices are in 1/10 000 minor units per kWh (PRICE_SCALE).
import { openAccount, type AccountState } from '../../../cloud/vending/accounts/index.js';
import type { Tariff } from '../../../cloud/vending/tariffs/index.js';

/** UTC ms of a local wall-clock time at a fixed offset (minutes east of UTC). */
export function local(iso: string, offsetMinutes: number): number {
  return Date.parse(`${iso}Z`) - offsetMinutes * 60_000;
}

export const KENYA = 180; // UTC+03:00
export const CET = 60; // UTC+01:00

/**
 * Inclining blocks in KES, VAT 16 % added on top:
 * 0–50 kWh (500 units) at 12.00 KES/kWh, 50–100 kWh at 15.00, above at 20.00;
 * a monthly service charge of 200.00 KES and a 1 % levy on every purchase.
 * Per token unit (0.1 kWh): 120, 150 and 200 cents net.
 */
export const stepTariff: Tariff = {
  id: 'domestic-steps',
  version: 1,
  currency: 'KES',
  validFrom: Date.UTC(2026, 0, 1) - KENYA * 60_000,
  timeZoneMinutes: KENYA,
  vat: { rateBasisPoints: 1600, pricesIncludeVat: false },
  energy: {
    kind: 'steps',
    steps: [
      { upToUnits: 500, pricePerKwh: 12_000_000 },
      { upToUnits: 1000, pricePerKwh: 15_000_000 },
      { upToUnits: null, pricePerKwh: 20_000_000 },
    ],
  },
  fixedCharges: [
    { name: 'service', kind: 'periodic', period: 'monthly', amount: 20_000 },
    { name: 'levy', kind: 'percent-of-purchase', basisPoints: 100 },
  ],
};

/**
 * Time of use in EUR, prices including 20 % VAT. Workdays: off-peak 00–07 and 21–24,
 * peak 07–11 and 17–21, mid 11–17; weekends and the 24th–26th of December off-peak
 * all day. Off-peak 0.15, mid 0.20, peak 0.30 EUR/kWh; tokens are sold at 0.20 EUR/kWh.
 */
export const touTariff: Tariff = {
  id: 'home-tou',
  version: 1,
  currency: 'EUR',
  validFrom: Date.UTC(2026, 0, 1),
  timeZoneMinutes: CET,
  vat: { rateBasisPoints: 2000, pricesIncludeVat: true },
  energy: {
    kind: 'tou',
    rates: [
      { id: 'off-peak', pricePerKwh: 150_000 },
      { id: 'mid', pricePerKwh: 200_000 },
      { id: 'peak', pricePerKwh: 300_000 },
    ],
    dayProfiles: [
      {
        id: 'workday',
        switches: [
          { at: '00:00', rate: 'off-peak' },
          { at: '07:00', rate: 'peak' },
          { at: '11:00', rate: 'mid' },
          { at: '17:00', rate: 'peak' },
          { at: '21:00', rate: 'off-peak' },
        ],
      },
      { id: 'rest', switches: [{ at: '00:00', rate: 'off-peak' }] },
    ],
    week: [
      { isoWeekdays: [1, 2, 3, 4, 5], dayProfile: 'workday' },
      { isoWeekdays: [6, 7], dayProfile: 'rest' },
    ],
    holidays: [{ dates: ['2026-12-24', '2026-12-25', '2026-12-26'], dayProfile: 'rest' }],
    vendPricePerKwh: 200_000,
  },
  fixedCharges: [{ name: 'standing', kind: 'periodic', period: 'daily', amount: 50 }],
};

/** Friendly: nights 20:00–07:00, weekends, and 2026-12-25, in Kenyan time. */
export const friendly = { daily: [{ from: '20:00', to: '07:00' }], weekdays: [6, 7], holidays: ['2026-12-25'], timeZoneMinutes: KENYA };

export function prepaidAccount(overrides: Partial<Parameters<typeof openAccount>[0]> = {}): AccountState {
  return openAccount({
    id: 'acc-1',
    meterSerial: 'MTR00000001',
    mode: 'prepaid',
    currency: 'KES',
    tariffId: stepTariff.id,
    delivery: { kind: 'remote', dcuId: 'dcu-1' },
    friendly,
    at: local('2026-03-10T09:00', KENYA),
    emergencyCreditLimit: 5_000,
    lowCreditThresholds: [10_000, 2_000],
    ...overrides,
  }).account;
}
