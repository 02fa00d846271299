// The cloud side of the chaos test, as its own process (`node --import tsx cloud.ts`): the
// cloud service against the given broker and SQLite file, with a fixed ingest client id (a
// persistent session: the broker keeps QoS 1 batches while this process is away). Reports
// 'ready' once subscribed, then its ingest counters every 500 ms, as JSON lines on stdout.
// SIGTERM stops it cleanly. Its log (pino, JSON) goes to stderr.
//
// Environment: CHAOS_BROKER_URL, CHAOS_CLOUD_DB.
import pino from 'pino';
import { startCloud } from '../../../cloud/service.js';

function env(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') throw new Error(`cloud: ${name} is not set`);
  return v;
}

const log = pino({ level: process.env.CHAOS_LOG_LEVEL ?? 'info', base: { part: 'cloud', pid: process.pid } }, pino.destination(2));
const cloud = await startCloud({ mqttUrl: env('CHAOS_BROKER_URL'), store: { sqliteFile: env('CHAOS_CLOUD_DB') }, ingestClientId: 'chaos-cloud', log });
const report = (t: string): void => void process.stdout.write(`${JSON.stringify({ t, pid: process.pid, ...cloud.ingest.stats })}\n`);
report('ready');
const reporter = setInterval(() => report('progress'), 500);

process.once('SIGTERM', () => {
  clearInterval(reporter);
  cloud
    .close()
    .catch(() => undefined)
    .finally(() => process.exit(0));
});
