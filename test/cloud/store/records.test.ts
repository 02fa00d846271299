// Both stores: DCU status, command results, counts and the order-independent checksum,
// and that everything survives reopening the database.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ReadingsChecksum } from '../../../cloud/store/index.js';
import type { ResultMessage, StatusMessage } from '../../../shared/sync/messages.js';
import { T0, dcuId, eventsBatch, mixedReadings, profileReadings, readingsBatch, sampleEvents, shuffled } from '../helpers.js';
import { STORES } from './harness.js';

const status = (dcu: string, state: 'online' | 'offline', at: number): StatusMessage => ({
  v: 2, kind: 'status', dcu, epoch: '', state, at, backlog: { readings: 3 }, software: 'dcu 0.1.0',
});

const result = (dcu: string, id: string, at: number, s: ResultMessage['status'] = 'done'): ResultMessage => ({
  v: 2, kind: 'result', dcu, id, status: s, at, outcome: { outputState: true, counter: 5n },
});

describe.each(STORES)('$name cloud store: records', (h) => {
  beforeAll(() => h.prepare());
  afterEach(() => h.cleanup());

  it('tracks DCUs: first/last seen, the newest status wins', async () => {
    const store = await h.open();
    const dcu = dcuId();
    await store.storeBatch(readingsBatch(dcu, 1, profileReadings(1)), T0);
    expect(await store.dcu(dcu)).toEqual({ id: dcu, firstSeen: T0, lastSeen: T0, status: null, statusAt: null, lastStatus: null, epoch: '', epochSince: T0 });
    await store.recordStatus(status(dcu, 'online', T0 + 10), T0 + 20);
    await store.recordStatus(status(dcu, 'offline', T0 + 5), T0 + 30); // an old retained message arriving late
    expect(await store.dcu(dcu)).toEqual({
      id: dcu, firstSeen: T0, lastSeen: T0 + 30, status: 'online', statusAt: T0 + 10, lastStatus: status(dcu, 'online', T0 + 10), epoch: '', epochSince: T0,
    });
    await store.recordStatus(status(dcu, 'offline', T0 + 40), T0 + 41);
    expect(await store.dcu(dcu)).toMatchObject({ status: 'offline', statusAt: T0 + 40, lastSeen: T0 + 41 });
    await store.storeBatch(readingsBatch(dcu, 2, profileReadings(1)), T0 + 1); // clocks of instances differ: last_seen never goes back
    expect(await store.dcu(dcu)).toMatchObject({ lastSeen: T0 + 41 });
    // a status from a DCU never seen before creates it
    const other = dcuId('z');
    await store.recordStatus(status(other, 'online', T0), T0 + 1);
    expect((await store.dcus()).map((d) => d.id).sort()).toEqual([dcu, other].sort());
    expect(await store.dcu('nobody')).toBeNull();
  });

  it('records command results, the newest by `at` wins', async () => {
    const store = await h.open();
    const dcu = dcuId();
    await store.recordResult(result(dcu, 'cmd-1', T0 + 100, 'failed'), T0 + 101);
    await store.recordResult(result(dcu, 'cmd-1', T0 + 50, 'refused'), T0 + 102);
    expect(await store.result(dcu, 'cmd-1')).toEqual({
      dcu, id: 'cmd-1', status: 'failed', at: T0 + 100, outcome: { outputState: true, counter: '5' }, receivedAt: T0 + 101,
    });
    await store.recordResult(result(dcu, 'cmd-1', T0 + 200, 'done'), T0 + 201);
    expect(await store.result(dcu, 'cmd-1')).toMatchObject({ status: 'done', at: T0 + 200 });
    expect(await store.result(dcu, 'cmd-2')).toBeNull();
    expect(await store.dcu(dcu)).toMatchObject({ firstSeen: T0 + 101 });
  });

  it('count and checksum equal those computed from what was sent, whatever the order', async () => {
    const store = await h.open();
    const [a, b] = [dcuId('a'), dcuId('b')];
    const sent: [string, ReturnType<typeof profileReadings>][] = [
      [a, profileReadings(300, { meter: 'M1' })],
      [a, [...mixedReadings('M2'), ...profileReadings(5, { meter: 'M2', from: T0 + 900_000 })]],
      [b, profileReadings(200, { meter: 'M1' })],
    ];
    for (const [i, [dcu, readings]] of sent.entries()) await store.storeBatch(readingsBatch(dcu, dcu === a ? i + 1 : 1, readings));
    await store.storeBatch(readingsBatch(a, 1, profileReadings(300, { meter: 'M1' }))); // a replay changes nothing
    const all = new ReadingsChecksum();
    const onlyA = new ReadingsChecksum();
    for (const [dcu, readings] of sent) {
      for (const r of shuffled(readings, 3)) {
        all.add(dcu, r);
        if (dcu === a) onlyA.add(dcu, r);
      }
    }
    expect(await store.summarizeReadings()).toEqual(all.summary());
    expect(await store.summarizeReadings({ dcu: a })).toEqual(onlyA.summary());
    expect(await store.summarizeReadings({ dcu: 'nobody' })).toEqual({ count: 0, checksum: '0000000000000000' });
    expect(all.count).toBe(513);
  });

  it('keeps everything across a reopen (a restarted cloud)', async () => {
    const first = await h.open();
    const dcu = dcuId();
    await first.storeBatch(readingsBatch(dcu, 1, profileReadings(10)));
    await first.storeBatch(readingsBatch(dcu, 3, profileReadings(10, { meter: 'M3' })));
    await first.storeBatch(eventsBatch(dcu, 1, sampleEvents(1, 2)));
    const before = await first.summarizeReadings();
    await first.close();
    const second = await h.open();
    expect(await second.sequence(dcu, 'readings')).toEqual({ stream: 'readings', upTo: 1, missing: [[2, 2]] });
    expect(await second.storeBatch(readingsBatch(dcu, 3, profileReadings(10, { meter: 'M3' })))).toMatchObject({ duplicate: true });
    expect(await second.storeBatch(readingsBatch(dcu, 2, profileReadings(1, { meter: 'M2' })))).toMatchObject({ upTo: 3, missing: [] });
    expect(await second.countEvents(dcu)).toBe(2);
    expect((await second.summarizeReadings()).count).toBe(before.count + 1);
  });
});
