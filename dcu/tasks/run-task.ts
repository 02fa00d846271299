// Runs one task on one meter: takes the meter's bus at the task's priority, opens a session,
// does the work, records the run and the meter's communication statistics, and always
// closes the session — a failure is recorded with its cause, never thrown past here.
import { LinkTimeout } from '../../shared/errors.js';
import { Obis, parseObis } from '../../shared/dlms/obis.js';
import type { GatewayClock } from '../clock/gateway-clock.js';
import type { DcuConfig } from '../config.js';
import type { MeterLink } from '../links/bus.js';
import type { LinkConfig, MeterAccess } from '../meters/access.js';
import type { DcuStore, MeterRecord, RunOutcome, TaskRecord } from '../store/index.js';
import { DEFAULT_REGISTERS, collectProfile, collectRegisters, recollect } from './collect.js';
import { syncMeterClock } from './clock-sync.js';
import { MeterLayout } from './meter-layout.js';

export interface TaskContext {
  store: DcuStore;
  access: MeterAccess;
  clock: GatewayClock;
  config: DcuConfig;
  log: { info(o: object, msg?: string): void; warn(o: object, msg?: string): void };
}

/** A meter and the link it is on (an RS485 Bus or a G3 network) with the link's configuration. */
export interface Target {
  bus: MeterLink;
  busConfig: LinkConfig;
  meter: MeterRecord;
}

export interface RunSummary {
  meter: string;
  outcome: RunOutcome;
  rows: number;
  error?: string;
}

export async function runTaskOnMeter(ctx: TaskContext, task: TaskRecord, target: Target, attempt = 0): Promise<RunSummary> {
  const summary = await target.bus.exclusive(() => runOnce(ctx, task, target), task.priority);
  if (summary.outcome !== 'ok' && attempt < task.retries) return runTaskOnMeter(ctx, task, target, attempt + 1);
  return summary;
}

async function runOnce(ctx: TaskContext, task: TaskRecord, { bus, busConfig, meter }: Target): Promise<RunSummary> {
  const { store } = ctx;
  const run = store.schedule.startRun(task.id, meter.id);
  const session = task.type === 'clock-sync' ? ctx.access.controlSessionFor(bus, busConfig, meter) : ctx.access.sessionFor(bus, busConfig, meter);
  const before = counters(bus, session.options.transport);
  const layout = MeterLayout.load(store, meter.id, ctx.clock.now(), ctx.config.layoutCacheDays);
  let rows = 0;
  try {
    await session.connect();
    const job = { session, store, meter, now: ctx.clock.now(), backfillDays: ctx.config.backfillDays, scalers: layout.scalers, layout };
    switch (task.type) {
      case 'load-profile':
        rows = (await collectProfile(job, profileOf(task, Obis.loadProfile))).rows;
        break;
      case 'billing':
        rows = (await collectProfile(job, profileOf(task, Obis.dailyBilling))).rows;
        break;
      case 'events':
        rows = (await collectProfile(job, profileOf(task, Obis.standardEventLog))).rows;
        break;
      case 'registers':
        rows = (await collectRegisters(job, registersOf(task))).rows;
        break;
      case 'recollect': {
        const days = (task.items as { days?: number } | null)?.days ?? ctx.config.recollectDays;
        rows = (await recollect(job, Obis.loadProfile, { days, column: Obis.activeEnergyImport, periodMs: 15 * 60_000 })).rows;
        break;
      }
      case 'clock-sync':
        await syncMeterClock({ session, clock: ctx.clock, thresholds: ctx.config.timeSync, meter, store });
        break;
      default:
        throw new Error(`task type "${task.type}" cannot run on a single meter`);
    }
    layout.save(store);
    store.meters.recordExchange(meter.id, { ok: true, ...traffic(bus, session.options.transport, before) });
    store.schedule.finishRun(run, { outcome: 'ok', rows });
    return { meter: meter.serial, outcome: 'ok', rows };
  } catch (e) {
    const error = (e as Error).message;
    const outcome: RunOutcome = e instanceof LinkTimeout ? 'timeout' : rows > 0 ? 'partial' : 'failed';
    store.meters.recordExchange(meter.id, { ok: false, error, ...traffic(bus, session.options.transport, before) });
    store.schedule.finishRun(run, { outcome, error, rows });
    ctx.log.warn({ task: task.name, meter: meter.serial, error }, 'task failed on meter');
    return { meter: meter.serial, outcome, rows, error };
  } finally {
    await session.close();
    ctx.access.saveReceived();
  }
}

/** The bytes of this meter: the link's counters where it is the only one talking, else its transport's own. */
function counters(bus: MeterLink, transport: object): { out: number; in: number } {
  const c = bus.concurrency === 1 || !('counters' in transport) ? bus.channel.counters : (transport as { counters: { written: number; received: number } }).counters;
  return { out: c.written, in: c.received };
}

function traffic(bus: MeterLink, transport: object, before: { out: number; in: number }) {
  const now = counters(bus, transport);
  return { bytesOut: now.out - before.out, bytesIn: now.in - before.in };
}

function profileOf(task: TaskRecord, fallback: Obis): Obis {
  const items = task.items as { profile?: string } | null;
  return items?.profile ? parseObis(items.profile) : fallback;
}

function registersOf(task: TaskRecord): { obis: Obis; classId?: number }[] {
  const items = task.items as { registers?: string[] } | null;
  return items?.registers ? items.registers.map((r) => ({ obis: parseObis(r) })) : DEFAULT_REGISTERS;
}
