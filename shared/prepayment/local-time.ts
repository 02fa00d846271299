// Local calendar arithmetic at a fixed UTC offset: which local day, weekday,
// minute and month an instant falls in, and where days and months start.
// Integer milliseconds in, integers out; no Date objects in local time.

const MINUTE = 60_000;
const DAY = 86_400_000;

export interface LocalTime {
  /** Local day number: days since 1970-01-01 local. */
  day: number;
  /** 1 = Monday … 7 = Sunday. */
  isoWeekday: number;
  /** Minutes since local midnight, 0..1439. */
  minuteOfDay: number;
  year: number;
  /** 1..12 */
  month: number;
  /** "YYYY-MM-DD" */
  date: string;
}

export function localTime(utcMs: number, timeZoneMinutes: number): LocalTime {
  const local = utcMs + timeZoneMinutes * MINUTE;
  const day = Math.floor(local / DAY);
  const d = new Date(day * DAY); // a UTC Date standing for the local date
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth() + 1;
  return {
    day,
    isoWeekday: isoWeekdayOfDay(day),
    minuteOfDay: Math.floor((local - day * DAY) / MINUTE),
    year,
    month,
    date: `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`,
  };
}

/** Months since January 1970 (local): a counter that steps by one at every local month start. */
export function monthIndex(utcMs: number, timeZoneMinutes: number): number {
  const t = localTime(utcMs, timeZoneMinutes);
  return (t.year - 1970) * 12 + (t.month - 1);
}

/** UTC ms of the local midnight that starts the local day containing utcMs. */
export function startOfLocalDay(utcMs: number, timeZoneMinutes: number): number {
  return localTime(utcMs, timeZoneMinutes).day * DAY - timeZoneMinutes * MINUTE;
}

/** UTC ms of the local midnight that starts month number `index` (see monthIndex). */
export function startOfMonthIndex(index: number, timeZoneMinutes: number): number {
  const year = 1970 + Math.floor(index / 12);
  const month = index - (year - 1970) * 12;
  return Date.UTC(year, month, 1) - timeZoneMinutes * MINUTE;
}

/** UTC ms of the start of the local day/month after the one containing utcMs. */
export function endOfLocalPeriod(period: 'daily' | 'monthly', utcMs: number, timeZoneMinutes: number): number {
  return period === 'daily'
    ? startOfLocalDay(utcMs, timeZoneMinutes) + DAY
    : startOfMonthIndex(monthIndex(utcMs, timeZoneMinutes) + 1, timeZoneMinutes);
}

/** Local periods that began in (the one containing `from`) … (the one containing `to`), inclusive; 0 if to is earlier. */
export function periodsSpanned(period: 'daily' | 'monthly', from: number, to: number, timeZoneMinutes: number): number {
  const index = period === 'daily' ? (t: number) => localTime(t, timeZoneMinutes).day : (t: number) => monthIndex(t, timeZoneMinutes);
  return Math.max(0, index(to) - index(from) + 1);
}

/** "HH:MM" (00:00–23:59) → minutes of the day, or undefined. */
export function parseTimeOfDay(value: string): number | undefined {
  const m = /^([0-9]{2}):([0-9]{2})$/.exec(value);
  if (m === null) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  return h <= 23 && min <= 59 ? h * 60 + min : undefined;
}

/** ISO weekday of a local day number: day 0 (1970-01-01) was a Thursday (ISO 4). */
export function isoWeekdayOfDay(day: number): number {
  return ((((day + 3) % 7) + 7) % 7) + 1;
}

/** "YYYY-MM-DD" → its day number (days since 1970-01-01), or undefined when it is no real calendar date. */
export function calendarDay(value: string): number | undefined {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(value);
  if (m === null) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const check = new Date(ms);
  const real = mo >= 1 && mo <= 12 && check.getUTCFullYear() === y && check.getUTCMonth() === mo - 1 && check.getUTCDate() === d;
  return real ? Math.round(ms / DAY) : undefined;
}

/** Whether "YYYY-MM-DD" is a real calendar date. */
export function isCalendarDate(value: string): boolean {
  return calendarDay(value) !== undefined;
}
