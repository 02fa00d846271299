import { describe, expect, it } from 'vitest';
import { DataAccessResult } from '../../../shared/dlms/apdu/results.js';
import type { CosemData } from '../../../shared/dlms/data.js';
import { asDateTime, dateTimeFromUtc, encodeDateTime } from '../../../shared/dlms/datetime.js';
import { Obis } from '../../../shared/dlms/obis.js';
import { EventCode } from '../../../simulators/meter/events.js';
import { DAY, HOUR, MANAGEMENT, PUBLIC, READER, START, act, items, makeMeter, read, set, timeOf, valueOf } from './helpers.js';

const NOW = START + 3 * DAY + 12_340;
const dt = (t: number, deviation = 0): CosemData => ({ type: 'octet-string', value: encodeDateTime(dateTimeFromUtc(t, deviation)) });
const clockTime = (m: ReturnType<typeof makeMeter>, now: number) => timeOf(read(m, 8, Obis.clock, 2, PUBLIC(now)));

describe('clock 0.0.1.0.0.255', () => {
  it('reads the meter time with its deviation, and the other attributes', () => {
    const m = makeMeter({ timeZoneMinutes: 60 });
    const time = read(m, 8, Obis.clock, 2, PUBLIC(NOW));
    expect(time.type).toBe('octet-string');
    expect(asDateTime(time)).toMatchObject({ hour: 1, minute: 0, second: 12, hundredths: 34, deviation: -60, clockStatus: 0 });
    expect(timeOf(time)).toBe(NOW);
    expect(read(m, 8, Obis.clock, 3, PUBLIC(NOW))).toEqual({ type: 'long', value: -60 });
    expect(read(m, 8, Obis.clock, 4, PUBLIC(NOW))).toEqual({ type: 'unsigned', value: 0 });
    expect(asDateTime(read(m, 8, Obis.clock, 5, PUBLIC(NOW)))).toMatchObject({ year: null, month: 3, dayOfMonth: 0xfe, dayOfWeek: 7, hour: 2 });
    expect(asDateTime(read(m, 8, Obis.clock, 6, PUBLIC(NOW)))).toMatchObject({ month: 10, hour: 3 });
    expect(read(m, 8, Obis.clock, 7, PUBLIC(NOW))).toEqual({ type: 'integer', value: 60 });
    expect(read(m, 8, Obis.clock, 8, PUBLIC(NOW))).toEqual({ type: 'boolean', value: false });
    expect(read(m, 8, Obis.clock, 9, PUBLIC(NOW))).toEqual({ type: 'enum', value: 1 });
  });

  it('set time (management only) moves the offset, logs old/new time, and persists in the state', () => {
    const m = makeMeter();
    const target = NOW - 2 * HOUR;
    expect(set(m, 8, Obis.clock, 2, dt(target), READER(NOW))).toBe(DataAccessResult['read-write-denied']);
    expect(set(m, 8, Obis.clock, 2, dt(target), MANAGEMENT(NOW))).toBe(0);
    expect(clockTime(m, NOW)).toBe(target);
    expect(clockTime(m, NOW + 5000)).toBe(target + 5000);
    expect(m.state.clock.offsetMs).toBe(-2 * HOUR);
    const log = items(read(m, 7, Obis.standardEventLog, 2, READER(NOW))).map(items);
    expect(log.map((r) => [timeOf(r[0]), valueOf(r[1])])).toEqual([
      [target, EventCode.clockAdjustedNewTime],
      [NOW - (NOW % 10), EventCode.clockAdjustedOldTime],
    ]);
    expect(valueOf(read(m, 1, '0.0.96.11.0.255', 2, READER(NOW)))).toBe(EventCode.clockAdjustedOldTime);
    // Another date-time deviation is converted; unspecified deviation means the meter's own.
    expect(set(m, 8, Obis.clock, 2, dt(NOW, -120), MANAGEMENT(NOW))).toBe(0);
    expect(clockTime(m, NOW)).toBe(NOW);
    expect(set(m, 8, Obis.clock, 2, { type: 'long', value: 5 }, MANAGEMENT(NOW))).toBe(DataAccessResult['type-unmatched']);
    expect(set(m, 8, Obis.clock, 3, { type: 'long', value: 0 }, MANAGEMENT(NOW))).toBe(DataAccessResult['read-write-denied']);
  });

  it('shift_time, adjust_to_minute / quarter and preset time', () => {
    const m = makeMeter();
    const long = (value: number): CosemData => ({ type: 'long', value });
    expect(act(m, 8, Obis.clock, 6, long(90), READER(NOW)).result).toBe(DataAccessResult['read-write-denied']);
    expect(act(m, 8, Obis.clock, 6, long(90), MANAGEMENT(NOW)).result).toBe(0);
    expect(m.meterTime(NOW)).toBe(NOW + 90_000);
    expect(act(m, 8, Obis.clock, 6, long(901), MANAGEMENT(NOW)).result).toBe(250);
    expect(act(m, 8, Obis.clock, 6, undefined, MANAGEMENT(NOW)).result).toBe(DataAccessResult['type-unmatched']);
    expect(act(m, 8, Obis.clock, 3, { type: 'integer', value: 0 }, MANAGEMENT(NOW)).result).toBe(0);
    expect(m.meterTime(NOW)).toBe(START + 3 * DAY + 120_000);
    act(m, 8, Obis.clock, 6, long(-500), MANAGEMENT(NOW));
    expect(act(m, 8, Obis.clock, 1, { type: 'integer', value: 0 }, MANAGEMENT(NOW)).result).toBe(0);
    expect(m.meterTime(NOW)).toBe(NOW - 12_340);
    const preset: CosemData = { type: 'structure', value: [dt(NOW + HOUR), dt(NOW - HOUR), dt(NOW + HOUR)] };
    expect(act(m, 8, Obis.clock, 4, { type: 'integer', value: 0 }, MANAGEMENT(NOW)).result).toBe(250);
    expect(act(m, 8, Obis.clock, 5, preset, MANAGEMENT(NOW)).result).toBe(0);
    expect(act(m, 8, Obis.clock, 4, { type: 'integer', value: 0 }, MANAGEMENT(NOW)).result).toBe(0);
    expect(m.meterTime(NOW)).toBe(NOW + HOUR);
  });

  it('drift, configured clock jumps and run-time jumps (faults) move the clock without events', () => {
    const m = makeMeter({ clock: { driftPpm: 100 }, faults: { clockJumps: [{ at: NOW + HOUR, byMs: -30 * 60_000 }] } });
    const drift = Math.trunc(((NOW - START) * 100) / 1e6);
    expect(m.meterTime(NOW)).toBe(NOW + drift);
    expect(m.meterTime(NOW + HOUR) - (NOW + HOUR)).toBe(Math.trunc(((NOW + HOUR - START) * 100) / 1e6) - 30 * 60_000);
    m.jumpClock(5000);
    expect(m.meterTime(NOW)).toBe(NOW + drift + 5000);
    expect(m.events(NOW + 2 * HOUR)).toEqual([]);
    // Setting the clock after a jump lands exactly where asked.
    expect(set(m, 8, Obis.clock, 2, dt(NOW + 2 * HOUR), MANAGEMENT(NOW + 2 * HOUR))).toBe(0);
    expect(m.meterTime(NOW + 2 * HOUR)).toBe(NOW + 2 * HOUR);
  });
});
