// storeBatch on both stores: rows and sequence number in one transaction, replays are
// no-ops, gaps are reported, the natural key dedupes, invalid batches write nothing.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CloudStoreError } from '../../../cloud/store/index.js';
import { T0, dcuId, eventsBatch, mixedReadings, profileReadings, readingsBatch, sampleEvents, shuffled, sortReadings, withoutStoreFields } from '../helpers.js';
import { STORES } from './harness.js';
import type { SyncReading } from '../../../shared/sync/messages.js';

describe.each(STORES)('$name cloud store: batches', (h) => {
  beforeAll(() => h.prepare());
  afterEach(() => h.cleanup());

  it('stores a batch exactly, every value type round-trips, and acknowledges seq 1', async () => {
    const store = await h.open();
    const dcu = dcuId();
    const readings = [...profileReadings(96), ...mixedReadings()];
    const outcome = await store.storeBatch(readingsBatch(dcu, 1, readings), T0);
    expect(outcome).toEqual({ stream: 'readings', upTo: 1, missing: [], duplicate: false, inserted: readings.length, rejected: 0 });
    const stored = await store.readings({ dcu });
    expect(withoutStoreFields(stored)).toEqual(sortReadings(readings));
    expect(stored.every((r) => r.seq === 1 && r.receivedAt === T0 && r.dcu === dcu)).toBe(true);
    expect(await store.countReadings({ dcu })).toBe(readings.length);
    expect(await store.sequence(dcu, 'readings')).toEqual({ stream: 'readings', upTo: 1, missing: [] });
  });

  it('a replayed batch is a no-op with the same answer', async () => {
    const store = await h.open();
    const dcu = dcuId();
    const batch = readingsBatch(dcu, 1, profileReadings(10));
    await store.storeBatch(batch);
    const again = await store.storeBatch(batch);
    expect(again).toEqual({ stream: 'readings', upTo: 1, missing: [], duplicate: true, inserted: 0, rejected: 0 });
    // a replay under the same seq with other content is a replay too: the seq is what counts
    const other = await store.storeBatch(readingsBatch(dcu, 1, profileReadings(10, { meter: 'OTHER' })));
    expect(other.duplicate).toBe(true);
    expect(await store.countReadings({ dcu })).toBe(10);
  });

  it('detects gaps, asks for them, and closes them as they arrive', async () => {
    const store = await h.open();
    const dcu = dcuId();
    const send = (seq: number) => store.storeBatch(readingsBatch(dcu, seq, profileReadings(4, { from: T0 + seq * 4 * 900_000 })));
    expect(await send(1)).toMatchObject({ upTo: 1, missing: [] });
    expect(await send(3)).toMatchObject({ upTo: 1, missing: [[2, 2]], duplicate: false });
    expect(await send(6)).toMatchObject({ upTo: 1, missing: [[2, 2], [4, 5]] });
    expect(await send(3)).toMatchObject({ upTo: 1, missing: [[2, 2], [4, 5]], duplicate: true, inserted: 0 });
    expect(await send(2)).toMatchObject({ upTo: 3, missing: [[4, 5]] });
    expect(await send(5)).toMatchObject({ upTo: 3, missing: [[4, 4]] });
    expect(await send(4)).toMatchObject({ upTo: 6, missing: [] });
    expect(await send(2)).toMatchObject({ upTo: 6, missing: [], duplicate: true });
    expect(await store.countReadings({ dcu })).toBe(24);
  });

  it('a first batch above 1 asks for everything before it', async () => {
    const store = await h.open();
    const dcu = dcuId();
    expect(await store.storeBatch(readingsBatch(dcu, 4, profileReadings(1)))).toMatchObject({ upTo: 0, missing: [[1, 3]] });
    expect(await store.sequence(dcu, 'readings')).toEqual({ stream: 'readings', upTo: 0, missing: [[1, 3]] });
    expect(await store.sequence(dcu, 'events')).toEqual({ stream: 'events', upTo: 0, missing: [] });
  });

  it('insert-or-ignore on (dcu, meter, obis, attribute, ts): the first value stays', async () => {
    const store = await h.open();
    const dcu = dcuId();
    await store.storeBatch(readingsBatch(dcu, 1, profileReadings(10)));
    // batch 2 re-sends 5 of them (a recollection) with other values, plus 5 new ones
    const overlap = profileReadings(10, { from: T0 + 5 * 900_000, base: 5 });
    const outcome = await store.storeBatch(readingsBatch(dcu, 2, overlap));
    expect(outcome).toMatchObject({ upTo: 2, inserted: 5, duplicate: false });
    // the same key twice inside one batch
    const twice = profileReadings(1, { from: T0 + 99 * 900_000 });
    expect(await store.storeBatch(readingsBatch(dcu, 3, [...twice, ...twice]))).toMatchObject({ inserted: 1 });
    const stored = await store.readings({ dcu });
    expect(stored).toHaveLength(16);
    expect(stored[0]).toMatchObject({ ts: T0, value: 1000, seq: 1 });
    expect(stored.find((r) => r.ts === T0 + 5 * 900_000)).toMatchObject({ value: 1035, seq: 1 });
    expect(stored.find((r) => r.ts === T0 + 14 * 900_000)).toMatchObject({ value: 5 + 9 * 7, seq: 2 });
    // the same key under another DCU is another reading
    await store.storeBatch(readingsBatch(dcuId(), 1, profileReadings(10)));
    expect(await store.countReadings()).toBe(26);
  });

  it('streams and DCUs have their own sequences', async () => {
    const store = await h.open();
    const [a, b] = [dcuId('a'), dcuId('b')];
    expect(await store.storeBatch(readingsBatch(a, 1, profileReadings(2)))).toMatchObject({ stream: 'readings', upTo: 1 });
    expect(await store.storeBatch(eventsBatch(a, 1, sampleEvents(1, 3)))).toMatchObject({ stream: 'events', upTo: 1, inserted: 3 });
    expect(await store.storeBatch(readingsBatch(b, 2, profileReadings(2)))).toMatchObject({ upTo: 0, missing: [[1, 1]] });
    expect(await store.sequence(a, 'readings')).toMatchObject({ upTo: 1, missing: [] });
  });

  it('stores events once by (dcu, event id)', async () => {
    const store = await h.open();
    const dcu = dcuId();
    const events = [...sampleEvents(10, 3), { id: 20, ts: T0, meter: null, kind: 'clock-set', severity: 'warning', details: {} }];
    await store.storeBatch(eventsBatch(dcu, 1, events));
    expect(await store.storeBatch(eventsBatch(dcu, 1, events))).toMatchObject({ duplicate: true });
    expect(await store.storeBatch(eventsBatch(dcu, 2, sampleEvents(11, 3)))).toMatchObject({ upTo: 2, inserted: 1 });
    const stored = await store.events(dcu);
    expect(stored.map((e) => e.id)).toEqual([10, 11, 12, 13, 20]);
    expect(stored[0]).toMatchObject({ dcu, id: 10, ts: T0, meter: 'MTR00000001', kind: 'power-up', severity: 'info', seq: 1 });
    expect(stored[0]!.details).toEqual({ code: 0, counter: String(2n ** 40n) });
    expect(stored[4]).toMatchObject({ meter: null, kind: 'clock-set', details: {} });
    expect(await store.countEvents(dcu)).toBe(5);
  });

  it('an empty batch still moves the sequence', async () => {
    const store = await h.open();
    const dcu = dcuId();
    expect(await store.storeBatch(readingsBatch(dcu, 1, []))).toMatchObject({ upTo: 1, inserted: 0, duplicate: false });
    expect(await store.storeBatch(eventsBatch(dcu, 1, []))).toMatchObject({ upTo: 1 });
  });

  it('refuses a batch it cannot place (no usable DCU, seq or item list) and writes nothing of it', async () => {
    const store = await h.open();
    const dcu = dcuId();
    const good = profileReadings(3);
    const bad: [string, unknown][] = [
      ['seq 0', readingsBatch(dcu, 0, good)],
      ['seq 1.5', readingsBatch(dcu, 1.5, good)],
      ['empty dcu', readingsBatch('', 1, good)],
      ['readings not a list', { ...readingsBatch(dcu, 1, good), readings: 'many' }],
    ];
    for (const [what, batch] of bad) {
      const error = await store.storeBatch(batch as never).then(() => undefined, (e: unknown) => e);
      expect(error, what).toBeInstanceOf(CloudStoreError);
      expect((error as CloudStoreError).kind, what).toBe('invalid');
    }
    expect(await store.countReadings()).toBe(0);
    expect(await store.countEvents()).toBe(0);
    expect(await store.sequence(dcu, 'readings')).toMatchObject({ upTo: 0, missing: [] });
    expect(await store.dcus()).toEqual([]);
  });

  it('keeps items it cannot store aside with their reason, stores the rest, and the stream goes on', async () => {
    const store = await h.open();
    const dcu = dcuId();
    const good = profileReadings(3);
    const items: [string, SyncReading][] = [
      ['ts not an integer', { ...good[0]!, ts: 1.5 }],
      ['unknown source', { ...good[0]!, ts: 1, source: 'guessed' as 'pushed' }],
      ['NUL in a meter serial', { ...good[0]!, meter: 'A\u0000' }],
      ['scaler out of range', { ...good[0]!, ts: 2, scaler: 300 }],
    ];
    const outcome = await store.storeBatch(readingsBatch(dcu, 1, [good[0]!, ...items.map(([, r]) => r), ...good.slice(1)]));
    expect(outcome).toMatchObject({ upTo: 1, missing: [], duplicate: false, inserted: 3, rejected: 4 });
    expect(await store.countReadings({ dcu })).toBe(3);
    const rejected = await store.rejectedItems(dcu);
    expect(rejected.map((r) => [r.stream, r.seq, r.index])).toEqual([1, 2, 3, 4].map((i) => ['readings', 1, i]));
    expect(rejected.map((r) => r.reason)).toEqual([
      expect.stringContaining('ts must be an integer'),
      expect.stringContaining('unknown source'),
      expect.stringContaining('NUL'),
      expect.stringContaining('scaler must be in'),
    ]);
    // The item itself is kept, as JSON (a NUL escaped).
    expect(JSON.parse(rejected[2]!.item)).toMatchObject({ meter: 'A\u0000', obis: good[0]!.obis });
    // Sent again (the ack was lost): a duplicate, nothing more kept aside.
    expect(await store.storeBatch(readingsBatch(dcu, 1, [good[0]!, ...items.map(([, r]) => r)]))).toMatchObject({ duplicate: true, rejected: 0 });
    expect(await store.rejectedItems(dcu)).toHaveLength(4);
    // An event without a kind likewise; the next batch follows on.
    expect(await store.storeBatch(eventsBatch(dcu, 1, [{ ...sampleEvents(1, 1)[0]!, kind: '' }]))).toMatchObject({ upTo: 1, rejected: 1, inserted: 0 });
    expect(await store.storeBatch(readingsBatch(dcu, 2, profileReadings(2, { from: T0 + 86_400_000 })))).toMatchObject({ upTo: 2, inserted: 2 });
  });

  it('two store instances writing the same streams at once store exactly once, in any order', async () => {
    const [one, two] = [await h.open(), await h.open()];
    const dcus = [dcuId('x'), dcuId('y')];
    const batches = dcus.flatMap((dcu) =>
      Array.from({ length: 20 }, (_, i) => readingsBatch(dcu, i + 1, profileReadings(50, { from: T0 + i * 50 * 900_000 }))),
    );
    // every batch twice (at-least-once delivery), shuffled, split over both instances, all in flight together
    const deliveries = shuffled([...batches, ...batches], 7);
    await Promise.all(deliveries.map((b, i) => (i % 2 ? one : two).storeBatch(b)));
    for (const dcu of dcus) {
      expect(await one.sequence(dcu, 'readings')).toEqual({ stream: 'readings', upTo: 20, missing: [] });
      expect(await two.countReadings({ dcu })).toBe(1000);
    }
  });

  it('a large batch (5,000 readings of 10 meters) in one transaction', async () => {
    const store = await h.open();
    const dcu = dcuId();
    const readings = Array.from({ length: 10 }, (_, m) => profileReadings(500, { meter: `MTR${m}` })).flat();
    expect(await store.storeBatch(readingsBatch(dcu, 1, readings))).toMatchObject({ upTo: 1, inserted: 5000 });
    expect(await store.countReadings({ dcu, meter: 'MTR3' })).toBe(500);
    expect(await store.readings({ dcu, limit: 3 })).toHaveLength(3);
  });
});
