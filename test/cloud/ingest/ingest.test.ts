// The cloud ingest against a real MQTT broker, with a fake DCU publishing encoded batches
// through the real `mqtt` client: exactly the rows stored, replays and gaps answered with
// the right ack, bad messages logged and dropped without an ack and without harm.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startIngest, type Ingest } from '../../../cloud/ingest/ingest.js';
import { SqliteCloudStore } from '../../../cloud/store/index.js';
import { encodeMessage } from '../../../shared/sync/codec.js';
import { Topics, type AckMessage } from '../../../shared/sync/messages.js';
import { T0, dcuId, eventsBatch, mixedReadings, profileReadings, readingsBatch, sampleEvents, sortReadings, withoutStoreFields } from '../helpers.js';
import { BROKERS, type TestBroker } from './brokers.js';
import { FakeDcu, eventually, memoryLogger } from './fake-dcu.js';

const ack = (stream: 'readings' | 'events', dcu: string, upTo: number, resend?: [number, number][]): AckMessage => ({
  v: 2, kind: 'ack', dcu, epoch: '', stream, upTo, ...(resend ? { resend } : {}),
});

describe.each(BROKERS)('ingest on $name', (kind) => {
  let broker: TestBroker;
  let dir: string;
  let store: SqliteCloudStore;
  let ingest: Ingest;
  let logs: ReturnType<typeof memoryLogger>;
  const dcus: FakeDcu[] = [];

  let missing: unknown; // a broker that cannot start fails every test (counted as failed, not skipped)

  beforeAll(async () => {
    broker = await kind.start().catch((error: unknown) => ((missing = error), undefined as never));
  });
  afterAll(() => broker?.close());
  beforeEach(async () => {
    if (missing) throw missing;
    dir = mkdtempSync(join(tmpdir(), 'cloud-ingest-'));
    store = await SqliteCloudStore.open(join(dir, 'cloud.db'));
    logs = memoryLogger();
    ingest = await startIngest({ url: broker.url, store, log: logs.log });
  });
  afterEach(async () => {
    for (const d of dcus.splice(0)) await d.close();
    await ingest?.close();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function dcu(id = dcuId()): Promise<FakeDcu> {
    const d = await FakeDcu.connect(broker.url, id, kind.protocolVersion);
    dcus.push(d);
    return d;
  }

  it(`speaks MQTT ${kind.protocolVersion} and subscribes to ${kind.protocolVersion === 5 ? 'the shared' : 'the plain'} uplink filter`, () => {
    expect(ingest.protocolVersion).toBe(kind.protocolVersion);
    expect(ingest.subscription).toBe(kind.protocolVersion === 5 ? Topics.sharedUplink : Topics.allUplink);
  });

  it('stores exactly the batches a DCU publishes and acknowledges each', async () => {
    const d = await dcu();
    const batches = [1, 2, 3].map((seq) => readingsBatch(d.id, seq, profileReadings(96, { from: T0 + seq * 86_400_000 })));
    batches[1]!.readings.push(...mixedReadings());
    for (const b of batches) await d.send(b);
    await d.send(eventsBatch(d.id, 1, sampleEvents(1, 4)));
    expect(await d.waitForAcks(4)).toEqual([ack('readings', d.id, 1), ack('readings', d.id, 2), ack('readings', d.id, 3), ack('events', d.id, 1)]);
    expect(await store.countReadings({ dcu: d.id })).toBe(3 * 96 + 8);
    const sent = batches.flatMap((b) => b.readings);
    expect(withoutStoreFields(await store.readings({ dcu: d.id }))).toEqual(sortReadings(sent));
    expect((await store.events(d.id)).map((e) => e.id)).toEqual([1, 2, 3, 4]);
    expect(ingest.stats).toMatchObject({ received: 4, acked: 4, inserted: 3 * 96 + 8 + 4, dropped: 0, failed: 0 });
  });

  it('a replayed batch stores nothing new and gets the same ack', async () => {
    const d = await dcu();
    const batch = readingsBatch(d.id, 1, profileReadings(50));
    await d.send(batch);
    await d.send(batch);
    expect(await d.waitForAcks(2)).toEqual([ack('readings', d.id, 1), ack('readings', d.id, 1)]);
    expect(await store.countReadings({ dcu: d.id })).toBe(50);
    expect(ingest.stats).toMatchObject({ acked: 2, duplicates: 1, inserted: 50 });
  });

  it('a gap is answered with a resend request, and closed when the batch arrives', async () => {
    const d = await dcu();
    const batch = (seq: number) => readingsBatch(d.id, seq, profileReadings(10, { from: T0 + seq * 10 * 900_000 }));
    await d.send(batch(1));
    await d.send(batch(3));
    expect(await d.waitForAcks(2)).toEqual([ack('readings', d.id, 1), ack('readings', d.id, 1, [[2, 2]])]);
    await d.send(batch(2));
    expect((await d.waitForAcks(3))[2]).toEqual(ack('readings', d.id, 3));
    expect(await store.countReadings({ dcu: d.id })).toBe(30);
  });

  it('malformed payloads are logged with their topic and dropped: no ack, no crash', async () => {
    const d = await dcu();
    const garbage: [string, Uint8Array][] = [
      [Topics.readings(d.id), new Uint8Array([0xde, 0xad, 0xbe, 0xef])],
      [Topics.readings(d.id), new Uint8Array(0)],
      [Topics.events(d.id), new TextEncoder().encode('{"kind":"events"}')],
      [Topics.status(d.id), new Uint8Array([0x9f, 0xff, 0xff])],
      // a downlink message on an uplink topic
      [Topics.readings(d.id), encodeMessage(ack('readings', d.id, 5))],
      // truncated batch
      [Topics.readings(d.id), encodeMessage(readingsBatch(d.id, 1, profileReadings(20))).subarray(0, 40)],
      [`dcu/${d.id}/up/unknown`, encodeMessage(readingsBatch(d.id, 1, profileReadings(1)))],
    ];
    for (const [topic, payload] of garbage) await d.publish(topic, payload);
    await d.send(readingsBatch(d.id, 1, profileReadings(5)));
    expect(await d.waitForAcks(1)).toEqual([ack('readings', d.id, 1)]);
    await new Promise((r) => setTimeout(r, 100));
    expect(d.acks).toHaveLength(1);
    expect(ingest.stats).toMatchObject({ received: garbage.length + 1, dropped: garbage.length, acked: 1, failed: 0 });
    expect(await store.countReadings({ dcu: d.id })).toBe(5);
    const dropped = logs.records.filter((r) => r.msg === 'uplink message dropped');
    expect(dropped).toHaveLength(garbage.length);
    expect(dropped[0]).toMatchObject({ level: 40, topic: Topics.readings(d.id), reason: 'malformed', err: expect.stringMatching(/sync/) });
    expect(dropped.at(-1)).toMatchObject({ topic: `dcu/${d.id}/up/unknown`, reason: 'not-ours' });
  });

  it("refuses a payload whose DCU is not the topic's, or whose kind is not the topic's", async () => {
    const [a, b] = [await dcu(), await dcu()];
    await a.send(readingsBatch(b.id, 1, profileReadings(5)), Topics.readings(a.id)); // A speaks for B
    await a.send(eventsBatch(a.id, 1, sampleEvents(1, 2)), Topics.readings(a.id)); // events on the readings topic
    await a.send(readingsBatch(a.id, 1, profileReadings(3)));
    expect(await a.waitForAcks(1)).toEqual([ack('readings', a.id, 1)]);
    await new Promise((r) => setTimeout(r, 100));
    expect(a.acks).toHaveLength(1);
    expect(b.acks).toHaveLength(0);
    expect(await store.countReadings({ dcu: b.id })).toBe(0);
    expect(await store.countEvents(a.id)).toBe(0);
    expect(await store.dcu(b.id)).toBeNull();
    const refused = logs.records.filter((r) => r.reason === 'mismatch');
    expect(refused.map((r) => r.err)).toEqual([expect.stringContaining(b.id), expect.stringContaining('events message on the readings topic')]);
  });

  it('a reading the store cannot take is kept aside and logged; its batch is acknowledged and the stream goes on', async () => {
    const d = await dcu();
    await d.send(readingsBatch(d.id, 1, [{ ...profileReadings(1)[0]!, meter: 'BAD\u0000SERIAL' }, ...profileReadings(2).slice(1)]));
    expect(await d.waitForAcks(1)).toEqual([ack('readings', d.id, 1)]);
    await d.send(readingsBatch(d.id, 2, profileReadings(1)));
    expect(await d.waitForAcks(2)).toEqual([ack('readings', d.id, 1), ack('readings', d.id, 2)]);
    expect(await store.countReadings({ dcu: d.id })).toBe(2);
    expect(await store.rejectedItems(d.id)).toEqual([expect.objectContaining({ seq: 1, index: 0, reason: expect.stringContaining('NUL') })]);
    expect(logs.records.find((r) => r.rejected === 1)).toMatchObject({ topic: Topics.readings(d.id), dcu: d.id, level: 40 });
  });

  it('records status and command results', async () => {
    const d = await dcu();
    await d.send({ v: 1, kind: 'status', dcu: d.id, epoch: '', state: 'online', at: T0, backlog: { readings: 2 }, software: 'dcu 0.1.0' });
    await d.send({ v: 1, kind: 'result', dcu: d.id, id: 'cmd-7', status: 'done', at: T0 + 5, outcome: { outputState: false } });
    await eventually(() => ingest.stats.recorded === 2, 10_000, 'status and result recorded');
    expect(await store.dcu(d.id)).toMatchObject({ status: 'online', statusAt: T0, lastStatus: { backlog: { readings: 2 }, software: 'dcu 0.1.0' } });
    expect(await store.result(d.id, 'cmd-7')).toMatchObject({ status: 'done', at: T0 + 5, outcome: { outputState: false } });
    expect(d.acks).toHaveLength(0);
  });
});
