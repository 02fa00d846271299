import { describe, expect, it } from 'vitest';
import { addMeters, HOUR, openStore, profileRows, T0 } from './helpers.js';

const PROFILE = '1.0.99.1.0.255';

describe('collection marks with their chunk', () => {
  it('a chunk stores its rows and moves the mark in one transaction', () => {
    const store = openStore();
    const [m] = addMeters(store, 1) as [number];
    const r = store.storeChunk({ meter: m, profile: PROFILE, readings: profileRows(m, T0, 24) });
    expect(r).toMatchObject({ inserted: 48, ignored: 0, mark: { meter: m, profile: PROFILE, upto: T0 + 23 * HOUR } });
    // Recollecting an older chunk does not move the mark back; set() can.
    store.storeChunk({ meter: m, profile: PROFILE, readings: profileRows(m, T0 - 24 * HOUR, 24, 'recollected') });
    expect(store.marks.get(m, PROFILE)?.upto).toBe(T0 + 23 * HOUR);
    // An empty range read (an outage) moves the mark with an explicit upto.
    expect(store.storeChunk({ meter: m, profile: PROFILE, readings: [], upto: T0 + 47 * HOUR }).mark?.upto).toBe(T0 + 47 * HOUR);
    expect(store.marks.set(m, PROFILE, T0).upto).toBe(T0);
    expect(store.marks.list(m)).toHaveLength(1);
  });

  it('a transaction that throws after inserting rows leaves neither rows nor mark (simulated crash)', () => {
    const store = openStore();
    const [m] = addMeters(store, 1) as [number];
    store.storeChunk({ meter: m, profile: PROFILE, readings: profileRows(m, T0, 24) });
    const before = { rows: store.readings.count(), mark: store.marks.get(m, PROFILE) };

    expect(() =>
      store.transaction(() => {
        const r = store.storeChunk({ meter: m, profile: PROFILE, readings: profileRows(m, T0 + 24 * HOUR, 24) });
        expect(r.inserted).toBe(48); // the rows and the mark were written…
        expect(store.marks.get(m, PROFILE)?.upto).toBe(T0 + 47 * HOUR);
        throw new Error('power cut'); // …and then the process "died" before the commit
      }),
    ).toThrow('power cut');

    expect(store.readings.count()).toBe(before.rows);
    expect(store.db.prepare('SELECT count(*) FROM readings').pluck().get()).toBe(before.rows);
    expect(store.marks.get(m, PROFILE)).toEqual(before.mark);
    expect(store.readings.range({ meter: m, from: T0 + 24 * HOUR, to: T0 + 48 * HOUR })).toEqual([]);
  });

  it('a chunk whose last row fails stores neither its rows nor the mark', () => {
    const store = openStore();
    const [m] = addMeters(store, 1) as [number];
    const rows = profileRows(m, T0, 24);
    rows.push({ ...rows[0]!, ts: T0 + 24 * HOUR, meter: 12345 }); // unknown meter: foreign key
    expect(() => store.storeChunk({ meter: m, profile: PROFILE, readings: rows })).toThrow(/FOREIGN KEY/);
    expect(store.readings.count()).toBe(0);
    expect(store.marks.get(m, PROFILE)).toBeUndefined();
  });
});
