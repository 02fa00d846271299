import { describe, expect, it } from 'vitest';
import { alignDown, missingSpans } from '../../../dcu/tasks/collect.js';
import { selectLocally } from '../../../dcu/session/readers.js';
import { dateTimeFromUtc, encodeDateTime } from '../../../shared/dlms/datetime.js';
import { Obis } from '../../../shared/dlms/obis.js';
import type { CosemData } from '../../../shared/dlms/data.js';

const Q = 15 * 60_000;
const T0 = Date.UTC(2026, 10, 20);

describe('missingSpans', () => {
  it('finds runs of missing capture times, skipping present and known-empty ones', () => {
    const present = new Set([0, 1, 2, 5, 6, 9].map((i) => T0 + i * Q));
    const spans = missingSpans(T0, T0 + 10 * Q, Q, present, [[T0 + 7 * Q, T0 + 7 * Q]]);
    expect(spans).toEqual([
      [T0 + 3 * Q, T0 + 4 * Q],
      [T0 + 8 * Q, T0 + 8 * Q],
      [T0 + 10 * Q, T0 + 10 * Q],
    ]);
  });

  it('finds nothing when every entry is there', () => {
    const present = new Set(Array.from({ length: 97 }, (_, i) => T0 + i * Q));
    expect(missingSpans(T0, T0 + 96 * Q, Q, present, [])).toEqual([]);
    expect(alignDown(T0 + 7 * 60_000, Q)).toBe(T0);
  });
});

describe('selectLocally (meters without selective access)', () => {
  const row = (i: number): CosemData[] => [{ type: 'octet-string', value: encodeDateTime(dateTimeFromUtc(T0 + i * Q)) }, { type: 'double-long-unsigned', value: i }];
  const rows = Array.from({ length: 10 }, (_, i) => row(i));
  const columns = [{ classId: 8, logicalName: Obis.clock, attributeIndex: 2, dataIndex: 0 }, { classId: 3, logicalName: Obis.activeEnergyImport, attributeIndex: 2, dataIndex: 0 }];

  it('selects by range with both ends included, and by entry', () => {
    expect(selectLocally(rows, columns, { kind: 'range', from: T0 + 2 * Q, to: T0 + 4 * Q })).toEqual([row(2), row(3), row(4)]);
    expect(selectLocally(rows, columns, { kind: 'entries', from: 9, to: 0 })).toEqual([row(8), row(9)]);
    expect(selectLocally(rows, columns, { kind: 'all' })).toHaveLength(10);
  });
});
