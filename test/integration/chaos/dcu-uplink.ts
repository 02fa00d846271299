// The DCU side of the chaos test, as its own process (`node --import tsx dcu-uplink.ts`): opens
// the DCU store file, fills the backlog on its first start, starts the uplink to the broker and
// keeps inserting new readings as a collector would — on a clock shared with the test, so after
// a kill -9 it collects what it missed (the meters keep their load profile). Every 500 ms it
// reports on stdout, one JSON line: what the buffer holds and what the cloud has acknowledged.
// SIGTERM stops it cleanly.
//
// Environment: CHAOS_DCU_DB, CHAOS_BROKER_URL, CHAOS_DCU_ID, CHAOS_METERS, CHAOS_INTERVALS (all,
// a multiple of 4), CHAOS_BACKLOG_INTERVALS (pre-filled), CHAOS_START (UTC ms: collection starts),
// CHAOS_LIVE_MS (the rest is collected evenly over this), CHAOS_UPLINK (JSON: uplink settings).
// The uplink's log (pino, JSON) goes to stderr.
import pino from 'pino';
import { INTERVALS_PER_HOUR, INTERVAL_MS, T0, addMeters, fillBuffer, profileRows, readingsPerInterval } from '../../../bench/lib/load-profile.js';
import { UplinkConfigSchema } from '../../../dcu/config.js';
import { DcuStore } from '../../../dcu/store/index.js';
import { Uplink } from '../../../dcu/uplink/index.js';

function env(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') throw new Error(`dcu-uplink: ${name} is not set`);
  return v;
}
const num = (name: string): number => Number(env(name));

const file = env('CHAOS_DCU_DB');
const dcuId = env('CHAOS_DCU_ID');
const meters = num('CHAOS_METERS');
const intervals = num('CHAOS_INTERVALS');
const backlog = num('CHAOS_BACKLOG_INTERVALS');
const start = num('CHAOS_START');
const liveMs = num('CHAOS_LIVE_MS');
const log = pino({ level: process.env.CHAOS_LOG_LEVEL ?? 'info', base: { part: 'dcu', pid: process.pid } }, pino.destination(2));
const HOURS_PER_TICK = 8;

const store = DcuStore.open(file);
const meterIds = addMeters(store, meters);
const maxTs = store.db.prepare('SELECT max(ts) FROM readings').pluck();

/** The next interval to collect: each insert is whole hours of every meter in one transaction. */
function nextInterval(): number {
  const max = maxTs.get() as number | null;
  if (max === null) return 0;
  return (Math.floor((max - T0) / INTERVAL_MS / INTERVALS_PER_HOUR) + 1) * INTERVALS_PER_HOUR;
}

let next = nextInterval();
if (next < backlog) {
  log.info({ from: next, to: backlog }, 'filling the backlog');
  fillBuffer(store, meterIds, next, backlog, undefined, 40_000);
  next = backlog;
}
log.info({ next, readings: store.readings.count() }, 'collector resumes');

const uplink = Uplink.start({
  store,
  config: UplinkConfigSchema.parse({ url: env('CHAOS_BROKER_URL'), development: true, ...(JSON.parse(process.env.CHAOS_UPLINK ?? '{}') as object) }),
  dcuId,
  execute: () => {
    throw new Error('no commands in the chaos test');
  },
  log,
});

const live = intervals - backlog;
function collect(): void {
  const due = Math.min(1, Math.max(0, (Date.now() - start) / liveMs));
  const target = Math.min(intervals, backlog + Math.floor((live * due) / INTERVALS_PER_HOUR) * INTERVALS_PER_HOUR);
  let hours = 0;
  while (next < target && hours++ < HOURS_PER_TICK) {
    store.insertReadings(profileRows(meterIds, next, next + INTERVALS_PER_HOUR));
    next += INTERVALS_PER_HOUR;
  }
  if (hours > 0) uplink.notify();
}

function report(): void {
  const status = uplink.status().streams.readings;
  const line = {
    t: 'progress',
    pid: process.pid,
    readings: store.readings.count(),
    expected: intervals * readingsPerInterval(meters),
    undelivered: store.readings.undeliveredCount(),
    lastSeq: status.lastSeq,
    acked: status.acked,
    connected: uplink.connected,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const collector = setInterval(collect, 100);
const reporter = setInterval(report, 500);
report();

process.once('SIGTERM', () => {
  clearInterval(collector);
  clearInterval(reporter);
  uplink
    .stop()
    .catch(() => undefined)
    .finally(() => {
      report();
      store.close();
      process.exit(0);
    });
});
