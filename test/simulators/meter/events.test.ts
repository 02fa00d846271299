import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toAccessDescriptor, type CaptureObjectDefinition } from '../../../shared/dlms/apdu/selective-access.js';
import type { CosemData } from '../../../shared/dlms/data.js';
import { dateTimeFromUtc, encodeDateTime } from '../../../shared/dlms/datetime.js';
import { Obis, parseObis } from '../../../shared/dlms/obis.js';
import { EventCode } from '../../../simulators/meter/events.js';
import { DAY, HOUR, MANAGEMENT, QUARTER, READER, START, act, items, makeMeter, read, timeOf, valueOf } from './helpers.js';

const CLOCK: CaptureObjectDefinition = { classId: 8, logicalName: parseObis('0.0.1.0.0.255'), attributeIndex: 2, dataIndex: 0 };
const at = (t: number): CosemData => ({ type: 'octet-string', value: encodeDateTime(dateTimeFromUtc(t)) });
const range = (from: number, to: number) => toAccessDescriptor({ selector: 1, range: { restrictingObject: CLOCK, from: at(from), to: at(to), selectedValues: [] } });
const entries = (from: number, to: number) => toAccessDescriptor({ selector: 2, entry: { fromEntry: from, toEntry: to, fromSelectedValue: 1, toSelectedValue: 0 } });
const pairs = (d: CosemData) => items(d).map((r) => [timeOf(items(r)[0]), valueOf(items(r)[1])]);

describe('standard event log 0.0.99.98.0.255', () => {
  const outages = [
    { from: START + DAY, to: START + DAY + HOUR },
    { from: START + 3 * DAY, to: START + 3 * DAY + 2 * HOUR },
  ];
  const covers = [{ at: START + 2 * DAY, closedAt: START + 2 * DAY + 60_000 }];

  it('holds the configured events that have happened, merged with run-time ones, oldest first', () => {
    const m = makeMeter({ outages, coverOpenings: covers });
    expect(pairs(read(m, 7, Obis.standardEventLog, 2, READER(START + 2 * DAY + 30_000)))).toEqual([
      [START + DAY, EventCode.powerDown],
      [START + DAY + HOUR, EventCode.powerUp],
      [START + 2 * DAY, EventCode.meterCoverRemoved],
    ]);
    const now = START + 5 * DAY;
    act(m, 70, Obis.disconnectControl, 1, { type: 'integer', value: 0 }, MANAGEMENT(START + 4 * DAY));
    const all = pairs(read(m, 7, Obis.standardEventLog, 2, READER(now)));
    expect(all.map((p) => p[1])).toEqual([1, 2, 44, 45, 1, 2, EventCode.remoteDisconnection]);
    expect(pairs(read(m, 7, Obis.standardEventLog, 2, READER(now), range(START + 2 * DAY, START + 3 * DAY)))).toEqual(all.slice(2, 5));
    expect(pairs(read(m, 7, Obis.standardEventLog, 2, READER(now), entries(6, 0)))).toEqual(all.slice(5));
    expect(valueOf(read(m, 7, Obis.standardEventLog, 7, READER(now)))).toBe(7);
    expect(valueOf(read(m, 7, Obis.standardEventLog, 4, READER(now)))).toBe(0);
    const capture = items(read(m, 7, Obis.standardEventLog, 3, READER(now))).map((c) => valueOf(items(c)[0]));
    expect(capture).toEqual([8, 1]);
  });

  it('keeps only profile_entries entries, the youngest', () => {
    const m = makeMeter({ profileEntries: { events: 3 } });
    for (let k = 0; k < 5; k++) act(m, 8, Obis.clock, 6, { type: 'long', value: 1 }, MANAGEMENT(START + k * HOUR));
    const log = pairs(read(m, 7, Obis.standardEventLog, 2, READER(START + DAY)));
    expect(log).toHaveLength(3);
    expect(log[2]).toEqual([START + 4 * HOUR + 5000, EventCode.clockAdjustedNewTime]);
    expect(m.state.events).toHaveLength(3);
  });

  it('reset empties it; configured events before the reset stay gone', () => {
    const m = makeMeter({ outages });
    expect(act(m, 7, Obis.standardEventLog, 1, { type: 'integer', value: 0 }, MANAGEMENT(START + 2 * DAY)).result).toBe(0);
    expect(pairs(read(m, 7, Obis.standardEventLog, 2, READER(START + 5 * DAY))).map((p) => p[1])).toEqual([1, 2]);
  });
});

describe('load profile by range (property)', () => {
  it('returns exactly the quarter-hours in [from, to] that the meter captured, with the model values', () => {
    const outage = { from: START + 2 * DAY + 5 * HOUR + 1, to: START + 2 * DAY + 9 * HOUR };
    const m = makeMeter({ outages: [outage] });
    const now = START + 6 * DAY;
    fc.assert(
      fc.property(fc.integer({ min: -DAY / 1000, max: 7 * DAY / 1000 }), fc.integer({ min: 0, max: 2 * DAY / 1000 }), (a, len) => {
        const from = START + a * 1000;
        const to = from + len * 1000;
        const expected: number[] = [];
        for (let t = Math.ceil(from / QUARTER) * QUARTER; t <= to; t += QUARTER) {
          if (t >= START && t <= now && m.model.powered(t)) expected.push(t);
        }
        const rows = items(read(m, 7, Obis.loadProfile, 2, READER(now), range(from, to))).map(items);
        expect(rows.map((r) => timeOf(r[0]))).toEqual(expected);
        rows.forEach((r, k) => expect(valueOf(r[2])).toBe(m.model.energy(expected[k]).importTotal));
      }),
      { numRuns: 60 },
    );
  });

  it('16 meters give 3 days of load profile each, 96 rows a day (speed belongs to bench/, not here)', () => {
    for (let k = 0; k < 16; k++) {
      const m = makeMeter({ serial: `SIM${k}` });
      const rows = items(read(m, 7, Obis.loadProfile, 2, READER(START + 30 * DAY), range(START + 20 * DAY, START + 23 * DAY - QUARTER)));
      expect(rows).toHaveLength(3 * 96);
    }
  });
});
