// The scale path: two cloud instances on one store. On Mosquitto (MQTT 5) they share the
// subscription `$share/cloud/dcu/+/up/#` and split the load; without shared subscriptions
// (the embedded broker, MQTT 3.1.1) each gets every message. Either way every reading is
// stored exactly once, even with every batch delivered twice.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startIngest, type Ingest } from '../../../cloud/ingest/ingest.js';
import { Topics } from '../../../shared/sync/messages.js';
import { ReadingsChecksum } from '../../../cloud/store/index.js';
import { T0, dcuId, profileReadings, readingsBatch, shuffled } from '../helpers.js';
import { STORES } from '../store/harness.js';
import { EMBEDDED, MOSQUITTO, type BrokerKind, type TestBroker } from './brokers.js';
import { FakeDcu, eventually } from './fake-dcu.js';
import pino from 'pino';

const DCUS = 4;
const BATCHES = 25;
const PER_BATCH = 20;

describe.each(STORES)('two ingest instances on one $name store', (storeKind) => {
  describe.each([MOSQUITTO, EMBEDDED] as BrokerKind[])('on $name', (brokerKind) => {
    let broker: TestBroker;
    const running: Ingest[] = [];
    const fakes: FakeDcu[] = [];

    let missing: unknown; // fails each test (counted as failed, not skipped)

    beforeAll(async () => {
      await storeKind.prepare();
      broker = await brokerKind.start().catch((error: unknown) => ((missing = error), undefined as never));
    });
    afterAll(() => broker?.close());
    afterEach(async () => {
      for (const f of fakes.splice(0)) await f.close();
      for (const i of running.splice(0)) await i.close();
      await storeKind.cleanup();
    });

    it(brokerKind.protocolVersion === 5 ? 'split the load and store exactly once' : 'both get everything and store exactly once', async () => {
      if (missing) throw missing;
      const log = pino({ level: 'silent' });
      for (let i = 0; i < 2; i++) running.push(await startIngest({ url: broker.url, store: await storeKind.open(), log }));
      const expected = brokerKind.protocolVersion === 5 ? Topics.sharedUplink : Topics.allUplink;
      expect(running.map((i) => i.subscription)).toEqual([expected, expected]);

      const sent = new ReadingsChecksum();
      for (let n = 0; n < DCUS; n++) fakes.push(await FakeDcu.connect(broker.url, dcuId(`dcu${n}`), brokerKind.protocolVersion));
      await Promise.all(
        fakes.map(async (dcu, n) => {
          const batches = Array.from({ length: BATCHES }, (_, i) =>
            readingsBatch(dcu.id, i + 1, profileReadings(PER_BATCH, { meter: `M${n}`, from: T0 + i * PER_BATCH * 900_000 })),
          );
          for (const b of batches) b.readings.forEach((r) => sent.add(dcu.id, r));
          // at-least-once: every batch twice, out of order
          for (const b of shuffled([...batches, ...batches], n + 1)) await dcu.send(b);
        }),
      );
      const store = await storeKind.open();
      await eventually(
        async () => (await Promise.all(fakes.map((f) => store.sequence(f.id, 'readings')))).every((s) => s.upTo === BATCHES),
        20_000,
        'every DCU acknowledged up to the last batch',
      );
      const published = DCUS * BATCHES * 2;
      await eventually(() => running.reduce((n, i) => n + i.stats.received, 0) >= (brokerKind.protocolVersion === 5 ? published : 2 * published), 10_000, 'all deliveries handled');
      const [one, two] = running.map((i) => i.stats);
      if (brokerKind.protocolVersion === 5) {
        expect(one!.received + two!.received).toBe(published);
        expect(one!.received).toBeGreaterThan(0);
        expect(two!.received).toBeGreaterThan(0);
      } else {
        expect([one!.received, two!.received]).toEqual([published, published]);
      }
      expect(one!.inserted + two!.inserted).toBe(DCUS * BATCHES * PER_BATCH);
      expect(await store.summarizeReadings()).toEqual(sent.summary());
      for (const f of fakes) {
        expect(await store.sequence(f.id, 'readings')).toEqual({ stream: 'readings', upTo: BATCHES, missing: [] });
        await eventually(() => f.acks.some((a) => a.upTo === BATCHES), 5000, `${f.id} sees the final ack`);
      }
    });
  });
});
