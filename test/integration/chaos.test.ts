// Issue 5 acceptance, chaos: while readings flow from a DCU through Mosquitto into the cloud,
// the DCU process, the broker and the cloud process are each killed with SIGKILL at random
// (seeded) moments and restarted. Afterwards nothing is lost and nothing duplicated — the
// cloud's count and checksum equal the DCU buffer's — and the DCU's outbox is empty.
//
// The DCU (chaos/dcu-uplink.ts) and the cloud (chaos/cloud.ts) run in their own processes;
// Mosquitto runs with persistence (startMosquitto). The DCU starts with a pre-filled backlog
// (40 %) and collects the rest over the flow window, as a collector would, catching up after
// each of its restarts; its uplink is throttled to about 1.3 times the average rate, so a
// backlog is in flight most of the time something dies.
//
// Scale by environment: CHAOS_READINGS (default 100,000), CHAOS_KILLS (kills of each of the
// three, default 3), CHAOS_SECONDS (flow window, default max(60, 10 s per kill)), CHAOS_SEED
// (default 1). The acceptance's full scale: CHAOS_READINGS=1000000 CHAOS_KILLS=10.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { dcuSummary, INTERVALS_PER_HOUR, readingsPerInterval } from '../../bench/lib/load-profile.js';
import { SqliteCloudStore } from '../../cloud/store/index.js';
import { DcuStore } from '../../dcu/store/index.js';
import { seededRandom } from '../../simulators/meter/transport/faults.js';
import { startMosquitto, type TestBroker } from '../helpers/mosquitto.js';

const envInt = (name: string, fallback: number): number => {
  const v = process.env[name];
  const n = v === undefined || v === '' ? fallback : Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got ${v}`);
  return n;
};

const READINGS = envInt('CHAOS_READINGS', 100_000);
const KILLS = envInt('CHAOS_KILLS', 3);
const SEED = envInt('CHAOS_SEED', 1);
const WINDOW_S = envInt('CHAOS_SECONDS', Math.max(60, 10 * 3 * KILLS));
const METERS = 500;
const PER_HOUR = readingsPerInterval(METERS) * INTERVALS_PER_HOUR;
const INTERVALS = Math.max(2, Math.round(READINGS / PER_HOUR)) * INTERVALS_PER_HOUR;
const TOTAL = INTERVALS * readingsPerInterval(METERS);
const BACKLOG_INTERVALS = Math.floor((INTERVALS * 0.4) / INTERVALS_PER_HOUR) * INTERVALS_PER_HOUR;
const BATCH = 500;
/** About 1.3 times the average rate readings must flow at, in batches/s: a backlog stays in flight most of the time. */
const RATE = Math.max(2, Math.ceil((1.3 * TOTAL) / WINDOW_S / BATCH));
const DCU_ID = 'dcu-chaos';
const here = new URL('./chaos/', import.meta.url).pathname;

type Target = 'dcu' | 'broker' | 'cloud';
interface Kill {
  at: number;
  target: Target;
  downMs: number;
}

function schedule(): Kill[] {
  const random = seededRandom(SEED); // seeded, so a failing schedule can be run again
  const kills: Kill[] = [];
  for (const target of ['dcu', 'broker', 'cloud'] as const) {
    for (let i = 0; i < KILLS; i++) kills.push({ at: Math.round(WINDOW_S * 1000 * (0.05 + 0.9 * random())), target, downMs: Math.round(100 + 1900 * random()) });
  }
  return kills.sort((a, b) => a.at - b.at);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

interface Entry {
  child: ChildProcess;
  exited: Promise<void>;
  last: Record<string, number | string | boolean>;
  ready: Promise<void>;
}

/** Starts an entry script; JSON lines on its stdout update `last`, its stderr goes to the log file. */
function spawnEntry(script: string, env: Record<string, string>, logFile: string, onLine: (line: Record<string, number | string | boolean>) => void): Entry {
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, script)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', fd] });
  closeSync(fd);
  const entry = { child, last: {} } as Entry;
  entry.exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let readyNow: () => void = () => undefined;
  entry.ready = new Promise<void>((resolve) => (readyNow = resolve));
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const text = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        const line = JSON.parse(text) as Record<string, number | string | boolean>;
        entry.last = line;
        readyNow();
        onLine(line);
      } catch {
        // not a report
      }
    }
  });
  return entry;
}

async function kill(entry: Entry): Promise<void> {
  entry.child.kill('SIGKILL');
  await entry.exited;
}

async function stop(entry: Entry): Promise<void> {
  if (entry.child.exitCode !== null || entry.child.signalCode !== null) return;
  entry.child.kill('SIGTERM');
  await Promise.race([entry.exited, sleep(15_000).then(() => entry.child.kill('SIGKILL'))]);
  await entry.exited;
}

const dir = mkdtempSync(join(tmpdir(), 'chaos-'));
const entries = new Set<Entry>();
let broker: TestBroker | undefined;
let passed = false;
afterAll(async () => {
  for (const e of entries) await stop(e);
  await broker?.stop();
  if (passed && !process.env.CHAOS_KEEP) rmSync(dir, { recursive: true, force: true });
  else console.log(`chaos: files kept in ${dir} (dcu.log, cloud.log, dcu.db, cloud.db)`);
});

it(
  `chaos: ${READINGS.toLocaleString('en-US')} readings, the DCU, the broker and the cloud each killed ${KILLS}× — nothing lost, nothing duplicated, outbox empty`,
  async () => {
    const kills = schedule();
    const dcuFile = join(dir, 'dcu.db');
    const cloudFile = join(dir, 'cloud.db');
    const uplink = { batchSize: BATCH, maxInFlight: 8, maxBatchesPerSecond: RATE, ackTimeoutS: 2, pollMs: 100, reconnectMinMs: 100, reconnectMaxMs: 2000, connectTimeoutMs: 5000, keepaliveS: 5 };
    console.log(
      `chaos: ${TOTAL.toLocaleString('en-US')} readings (${METERS} meters × 2 registers × ${INTERVALS} intervals, ${BACKLOG_INTERVALS} of them pre-filled), ` +
        `flow window ${WINDOW_S} s, uplink ${BATCH} readings/batch ≤ ${RATE} batches/s, seed ${SEED}`,
    );
    console.log(`chaos: kill schedule: ${kills.map((k) => `${s(k.at)} ${k.target} (down ${k.downMs} ms)`).join(', ')}`);

    broker = await startMosquitto(null, { tls: false });
    const started = Date.now();
    const cloudCounters = { inserted: 0, duplicates: 0, acked: 0 };
    let cloudBase = { inserted: 0, duplicates: 0, acked: 0 };
    const startCloudProcess = (): Entry => {
      cloudBase = { ...cloudCounters };
      const e = spawnEntry('cloud.ts', { CHAOS_BROKER_URL: broker!.url, CHAOS_CLOUD_DB: cloudFile }, join(dir, 'cloud.log'), (line) => {
        for (const k of ['inserted', 'duplicates', 'acked'] as const) cloudCounters[k] = cloudBase[k] + Number(line[k] ?? 0);
      });
      entries.add(e);
      return e;
    };
    const startDcuProcess = (): Entry => {
      const e = spawnEntry(
        'dcu-uplink.ts',
        {
          CHAOS_DCU_DB: dcuFile,
          CHAOS_BROKER_URL: broker!.url,
          CHAOS_DCU_ID: DCU_ID,
          CHAOS_METERS: String(METERS),
          CHAOS_INTERVALS: String(INTERVALS),
          CHAOS_BACKLOG_INTERVALS: String(BACKLOG_INTERVALS),
          CHAOS_START: String(started),
          CHAOS_LIVE_MS: String(WINDOW_S * 1000),
          CHAOS_UPLINK: JSON.stringify(uplink),
        },
        join(dir, 'dcu.log'),
        () => undefined,
      );
      entries.add(e);
      return e;
    };
    let cloud = startCloudProcess();
    await cloud.ready;
    let dcu = startDcuProcess();

    const progress = setInterval(() => {
      const d = dcu.last;
      console.log(
        `chaos ${s(Date.now() - started).padStart(7)}: DCU buffer ${Number(d.readings ?? 0).toLocaleString('en-US')}/${TOTAL.toLocaleString('en-US')}, ` +
          `undelivered ${Number(d.undelivered ?? 0).toLocaleString('en-US')}, batches acked ${d.acked ?? '?'}/${d.lastSeq ?? '?'}; ` +
          `cloud inserted ${cloudCounters.inserted.toLocaleString('en-US')} (${cloudCounters.duplicates} duplicate batches)`,
      );
    }, 5000);
    try {
      for (const k of kills) {
        const wait = started + k.at - Date.now();
        if (wait > 0) await sleep(wait);
        const d = dcu.last;
        console.log(`chaos ${s(Date.now() - started).padStart(7)}: kill -9 ${k.target} (DCU undelivered ${d.undelivered ?? '?'}, cloud inserted ${cloudCounters.inserted}), back in ${k.downMs} ms`);
        if (k.target === 'dcu') {
          await kill(dcu);
          entries.delete(dcu);
          await sleep(k.downMs);
          dcu = startDcuProcess();
        } else if (k.target === 'cloud') {
          await kill(cloud);
          entries.delete(cloud);
          await sleep(k.downMs);
          cloud = startCloudProcess();
        } else {
          broker.kill();
          await sleep(k.downMs);
          await broker.restart();
        }
      }
      // Everything collected and acknowledged; then both stop cleanly.
      const deadline = Date.now() + Math.max(120_000, WINDOW_S * 1000);
      for (;;) {
        const d = dcu.last;
        if (d.pid === dcu.child.pid && d.readings === TOTAL && d.undelivered === 0) break;
        if (Date.now() > deadline) throw new Error(`not drained: ${JSON.stringify(d)}; logs in ${dir}`);
        await sleep(250);
      }
      console.log(`chaos ${s(Date.now() - started).padStart(7)}: drained`);
    } finally {
      clearInterval(progress);
    }
    await stop(dcu);
    await stop(cloud);

    const dcuStore = DcuStore.open(dcuFile);
    let mine: { count: number; checksum: string };
    let undelivered: number;
    let lastSeq: number;
    try {
      mine = dcuSummary(dcuStore, DCU_ID);
      undelivered = dcuStore.readings.undeliveredCount();
      lastSeq = dcuStore.batches.position('readings').lastSeq;
    } finally {
      dcuStore.close();
    }
    const cloudStore = await SqliteCloudStore.open(cloudFile);
    let theirs: { count: number; checksum: string };
    let sequence: Awaited<ReturnType<SqliteCloudStore['sequence']>>;
    try {
      theirs = await cloudStore.summarizeReadings({ dcu: DCU_ID });
      sequence = await cloudStore.sequence(DCU_ID, 'readings');
    } finally {
      await cloudStore.close();
    }
    const log = (name: string): string => readFileSync(join(dir, name), 'utf8');
    const resent = (log('dcu.log').match(/sending the unacknowledged batches again/g) ?? []).length;
    console.log(
      `chaos: done in ${s(Date.now() - started)}: ${kills.length} kills; DCU ${mine.count.toLocaleString('en-US')} readings checksum ${mine.checksum}, ` +
        `undelivered ${undelivered}, ${lastSeq} batches; cloud ${theirs.count.toLocaleString('en-US')} readings checksum ${theirs.checksum}, ` +
        `upTo ${sequence.upTo}, ${cloudCounters.duplicates} duplicate batches ignored, ${resent} ack timeouts on the DCU`,
    );
    expect(mine.count).toBe(TOTAL);
    expect(undelivered).toBe(0);
    expect(theirs).toEqual(mine);
    expect(sequence).toEqual({ stream: 'readings', upTo: lastSeq, missing: [] });
    passed = true;
  },
  (WINDOW_S + 240) * 1000,
);
