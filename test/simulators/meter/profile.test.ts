import { describe, expect, it } from 'vitest';
import { toAccessDescriptor, type CaptureObjectDefinition } from '../../../shared/dlms/apdu/selective-access.js';
import { DataAccessResult } from '../../../shared/dlms/apdu/results.js';
import type { CosemData } from '../../../shared/dlms/data.js';
import { dateTimeFromUtc, encodeDateTime } from '../../../shared/dlms/datetime.js';
import { Obis, parseObis } from '../../../shared/dlms/obis.js';
import { PROFILE_STATUS_POWER_DOWN } from '../../../simulators/meter/catalog.js';
import { EventCode } from '../../../simulators/meter/events.js';
import { DAY, HOUR, MANAGEMENT, QUARTER, READER, START, act, get, items, makeMeter, read, timeOf, valueOf } from './helpers.js';

const NOW = START + 20 * DAY + 5 * HOUR + 7 * 60_000;
const col = (classId: number, ln: string): CaptureObjectDefinition => ({ classId, logicalName: parseObis(ln), attributeIndex: 2, dataIndex: 0 });
const CLOCK = col(8, '0.0.1.0.0.255');
const at = (t: number, deviation = 0): CosemData => ({ type: 'octet-string', value: encodeDateTime(dateTimeFromUtc(t, deviation)) });
const byRange = (from: number, to: number, selected: CaptureObjectDefinition[] = [], deviation = 0) =>
  toAccessDescriptor({ selector: 1, range: { restrictingObject: CLOCK, from: at(from, deviation), to: at(to, deviation), selectedValues: selected } });
const byEntry = (fromEntry: number, toEntry: number, fromSelectedValue = 1, toSelectedValue = 0) =>
  toAccessDescriptor({ selector: 2, entry: { fromEntry, toEntry, fromSelectedValue, toSelectedValue } });
const rows = (d: CosemData) => items(d).map(items);

describe('load profile 1.0.99.1.0.255', () => {
  it('by range: one day is 96 rows, boundaries inclusive, values from the model', () => {
    const m = makeMeter();
    const from = START + 5 * DAY;
    const r = rows(read(m, 7, Obis.loadProfile, 2, READER(NOW), byRange(from, from + DAY - QUARTER)));
    expect(r).toHaveLength(96);
    r.forEach((row, k) => {
      const t = from + k * QUARTER;
      expect(timeOf(row[0])).toBe(t);
      expect(valueOf(row[1])).toBe(0);
      expect(valueOf(row[2])).toBe(m.model.energy(t).importTotal);
      expect(valueOf(row[3])).toBe(m.model.energy(t).exportTotal);
    });
    expect(rows(read(m, 7, Obis.loadProfile, 2, READER(NOW), byRange(from, from + DAY)))).toHaveLength(97);
    expect(rows(read(m, 7, Obis.loadProfile, 2, READER(NOW), byRange(from + 1000, from + DAY - 1000)))).toHaveLength(95);
  });

  it('by range in another time zone: the from/to deviation is honoured', () => {
    const m = makeMeter({ timeZoneMinutes: 60 });
    const from = START + 5 * DAY - HOUR; // local midnight
    const r = rows(read(m, 7, Obis.loadProfile, 2, READER(NOW), byRange(from, from + DAY - QUARTER, [], -60)));
    expect(r).toHaveLength(96);
    expect(timeOf(r[0][0])).toBe(from);
  });

  it('by range: never beyond now, the start of life or the buffer', () => {
    const m = makeMeter({ profileEntries: { load: 200 } });
    const r = rows(read(m, 7, Obis.loadProfile, 2, READER(NOW), byRange(START - DAY, NOW + DAY)));
    expect(r).toHaveLength(200);
    expect(timeOf(r[199][0])).toBe(Math.floor(NOW / QUARTER) * QUARTER);
    expect(valueOf(read(m, 7, Obis.loadProfile, 7, READER(NOW)))).toBe(200);
    expect(valueOf(read(m, 7, Obis.loadProfile, 8, READER(NOW)))).toBe(200);
    const young = makeMeter();
    const all = rows(read(young, 7, Obis.loadProfile, 2, READER(START + HOUR), byRange(START - DAY, START + DAY)));
    expect(all.map((row) => timeOf(row[0]))).toEqual([0, 1, 2, 3, 4].map((k) => START + k * QUARTER));
    expect(valueOf(all[0][2])).toBe(0);
  });

  it('by entry: 1-based oldest first, to_entry 0 = the youngest, clipped past the end', () => {
    const m = makeMeter();
    const inUse = valueOf(read(m, 7, Obis.loadProfile, 7, READER(NOW)));
    expect(inUse).toBe(Math.floor((NOW - START) / QUARTER) + 1);
    const first = rows(read(m, 7, Obis.loadProfile, 2, READER(NOW), byEntry(1, 3)));
    expect(first.map((r) => timeOf(r[0]))).toEqual([START, START + QUARTER, START + 2 * QUARTER]);
    const last = rows(read(m, 7, Obis.loadProfile, 2, READER(NOW), byEntry(inUse - 1, 0)));
    expect(last.map((r) => timeOf(r[0]))).toEqual([NOW - (NOW % QUARTER) - QUARTER, NOW - (NOW % QUARTER)]);
    expect(rows(read(m, 7, Obis.loadProfile, 2, READER(NOW), byEntry(inUse, inUse + 50)))).toHaveLength(1);
    expect(rows(read(m, 7, Obis.loadProfile, 2, READER(NOW), byEntry(inUse + 1, 0)))).toHaveLength(0);
  });

  it('selects columns by selected_values (in the order asked) and by column range', () => {
    const m = makeMeter();
    const from = START + 3 * DAY;
    const r = rows(read(m, 7, Obis.loadProfile, 2, READER(NOW), byRange(from, from + HOUR, [col(3, '1.0.1.8.0.255'), CLOCK])));
    expect(r).toHaveLength(5);
    expect(r[0]).toHaveLength(2);
    expect(valueOf(r[2][0])).toBe(m.model.energy(from + 2 * QUARTER).importTotal);
    expect(timeOf(r[2][1])).toBe(from + 2 * QUARTER);
    const c = rows(read(m, 7, Obis.loadProfile, 2, READER(NOW), byEntry(10, 12, 3, 4)));
    expect(c).toEqual(rows(read(m, 7, Obis.loadProfile, 2, READER(NOW), byEntry(10, 12))).map((row) => row.slice(2, 4)));
    expect(get(m, 7, Obis.loadProfile, 2, READER(NOW), byRange(from, from + HOUR, [col(3, '1.0.1.8.1.255')])))
      .toEqual({ error: DataAccessResult['scope-of-access-violated'] });
    expect(get(m, 7, Obis.loadProfile, 2, READER(NOW), byEntry(1, 2, 5, 0))).toEqual({ error: DataAccessResult['scope-of-access-violated'] });
    expect(get(m, 7, Obis.loadProfile, 2, READER(NOW), { selector: 1, parameters: { type: 'null-data' } }))
      .toEqual({ error: DataAccessResult['type-unmatched'] });
    expect(get(m, 7, Obis.loadProfile, 2, READER(NOW), { selector: 3, parameters: { type: 'null-data' } }))
      .toEqual({ error: DataAccessResult['other-reason'] });
  });

  it('leaves outage gaps out, marks the next row power-down and logs power down/up', () => {
    const outage = { from: START + 4 * DAY + 10 * HOUR + 5 * 60_000, to: START + 4 * DAY + 12 * HOUR + 20 * 60_000 };
    const m = makeMeter({ outages: [outage] });
    const from = START + 4 * DAY;
    const r = rows(read(m, 7, Obis.loadProfile, 2, READER(NOW), byRange(from, from + DAY - QUARTER)));
    const times = r.map((row) => timeOf(row[0]));
    const missing = [10 * 4 + 1, 10 * 4 + 2, 10 * 4 + 3, 11 * 4, 11 * 4 + 1, 11 * 4 + 2, 11 * 4 + 3, 12 * 4, 12 * 4 + 1].map((q) => from + q * QUARTER);
    expect(r).toHaveLength(96 - missing.length);
    for (const t of missing) expect(times).not.toContain(t);
    const flagged = r.filter((row) => valueOf(row[1]) === PROFILE_STATUS_POWER_DOWN).map((row) => timeOf(row[0]));
    expect(flagged).toEqual([from + (12 * 4 + 2) * QUARTER]);
    r.forEach((row) => expect(valueOf(row[2])).toBe(m.model.energy(timeOf(row[0])).importTotal));
    // Entry numbering skips the gap too.
    const inUse = valueOf(read(m, 7, Obis.loadProfile, 7, READER(NOW)));
    expect(inUse).toBe(Math.floor((NOW - START) / QUARTER) + 1 - missing.length);
    const around = rows(read(m, 7, Obis.loadProfile, 2, READER(NOW), byEntry(4 * 96 + 41, 4 * 96 + 43)));
    expect(around.map((row) => timeOf(row[0]))).toEqual([from + 40 * QUARTER, from + 50 * QUARTER, from + 51 * QUARTER]);
    const log = rows(read(m, 7, Obis.standardEventLog, 2, READER(NOW)));
    expect(log.map((row) => [timeOf(row[0]), valueOf(row[1])])).toEqual([[outage.from, EventCode.powerDown], [outage.to, EventCode.powerUp]]);
  });

  it('answers the other attributes', () => {
    const m = makeMeter();
    const capture = items(read(m, 7, Obis.loadProfile, 3, READER(NOW))).map(items);
    expect(capture.map((c) => valueOf(c[0]))).toEqual([8, 1, 3, 3]);
    expect(valueOf(read(m, 7, Obis.loadProfile, 4, READER(NOW)))).toBe(900);
    expect(read(m, 7, Obis.loadProfile, 5, READER(NOW))).toEqual({ type: 'enum', value: 1 });
    expect(items(read(m, 7, Obis.loadProfile, 6, READER(NOW)))).toHaveLength(4);
    expect(valueOf(read(m, 7, Obis.loadProfile, 8, READER(NOW)))).toBe(3840);
  });

  it('whole buffer without selective access holds entries_in_use rows', () => {
    const m = makeMeter();
    const now = START + 2 * DAY;
    expect(rows(read(m, 7, Obis.loadProfile, 2, READER(now)))).toHaveLength(2 * 96 + 1);
  });

  it('reset (management) empties the buffer; later captures come back', () => {
    const m = makeMeter();
    expect(act(m, 7, Obis.loadProfile, 1, { type: 'integer', value: 0 }, READER(NOW)).result).toBe(DataAccessResult['read-write-denied']);
    expect(act(m, 7, Obis.loadProfile, 1, { type: 'integer', value: 0 }, MANAGEMENT(NOW)).result).toBe(0);
    expect(valueOf(read(m, 7, Obis.loadProfile, 7, READER(NOW)))).toBe(0);
    expect(valueOf(read(m, 7, Obis.loadProfile, 7, READER(NOW + HOUR)))).toBe(4);
  });
});

describe('daily billing 1.0.98.1.0.255', () => {
  it('captures every local midnight: clock, import total, T1..T4, export', () => {
    const m = makeMeter({ timeZoneMinutes: 120, pv: true });
    const r = rows(read(m, 7, Obis.dailyBilling, 2, READER(NOW)));
    expect(r).toHaveLength(20);
    r.forEach((row, k) => {
      const t = START + (k + 1) * DAY - 2 * HOUR;
      const e = m.model.energy(t);
      expect(timeOf(row[0])).toBe(t);
      expect(row.slice(1).map(valueOf)).toEqual([e.importTotal, ...e.importTariffs, e.exportTotal]);
    });
    expect(valueOf(read(m, 7, Obis.dailyBilling, 4, READER(NOW)))).toBe(86_400);
  });
});
