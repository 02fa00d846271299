// A tariff: what a customer pays for energy and for being connected. Versioned:
// (id, version) names one immutable price list, valid from `validFrom`; a price
// change is a new version, never an edit, so every vend and bill can say which
// prices it used.
//
// Units and scales (all integers):
// - money: minor units of `currency` (see ../money.ts);
// - energy prices: PRICE units per kWh, 1 price unit = 1/10 000 minor unit
//   (e.g. 0.2345 EUR/kWh = 23.45 cents/kWh = 234 500); this keeps four more
//   decimals than the invoice so a price like 0.123456 EUR/kWh is exact;
// - consumption: Wh for billing (load profiles), token units (0.1 kWh, STS class 0
//   subclass 0) for vending and step thresholds;
// - percentages and VAT rates: basis points (1 bp = 0.01 %).
// - local time: UTC + timeZoneMinutes, a fixed offset. Daylight saving time is a new
//   tariff version with the other offset, valid from the switch instant.

/** Price units per minor unit: a price per kWh of 10 000 means 1 minor unit per kWh. */
export const PRICE_SCALE = 10_000;
/** Wh per token unit (0.1 kWh). */
export const WH_PER_UNIT = 100;
export const MAX_TOU_RATES = 8;
export const MAX_STEPS = 10;

export interface Tariff {
  /** Stable name of the price list, e.g. 'residential-tou'. Accounts refer to it. */
  id: string;
  /** 1, 2, 3 … one version per price change. */
  version: number;
  /** ISO 4217 code, e.g. 'KES', 'EUR'. */
  currency: string;
  /** UTC ms from which this version applies (until a later version's validFrom). */
  validFrom: number;
  /** Minutes east of UTC of the local time used by the calendar, days and months. */
  timeZoneMinutes: number;
  vat: VatRule;
  energy: TouEnergy | StepEnergy;
  fixedCharges: FixedCharge[];
}

export interface VatRule {
  /** VAT rate in basis points, e.g. 1600 = 16 %. */
  rateBasisPoints: number;
  /** true: prices and fixed amounts already contain VAT; false: VAT is added on top. */
  pricesIncludeVat: boolean;
}

/** Time of use: the price depends on the local time of consumption. */
export interface TouEnergy {
  kind: 'tou';
  /** 1 to 8 rates. */
  rates: TouRate[];
  /** Switching times of a day; each profile starts at "00:00". */
  dayProfiles: DayProfile[];
  /** Which profile each ISO weekday (1 = Mon … 7 = Sun) uses; every weekday exactly once. */
  week: { isoWeekdays: number[]; dayProfile: string }[];
  /** Local dates that use another profile whatever their weekday (holidays first). */
  holidays: { dates: string[]; dayProfile: string }[];
  /**
   * Price per kWh used to turn money into an STS kWh token. A credit token carries
   * kWh, not times of use, so the vend side cannot know when the units will be used:
   * the operator sets one vend price per scheme (typically the load-weighted average
   * of the rates; `timeWeightedPrice` gives the plain time-weighted one).
   */
  vendPricePerKwh: number;
}

export interface TouRate {
  /** e.g. 'peak', 'off-peak'; referred to by switching times. */
  id: string;
  /** Price units per kWh (1/10 000 minor unit). */
  pricePerKwh: number;
}

export interface DayProfile {
  id: string;
  /** Sorted by time, the first at "00:00"; a rate applies from its time to the next switch. */
  switches: { at: string; rate: string }[];
}

/** Inclining block: the price depends on how much was used so far this local month. */
export interface StepEnergy {
  kind: 'steps';
  /**
   * 1 to 10 steps, ascending. A step covers monthly consumption up to `upToUnits`
   * (token units of 0.1 kWh, counted from the start of the local month, exclusive of
   * the previous step's bound); the last step has `upToUnits: null` (no limit).
   * A flat tariff is one step.
   */
  steps: { upToUnits: number | null; pricePerKwh: number }[];
}

/**
 * A charge that does not depend on energy.
 * - periodic: `amount` minor units per local day or local calendar month, charged in
 *   advance for every period that began since the last one charged, the current one
 *   included (the period in which the account opened counts in full);
 * - percent-of-purchase: `basisPoints` of every payment (e.g. a levy).
 * Amounts follow `vat.pricesIncludeVat` like energy prices do.
 */
export type FixedCharge =
  | { name: string; kind: 'periodic'; period: 'daily' | 'monthly'; amount: number }
  | { name: string; kind: 'percent-of-purchase'; basisPoints: number };

/** One reading interval for billing: energy (Wh) consumed in [from, to). */
export interface ConsumptionInterval {
  from: number;
  to: number;
  wh: number;
}

/** One line of a consumption bill: energy priced at one TOU rate or one step. */
export interface CostLine {
  /** TOU rate id, or 'step 1' … 'step 10'. */
  name: string;
  pricePerKwh: number;
  wh: number;
  /** Amount of the line (rounded half-up), net or gross as the tariff's prices are. */
  amount: number;
}

/** Cost of consumption; net + vat = gross exactly. */
export interface ConsumptionCost {
  tariff: { id: string; version: number };
  lines: CostLine[];
  net: number;
  vat: number;
  gross: number;
  /** Total Wh priced. */
  wh: number;
}

/** A tariff problem; `field` is the path of the culprit, e.g. 'energy.rates[2].pricePerKwh'. */
export class TariffError extends Error {
  override readonly name = 'TariffError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}
