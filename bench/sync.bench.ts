// bench/sync: a backlog of 1,000,000 readings in a DCU's buffer (2,000 meters × 2 registers ×
// 250 15-min intervals, in collection order) drained through a real Mosquitto (plain, free
// port) into the cloud store (SQLite), by the DCU uplink (in this process) and the cloud
// (`cloud/main.ts`, its own process, as on a server) as they run in production. Measures
// readings/s end to end — from the uplink's start until its outbox is empty, i.e. the cloud
// has committed and acknowledged every reading — against the goal (≥ 50k/s), and the MQTT
// payload bytes on the readings topic per reading, resends included (goal ≤ 12), counted by a
// second subscriber. Both sides' count and checksum must be equal, or the benchmark fails.
//
// Settings (environment): SYNC_METERS (2000), SYNC_INTERVALS (250), SYNC_BATCH (uplink
// batchSize), SYNC_IN_FLIGHT (maxInFlight), SYNC_RATE (maxBatchesPerSecond).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { SqliteCloudStore } from '../cloud/store/index.js';
import { UplinkConfigSchema } from '../dcu/config.js';
import { DcuStore } from '../dcu/store/index.js';
import { Uplink } from '../dcu/uplink/index.js';
import { Topics } from '../shared/sync/messages.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { startCloudProcess } from './lib/cloud-process.js';
import { addMeters, dcuSummary, fillBuffer, readingsPerInterval } from './lib/load-profile.js';

const GOAL_READINGS_PER_S = 50_000;
const GOAL_BYTES_PER_READING = 12;
const DCU_ID = 'dcu-bench';

const int = (name: string, fallback: number): number => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${v}`);
  return n;
};
const METERS = int('SYNC_METERS', 2000);
const INTERVALS = int('SYNC_INTERVALS', 250);
const BATCH = int('SYNC_BATCH', 5000);
const IN_FLIGHT = int('SYNC_IN_FLIGHT', 8);
const RATE = int('SYNC_RATE', 1000);
const TOTAL = METERS * readingsPerInterval(1) * INTERVALS;

const fmt = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const dir = mkdtempSync(join(tmpdir(), 'bench-sync-'));
let failed = false;
const cleanups: (() => Promise<void> | void)[] = [];
try {
  // 1. The backlog.
  console.log(`DCU buffer: ${fmt(METERS)} meters × 2 registers × ${INTERVALS} 15-min intervals = ${fmt(TOTAL)} readings, collection order (hour by hour, meter by meter)`);
  const dcuFile = join(dir, 'dcu.db');
  const store = DcuStore.open(dcuFile);
  cleanups.push(() => store.close());
  const meterIds = addMeters(store, METERS);
  let t = performance.now();
  let shown = 0;
  const filled = fillBuffer(store, meterIds, 0, INTERVALS, (n) => {
    if (n - shown >= 200_000 || n === TOTAL) {
      shown = n;
      process.stdout.write(`  filled ${fmt(n).padStart(9)} (${fmt(n / ((performance.now() - t) / 1000))} rows/s)\n`);
    }
  });
  if (filled !== TOTAL) throw new Error(`the buffer took ${filled} rows, expected ${TOTAL}`);
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  console.log(`  ${fmt(filled)} readings in ${fmt((performance.now() - t) / 1000, 1)} s; buffer ${fmt(statSync(dcuFile).size / 1e6, 1)} MB`);

  // 2. Broker and cloud.
  const broker = await startMosquitto(null, { tls: false });
  cleanups.push(() => broker.stop());
  const cloudFile = join(dir, 'cloud.db');
  const cloud = await startCloudProcess(broker.url, cloudFile, join(dir, 'keys'));
  cleanups.push(() => cloud.stop());
  console.log(`Mosquitto at ${broker.url}; cloud/main.ts (pid ${cloud.pid}) consuming into SQLite`);

  // A second subscriber counts what goes over the readings topic.
  const wire = { messages: 0, bytes: 0 };
  const counter = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'bench-wire-counter' });
  cleanups.push(() => counter.endAsync(true));
  counter.on('message', (_topic, payload) => {
    wire.messages += 1;
    wire.bytes += payload.byteLength;
  });
  await counter.subscribeAsync(Topics.readings(DCU_ID), { qos: 1 });

  // 3. Drain.
  const config = UplinkConfigSchema.parse({ url: broker.url, development: true, batchSize: BATCH, maxInFlight: IN_FLIGHT, maxBatchesPerSecond: RATE, ackTimeoutS: 30, pollMs: 50 });
  console.log(`uplink: batchSize ${BATCH}, maxInFlight ${IN_FLIGHT}, maxBatchesPerSecond ${RATE}`);
  t = performance.now();
  const cpu0 = process.cpuUsage();
  const cloudCpu0 = cloud.cpuSeconds();
  const uplink = Uplink.start({
    store,
    config,
    dcuId: DCU_ID,
    execute: () => {
      throw new Error('no commands in this benchmark');
    },
  });
  cleanups.push(() => uplink.stop());
  let lastShown = t;
  const deadline = t + 600_000;
  for (;;) {
    // Rows are numbered 1…TOTAL in the buffer, so the delivered mark is the count the cloud acknowledged.
    const delivered = store.outbox.deliveredUpTo('readings');
    const now = performance.now();
    if (delivered >= TOTAL && store.readings.undeliveredCount() === 0) break;
    if (cloud.exited()) throw new Error('the cloud process exited');
    if (now > deadline) throw new Error(`not drained after 10 minutes: ${delivered} readings acknowledged`);
    if (now - lastShown >= 2000) {
      lastShown = now;
      console.log(`  ${fmt((now - t) / 1000, 1).padStart(5)} s: cloud has acknowledged ${fmt(delivered).padStart(9)} (${fmt(delivered / ((now - t) / 1000))} readings/s)`);
    }
    await sleep(5);
  }
  const seconds = (performance.now() - t) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cloudCpu = cloud.cpuSeconds() - cloudCpu0;
  await uplink.stop();
  await sleep(200); // the counting subscriber is a hair behind the cloud
  const readingsPerS = TOTAL / seconds;
  const bytesPerReading = wire.bytes / TOTAL;
  const batches = store.batches.position('readings').lastSeq;
  console.log(`drained ${fmt(TOTAL)} readings in ${fmt(seconds, 2)} s; CPU: DCU ${fmt((cpu.user + cpu.system) / 1e6, 1)} s, cloud ${fmt(cloudCpu, 1)} s`);
  console.log(`  ${fmt(batches)} readings batches, ${fmt(wire.messages)} on the wire (${fmt(wire.messages - batches)} resent), ${fmt(wire.bytes)} payload bytes`);
  console.log(`readings/s end to end   ${fmt(readingsPerS).padStart(10)}   goal ≥ ${fmt(GOAL_READINGS_PER_S)}   ratio ${fmt(readingsPerS / GOAL_READINGS_PER_S, 2)}×`);
  console.log(`bytes per reading       ${fmt(bytesPerReading, 2).padStart(10)}   goal ≤ ${GOAL_BYTES_PER_READING}       ratio ${fmt(GOAL_BYTES_PER_READING / bytesPerReading, 2)}× under`);

  // 4. Both sides agree (the cloud's file read after its process stopped cleanly).
  await cloud.stop();
  const mine = dcuSummary(store, DCU_ID);
  const cloudStore = await SqliteCloudStore.open(cloudFile);
  const theirs = await cloudStore.summarizeReadings({ dcu: DCU_ID });
  await cloudStore.close();
  const undelivered = store.readings.undeliveredCount();
  const equal = mine.count === TOTAL && mine.count === theirs.count && mine.checksum === theirs.checksum && undelivered === 0;
  console.log(`DCU   count ${fmt(mine.count)} checksum ${mine.checksum}, undelivered ${undelivered}`);
  console.log(`cloud count ${fmt(theirs.count)} checksum ${theirs.checksum}  ${equal ? 'equal' : 'NOT EQUAL'}`);
  if (!equal) failed = true;
  console.log(readingsPerS >= GOAL_READINGS_PER_S ? 'readings/s: goal met' : 'readings/s: BELOW GOAL');
  console.log(bytesPerReading <= GOAL_BYTES_PER_READING ? 'bytes per reading: goal met' : 'bytes per reading: ABOVE GOAL');
  console.log(`RESULT sync readings_per_s=${Math.round(readingsPerS)} bytes_per_reading=${bytesPerReading.toFixed(2)}`);
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch {
      // best effort
    }
  }
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
