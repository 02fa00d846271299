// The simulated meter's time-of-use schedule and daily load shapes, in local standard
// time (the clock's time zone, no daylight saving). Hour tables of integers keep the
// model exact and identical on every machine.
//
//            00:00–07:00   07:00–17:00   17:00–23:00   23:00–24:00
//  Mon–Fri   T1 (night)    T2 (day)      T3 (peak)     T1
//  Sat, Sun  T1            T4 (weekend)  T4            T1

export const INTERVAL_MS = 15 * 60_000;
export const INTERVALS_PER_DAY = 96;
export const DAY_MS = 86_400_000;

/** Relative import load per local hour (a household: morning and evening peaks). */
export const IMPORT_SHAPE: readonly number[] = [
  30, 25, 22, 20, 20, 25, 45, 80, 90, 70, 55, 50, 55, 50, 45, 50, 60, 85, 110, 120, 110, 90, 65, 45,
];

/** Relative PV export per local hour; zero at night. */
export const EXPORT_SHAPE: readonly number[] = [
  0, 0, 0, 0, 0, 0, 0, 5, 20, 40, 60, 75, 80, 75, 60, 40, 20, 0, 0, 0, 0, 0, 0, 0,
];

/** ISO day of week (1 = Monday .. 7 = Sunday) of day `d` counted from 1970-01-01 (a Thursday). */
export function isoDayOfWeek(d: number): number {
  return ((((d + 3) % 7) + 7) % 7) + 1;
}

export function isWeekend(d: number): boolean {
  return isoDayOfWeek(d) >= 6;
}

/** Mon–Fri days in [0, d) (negative for d < 0), so that C(d+1) − C(d) = [d is a weekday]. */
export function weekdaysBefore(d: number): number {
  const weeks = Math.floor(d / 7);
  const rem = d - 7 * weeks; // days 0..rem-1 of a week that starts on a Thursday
  return 5 * weeks + [0, 1, 2, 2, 2, 3, 4][rem];
}

/** The import tariff (1..4) of quarter-hour `k` (0..95) of a local day. */
export function tariffOf(k: number, weekend: boolean): 1 | 2 | 3 | 4 {
  const hour = Math.floor(k / 4);
  if (hour < 7 || hour >= 23) return 1;
  if (weekend) return 4;
  return hour < 17 ? 2 : 3;
}

/** Share of a weekday's import shape that falls into each tariff (T4 uses the same hours as T2+T3). */
export function tariffShares(): [number, number, number, number] {
  const total = IMPORT_SHAPE.reduce((a, b) => a + b, 0);
  const sum = (from: number, to: number) => IMPORT_SHAPE.slice(from, to).reduce((a, b) => a + b, 0);
  const night = sum(0, 7) + sum(23, 24);
  return [night / total, sum(7, 17) / total, sum(17, 23) / total, sum(7, 23) / total];
}
