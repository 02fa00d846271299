// Friendly periods: nobody is disconnected at night, at weekends or on holidays.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type FriendlyPeriods,
  FriendlyPeriodsError,
  isFriendly,
  nextUnfriendly,
  parseFriendlyPeriods,
} from '../../../shared/prepayment/friendly.js';

const utc = (iso: string) => Date.parse(iso);
const none: FriendlyPeriods = { daily: [], weekdays: [], holidays: [], timeZoneMinutes: 0 };
const night: FriendlyPeriods = { ...none, daily: [{ from: '22:00', to: '06:00' }] };

describe('isFriendly', () => {
  it('a daily window over midnight covers [from, 24:00) and [00:00, to)', () => {
    expect(isFriendly(night, utc('2026-11-18T21:59:59.999Z'))).toBe(false);
    expect(isFriendly(night, utc('2026-11-18T22:00:00Z'))).toBe(true);
    expect(isFriendly(night, utc('2026-11-18T23:59:59.999Z'))).toBe(true);
    expect(isFriendly(night, utc('2026-11-19T00:00:00Z'))).toBe(true);
    expect(isFriendly(night, utc('2026-11-19T05:59:59.999Z'))).toBe(true);
    expect(isFriendly(night, utc('2026-11-19T06:00:00Z'))).toBe(false);
    expect(isFriendly(night, utc('2026-11-19T12:00:00Z'))).toBe(false);
  });

  it('a window within one day is [from, to); 24:00 is allowed as its end', () => {
    const p = { ...none, daily: [{ from: '12:30', to: '14:00' }, { from: '23:00', to: '24:00' }] };
    expect(isFriendly(p, utc('2026-11-18T12:29:00Z'))).toBe(false);
    expect(isFriendly(p, utc('2026-11-18T12:30:00Z'))).toBe(true);
    expect(isFriendly(p, utc('2026-11-18T14:00:00Z'))).toBe(false);
    expect(isFriendly(p, utc('2026-11-18T23:30:00Z'))).toBe(true);
    expect(isFriendly(p, utc('2026-11-19T00:00:00Z'))).toBe(false);
  });

  it('windows are in local time: UTC+03:00 and UTC−05:00', () => {
    const east = { ...night, timeZoneMinutes: 180 };
    expect(isFriendly(east, utc('2026-11-18T18:59:00Z'))).toBe(false); // 21:59 local
    expect(isFriendly(east, utc('2026-11-18T19:00:00Z'))).toBe(true); // 22:00 local
    expect(isFriendly(east, utc('2026-11-19T02:59:00Z'))).toBe(true); // 05:59 local
    expect(isFriendly(east, utc('2026-11-19T03:00:00Z'))).toBe(false); // 06:00 local
    const west = { ...night, timeZoneMinutes: -300 };
    expect(isFriendly(west, utc('2026-11-19T02:59:00Z'))).toBe(false); // 21:59 local
    expect(isFriendly(west, utc('2026-11-19T03:00:00Z'))).toBe(true); // 22:00 local
    expect(isFriendly(west, utc('2026-11-19T10:59:00Z'))).toBe(true); // 05:59 local
    expect(isFriendly(west, utc('2026-11-19T11:00:00Z'))).toBe(false);
  });

  it('weekdays are ISO numbers of the local date, friendly all day', () => {
    const weekend = { ...none, weekdays: [6, 7] };
    expect(isFriendly(weekend, utc('2026-11-20T23:59:59.999Z'))).toBe(false); // Friday
    expect(isFriendly(weekend, utc('2026-11-21T00:00:00Z'))).toBe(true); // Saturday
    expect(isFriendly(weekend, utc('2026-11-22T23:59:59.999Z'))).toBe(true); // Sunday
    expect(isFriendly(weekend, utc('2026-11-23T00:00:00Z'))).toBe(false); // Monday
    const monday = { ...none, weekdays: [1] };
    expect(isFriendly(monday, utc('2026-11-23T10:00:00Z'))).toBe(true);
    // 2026-11-23T23:30Z is already Tuesday in UTC+01:00.
    expect(isFriendly({ ...monday, timeZoneMinutes: 60 }, utc('2026-11-23T23:30:00Z'))).toBe(false);
    expect(isFriendly({ ...monday, timeZoneMinutes: 60 }, utc('2026-11-22T23:30:00Z'))).toBe(true);
  });

  it('holidays are local dates, friendly from local 00:00 to 24:00', () => {
    const christmas = { ...none, holidays: ['2026-12-25'], timeZoneMinutes: 120 };
    expect(isFriendly(christmas, utc('2026-12-24T21:59:59.999Z'))).toBe(false);
    expect(isFriendly(christmas, utc('2026-12-24T22:00:00Z'))).toBe(true);
    expect(isFriendly(christmas, utc('2026-12-25T21:59:59.999Z'))).toBe(true);
    expect(isFriendly(christmas, utc('2026-12-25T22:00:00Z'))).toBe(false);
    expect(isFriendly(christmas, utc('2025-12-25T12:00:00Z'))).toBe(false); // a date, not a yearly rule
  });

  it('no rules: never friendly', () => {
    expect(isFriendly(none, utc('2026-11-18T03:00:00Z'))).toBe(false);
  });
});

describe('nextUnfriendly', () => {
  it('is the time itself when that is not friendly', () => {
    const t = utc('2026-11-18T12:00:00.123Z');
    expect(nextUnfriendly(night, t)).toBe(t);
  });

  it('is the end of the window the time lies in', () => {
    expect(nextUnfriendly(night, utc('2026-11-18T23:00:00Z'))).toBe(utc('2026-11-19T06:00:00Z'));
    expect(nextUnfriendly({ ...night, timeZoneMinutes: 180 }, utc('2026-11-18T23:00:00Z'))).toBe(utc('2026-11-19T03:00:00Z'));
  });

  it('chains adjacent rules: a weekend with night windows ends on Monday morning', () => {
    const p = { ...night, weekdays: [6, 7] };
    expect(nextUnfriendly(p, utc('2026-11-20T22:30:00Z'))).toBe(utc('2026-11-23T06:00:00Z'));
  });

  it('chains a holiday Friday into the weekend', () => {
    const p = { ...none, weekdays: [6, 7], holidays: ['2026-12-25'], timeZoneMinutes: 60 };
    expect(nextUnfriendly(p, utc('2026-12-25T10:00:00Z'))).toBe(utc('2026-12-27T23:00:00Z'));
  });

  it('overlapping windows: the stretch ends with the last one', () => {
    const p = { ...none, daily: [{ from: '10:00', to: '12:00' }, { from: '11:00', to: '13:00' }, { from: '13:00', to: '13:30' }] };
    expect(nextUnfriendly(p, utc('2026-11-18T10:15:00Z'))).toBe(utc('2026-11-18T13:30:00Z'));
  });

  it('is Infinity when every moment is friendly', () => {
    expect(nextUnfriendly({ ...none, weekdays: [1, 2, 3, 4, 5, 6, 7] }, 0)).toBe(Infinity);
    expect(nextUnfriendly({ ...none, daily: [{ from: '08:00', to: '20:00' }, { from: '20:00', to: '08:00' }] }, 0)).toBe(Infinity);
    expect(nextUnfriendly({ ...none, daily: [{ from: '00:00', to: '24:00' }] }, 0)).toBe(Infinity);
  });
});

describe('parseFriendlyPeriods', () => {
  it('returns a clean copy, weekdays and holidays sorted and unique', () => {
    const p = parseFriendlyPeriods({ daily: [{ from: '22:00', to: '06:00', extra: 1 }], weekdays: [7, 6, 7], holidays: ['2026-12-26', '2026-12-25'], timeZoneMinutes: -90 });
    expect(p).toEqual({ daily: [{ from: '22:00', to: '06:00' }], weekdays: [6, 7], holidays: ['2026-12-25', '2026-12-26'], timeZoneMinutes: -90 });
  });

  it.each([
    [null, 'friendlyPeriods', 'must be an object'],
    [{ ...none, daily: 'x' }, 'daily', 'must be an array'],
    [{ ...none, daily: [{ from: '22:00' }] }, 'daily[0].to', 'must be a time'],
    [{ ...none, daily: [{ from: '25:00', to: '06:00' }] }, 'daily[0].from', 'not a time of day'],
    [{ ...none, daily: [{ from: '24:00', to: '06:00' }] }, 'daily[0].from', 'not a time of day'],
    [{ ...none, daily: [{ from: '7:00', to: '08:00' }] }, 'daily[0].from', 'must be a time "HH:MM"'],
    [{ ...none, daily: [{ from: '08:00', to: '08:00' }] }, 'daily[0]', 'from and to are both'],
    [{ ...none, weekdays: [0] }, 'weekdays[0]', 'ISO weekday'],
    [{ ...none, weekdays: [1, 8] }, 'weekdays[1]', 'ISO weekday'],
    [{ ...none, holidays: ['2026-02-30'] }, 'holidays[0]', 'not a calendar date'],
    [{ ...none, holidays: ['25.12.2026'] }, 'holidays[0]', 'must be a date'],
    [{ ...none, timeZoneMinutes: 90.5 }, 'timeZoneMinutes', 'whole minutes'],
    [{ ...none, timeZoneMinutes: 1200 }, 'timeZoneMinutes', 'within'],
    [{ daily: [], weekdays: [], holidays: [] }, 'timeZoneMinutes', 'got nothing'],
  ])('%j → error in %s', (input, field, text) => {
    let error: unknown;
    try {
      parseFriendlyPeriods(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FriendlyPeriodsError);
    expect((error as FriendlyPeriodsError).field).toBe(field);
    expect((error as Error).message).toContain(text);
  });

  it('isFriendly refuses a malformed configuration and a non-finite time', () => {
    expect(() => isFriendly({ ...none, daily: [{ from: '9', to: '10:00' }] }, 0)).toThrow(FriendlyPeriodsError);
    expect(() => nextUnfriendly(none, Number.NaN)).toThrow(/utcMs/);
  });
});

// ---- properties, against an independent oracle built on Date's calendar ----

const hhmm = fc.integer({ min: 0, max: 24 * 60 - 1 }).map((m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);
const window = fc.tuple(hhmm, hhmm).filter(([a, b]) => a !== b).map(([from, to]) => ({ from, to }));
const START = Date.UTC(2026, 0, 1);
const SPAN = 60 * 86_400_000;
const holiday = fc.integer({ min: -2, max: 62 }).map((d) => new Date(START + d * 86_400_000).toISOString().slice(0, 10));
const periods: fc.Arbitrary<FriendlyPeriods> = fc.record({
  daily: fc.array(window, { maxLength: 3 }),
  weekdays: fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { maxLength: 3 }),
  holidays: fc.array(holiday, { maxLength: 6 }),
  timeZoneMinutes: fc.integer({ min: -720, max: 840 }),
});
// Instants on minute boundaries and anywhere between.
const instant = fc.oneof(
  fc.integer({ min: 0, max: SPAN / 60_000 }).map((m) => START + m * 60_000),
  fc.integer({ min: START, max: START + SPAN }),
);

function oracle(p: FriendlyPeriods, t: number): boolean {
  const local = new Date(t + p.timeZoneMinutes * 60_000);
  const weekday = local.getUTCDay() === 0 ? 7 : local.getUTCDay();
  if (p.weekdays.includes(weekday) || p.holidays.includes(local.toISOString().slice(0, 10))) return true;
  const minute = local.getUTCHours() * 60 + local.getUTCMinutes() + (local.getUTCSeconds() * 1000 + local.getUTCMilliseconds()) / 60_000;
  return p.daily.some(({ from, to }) => {
    const f = Number(from.slice(0, 2)) * 60 + Number(from.slice(3));
    const e = to === '24:00' ? 1440 : Number(to.slice(0, 2)) * 60 + Number(to.slice(3));
    return f < e ? minute >= f && minute < e : minute >= f || minute < e;
  });
}

describe('friendly periods: properties', () => {
  it('isFriendly agrees with a calendar oracle', () => {
    fc.assert(fc.property(periods, instant, (p, t) => isFriendly(p, t) === oracle(p, t)), { numRuns: 2000 });
  });

  it('nextUnfriendly(t) is not friendly and nothing in [t, nextUnfriendly(t)) is unfriendly', () => {
    fc.assert(
      fc.property(periods, instant, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 30 }), (p, t, fractions) => {
        const u = nextUnfriendly(p, t);
        expect(u).toBeGreaterThanOrEqual(t);
        if (u === Infinity) {
          for (const f of fractions) expect(isFriendly(p, t + Math.floor(f * 30 * 86_400_000))).toBe(true);
          return;
        }
        expect(isFriendly(p, u)).toBe(false);
        expect(oracle(p, u)).toBe(false);
        if (u > t) {
          expect(isFriendly(p, t)).toBe(true);
          expect(isFriendly(p, u - 1)).toBe(true);
          // Minute boundaries in between (every one for stretches up to a day), and random instants.
          const step = 60_000 * Math.max(1, Math.ceil((u - t) / 86_400_000));
          for (let m = Math.ceil(t / 60_000) * 60_000; m < u; m += step) expect(oracle(p, m)).toBe(true);
          for (const f of fractions) expect(oracle(p, Math.min(u - 1, t + Math.floor(f * (u - t))))).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});
