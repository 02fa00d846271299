// The closed form behind the meter model: raw cumulative energy of five series (import
// tariffs T1..T4 and export) at any quarter-hour boundary, in O(1) with one 96-step
// table per local day, kept in a small cache.
//
// Series s is active on some days (T1 and export every day, T2/T3 on weekdays, T4 on
// weekends). With n = the number of active days before day d:
//     cumulative at the start of day d = D_s * n + G_s(n),   0 <= G_s(n) < D_s / 2
// where D_s is the meter's mean daily energy of that series and G_s a bounded
// pseudo-random term, so an active day's total D_s + G_s(n+1) - G_s(n) lies in
// (D_s/2, 3 D_s/2) and no sum over past days is ever needed. Within the day the total is
// spread over the series' quarter-hours by integer weights (load shape × per-interval
// noise), and floor(total × prefix / W) keeps every value an exact integer in Wh.
import { unitFrom } from './hash.js';
import { EXPORT_SHAPE, IMPORT_SHAPE, INTERVALS_PER_DAY, isWeekend, tariffOf, weekdaysBefore } from './tariff.js';

/** 0..3 = active import T1..T4, 4 = active export. */
export const SERIES_COUNT = 5;
export const EXPORT_SERIES = 4;
const STRIDE = INTERVALS_PER_DAY + 1;
const CACHE_DAYS = 512;
const TAG_DAY_TERM = 0x6;
const TAG_WEIGHT = 0x7;

export class DayTables {
  private readonly cache = new Map<number, Float64Array>();

  /**
   * @param key     hash of (seed, meter id)
   * @param dailyWh mean energy per active day of each series (integers, Wh)
   */
  constructor(private readonly key: number, private readonly dailyWh: readonly number[]) {}

  /** Raw cumulative Wh of series `s` at the start of local quarter-hour `i` (absolute index). */
  at(s: number, i: number): number {
    const d = Math.floor(i / INTERVALS_PER_DAY);
    return this.table(d)[s * STRIDE + (i - d * INTERVALS_PER_DAY)];
  }

  /** Raw energy of series `s` in quarter-hour `i`. */
  energy(s: number, i: number): number {
    const d = Math.floor(i / INTERVALS_PER_DAY);
    const t = this.table(d);
    const k = s * STRIDE + (i - d * INTERVALS_PER_DAY);
    return t[k + 1] - t[k];
  }

  private table(d: number): Float64Array {
    let t = this.cache.get(d);
    if (t === undefined) {
      t = this.build(d);
      if (this.cache.size >= CACHE_DAYS) this.cache.delete(this.cache.keys().next().value as number);
      this.cache.set(d, t);
    }
    return t;
  }

  private activeBefore(s: number, d: number): number {
    if (s === 1 || s === 2) return weekdaysBefore(d);
    if (s === 3) return d - weekdaysBefore(d);
    return d;
  }

  private dayTerm(s: number, n: number): number {
    return Math.floor((unitFrom(this.key, TAG_DAY_TERM, s, n) * this.dailyWh[s]) / 2);
  }

  private build(d: number): Float64Array {
    const weekend = isWeekend(d);
    const out = new Float64Array(SERIES_COUNT * STRIDE);
    const weights = new Array<number>(INTERVALS_PER_DAY);
    for (let s = 0; s < SERIES_COUNT; s++) {
      let total = 0;
      for (let k = 0; k < INTERVALS_PER_DAY; k++) {
        const hour = k >> 2;
        const shape = s === EXPORT_SERIES ? EXPORT_SHAPE[hour] : tariffOf(k, weekend) === s + 1 ? IMPORT_SHAPE[hour] : 0;
        const w = shape === 0 ? 0 : shape * (50 + Math.floor(100 * unitFrom(this.key, TAG_WEIGHT, d, k, s)));
        weights[k] = w;
        total += w;
      }
      const n = this.activeBefore(s, d);
      const active = total > 0 && this.activeBefore(s, d + 1) > n;
      const base = this.dailyWh[s] * n + this.dayTerm(s, n);
      const dayWh = active ? this.dailyWh[s] + this.dayTerm(s, n + 1) - this.dayTerm(s, n) : 0;
      let prefix = 0;
      const row = s * STRIDE;
      out[row] = base;
      for (let k = 0; k < INTERVALS_PER_DAY; k++) {
        prefix += weights[k];
        // Integer products below 2^53, so the last step is exactly base + dayWh.
        out[row + k + 1] = base + (active ? Math.floor((dayWh * prefix) / total) : 0);
      }
    }
    return out;
  }
}
