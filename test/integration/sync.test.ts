// Issue 5 end to end: simulated meters → DCU (pty bus) → MQTT → cloud store. The cloud ends
// up with exactly the DCU's readings (count and checksum equal on both sides) and the outbox
// empties — with the embedded broker, and with a real Mosquitto behind mutual TLS, the DCU
// using an identity the cloud provisioned. A signed command then travels the other way.
// And the lost-database case: a DCU's database is deleted and a fresh one (a new epoch, batch
// numbers and event ids from 1 again) sends under the same DCU id; the cloud keeps both.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandSigner, commandMessage } from '../../cloud/commands/issue.js';
import { loadOrCreateCloudKeys } from '../../cloud/provisioning/cloud-keys.js';
import { issueClientCertificate } from '../../cloud/provisioning/certificates.js';
import { provisionDcu, writeBundle } from '../../cloud/provisioning/dcu-identity.js';
import { ReadingsChecksum } from '../../cloud/store/checksum.js';
import { type Cloud, startCloud } from '../../cloud/service.js';
import { ManualClock } from '../../dcu/clock/gateway-clock.js';
import { parseConfig } from '../../dcu/config.js';
import { DcuRuntime } from '../../dcu/runtime.js';
import { type PtyBus, openPtyBus } from '../../simulators/feeder/pty-bus.js';
import { startMosquitto, type TestBroker } from '../helpers/mosquitto.js';
import mqtt from 'mqtt';

const silent = pino({ level: 'silent' });
let dir: string;
let feeder: PtyBus;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sync-e2e-'));
  feeder = await openPtyBus({ count: 4, baud: 115200, firstAddress: 17 });
}, 30_000);
afterAll(async () => {
  await feeder?.close();
  rmSync(dir, { recursive: true, force: true });
});

function dcuConfig(name: string, uplink: Record<string, unknown>) {
  return parseConfig({
    dcuId: name,
    database: join(dir, `${name}.db`),
    systemTitle: '4443550000000099',
    buses: [{ name: 'rs485-1', path: feeder.path, baud: 115200, profile: 'reader', controlProfile: 'management', discovery: { from: 16, to: 22, timeoutMs: 150 } }],
    profiles: {
      reader: { clientSap: 17, authentication: 'low', password: '12345678' },
      management: { clientSap: 1, authentication: 'high-gmac', blockCipherKey: '000102030405060708090a0b0c0d0e0f', authenticationKey: 'd0d1d2d3d4d5d6d7d8d9dadbdcdddedf' },
    },
    backfillDays: 1,
    assumeClockSynchronised: true,
    uplink: { pollMs: 100, maxBatchesPerSecond: 200, batchSize: 200, ackTimeoutS: 5, reconnectMinMs: 100, ...uplink },
  });
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Count and checksum of the DCU's buffer, computed as the cloud computes its own. */
function dcuSummary(runtime: DcuRuntime): { count: number; checksum: string } {
  const serials = new Map(runtime.store.meters.list().map((m) => [m.id, m.serial]));
  const sum = new ReadingsChecksum();
  for (const r of runtime.store.readings.range({ from: 0, to: Number.MAX_SAFE_INTEGER })) {
    sum.add(runtime.config.dcuId, { meter: serials.get(r.meter)!, obis: r.obis, attribute: r.attribute, ts: r.ts, value: r.value, unit: r.unit, scaler: r.scaler });
  }
  return sum.summary();
}

/** The DCU's readings as the cloud keys them (natural key → the checksummed reading). */
function dcuReadings(runtime: DcuRuntime): Map<string, Parameters<ReadingsChecksum['add']>[1]> {
  const serials = new Map(runtime.store.meters.list().map((m) => [m.id, m.serial]));
  const out = new Map<string, Parameters<ReadingsChecksum['add']>[1]>();
  for (const r of runtime.store.readings.range({ from: 0, to: Number.MAX_SAFE_INTEGER })) {
    const meter = serials.get(r.meter)!;
    out.set(`${meter}|${r.obis}|${r.attribute}|${r.ts}`, { meter, obis: r.obis, attribute: r.attribute, ts: r.ts, value: r.value, unit: r.unit, scaler: r.scaler });
  }
  return out;
}

async function collect(runtime: DcuRuntime): Promise<void> {
  await runtime.discover();
  for (const task of ['load-profile', 'registers', 'event-log']) await runtime.scheduler.fire(task);
  runtime.start();
  await until('the outbox to empty', () => runtime.store.readings.undeliveredCount() === 0 && runtime.store.events.after(runtime.store.outbox.deliveredUpTo('events'), 1).length === 0);
}

async function collectAndSync(runtime: DcuRuntime, cloud: Cloud): Promise<void> {
  await collect(runtime);
  const mine = dcuSummary(runtime);
  expect(mine.count).toBeGreaterThan(4 * 90);
  const theirs = await cloud.store.summarizeReadings({ dcu: runtime.config.dcuId });
  expect(theirs).toEqual(mine);
}

describe('DCU → cloud', () => {
  it('with the embedded broker: the cloud store holds exactly the DCU readings', async () => {
    const cloud = await startCloud({ store: { sqliteFile: join(dir, 'cloud-a.db') }, log: silent });
    const runtime = await DcuRuntime.open(dcuConfig('dcu-a', { url: cloud.mqttUrl, development: true }), { log: silent, clock: new ManualClock(Date.now()) });
    try {
      await collectAndSync(runtime, cloud);
    } finally {
      await runtime.close();
      await cloud.close();
    }
  }, 180_000);

  it('a DCU whose database is deleted starts again from batch 1 in a new epoch: the cloud keeps every reading and event of both', async () => {
    const keys = await loadOrCreateCloudKeys(join(dir, 'keys-c'));
    const cloud = await startCloud({ store: { sqliteFile: join(dir, 'cloud-c.db') }, signing: keys.signing, log: silent });
    const trustedKeys = { [keys.signing.keyId]: Buffer.from(keys.signing.publicKey).toString('hex') };
    const config = dcuConfig('dcu-c', { url: cloud.mqttUrl, development: true, trustedKeys });
    try {
      const first = await DcuRuntime.open(config, { log: silent });
      await collect(first);
      const epochA = first.store.batches.epoch;
      const readingsA = dcuReadings(first);
      const eventsA = first.store.events.after(0, 100_000);
      const seqA = first.store.batches.position('readings').lastSeq;
      await first.close();
      for (const suffix of ['', '-wal', '-shm']) rmSync(config.database + suffix, { force: true }); // the SD card is replaced
      expect(existsSync(config.database)).toBe(false);

      const second = await DcuRuntime.open(config, { log: silent });
      const epochB = second.store.batches.epoch;
      expect(epochB).not.toBe(epochA);
      await collect(second);
      const readingsB = dcuReadings(second);
      const eventsB = second.store.events.after(0, 100_000);
      // the new database repeats batch numbers and event ids the cloud has stored already
      expect(second.store.batches.position('readings').lastSeq).toBeGreaterThanOrEqual(1);
      expect(seqA).toBeGreaterThanOrEqual(1);
      expect(eventsB.map((e) => e.id).some((id) => eventsA.some((e) => e.id === id))).toBe(true);
      const onlyInB = [...readingsB.keys()].filter((k) => !readingsA.has(k));
      expect(onlyInB.length).toBeGreaterThan(0); // registers read again at a later time

      // Every reading of both databases is in the cloud (a reading read again is the same reading).
      const union = new ReadingsChecksum();
      for (const r of new Map([...readingsB, ...readingsA]).values()) union.add('dcu-c', r); // the first stored wins
      expect(await cloud.store.summarizeReadings({ dcu: 'dcu-c' })).toEqual(union.summary());
      // Every event of both, each under its own epoch.
      const stored = await cloud.store.events('dcu-c');
      const ofEpoch = (epoch: string) => stored.filter((e) => e.epoch === epoch).map((e) => [e.id, e.kind, e.ts]);
      expect(ofEpoch(epochA)).toEqual(eventsA.map((e) => [e.id, e.kind, e.ts]));
      expect(ofEpoch(epochB)).toEqual(eventsB.map((e) => [e.id, e.kind, e.ts]));
      expect(stored).toHaveLength(eventsA.length + eventsB.length);
      expect(await cloud.store.dcu('dcu-c')).toMatchObject({ epoch: epochB });
      expect((await cloud.store.epochs('dcu-c')).map((e) => e.epoch)).toEqual([epochA, epochB]);
      await second.close();
    } finally {
      await cloud.close();
    }
  }, 240_000);

  it('with Mosquitto and mutual TLS from a provisioned identity; a signed command comes back down', async () => {
    const keys = await loadOrCreateCloudKeys(join(dir, 'keys'));
    const broker: TestBroker = await startMosquitto(keys.ca);
    const cloudIdentity = await issueClientCertificate(keys.ca, 'cloud');
    const bundle = await provisionDcu(keys, 'dcu-b', broker.url);
    writeBundle(bundle, join(dir, 'dcu-b'));
    const cloud = await startCloud({ mqttUrl: broker.url, store: { sqliteFile: join(dir, 'cloud-b.db') }, signing: keys.signing, log: silent, ingest: { mqtt: { ca: keys.ca.cert, cert: cloudIdentity.cert, key: cloudIdentity.key } } });
    const runtime = await DcuRuntime.open(
      dcuConfig('dcu-b', { url: broker.url, tls: { ca: join(dir, 'dcu-b', 'ca.pem'), cert: join(dir, 'dcu-b', 'dcu.pem'), key: join(dir, 'dcu-b', 'dcu.key') }, trustedKeys: bundle.cloud.signingKeys }),
      { log: silent },
    );
    try {
      await collectAndSync(runtime, cloud);
      // A relay command signed by the cloud, published by a cloud client, executed by the DCU.
      const signer = new CommandSigner(keys);
      const signed = signer.sign({ dcu: 'dcu-b', command: 'relay', params: { meter: feeder.meters[0].serial, action: 'disconnect' } }, 1, Date.now());
      const client = await mqtt.connectAsync(broker.url, { ca: keys.ca.cert, cert: cloudIdentity.cert, key: cloudIdentity.key, protocolVersion: 5 });
      const { topic, payload } = commandMessage(signed);
      await client.publishAsync(topic, Buffer.from(payload), { qos: 1 });
      await until('the command result in the cloud', async () => (await cloud.store.result('dcu-b', signed.body.id)) !== null);
      expect(await cloud.store.result('dcu-b', signed.body.id)).toMatchObject({ status: 'done' });
      expect(feeder.meters[0].meter.state.relay).toMatchObject({ controlState: 0 }); // disconnected
      await client.endAsync();
    } finally {
      await runtime.close();
      await cloud.close();
      await broker.stop();
    }
  }, 180_000);
});
