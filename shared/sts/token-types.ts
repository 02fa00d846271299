// The STS token types (IEC 62055-41 §6.2; sts.org.za "Token types"): names,
// credit units, and which 16-bit values are amount-encoded. Names follow the
// standard's spelling so logs and CLI output match the documents.

export type TokenClass = 0 | 1 | 2 | 3;

export const TOKEN_NAMES: Readonly<Record<TokenClass, readonly (string | undefined)[]>> = {
  0: [
    'TransferElectricityCredit',
    'TransferWaterCredit',
    'TransferGasCredit',
    'TransferTimeCredit',
    'TransferElectricityCurrencyCredit',
    'TransferWaterCurrencyCredit',
    'TransferGasCurrencyCredit',
    'TransferTimeCurrencyCredit',
  ],
  1: ['InitiateMeterTestOrDisplay1', 'InitiateMeterTestOrDisplay2', 'ExtendedTokenRead'],
  2: [
    'SetMaximumPowerLimit',
    'ClearCredit',
    'SetTariffRate',
    'Set1stSectionDecoderKey',
    'Set2ndSectionDecoderKey',
    'ClearTamperCondition',
    'SetMaximumPhasePowerUnbalanceLimit',
    'SetWaterMeterFactor',
    'Set3rdSectionDecoderKey',
    'Set4thSectionDecoderKey',
  ],
  3: [],
};

export function tokenName(tokenClass: number, subclass: number): string {
  const known = TOKEN_NAMES[tokenClass as TokenClass]?.[subclass];
  if (known) return known;
  if (tokenClass === 1 && subclass >= 6) return `Proprietary(1/${subclass})`;
  if (tokenClass === 3) return `Reserved(3/${subclass})`;
  return `Unknown(${tokenClass}/${subclass})`;
}

export type CreditSubclass = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

export interface CreditUnit {
  /** What one display unit is. */
  readonly unit: 'kWh' | 'm3' | 'min' | 'currency';
  /** Transfer units per display unit: 10 (0.1 kWh steps) or 100000 (0.00001 currency). */
  readonly perUnit: number;
  /** Decimal places of one transfer unit. */
  readonly decimals: number;
}

const TENTHS = { perUnit: 10, decimals: 1 } as const;
const CURRENCY = { unit: 'currency', perUnit: 100_000, decimals: 5 } as const;

/** Resolution of each credit subclass: 0.1 unit, or 0.00001 base currency units. */
export const CREDIT_UNITS: Readonly<Record<CreditSubclass, CreditUnit>> = {
  0: { unit: 'kWh', ...TENTHS },
  1: { unit: 'm3', ...TENTHS },
  2: { unit: 'm3', ...TENTHS },
  3: { unit: 'min', ...TENTHS },
  4: CURRENCY,
  5: CURRENCY,
  6: CURRENCY,
  7: CURRENCY,
};

/** Class 2 subclasses that carry RND, TID and one 16-bit value. */
export type ManagementSubclass = 0 | 1 | 2 | 5 | 6 | 7;
export const MANAGEMENT_SUBCLASSES: readonly number[] = [0, 1, 2, 5, 6, 7];

/**
 * Power limits (MPL, MPPUL; in W) use the same exponent/mantissa encoding as
 * credit amounts: the STS531 CTSA12/CTSA13 vectors set 16384…18201624 W, which
 * only fit 16 bits that way. Register, rate, pad and water factor are raw.
 */
export const AMOUNT_ENCODED_MANAGEMENT: readonly number[] = [0, 6];

export const KEY_CHANGE_SUBCLASSES: readonly number[] = [3, 4, 8, 9];

/** Key-change section number (1–4) of a class 2 subclass. */
export function keyChangeSection(subclass: number): 1 | 2 | 3 | 4 | undefined {
  return subclass === 3 ? 1 : subclass === 4 ? 2 : subclass === 8 ? 3 : subclass === 9 ? 4 : undefined;
}

/** Display amount → transfer units, rounding up (a few ULPs of float noise are ignored). */
export function toTransferUnits(amount: number, perUnit: number): number {
  const scaled = Math.round(amount * perUnit * 1e6) / 1e6;
  return Math.ceil(scaled);
}

export function fromTransferUnits(transferUnits: number, unit: CreditUnit): number {
  return Number((transferUnits / unit.perUnit).toFixed(unit.decimals));
}
