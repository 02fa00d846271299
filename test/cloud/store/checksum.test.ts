// The order-independent readings checksum (what the chaos test compares on both sides).
import { describe, expect, it } from 'vitest';
import { ReadingsChecksum, readingDigest } from '../../../cloud/store/index.js';
import { mixedReadings, profileReadings, shuffled } from '../helpers.js';

describe('ReadingsChecksum', () => {
  it('does not depend on order', () => {
    const readings = [...profileReadings(50), ...mixedReadings()];
    const a = new ReadingsChecksum();
    const b = new ReadingsChecksum();
    readings.forEach((r) => a.add('d', r));
    shuffled(readings, 9).forEach((r) => b.add('d', r));
    expect(a.summary()).toEqual(b.summary());
    expect(a.count).toBe(58);
  });

  it('sees a changed value, a lost row, a duplicated row and another DCU', () => {
    const readings = profileReadings(3);
    const sum = (dcu: string, rows: typeof readings) => {
      const c = new ReadingsChecksum();
      rows.forEach((r) => c.add(dcu, r));
      return c.checksum;
    };
    const sums = [
      sum('d', readings),
      sum('d', readings.map((r, i) => (i === 1 ? { ...r, value: 1008 } : r))),
      sum('d', readings.map((r, i) => (i === 1 ? { ...r, scaler: -1 } : r))),
      sum('d', readings.slice(1)),
      sum('d', [...readings, readings[0]!]),
      sum('e', readings),
    ];
    expect(new Set(sums).size).toBe(sums.length);
  });

  it('integers compare by value whether they travel as number or bigint', () => {
    const r = profileReadings(1)[0]!;
    expect(readingDigest('d', { ...r, value: 1000n })).toBe(readingDigest('d', r));
    expect(readingDigest('d', { ...r, value: 1000.5 })).not.toBe(readingDigest('d', r));
    expect(readingDigest('d', { ...r, value: '1000' })).not.toBe(readingDigest('d', r));
  });

  it('is a fixed function (the same figure on every store and on the DCU side)', () => {
    const c = new ReadingsChecksum();
    profileReadings(3).forEach((r) => c.add('dcu-0001', r));
    expect(c.summary()).toMatchInlineSnapshot(`
      {
        "checksum": "6bba166266d118ac",
        "count": 3,
      }
    `);
  });
});
