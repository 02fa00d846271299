import { describe, expect, it } from 'vitest';
import { StoreError, type Reading } from '../../../dcu/store/index.js';
import { addMeters, HOUR, openStore, profileRows, T0 } from './helpers.js';

describe('reading buffer', () => {
  it('bulk insert in one call; ordered range queries by meter, OBIS and time range', () => {
    const store = openStore();
    const [m1, m2, m3] = addMeters(store, 3) as [number, number, number];
    // Interleaved and out of order on purpose: the buffer orders by its key, not by arrival.
    const rows = [...profileRows(m2, T0, 48), ...profileRows(m1, T0, 48), ...profileRows(m3, T0, 48)].reverse();
    const r = store.readings.insert(rows);
    expect(r).toMatchObject({ inserted: 288, ignored: 0 });
    expect(r.lastSeq! - r.firstSeq! + 1).toBe(288);
    expect(store.readings.count()).toBe(288);

    const day2 = store.readings.range({ meter: m1, obis: '1.0.1.8.0.255', from: T0 + 24 * HOUR, to: T0 + 48 * HOUR });
    expect(day2.map((x) => x.ts)).toEqual(Array.from({ length: 24 }, (_, h) => T0 + (24 + h) * HOUR));
    expect(day2.map((x) => x.value)).toEqual(Array.from({ length: 24 }, (_, h) => 1024 + h));
    expect(day2.every((x) => x.meter === m1 && x.obis === '1.0.1.8.0.255' && x.source === 'scheduled' && x.unit === 30)).toBe(true);

    // One meter, both channels: key order (ts, then obis); end exclusive.
    const m2rows = store.readings.range({ meter: m2, from: T0, to: T0 + 2 * HOUR });
    expect(m2rows.map((x) => [x.ts - T0, x.obis])).toEqual([
      [0, '1.0.1.8.0.255'],
      [0, '1.0.2.8.0.255'],
      [HOUR, '1.0.1.8.0.255'],
      [HOUR, '1.0.2.8.0.255'],
    ]);

    // All meters in key order, paged with `after`.
    const all = store.readings.range({ from: T0, to: T0 + 48 * HOUR });
    expect(all).toHaveLength(288);
    const keys = all.map((x) => [x.ts, x.meter, x.obis, x.attribute] as const);
    const sorted = [...keys].sort((a, b) => a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0));
    expect(keys).toEqual(sorted);
    const page1 = store.readings.range({ from: T0, to: T0 + 48 * HOUR, limit: 100 });
    const page2 = store.readings.range({ from: T0, to: T0 + 48 * HOUR, limit: 1000, after: page1[99]! });
    expect([...page1, ...page2].map((x) => x.seq)).toEqual(all.map((x) => x.seq));
  });

  it('duplicates of (ts, meter, obis, attribute) are ignored: recollection never duplicates', () => {
    const store = openStore();
    const [m] = addMeters(store, 1) as [number];
    store.readings.insert(profileRows(m, T0, 24));
    const again = profileRows(m, T0 - 12 * HOUR, 48, 'recollected').map((r) => ({ ...r, value: -1 }));
    const r = store.readings.insert(again);
    expect(r).toMatchObject({ inserted: 48, ignored: 48 });
    const stored = store.readings.range({ meter: m, obis: '1.0.1.8.0.255', from: T0 - DAYMS, to: T0 + DAYMS * 2 });
    expect(stored).toHaveLength(48);
    // What was stored stays; the recollection only filled the hours around it.
    const inFirstDay = (x: { ts: number }): boolean => x.ts >= T0 && x.ts < T0 + DAYMS;
    expect(stored.filter(inFirstDay).every((x) => x.source === 'scheduled' && x.value !== -1)).toBe(true);
    expect(stored.filter((x) => !inFirstDay(x)).every((x) => x.source === 'recollected' && x.value === -1)).toBe(true);
    expect(store.readings.count()).toBe(96);
    expect(store.counts.recount('readings')).toBe(96);
    // Another attribute under the same OBIS and time is another reading.
    expect(store.readings.insert([{ ...profileRows(m, T0, 1)[0]!, attribute: 3 }]).inserted).toBe(1);
  });

  it('values keep their type: numbers, 64-bit integers, text, bytes, null', () => {
    const store = openStore();
    const [m] = addMeters(store, 1) as [number];
    const values = [230.5, -0.001, 42, 2n ** 62n + 1n, 2n ** 64n - 1n, 'LGZ1030', Uint8Array.of(0, 1, 254, 255), null];
    const rows: Reading[] = values.map((value, i) => ({ ts: T0 + i, meter: m, obis: '0.0.96.1.0.255', attribute: 2, value, source: 'on-demand', scaler: -1, status: 0x80 }));
    store.readings.insert(rows);
    const back = store.readings.range({ meter: m, from: T0, to: T0 + 100 });
    expect(back.map((x) => x.value)).toEqual([230.5, -0.001, 42, 2n ** 62n + 1n, String(2n ** 64n - 1n), 'LGZ1030', Buffer.from([0, 1, 254, 255]), null]);
    expect(back.every((x) => x.scaler === -1 && x.status === 0x80 && x.unit === null && x.source === 'on-demand')).toBe(true);
  });

  it('a batch with one bad row stores nothing', () => {
    const store = openStore();
    const [m] = addMeters(store, 1) as [number];
    const rows = profileRows(m, T0, 10);
    for (const bad of [{ ts: 1.5 }, { value: NaN }, { obis: '1.8.0' }, { source: 'guessed' }, { meter: 999 }]) {
      expect(() => store.readings.insert([...rows, { ...rows[0]!, ts: T0 + 99 * HOUR, ...bad } as Reading])).toThrow();
      expect(store.readings.count()).toBe(0);
      expect(store.db.prepare('SELECT count(*) FROM readings').pluck().get()).toBe(0);
    }
    expect(() => store.readings.insert([{ ...rows[0]!, ts: Number.NaN }])).toThrow(StoreError);
  });

  it('numbers rows in insertion order for the uplink; acknowledgement marks a prefix delivered', () => {
    const store = openStore();
    const [m1, m2] = addMeters(store, 2) as [number, number];
    const a = store.readings.insert(profileRows(m1, T0 + 10 * HOUR, 2));
    const b = store.readings.insert(profileRows(m2, T0, 2, 'recollected')); // older ts, later seq
    expect(store.readings.after(0).map((x) => x.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(store.readings.after(a.lastSeq!).map((x) => x.meter)).toEqual([m2, m2, m2, m2]);
    expect(store.readings.undeliveredCount()).toBe(8);

    expect(store.outbox.acknowledge('readings', a.lastSeq!)).toBe(4);
    expect(store.outbox.acknowledge('readings', 2)).toBe(4); // a stale ack does not move it back
    expect(store.readings.undeliveredCount()).toBe(4);
    expect(store.readings.after(0).map((x) => x.delivered)).toEqual([true, true, true, true, false, false, false, false]);
    expect(() => store.outbox.acknowledge('readings', b.lastSeq! + 1)).toThrow(/only 8/);
    const view = store.db.prepare('SELECT obis, source, delivered FROM readings_view WHERE seq IN (1, 8) ORDER BY seq').all();
    expect(view).toEqual([
      { obis: '1.0.1.8.0.255', source: 'scheduled', delivered: 1 },
      { obis: '1.0.2.8.0.255', source: 'recollected', delivered: 0 },
    ]);
  });
});

const DAYMS = 24 * HOUR;
