// The deterministic value model of one simulated meter: from (seed, serial, start of
// life) it gives, for any instant of the meter's own clock (UTC ms), the cumulative
// energy registers and the instantaneous values. A test computes every expected value by
// calling the same functions; nothing here depends on the host, the date or a random source.
//
// - Energy accrues linearly inside each quarter-hour: register(t) = raw cumulative at the
//   start of t's quarter-hour + floor(that quarter's energy × elapsed / 15 min), from the
//   O(1) closed form in day-table.ts. Registers count from 0 at the start of life.
// - No energy accrues inside "no-load" ranges: configured outages, and (passed in by the
//   meter) the periods its relay was open. Their energy is subtracted exactly, so a range
//   that ends later never changes a value already read before it began.
// - Days, tariffs and daily billing follow local standard time (timeZoneMinutes east of UTC).
import { DayTables, EXPORT_SERIES, SERIES_COUNT } from './day-table.js';
import { hashInts, hashString, unitFrom } from './hash.js';
import { type TimeRange, checkRanges, mergeRanges, rangeAt } from './ranges.js';
import { INTERVAL_MS, INTERVALS_PER_DAY, isWeekend, tariffOf, tariffShares } from './tariff.js';

export interface MeterModelConfig {
  seed: number;
  /** The meter id the values derive from (the serial number). */
  serial: string;
  /** UTC ms (meter clock) at which all registers were 0. */
  startOfLife: number;
  /** Local standard time, minutes east of UTC (CET = 60); a multiple of 15. Default 0. */
  timeZoneMinutes?: number;
  /** Power outages [from, to): no energy, no profile capture, power-down/up events. */
  outages?: readonly TimeRange[];
  /** Has a PV installation (exports by day). Default: derived from the seed (about 1 in 3). */
  pv?: boolean;
}

export interface EnergyRegisters {
  /** Active energy import +A, Wh (1.0.1.8.0.255) = the sum of the four tariffs. */
  importTotal: number;
  /** Import per tariff T1..T4, Wh (1.0.1.8.1..4.255). */
  importTariffs: [number, number, number, number];
  /** Active energy export −A, Wh (1.0.2.8.0.255). */
  exportTotal: number;
  /** Reactive energy +R, varh (1.0.3.8.0.255). */
  reactiveImport: number;
  /** Reactive energy −R, varh (1.0.4.8.0.255). */
  reactiveExport: number;
}

export interface Instantaneous {
  /** Phase voltages L1..L3 in 0.1 V. */
  voltage: [number, number, number];
  /** Phase currents L1..L3 in 0.01 A. */
  current: [number, number, number];
  /** Active power import, W, total and per phase. */
  powerImport: number;
  powerImportPhases: [number, number, number];
  /** Active power export, W. */
  powerExport: number;
  /** Supply frequency in 0.01 Hz. */
  frequency: number;
}

const TAG_DAILY = 0x1;
const TAG_PV = 0x2;
const TAG_PHASE = 0x3;
const TAG_VOLTAGE = 0x4;
const TAG_FREQUENCY = 0x5;
const TAG_REACTIVE = 0x8;

export class MeterModel {
  readonly seed: number;
  readonly serial: string;
  readonly startOfLife: number;
  readonly timeZoneMinutes: number;
  readonly pv: boolean;
  /** Merged outages. */
  readonly outages: readonly TimeRange[];
  /** Mean energy per active day of each series (import T1..T4, export), Wh. */
  readonly dailyWh: readonly number[];
  /** Reactive +R per Wh of import, in ‰. */
  readonly reactivePerMille: number;

  private readonly key: number;
  private readonly tzMs: number;
  private readonly days: DayTables;
  private readonly atStart: number[];

  constructor(config: MeterModelConfig) {
    const tz = config.timeZoneMinutes ?? 0;
    if (!Number.isInteger(tz) || tz % 15 !== 0 || Math.abs(tz) > 840) {
      throw new RangeError(`time zone ${tz} min must be a multiple of 15 within ±840`);
    }
    if (!Number.isFinite(config.startOfLife)) throw new RangeError('start of life must be a UTC ms time');
    checkRanges(config.outages ?? [], 'outage');
    this.seed = config.seed;
    this.serial = config.serial;
    this.startOfLife = config.startOfLife;
    this.timeZoneMinutes = tz;
    this.tzMs = tz * 60_000;
    this.key = hashInts(config.seed, hashString(config.serial));
    this.pv = config.pv ?? unitFrom(this.key, TAG_PV) < 1 / 3;
    this.outages = mergeRanges(config.outages ?? []);
    const daily = 6000 + Math.floor(14_000 * unitFrom(this.key, TAG_DAILY));
    const shares = tariffShares();
    const exportDaily = this.pv ? 4000 + Math.floor(8000 * unitFrom(this.key, TAG_DAILY, 1)) : 0;
    this.dailyWh = [...shares.map((s) => Math.round(daily * s)), exportDaily];
    this.reactivePerMille = 150 + Math.floor(250 * unitFrom(this.key, TAG_REACTIVE));
    this.days = new DayTables(this.key, this.dailyWh);
    this.atStart = this.seriesAt(this.startOfLife, this.outages);
  }

  // ---------------------------------------------------------------- time grid

  /** The local quarter-hour index holding `t` (absolute, counted from 1970 local time). */
  intervalIndex(t: number): number {
    return Math.floor((t + this.tzMs) / INTERVAL_MS);
  }

  /** UTC ms at which quarter-hour `i` begins. */
  intervalStart(i: number): number {
    return i * INTERVAL_MS - this.tzMs;
  }

  /** The import tariff (1..4) in force at `t`. */
  tariffAt(t: number): 1 | 2 | 3 | 4 {
    const i = this.intervalIndex(t);
    const d = Math.floor(i / INTERVALS_PER_DAY);
    return tariffOf(i - d * INTERVALS_PER_DAY, isWeekend(d));
  }

  powered(t: number): boolean {
    return rangeAt(this.outages, t) === undefined;
  }

  /** Outages plus further no-load ranges (the relay open), merged for energy(). */
  noLoad(extra: readonly TimeRange[] = []): TimeRange[] {
    return extra.length === 0 ? [...this.outages] : mergeRanges([...this.outages, ...extra]);
  }

  // ---------------------------------------------------------------- energy

  /**
   * The registers at `t`. `noLoad` defaults to the outages; pass model.noLoad(relayOpen)
   * to account for periods with the relay open.
   */
  energy(t: number, noLoad: readonly TimeRange[] = this.outages): EnergyRegisters {
    const v = t <= this.startOfLife ? [0, 0, 0, 0, 0] : this.seriesSinceStart(t, noLoad);
    const importTotal = v[0] + v[1] + v[2] + v[3];
    return {
      importTotal,
      importTariffs: [v[0], v[1], v[2], v[3]],
      exportTotal: v[EXPORT_SERIES],
      reactiveImport: Math.floor((importTotal * this.reactivePerMille) / 1000),
      reactiveExport: Math.floor((importTotal * 20) / 1000),
    };
  }

  /** Energy (Wh) recorded in quarter-hour `i`: import, per tariff, and export. */
  intervalEnergy(i: number, noLoad: readonly TimeRange[] = this.outages): { import: number; tariffs: number[]; export: number } {
    const a = this.energy(this.intervalStart(i), noLoad);
    const b = this.energy(this.intervalStart(i + 1), noLoad);
    return {
      import: b.importTotal - a.importTotal,
      tariffs: b.importTariffs.map((x, k) => x - a.importTariffs[k]),
      export: b.exportTotal - a.exportTotal,
    };
  }

  private seriesSinceStart(t: number, noLoad: readonly TimeRange[]): number[] {
    const now = this.seriesAt(t, noLoad);
    // The start value only depends on ranges before it, which are the outages.
    const start = noLoad === this.outages ? this.atStart : this.seriesAt(this.startOfLife, noLoad);
    return now.map((x, s) => x - start[s]);
  }

  /** Raw cumulative minus the energy of every no-load range before t, per series. */
  private seriesAt(t: number, noLoad: readonly TimeRange[]): number[] {
    const out: number[] = [];
    for (let s = 0; s < SERIES_COUNT; s++) {
      let v = this.linear(s, t);
      for (const r of noLoad) {
        if (r.from >= t) break;
        v -= this.linear(s, Math.min(r.to, t)) - this.linear(s, r.from);
      }
      out.push(v);
    }
    return out;
  }

  /** Raw cumulative of series s at t, linear within the quarter-hour. */
  private linear(s: number, t: number): number {
    const local = t + this.tzMs;
    const i = Math.floor(local / INTERVAL_MS);
    const into = local - i * INTERVAL_MS;
    const base = this.days.at(s, i);
    return into === 0 ? base : base + Math.floor((this.days.energy(s, i) * into) / INTERVAL_MS);
  }

  // ---------------------------------------------------------------- instantaneous

  /**
   * Instantaneous values at `t`: the average power of t's quarter-hour (as planned by the
   * load shape), split over the phases. Without power everything is 0; with the relay
   * open the voltages stay and no current flows.
   */
  instantaneous(t: number, relayClosed = true): Instantaneous {
    if (!this.powered(t) || t < this.startOfLife) {
      return { voltage: [0, 0, 0], current: [0, 0, 0], powerImport: 0, powerImportPhases: [0, 0, 0], powerExport: 0, frequency: 0 };
    }
    const i = this.intervalIndex(t);
    const voltage = [0, 1, 2].map((p) => 2250 + Math.floor(100 * unitFrom(this.key, TAG_VOLTAGE, i, p))) as [number, number, number];
    const frequency = 4990 + Math.floor(21 * unitFrom(this.key, TAG_FREQUENCY, i));
    let imp = 0;
    for (let s = 0; s < EXPORT_SERIES; s++) imp += this.days.energy(s, i);
    const powerImport = relayClosed ? imp * 4 : 0; // Wh per quarter-hour -> W
    const powerExport = relayClosed ? this.days.energy(EXPORT_SERIES, i) * 4 : 0;
    const f1 = 0.2 + 0.25 * unitFrom(this.key, TAG_PHASE, i, 1);
    const f2 = 0.2 + 0.25 * unitFrom(this.key, TAG_PHASE, i, 2);
    const split = (w: number): [number, number, number] => {
      const a = Math.floor(w * f1);
      const b = Math.floor(w * f2);
      return [a, b, w - a - b];
    };
    const pi = split(powerImport);
    const pe = split(powerExport);
    const current = [0, 1, 2].map((p) => Math.round((1000 * (pi[p] + pe[p])) / voltage[p])) as [number, number, number];
    return { voltage, current, powerImport, powerImportPhases: pi, powerExport, frequency };
  }
}
