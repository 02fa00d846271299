// Regression (found by the chaos test): after a broker restart that lost the ingest's session,
// the `mqtt` client resubscribed on its own and the ingest's own resubscribe then got an empty
// SUBACK list from the client (nothing left to send), took it for a refusal of the shared
// subscription and added the plain `dcu/+/up/#` — from then on every batch arrived twice (and
// with several cloud instances, every instance got every batch: no more load sharing).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIngest } from '../../../cloud/ingest/ingest.js';
import { SqliteCloudStore } from '../../../cloud/store/index.js';
import { Topics } from '../../../shared/sync/messages.js';
import { startMosquitto, type TestBroker } from '../../helpers/mosquitto.js';
import { QUARTER, T0, dcuId, profileReadings, readingsBatch } from '../helpers.js';
import { FakeDcu, eventually, memoryLogger } from './fake-dcu.js';

describe('ingest after a broker restart that lost its session (Mosquitto, MQTT 5)', () => {
  let broker: TestBroker;
  let missing: unknown; // fails the test (counted as failed, not skipped)
  const dir = mkdtempSync(join(tmpdir(), 'cloud-resubscribe-'));
  beforeAll(async () => {
    broker = await startMosquitto(null, { tls: false }).catch((error: unknown) => ((missing = error), undefined as never));
  });
  afterAll(async () => {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const persistent of [false, true]) {
    it(`${persistent ? 'persistent' : 'clean'} session: subscribes again to the shared subscription only, and gets each batch once`, async () => {
      if (missing) throw missing;
      const store = await SqliteCloudStore.open(join(dir, `cloud-${persistent}.db`));
      const logs = memoryLogger();
      const ingest = await startIngest({ url: broker.url, store, log: logs.log, ...(persistent && { clientId: `cloud-${dcuId('ingest')}` }) });
      let dcu = await FakeDcu.connect(broker.url, dcuId(), 5);
      try {
        expect(ingest.subscription).toBe(Topics.sharedUplink);
        await dcu.send(readingsBatch(dcu.id, 1, profileReadings(2)));
        await dcu.waitForAcks(1);

        broker.kill(); // SIGKILL: Mosquitto saves nothing, so every session is gone after the restart
        await new Promise((r) => setTimeout(r, 200));
        await broker.restart();
        await dcu.close();
        dcu = await FakeDcu.connect(broker.url, dcu.id, 5);
        // Until the ingest is back and subscribed, a batch has no subscriber: send it again until acked.
        await eventually(
          async () => {
            await dcu.send(readingsBatch(dcu.id, 2, profileReadings(2, { from: T0 + 2 * QUARTER })));
            await new Promise((r) => setTimeout(r, 200));
            return dcu.acks.some((a) => a.upTo === 2);
          },
          15_000,
          'an ack after the restart',
        );
        await new Promise((r) => setTimeout(r, 300)); // copies of the retries
        const before = { ...ingest.stats };

        await dcu.send(readingsBatch(dcu.id, 3, profileReadings(2, { from: T0 + 4 * QUARTER })));
        await eventually(() => dcu.acks.some((a) => a.upTo === 3), 5000, 'the ack of batch 3');
        await new Promise((r) => setTimeout(r, 300)); // a second copy would arrive in this time
        expect(ingest.stats.received - before.received).toBe(1);
        expect(ingest.stats.duplicates - before.duplicates).toBe(0);
        expect(ingest.subscription).toBe(Topics.sharedUplink);
        expect(logs.records.filter((r) => (r.level as number) >= 40 && /subscri/.test(String(r.msg)))).toEqual([]);
        expect(await store.countReadings()).toBe(6);
      } finally {
        await dcu.close();
        await ingest.close();
        await store.close();
      }
    }, 30_000);
  }
});
