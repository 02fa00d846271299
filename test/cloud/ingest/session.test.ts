// A fixed client id gives the ingest a persistent session: what DCUs publish while the cloud
// is away is kept by the broker (QoS 1) and handled when it is back — fewer resends after a
// cloud restart. (The DCU's outbox stays the truth either way.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIngest } from '../../../cloud/ingest/ingest.js';
import { SqliteCloudStore } from '../../../cloud/store/index.js';
import { dcuId, profileReadings, readingsBatch } from '../helpers.js';
import { MOSQUITTO, type TestBroker } from './brokers.js';
import { FakeDcu } from './fake-dcu.js';

describe('ingest with a persistent session on Mosquitto', () => {
  let broker: TestBroker;
  let missing: unknown; // fails the test (counted as failed, not skipped)
  const dir = mkdtempSync(join(tmpdir(), 'cloud-session-'));
  beforeAll(async () => {
    broker = await MOSQUITTO.start().catch((error: unknown) => ((missing = error), undefined as never));
  });
  afterAll(async () => {
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gets the batches published while it was stopped', async () => {
    if (missing) throw missing;
    const store = await SqliteCloudStore.open(join(dir, 'cloud.db'));
    const log = pino({ level: 'silent' });
    const clientId = `cloud-${dcuId('ingest')}`;
    const first = await startIngest({ url: broker.url, store, clientId, log });
    const dcu = await FakeDcu.connect(broker.url, dcuId(), 5);
    try {
      await dcu.send(readingsBatch(dcu.id, 1, profileReadings(3)));
      await dcu.waitForAcks(1);
      await first.close();
      await dcu.send(readingsBatch(dcu.id, 2, profileReadings(3, { from: 0 })));
      await dcu.send(readingsBatch(dcu.id, 3, profileReadings(3, { from: 1 })));
      await new Promise((r) => setTimeout(r, 200));
      expect(dcu.acks).toHaveLength(1);
      const second = await startIngest({ url: broker.url, store, clientId, log });
      try {
        expect((await dcu.waitForAcks(3)).map((a) => a.upTo)).toEqual([1, 2, 3]);
        expect(await store.countReadings()).toBe(9);
      } finally {
        await second.close();
      }
    } finally {
      await dcu.close();
      await store.close();
    }
  });
});
