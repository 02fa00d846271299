// The ingest when things go wrong: the ack waits for the commit, a failing store gets no ack
// and does not stop the consumer, a broker that is away at start or restarts is waited for.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../cloud/broker.js';
import { startIngest, type Ingest } from '../../../cloud/ingest/ingest.js';
import { SqliteCloudStore, type CloudStore } from '../../../cloud/store/index.js';
import { dcuId, profileReadings, readingsBatch } from '../helpers.js';
import { FakeDcu, eventually, memoryLogger } from './fake-dcu.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(wrap: (store: CloudStore) => CloudStore = (s) => s) {
  const dir = mkdtempSync(join(tmpdir(), 'cloud-ingest-'));
  const store = await SqliteCloudStore.open(join(dir, 'cloud.db'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => store.close());
  const broker = await startEmbeddedBroker();
  cleanups.push(() => broker.close());
  const logs = memoryLogger();
  const ingest = await startIngest({ url: broker.url, store: wrap(store), log: logs.log });
  cleanups.push(() => ingest.close());
  const dcu = await FakeDcu.connect(broker.url, dcuId());
  cleanups.push(() => dcu.close());
  return { store, broker, ingest, dcu, logs };
}

describe('ingest failures', () => {
  it('acknowledges only after the transaction committed', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let committed = false;
    const { dcu } = await setup((store) =>
      Object.assign(Object.create(store) as CloudStore, {
        storeBatch: async (...args: Parameters<CloudStore['storeBatch']>) => {
          await gate;
          const outcome = await store.storeBatch(...args);
          committed = true;
          return outcome;
        },
      }),
    );
    await dcu.send(readingsBatch(dcu.id, 1, profileReadings(3)));
    await new Promise((r) => setTimeout(r, 200));
    expect(dcu.acks).toHaveLength(0);
    release();
    await dcu.waitForAcks(1);
    expect(committed).toBe(true);
  });

  it('a failing store gets no ack, is logged, and the next message is handled', async () => {
    let fail = true;
    const { dcu, ingest, logs, store } = await setup((s) =>
      Object.assign(Object.create(s) as CloudStore, {
        storeBatch: async (...args: Parameters<CloudStore['storeBatch']>) => {
          if (fail) throw new Error('connection terminated unexpectedly');
          return s.storeBatch(...args);
        },
      }),
    );
    await dcu.send(readingsBatch(dcu.id, 1, profileReadings(3)));
    await eventually(() => ingest.stats.failed === 1, 5000, 'the failure');
    expect(logs.records.find((r) => r.level === 50)).toMatchObject({ topic: `dcu/${dcu.id}/up/readings`, err: 'connection terminated unexpectedly' });
    fail = false;
    await dcu.send(readingsBatch(dcu.id, 1, profileReadings(3))); // the DCU sends it again: no ack came
    expect(await dcu.waitForAcks(1)).toEqual([{ v: 2, kind: 'ack', dcu: dcu.id, epoch: '', stream: 'readings', upTo: 1 }]);
    expect(await store.countReadings()).toBe(3);
  });

  it('waits for a broker that is not there yet, and comes back after a broker restart', async () => {
    const placeholder = await startEmbeddedBroker();
    const port = placeholder.port;
    await placeholder.close(); // now nothing listens on `port`
    const dir = mkdtempSync(join(tmpdir(), 'cloud-ingest-'));
    const store = await SqliteCloudStore.open(join(dir, 'cloud.db'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => store.close());

    await expect(startIngest({ url: `mqtt://127.0.0.1:${port}`, store, waitForBroker: false, log: pino({ level: 'silent' }) })).rejects.toThrow(
      new RegExp(`cannot connect to the MQTT broker at mqtt://127.0.0.1:${port}`),
    );
    const starting = startIngest({ url: `mqtt://127.0.0.1:${port}`, store, log: pino({ level: 'silent' }) });
    await new Promise((r) => setTimeout(r, 300));
    let broker: EmbeddedBroker = await startEmbeddedBroker({ port });
    const ingest: Ingest = await starting;
    cleanups.push(() => ingest.close());

    const id = dcuId();
    let dcu = await FakeDcu.connect(broker.url, id);
    await dcu.send(readingsBatch(id, 1, profileReadings(2)));
    await dcu.waitForAcks(1);
    await dcu.close();

    await broker.close(); // the broker goes away and comes back (empty: aedes keeps sessions in memory)
    broker = await startEmbeddedBroker({ port });
    cleanups.push(() => broker.close());
    dcu = await FakeDcu.connect(broker.url, id);
    cleanups.push(() => dcu.close());
    // the ingest reconnects and subscribes again; until then the DCU's batch has no subscriber, so it sends again
    await eventually(
      async () => {
        await dcu.send(readingsBatch(id, 2, profileReadings(2, { from: 0 })));
        await new Promise((r) => setTimeout(r, 100));
        return dcu.acks.length > 0;
      },
      15_000,
      'an ack after the restart',
    );
    expect(dcu.acks.at(-1)).toMatchObject({ upTo: 2 });
    expect(await store.countReadings()).toBe(4);
  });
});
