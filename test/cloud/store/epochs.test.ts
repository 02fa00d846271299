// Epochs on both stores: a DCU whose database was replaced numbers batches and events from 1
// again under a new epoch, and none of that is taken for what the old database sent; replays
// within an epoch stay no-ops; the DCU's current epoch and its history are recorded; a
// database from before epochs (schema version 2) keeps everything under the legacy epoch ''.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CloudStoreError } from '../../../cloud/store/index.js';
import type { StatusMessage } from '../../../shared/sync/messages.js';
import { QUARTER, T0, dcuId, eventsBatch, newEpoch, profileReadings, readingsBatch, sampleEvents } from '../helpers.js';
import { STORES } from './harness.js';

const status = (dcu: string, epoch: string, at: number): StatusMessage => ({ v: 2, kind: 'status', dcu, epoch, state: 'online', at });

describe.each(STORES)('$name cloud store: epochs', (h) => {
  beforeAll(() => h.prepare());
  afterEach(() => h.cleanup());

  it('a new database numbering from 1 again: all of it is stored, not taken for replays', async () => {
    const store = await h.open();
    const dcu = dcuId();
    const [a, b] = [newEpoch(), newEpoch()];
    // Epoch A: readings batches 1–3 (day 1), events batches 1–2 (ids 1–10).
    for (let seq = 1; seq <= 3; seq++) {
      const outcome = await store.storeBatch(readingsBatch(dcu, seq, profileReadings(4, { from: T0 + (seq - 1) * 4 * QUARTER }), a), T0 + seq);
      expect(outcome).toEqual({ stream: 'readings', upTo: seq, missing: [], duplicate: false, inserted: 4, rejected: 0 }); // a new DCU: no change to report
    }
    await store.storeBatch(eventsBatch(dcu, 1, sampleEvents(1, 5), a), T0 + 4);
    await store.storeBatch(eventsBatch(dcu, 2, sampleEvents(6, 5), a), T0 + 5);

    // Epoch B: the database was replaced; readings of the next day and event ids from 1 again.
    const first = await store.storeBatch(readingsBatch(dcu, 1, profileReadings(4, { from: T0 + 86_400_000 }), b), T0 + 100);
    expect(first).toEqual({
      stream: 'readings', upTo: 1, missing: [], duplicate: false, inserted: 4, rejected: 0,
      epochChange: { dcu, epoch: b, previous: a, at: T0 + 100 },
    });
    expect(await store.storeBatch(readingsBatch(dcu, 2, profileReadings(4, { from: T0 + 86_400_000 + 4 * QUARTER }), b), T0 + 101)).toEqual({
      stream: 'readings', upTo: 2, missing: [], duplicate: false, inserted: 4, rejected: 0,
    });
    const reused = sampleEvents(1, 5).map((e) => ({ ...e, kind: 'new-database', ts: e.ts + 86_400_000 }));
    expect(await store.storeBatch(eventsBatch(dcu, 1, reused, b), T0 + 102)).toMatchObject({ upTo: 1, duplicate: false, inserted: 5 });

    expect(await store.countReadings({ dcu })).toBe(12 + 8);
    const events = await store.events(dcu);
    expect(events).toHaveLength(15);
    expect(events.map((e) => [e.epoch, e.id])).toEqual([...Array.from({ length: 10 }, (_, i) => [a, i + 1]), ...Array.from({ length: 5 }, (_, i) => [b, i + 1])]);
    expect(events.filter((e) => e.epoch === b).every((e) => e.kind === 'new-database')).toBe(true);
    expect(events.filter((e) => e.epoch === a).every((e) => e.kind !== 'new-database')).toBe(true);

    expect(await store.sequence(dcu, 'readings', a)).toEqual({ stream: 'readings', upTo: 3, missing: [] });
    expect(await store.sequence(dcu, 'readings', b)).toEqual({ stream: 'readings', upTo: 2, missing: [] });
    expect(await store.sequence(dcu, 'readings')).toEqual({ stream: 'readings', upTo: 2, missing: [] }); // the current epoch
    expect(await store.sequence(dcu, 'events', a)).toMatchObject({ upTo: 2 });
    expect(await store.dcu(dcu)).toMatchObject({ epoch: b, epochSince: T0 + 100 });
    expect(await store.epochs(dcu)).toEqual([{ epoch: a, firstSeen: T0 + 1 }, { epoch: b, firstSeen: T0 + 100 }]);
  });

  it('replays stay no-ops within their epoch; a late batch of the old epoch is stored there and changes nothing else', async () => {
    const store = await h.open();
    const dcu = dcuId();
    const [a, b] = [newEpoch(), newEpoch()];
    const batchA2 = readingsBatch(dcu, 2, profileReadings(2, { meter: 'M2' }), a);
    await store.storeBatch(readingsBatch(dcu, 1, profileReadings(2, { meter: 'M1' }), a), T0);
    await store.storeBatch(batchA2, T0 + 1);
    const batchB1 = readingsBatch(dcu, 1, profileReadings(2, { meter: 'M3' }), b);
    await store.storeBatch(batchB1, T0 + 2);

    expect(await store.storeBatch(batchA2, T0 + 3)).toEqual({ stream: 'readings', upTo: 2, missing: [], duplicate: true, inserted: 0, rejected: 0 });
    expect(await store.storeBatch(batchB1, T0 + 4)).toEqual({ stream: 'readings', upTo: 1, missing: [], duplicate: true, inserted: 0, rejected: 0 });
    // batch 3 of the old database, delayed in the broker: stored under A, B stays current
    const late = await store.storeBatch(readingsBatch(dcu, 3, profileReadings(2, { meter: 'M4' }), a), T0 + 5);
    expect(late).toEqual({ stream: 'readings', upTo: 3, missing: [], duplicate: false, inserted: 2, rejected: 0 });
    expect(await store.dcu(dcu)).toMatchObject({ epoch: b, epochSince: T0 + 2 });
    expect(await store.countReadings({ dcu })).toBe(8);
    // the same reading sent again by the new database is the same reading: the natural key has no epoch
    const again = await store.storeBatch(readingsBatch(dcu, 2, profileReadings(2, { meter: 'M1' }), b), T0 + 6);
    expect(again).toMatchObject({ upTo: 2, duplicate: false, inserted: 0 });
    expect(await store.countReadings({ dcu })).toBe(8);
  });

  it('gaps are per epoch: a new epoch does not fill or inherit the old one\'s', async () => {
    const store = await h.open();
    const dcu = dcuId();
    const [a, b] = [newEpoch(), newEpoch()];
    await store.storeBatch(readingsBatch(dcu, 1, profileReadings(1), a));
    expect(await store.storeBatch(readingsBatch(dcu, 3, profileReadings(1, { meter: 'X' }), a))).toMatchObject({ upTo: 1, missing: [[2, 2]] });
    expect(await store.storeBatch(readingsBatch(dcu, 2, profileReadings(1, { meter: 'Y' }), b))).toMatchObject({ upTo: 0, missing: [[1, 1]] });
    expect(await store.storeBatch(readingsBatch(dcu, 1, profileReadings(1, { meter: 'Z' }), b))).toMatchObject({ upTo: 2, missing: [] });
    expect(await store.sequence(dcu, 'readings', a)).toEqual({ stream: 'readings', upTo: 1, missing: [[2, 2]] });
  });

  it('a status names the epoch too; the first epoch of a DCU is no change', async () => {
    const store = await h.open();
    const dcu = dcuId();
    const [a, b] = [newEpoch(), newEpoch()];
    expect(await store.recordStatus(status(dcu, a, T0), T0)).toBeNull();
    expect(await store.recordStatus(status(dcu, a, T0 + 1), T0 + 1)).toBeNull();
    expect(await store.recordStatus(status(dcu, b, T0 + 2), T0 + 2)).toEqual({ dcu, epoch: b, previous: a, at: T0 + 2 });
    expect(await store.storeBatch(readingsBatch(dcu, 1, profileReadings(1), b), T0 + 3)).not.toHaveProperty('epochChange');
    expect(await store.recordStatus(status(dcu, a, T0 + 4), T0 + 4)).toBeNull(); // a retained status of the old database
    expect(await store.dcu(dcu)).toMatchObject({ epoch: b, epochSince: T0 + 2 });
    // a DCU known only from a command result has no epoch yet
    const quiet = dcuId('q');
    await store.recordResult({ v: 2, kind: 'result', dcu: quiet, id: 'c1', status: 'done', at: T0, outcome: {} }, T0);
    expect(await store.dcu(quiet)).toMatchObject({ epoch: null, epochSince: null });
    expect(await store.sequence(quiet, 'readings')).toEqual({ stream: 'readings', upTo: 0, missing: [] });
  });

  it('items kept aside are kept per epoch', async () => {
    const store = await h.open();
    const dcu = dcuId();
    const [a, b] = [newEpoch(), newEpoch()];
    const bad = { ...profileReadings(1)[0]!, meter: 'NUL\u0000' };
    await store.storeBatch(readingsBatch(dcu, 1, [bad], a), T0);
    await store.storeBatch(readingsBatch(dcu, 1, [bad], b), T0 + 1);
    const rejected = await store.rejectedItems(dcu);
    expect(rejected.map((r) => [r.epoch, r.seq, r.index])).toEqual([[a, 1, 0], [b, 1, 0]]);
  });

  it('a bad epoch is refused and nothing is written', async () => {
    const store = await h.open();
    const dcu = dcuId();
    for (const epoch of ['XYZ', '0'.repeat(31), 'G'.repeat(32), null as unknown as string]) {
      await expect(store.storeBatch(readingsBatch(dcu, 1, profileReadings(1), epoch))).rejects.toBeInstanceOf(CloudStoreError);
      await expect(store.recordStatus(status(dcu, epoch, T0))).rejects.toMatchObject({ kind: 'invalid' });
    }
    expect(await store.dcu(dcu)).toBeNull();
    expect(await store.countReadings({ dcu })).toBe(0);
  });

  it('two instances seeing a new epoch at once: one of them reports it, both batches are stored', async () => {
    const one = await h.open();
    const two = await h.open();
    const dcu = dcuId();
    const [a, b] = [newEpoch(), newEpoch()];
    await one.storeBatch(readingsBatch(dcu, 1, profileReadings(1), a), T0);
    const outcomes = await Promise.all([
      one.storeBatch(readingsBatch(dcu, 1, profileReadings(3, { meter: 'B1' }), b), T0 + 1),
      two.storeBatch(readingsBatch(dcu, 2, profileReadings(3, { meter: 'B2' }), b), T0 + 1),
    ]);
    expect(outcomes.filter((o) => o.epochChange !== undefined)).toHaveLength(1);
    expect(await two.sequence(dcu, 'readings', b)).toEqual({ stream: 'readings', upTo: 2, missing: [] });
    expect(await one.countReadings({ dcu })).toBe(7);
  });
});

describe.each(STORES)('$name cloud store: a database from before epochs', (h) => {
  beforeAll(() => h.prepare());
  afterEach(() => h.cleanup());

  it('migrates with everything under the legacy epoch \'\', and goes on from there', async () => {
    const dcu = dcuId();
    const old = await h.older(2);
    await old.run(`INSERT INTO dcus (id, first_seen, last_seen, status, status_at, last_status) VALUES (?, ?, ?, 'online', ?, '{}')`, dcu, T0, T0 + 50, T0 + 40);
    await old.run(`INSERT INTO streams (dcu, stream, up_to) VALUES (?, 'readings', 2), (?, 'events', 1)`, dcu, dcu);
    await old.run(`INSERT INTO pending_batches (dcu, stream, seq, received_at) VALUES (?, 'readings', 4, ?)`, dcu, T0 + 30);
    for (let i = 0; i < 3; i++) {
      await old.run(
        `INSERT INTO readings (dcu, meter, obis, attribute, ts, value_kind, value_num, value_text, unit, scaler, status, source, seq, received_at)
         VALUES (?, 'M1', '1.0.1.8.0.255', 2, ?, 1, ?, NULL, 30, 0, 0, 'scheduled', 1, ?)`,
        dcu, T0 + i * QUARTER, 1000 + i, T0 + 10,
      );
      await old.run(`INSERT INTO events (dcu, id, ts, meter, kind, severity, details, seq, received_at) VALUES (?, ?, ?, 'M1', 'power-up', 'info', '{}', 1, ?)`, dcu, i + 1, T0 + i, T0 + 20);
    }
    await old.run(`INSERT INTO rejected_items (dcu, stream, seq, idx, reason, item, received_at) VALUES (?, 'readings', 2, 0, 'NUL in meter', '{}', ?)`, dcu, T0 + 25);
    await old.close();

    const store = await h.open();
    expect(await store.dcu(dcu)).toMatchObject({ status: 'online', firstSeen: T0, epoch: '', epochSince: T0 });
    expect(await store.epochs(dcu)).toEqual([{ epoch: '', firstSeen: T0 }]);
    expect(await store.sequence(dcu, 'readings')).toEqual({ stream: 'readings', upTo: 2, missing: [[3, 3]] });
    expect(await store.sequence(dcu, 'readings', '')).toEqual({ stream: 'readings', upTo: 2, missing: [[3, 3]] });
    expect(await store.sequence(dcu, 'events', '')).toEqual({ stream: 'events', upTo: 1, missing: [] });
    expect((await store.readings({ dcu })).map((r) => r.value)).toEqual([1000, 1001, 1002]);
    expect((await store.events(dcu)).map((e) => [e.epoch, e.id])).toEqual([['', 1], ['', 2], ['', 3]]);
    expect(await store.rejectedItems(dcu)).toEqual([expect.objectContaining({ epoch: '', seq: 2, index: 0, reason: 'NUL in meter' })]);

    // The DCU (still v1, or upgraded with its database) goes on in the legacy epoch: batch 3 closes the gap to 4.
    expect(await store.storeBatch({ ...readingsBatch(dcu, 3, profileReadings(1, { meter: 'M9' })), v: 1 }, T0 + 60)).toMatchObject({ upTo: 4, missing: [], duplicate: false });
    expect(await store.storeBatch(readingsBatch(dcu, 1, profileReadings(1, { meter: 'M8' })), T0 + 61)).toMatchObject({ duplicate: true });
    expect(await store.storeBatch(eventsBatch(dcu, 1, sampleEvents(1, 3)), T0 + 62)).toMatchObject({ duplicate: true, inserted: 0 });
    // Then its database is replaced: a new epoch, numbered from 1, all stored.
    const fresh = newEpoch();
    expect(await store.storeBatch(eventsBatch(dcu, 1, sampleEvents(1, 3), fresh), T0 + 70)).toMatchObject({
      upTo: 1, duplicate: false, inserted: 3, epochChange: { dcu, epoch: fresh, previous: '', at: T0 + 70 },
    });
    expect(await store.countEvents(dcu)).toBe(6);
  });
});
