// The ingest and epochs, on the embedded broker: acks name the epoch of the batch they answer
// and are signed with the cloud's signing key; a v1 batch from a DCU not yet upgraded is stored
// under the legacy epoch and answered with a v1 ack (what that DCU can read); a DCU that starts
// a new database is logged as such once and all its batches are stored.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startIngest, type Ingest } from '../../../cloud/ingest/ingest.js';
import { loadOrCreateCloudKeys, type CloudKeys } from '../../../cloud/provisioning/cloud-keys.js';
import { SqliteCloudStore } from '../../../cloud/store/index.js';
import { decodeCbor } from '../../../shared/sync/cbor.js';
import { encodeMessage } from '../../../shared/sync/codec.js';
import { Topics } from '../../../shared/sync/messages.js';
import { verifyAck } from '../../../shared/sync/signing.js';
import { dcuId, eventsBatch, newEpoch, profileReadings, readingsBatch, sampleEvents, T0 } from '../helpers.js';
import { EMBEDDED, type TestBroker } from './brokers.js';
import { FakeDcu, memoryLogger } from './fake-dcu.js';

describe('ingest: epochs and signed acks', () => {
  let dir: string;
  let broker: TestBroker;
  let store: SqliteCloudStore;
  let keys: CloudKeys;
  let logs: ReturnType<typeof memoryLogger>;
  let ingest: Ingest;
  const closers: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cloud-epochs-'));
    broker = await EMBEDDED.start();
    store = await SqliteCloudStore.open(join(dir, 'cloud.db'));
    keys = await loadOrCreateCloudKeys(join(dir, 'keys'));
    logs = memoryLogger();
    ingest = await startIngest({ url: broker.url, store, log: logs.log, signing: keys.signing });
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await ingest.close();
    await store.close();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function dcu(): Promise<FakeDcu> {
    const d = await FakeDcu.connect(broker.url, dcuId());
    closers.push(() => d.close());
    return d;
  }
  const trusted = () => new Map([[keys.signing.keyId, keys.signing.publicKey]]);

  it('acks name the batch epoch and verify with the cloud signing key', async () => {
    const d = await dcu();
    const epoch = newEpoch();
    await d.send(readingsBatch(d.id, 1, profileReadings(5), epoch));
    await d.send(eventsBatch(d.id, 1, sampleEvents(1, 2), epoch));
    const acks = await d.waitForAcks(2);
    expect(acks.map((a) => [a.v, a.epoch, a.stream, a.upTo])).toEqual([[2, epoch, 'readings', 1], [2, epoch, 'events', 1]]);
    for (const a of acks) expect(verifyAck(a, trusted())).toEqual({ ok: true });
    expect(acks[0]!.signature?.keyId).toBe(keys.signing.keyId);
  });

  it('a v1 batch is stored under the legacy epoch and answered with an unsigned v1 ack', async () => {
    const d = await dcu();
    await d.publish(Topics.readings(d.id), encodeMessage({ ...readingsBatch(d.id, 1, profileReadings(3)), v: 1 }));
    await d.waitForAcks(1);
    expect(decodeCbor(d.ackBytes[0]!)).toEqual([1, 5, d.id, 'readings', 1, null]); // the v1 layout, no epoch, no signature
    expect(await store.sequence(d.id, 'readings', '')).toEqual({ stream: 'readings', upTo: 1, missing: [] });
    expect(await store.countReadings({ dcu: d.id })).toBe(3);
  });

  it('a DCU with a new database: all its batches stored, acked in its epoch, one warning', async () => {
    const d = await dcu();
    const [a, b] = [newEpoch(), newEpoch()];
    await d.send(readingsBatch(d.id, 1, profileReadings(4), a));
    await d.send(readingsBatch(d.id, 2, profileReadings(4, { from: T0 + 3_600_000 }), a));
    await d.send(readingsBatch(d.id, 1, profileReadings(4, { from: T0 + 7_200_000 }), b));
    await d.send(readingsBatch(d.id, 2, profileReadings(4, { from: T0 + 10_800_000 }), b));
    const acks = await d.waitForAcks(4);
    expect(acks.map((x) => [x.epoch, x.upTo])).toEqual([[a, 1], [a, 2], [b, 1], [b, 2]]);
    expect(await store.countReadings({ dcu: d.id })).toBe(16);
    expect(ingest.stats).toMatchObject({ duplicates: 0, inserted: 16 });
    const warnings = logs.records.filter((r) => typeof r.msg === 'string' && r.msg.includes('started a new database'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40, dcu: d.id, epoch: b, previousEpoch: a });
    expect(warnings[0]!.msg).toBe(`DCU ${d.id} started a new database (epoch ${b}, before ${a}); its batches are numbered from 1 again`);
    expect(await store.dcu(d.id)).toMatchObject({ epoch: b });
  });
});
