// The outbox over a real broker (embedded aedes, MQTT 3.1.1) with a fake cloud that decodes
// and acknowledges: numbering, delivery only on the cloud's acknowledgement, restarts,
// resend requests, an outage with a rate-capped drain.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ReadingsBatch } from '../../../shared/sync/messages.js';
import { DcuStore } from '../../../dcu/store/index.js';
import { openStore, tempDir, testClock } from '../store/helpers.js';
import { FakeCloud, onCleanup, seedReadings, sleep, startAedes, startUplink, uniqueId, uplinkConfig, waitFor } from './helpers.js';

describe('uplink outbox over aedes (MQTT 3.1.1)', () => {
  it('sends batches with increasing numbers; rows are delivered once the cloud acknowledges; status online (retained)', async () => {
    const broker = await startAedes();
    const dcu = uniqueId('dcu');
    const cloud = await FakeCloud.connect(broker.url, dcu);
    const store = openStore();
    const rows = seedReadings(store, 3, 20); // 120 rows → 12 batches of 10
    const uplink = startUplink(store, uplinkConfig(broker.url), dcu);

    await waitFor('every batch acknowledged', () => store.outbox.deliveredUpTo('readings') === store.outbox.lastAssigned('readings'));
    expect(uplink.status().protocolVersion).toBe(4); // aedes refused 5: fell back to 3.1.1
    const seqs = cloud.firstArrivals('readings');
    expect(seqs).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const batches = cloud.arrivals.readings.map((a) => a.message as ReadingsBatch);
    const got = new Map(batches.flatMap((b) => b.readings.map((r) => [`${r.meter}|${r.ts}|${r.obis}`, r.value])));
    expect(got.size).toBe(rows);
    expect(batches[0]!.readings[0]).toMatchObject({ meter: 'SN-0001', obis: '1.0.1.8.0.255', attribute: 2, unit: 30, scaler: 0, source: 'scheduled' });
    expect(store.readings.undeliveredCount()).toBe(0);
    expect(store.batches.position('readings')).toMatchObject({ lastSeq: 12, ackedSeq: 12 });
    expect(store.batches.pending('readings')).toEqual([]); // acknowledged ranges are dropped

    // The meter-added events went up their own stream, numbered on their own.
    await waitFor('events acknowledged', () => store.outbox.deliveredUpTo('events') === store.outbox.lastAssigned('events'));
    expect(cloud.firstArrivals('events')).toEqual([1]);
    expect(cloud.statuses[0]).toMatchObject({ kind: 'status', dcu, state: 'online' });

    // New rows later: the next number, and only the new rows.
    seedReadings(store, 3, 1, Date.UTC(2025, 0, 2));
    uplink.notify();
    await waitFor('batch 13', () => cloud.stored.readings.has(13));
    expect((cloud.arrivals.readings.at(-1)!.message as ReadingsBatch).readings).toHaveLength(6);

    // A new subscriber sees the retained status; after stop() it says offline.
    await uplink.stop();
    const late = await FakeCloud.connect(broker.url, dcu, { autoAck: false });
    await waitFor('retained status', () => late.statuses.length > 0);
    expect(late.statuses.at(-1)).toMatchObject({ state: 'offline' });
  });

  it('rows are not delivered on PUBACK: a cloud that never acknowledges leaves everything in the outbox, with at most maxInFlight batches out', async () => {
    const broker = await startAedes();
    const dcu = uniqueId('dcu');
    const cloud = await FakeCloud.connect(broker.url, dcu, { autoAck: false });
    const store = openStore();
    const rows = seedReadings(store, 2, 50); // 200 rows → 20 batches
    const uplink = startUplink(store, uplinkConfig(broker.url, { maxInFlight: 8, ackTimeoutS: 1 }), dcu);

    await waitFor('8 batches', () => cloud.stored.readings.size >= 8);
    await sleep(1500); // past the ack timeout: the window goes out again, nothing beyond it
    expect([...cloud.stored.readings].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(cloud.arrivals.readings.length).toBeGreaterThan(8); // sent again after the timeout…
    expect(store.outbox.deliveredUpTo('readings')).toBe(0); // …and still nothing delivered
    expect(store.readings.undeliveredCount()).toBe(rows);
    expect(uplink.status().streams.readings).toMatchObject({ acked: 0, lastSeq: 8, inFlight: 8, backlog: 20 });

    // The cloud acknowledges 3: exactly the rows of batches 1–3 become delivered, three more go out.
    await cloud.ack('readings', 3);
    await waitFor('batch 11', () => cloud.stored.readings.has(11));
    const batch3 = cloud.arrivals.readings.find((a) => a.seq === 3)!.message as ReadingsBatch;
    expect(batch3.readings).toHaveLength(10);
    expect(store.outbox.deliveredUpTo('readings')).toBe(30);
    expect(store.readings.undeliveredCount()).toBe(rows - 30);
    await sleep(200);
    expect(Math.max(...cloud.stored.readings)).toBe(11);
  });

  it('a restart mid-backlog sends the unacknowledged batches again under the same numbers with the same bytes', async () => {
    const broker = await startAedes();
    const dcu = uniqueId('dcu');
    const cloud = await FakeCloud.connect(broker.url, dcu, { autoAck: false });
    const file = join(tempDir(), 'dcu.db');
    const store1 = DcuStore.open(file, { clock: testClock() });
    seedReadings(store1, 2, 50); // 20 batches
    const config = uplinkConfig(broker.url, { maxInFlight: 4 });
    const uplink1 = startUplink(store1, config, dcu);
    await waitFor('batches 1–4', () => cloud.stored.readings.size === 4);
    await cloud.ack('readings', 2);
    await waitFor('batches 5–6', () => cloud.stored.readings.size === 6);
    const first = new Map(cloud.arrivals.readings.map((a) => [a.seq, a.bytes]));
    await uplink1.stop();
    store1.close();

    // More rows arrive while the DCU is down: they must not change what batches 3–6 carry.
    const store2 = DcuStore.open(file, { clock: testClock() });
    onCleanup(() => store2.close());
    seedReadings(store2, 2, 5, Date.UTC(2025, 0, 5));
    expect(store2.batches.position('readings')).toMatchObject({ lastSeq: 6, ackedSeq: 2 });
    const before = cloud.arrivals.readings.length;
    startUplink(store2, config, dcu);
    await waitFor('batches 3–6 again', () => cloud.arrivals.readings.length >= before + 4);
    await sleep(200);
    const again = cloud.arrivals.readings.slice(before);
    expect(again.map((a) => a.seq)).toEqual([3, 4, 5, 6]); // the window: nothing new before an ack
    for (const a of again) expect(a.bytes.equals(first.get(a.seq)!)).toBe(true);

    cloud.autoAck = true;
    await cloud.ack('readings', 6);
    await waitFor('everything acknowledged', () => store2.readings.undeliveredCount() === 0);
    const seqs = cloud.firstArrivals('readings');
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    const all = new Set(cloud.arrivals.readings.flatMap((a) => (a.message as ReadingsBatch).readings.map((r) => `${r.meter}|${r.ts}|${r.obis}`)));
    expect(all.size).toBe(store2.readings.count());
  });

  it('honours a resend request in an acknowledgement', async () => {
    const broker = await startAedes();
    const dcu = uniqueId('dcu');
    const cloud = await FakeCloud.connect(broker.url, dcu, { autoAck: false });
    const store = openStore();
    seedReadings(store, 2, 20); // 8 batches
    startUplink(store, uplinkConfig(broker.url, { maxInFlight: 6, ackTimeoutS: 600 }), dcu);
    await waitFor('batches 1–6', () => cloud.stored.readings.size === 6);
    const original = cloud.arrivals.readings.find((a) => a.seq === 5)!.bytes;
    const n = cloud.arrivals.readings.length;
    // "I have 1–3 and 6; send 4–5 again."
    await cloud.ack('readings', 3, [[4, 5]]);
    await waitFor('resent batches and the next', () => cloud.arrivals.readings.length >= n + 4);
    await sleep(200);
    const after = cloud.arrivals.readings.slice(n).map((a) => a.seq);
    expect(after.slice(0, 2)).toEqual([4, 5]); // the resends first…
    expect(after.slice(2)).toEqual([7, 8]); // …then the window moves on (8 is the last batch)
    expect(cloud.arrivals.readings.filter((a) => a.seq === 5).every((a) => a.bytes.equals(original))).toBe(true);
    expect(store.outbox.deliveredUpTo('readings')).toBe(30);
  });

  it('broker down, then up: the backlog drains oldest first at the capped rate', async () => {
    const broker = await startAedes();
    const dcu = uniqueId('dcu');
    const cloud = await FakeCloud.connect(broker.url, dcu);
    const store = openStore();
    seedReadings(store, 2, 5); // 2 batches
    const rate = 20;
    const uplink = startUplink(store, uplinkConfig(broker.url, { maxBatchesPerSecond: rate, maxInFlight: 8 }), dcu);
    await waitFor('first batches acknowledged', () => store.readings.undeliveredCount() === 0);

    await broker.down();
    await waitFor('the DCU sees the outage', () => !uplink.connected);
    seedReadings(store, 2, 150, Date.UTC(2025, 0, 3)); // 600 rows → 60 batches while offline
    uplink.notify();
    await sleep(300);
    const before = cloud.arrivals.readings.length;
    await broker.up();

    await waitFor('backlog drained', () => store.readings.undeliveredCount() === 0, 20_000);
    const drained = cloud.arrivals.readings.slice(before);
    const firsts = cloud.firstArrivals('readings').slice(2);
    expect(firsts).toEqual(Array.from({ length: 60 }, (_, i) => i + 3)); // oldest first
    const span = drained.at(-1)!.at - drained[0]!.at;
    expect(span).toBeGreaterThanOrEqual(((drained.length - 1) / rate) * 1000 * 0.9); // ≈ 3 s for 60 batches at 20/s
    // No second with more than the cap (+1 for the window edges).
    for (const a of drained) expect(drained.filter((b) => b.at >= a.at && b.at < a.at + 1000).length).toBeLessThanOrEqual(rate + 1);
  }, 30_000);
});
