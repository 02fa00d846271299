// Friendly periods: the times during which a prepayment meter must not cut a
// customer off even when the credit is exhausted — night hours, weekends,
// holidays. Used by the cloud (account rules) and the meter simulator (relay).
//
// Semantics, all in the customer's LOCAL time (UTC + timeZoneMinutes, a fixed
// offset: daylight saving is the caller's concern):
// - a daily window "from"–"to" covers [from, to) on every day; to < from spans
//   midnight ([from, 24:00) ∪ [00:00, to)); "24:00" is allowed as `to`;
// - a listed ISO weekday or holiday date is friendly from 00:00 to 24:00;
// - the rules are a union: a time is friendly when any of them covers it.
// Pure: the time is passed in as UTC milliseconds; nothing reads the clock.

import { calendarDay, isoWeekdayOfDay, parseTimeOfDay } from './local-time.js';

export interface FriendlyPeriods {
  /** Local time of day windows, "HH:MM"–"HH:MM" (to may be < from: spans midnight). */
  daily: { from: string; to: string }[];
  /** ISO weekday numbers 1=Mon … 7=Sun that are friendly all day (e.g. [6,7]). */
  weekdays: number[];
  /** Local dates "YYYY-MM-DD" friendly all day. */
  holidays: string[];
  /** Minutes east of UTC of the local time. */
  timeZoneMinutes: number;
}

/** Bad friendly-period configuration; `field` names the culprit, e.g. 'daily[1].to'. */
export class FriendlyPeriodsError extends Error {
  override readonly name = 'FriendlyPeriodsError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

const MINUTE = 60_000;
const DAY = 86_400_000;
/** ISO 8601 offsets stay within ±18:00. */
const MAX_OFFSET_MINUTES = 18 * 60;

/** A validated, precomputed form of FriendlyPeriods. */
interface Compiled {
  /** [from, to) in ms of the local day; a window over midnight is split in two. */
  readonly windows: readonly (readonly [number, number])[];
  readonly weekdays: ReadonlySet<number>;
  /** Local day numbers (days since 1970-01-01). */
  readonly holidays: ReadonlySet<number>;
  readonly offsetMs: number;
  /** True when every day is friendly whatever its date (no end to find). */
  readonly always: boolean;
}

function fail(field: string, message: string): never {
  throw new FriendlyPeriodsError(field, message);
}

/** "HH:MM" → minutes of the day; "24:00" only where allowed (a window's end). */
function timeOfDay(value: unknown, field: string, allow24: boolean): number {
  if (typeof value !== 'string') fail(field, `must be a time "HH:MM", got ${describe(value)}`);
  if (!/^[0-9]{2}:[0-9]{2}$/.test(value)) fail(field, `must be a time "HH:MM", got '${value}'`);
  if (value === '24:00' && allow24) return 24 * 60;
  const minutes = parseTimeOfDay(value);
  if (minutes === undefined) fail(field, `'${value}' is not a time of day (00:00–23:59${allow24 ? ', or 24:00' : ''})`);
  return minutes;
}

/** "YYYY-MM-DD" → day number, refusing dates that do not exist (2026-02-30). */
function dayNumber(value: unknown, field: string): number {
  if (typeof value !== 'string') fail(field, `must be a date "YYYY-MM-DD", got ${describe(value)}`);
  if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(value)) fail(field, `must be a date "YYYY-MM-DD", got '${value}'`);
  const day = calendarDay(value);
  if (day === undefined) fail(field, `'${value}' is not a calendar date`);
  return day;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `'${value}'` : typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

function arrayField(input: Record<string, unknown>, key: string): unknown[] {
  const value = input[key];
  if (!Array.isArray(value)) fail(key, `must be an array, got ${describe(value)}`);
  return value;
}

/**
 * Validates untrusted configuration (JSON from an API or a file) and returns a
 * clean copy. Every problem is a FriendlyPeriodsError naming the field.
 */
export function parseFriendlyPeriods(input: unknown): FriendlyPeriods {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) fail('friendlyPeriods', `must be an object, got ${describe(input)}`);
  const record = input as Record<string, unknown>;
  const daily = arrayField(record, 'daily').map((w, i) => {
    const field = `daily[${i}]`;
    if (typeof w !== 'object' || w === null || Array.isArray(w)) fail(field, `must be { from: "HH:MM", to: "HH:MM" }, got ${describe(w)}`);
    const { from, to } = w as Record<string, unknown>;
    const f = timeOfDay(from, `${field}.from`, false);
    const t = timeOfDay(to, `${field}.to`, true);
    // Equal ends could mean "never" or "all day": refuse rather than guess.
    if (f === t) fail(field, `from and to are both '${String(from)}': an empty window, or all day? Write 00:00–24:00 for all day`);
    return { from: from as string, to: to as string };
  });
  const weekdays = arrayField(record, 'weekdays').map((d, i) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > 7) fail(`weekdays[${i}]`, `must be an ISO weekday 1 (Monday) to 7 (Sunday), got ${describe(d)}`);
    return d;
  });
  const holidays = arrayField(record, 'holidays').map((d, i) => {
    dayNumber(d, `holidays[${i}]`);
    return d as string;
  });
  const tz = record['timeZoneMinutes'];
  if (typeof tz !== 'number' || !Number.isInteger(tz) || Math.abs(tz) > MAX_OFFSET_MINUTES) {
    fail('timeZoneMinutes', `must be whole minutes east of UTC within ±${MAX_OFFSET_MINUTES} (e.g. 180 for UTC+03:00), got ${describe(tz)}`);
  }
  return { daily, weekdays: [...new Set(weekdays)].sort((a, b) => a - b), holidays: [...new Set(holidays)].sort(), timeZoneMinutes: tz };
}

/** Validates (the interface may hold anything at run time) and precomputes. */
function compile(p: FriendlyPeriods): Compiled {
  const clean = parseFriendlyPeriods(p);
  const windows: [number, number][] = [];
  for (const w of clean.daily) {
    const from = timeOfDay(w.from, 'from', false) * MINUTE;
    const to = timeOfDay(w.to, 'to', true) * MINUTE;
    if (from < to) windows.push([from, to]);
    else {
      windows.push([from, DAY]);
      if (to > 0) windows.push([0, to]);
    }
  }
  const weekdays = new Set(clean.weekdays);
  return {
    windows,
    weekdays,
    holidays: new Set(clean.holidays.map((d, i) => dayNumber(d, `holidays[${i}]`))),
    offsetMs: clean.timeZoneMinutes * MINUTE,
    always: weekdays.size === 7 || coversWholeDay(windows),
  };
}

function coversWholeDay(windows: readonly (readonly [number, number])[]): boolean {
  let reached = 0;
  for (const [from, to] of [...windows].sort((a, b) => a[0] - b[0])) {
    if (from > reached) return false;
    reached = Math.max(reached, to);
  }
  return reached >= DAY;
}

function checkTime(utcMs: number): void {
  if (typeof utcMs !== 'number' || !Number.isFinite(utcMs)) fail('utcMs', `must be a finite time in ms, got ${describe(utcMs)}`);
}

/** Where a local time falls: whole friendly day, inside a window (until when), or neither. */
function friendlyUntil(c: Compiled, utcMs: number): number | undefined {
  const local = utcMs + c.offsetMs;
  const day = Math.floor(local / DAY);
  const dayStart = day * DAY;
  if (c.weekdays.has(isoWeekdayOfDay(day)) || c.holidays.has(day)) return dayStart + DAY - c.offsetMs;
  const ofDay = local - dayStart;
  let until: number | undefined;
  for (const [from, to] of c.windows) {
    if (ofDay >= from && ofDay < to) until = Math.max(until ?? 0, dayStart + to - c.offsetMs);
  }
  return until;
}

/** Whether a customer may not be disconnected at this instant. */
export function isFriendly(p: FriendlyPeriods, utcMs: number): boolean {
  checkTime(utcMs);
  const c = compile(p);
  return c.always || friendlyUntil(c, utcMs) !== undefined;
}

/**
 * The first UTC ms ≥ utcMs that is not friendly: utcMs itself when it is not
 * friendly, else the end of the friendly stretch it lies in (adjacent rules
 * chain: a Sunday followed by a window from 00:00 ends with the window).
 * Infinity when every moment is friendly (all weekdays, or windows covering 24 h).
 */
export function nextUnfriendly(p: FriendlyPeriods, utcMs: number): number {
  checkTime(utcMs);
  const c = compile(p);
  if (c.always) return Infinity;
  let t = utcMs;
  // Terminates: holidays are finite and each step moves t forward to a boundary;
  // past the last holiday every week has an unfriendly moment (c.always is false).
  for (;;) {
    const until = friendlyUntil(c, t);
    if (until === undefined) return t;
    t = until;
  }
}
