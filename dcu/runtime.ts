// The DCU runtime: the store, one Bus per configured RS485 port, meter access, the
// scheduler and the local API, wired together. `open` brings it up; `close` takes it down
// gracefully (finishes the exchanges in flight, then closes ports and the database).
import pino, { type Logger } from 'pino';
import { type GatewayClock, SystemClock } from './clock/gateway-clock.js';
import type { DcuConfig } from './config.js';
import { commandInFlight, failInterruptedCommands, submitCommand } from './commands/index.js';
import { Uplink, loadIdentity } from './uplink/index.js';
import { discoverBus } from './discovery/rs485.js';
import { Bus } from './links/bus.js';
import { SerialChannel } from './links/channel.js';
import { type BusConfig, MeterAccess } from './meters/access.js';
import { DcuStore } from './store/index.js';
import { defaultSchedule } from './tasks/default-schedule.js';
import type { Target } from './tasks/run-task.js';
import { Scheduler } from './tasks/scheduler.js';

export interface RuntimeOptions {
  clock?: GatewayClock;
  log?: Logger;
}

export class DcuRuntime {
  readonly scheduler: Scheduler;
  readonly access: MeterAccess;
  private housekeeping: NodeJS.Timeout | null = null;
  uplink: Uplink | null = null;

  private constructor(
    readonly config: DcuConfig,
    readonly store: DcuStore,
    readonly buses: Map<string, { bus: Bus; config: BusConfig }>,
    readonly clock: GatewayClock,
    readonly log: Logger,
  ) {
    this.access = new MeterAccess(store, config);
    this.scheduler = new Scheduler({ store, access: this.access, clock, config, log, targets: () => this.targets(), discover: () => this.discover() });
  }

  static async open(config: DcuConfig, options: RuntimeOptions = {}): Promise<DcuRuntime> {
    const log = options.log ?? pino({ level: config.log.level, base: { dcu: config.dcuId } });
    const store = DcuStore.open(config.database);
    const buses = new Map<string, { bus: Bus; config: BusConfig }>();
    // A missing or unusable identity stops the start before any port is opened.
    if (config.uplink) loadIdentity(config.uplink);
    try {
      if (store.schedule.list().length === 0) for (const task of defaultSchedule(config)) store.schedule.put(task);
      const interrupted = failInterruptedCommands(store);
      if (interrupted.length > 0) log.warn({ commands: interrupted.map((c) => c.id) }, 'commands interrupted by the last stop were marked failed');
      for (const b of config.buses) {
        const channel = await SerialChannel.open({ path: b.path, baudRate: b.baud, parity: b.parity });
        buses.set(b.name, { bus: new Bus(b.name, channel), config: b });
      }
    } catch (e) {
      for (const { bus } of buses.values()) await bus.channel.close();
      store.close();
      throw e;
    }
    log.info({ buses: [...buses.keys()], database: config.database }, 'DCU runtime open');
    return new DcuRuntime(config, store, buses, options.clock ?? new SystemClock(config.assumeClockSynchronised), log);
  }

  /** Active meters with their bus. */
  targets(): Target[] {
    const out: Target[] = [];
    for (const meter of this.store.meters.list()) {
      if (meter.status !== 'active' || !meter.link) continue;
      const b = this.buses.get(meter.link);
      if (b) out.push({ bus: b.bus, busConfig: b.config, meter });
    }
    return out;
  }

  /** Where a meter is, for commands addressed by serial number. */
  resolveMeter(serial: string): Target | null {
    const meter = this.store.meters.bySerial(serial);
    const b = meter?.link ? this.buses.get(meter.link) : undefined;
    return meter && b ? { bus: b.bus, busConfig: b.config, meter } : null;
  }

  /** Scans every bus (in parallel) for meters. */
  async discover(): Promise<unknown[]> {
    return Promise.all(
      [...this.buses.values()].map(({ bus, config }) =>
        discoverBus({ bus, busConfig: config, access: this.access, store: this.store, log: this.log }),
      ),
    );
  }

  start(): void {
    this.scheduler.start();
    if (this.config.uplink) {
      this.uplink = Uplink.start({
        store: this.store,
        config: this.config.uplink,
        dcuId: this.config.dcuId,
        execute: (request) =>
          submitCommand(request, {
            store: this.store,
            access: this.access,
            clock: this.clock,
            timeSync: this.config.timeSync,
            resolveMeter: (s) => this.resolveMeter(s),
            log: this.log.child({ component: 'commands' }),
            onScheduleChanged: () => void this.scheduler.reload(),
            ...(this.config.uplink?.sealing && {
              sealing: { dcuId: this.config.dcuId, secretKey: Buffer.from(this.config.uplink.sealing.secretKey, 'hex'), cloudPublicKey: Buffer.from(this.config.uplink.sealing.cloudPublicKey, 'hex') },
            }),
          }),
        log: this.log.child({ component: 'uplink' }),
      });
    }
    // A gateway that knows no meter yet (first start after installation) looks for them now.
    if (this.store.meters.list().length === 0 && this.buses.size > 0) void this.scheduler.fire('discovery');
    this.housekeeping = setInterval(() => this.enforceRetention(), 3_600_000);
    this.housekeeping.unref();
  }

  /** Drops data by age and quota (FIFO); an event records what went, and how much of it was undelivered. */
  enforceRetention(): void {
    const r = this.config.retention;
    const day = 86_400_000;
    try {
      this.store.enforceRetention({
        readings: { maxAgeMs: r.readingsDays * day },
        events: { maxAgeMs: r.eventsDays * day },
        taskRuns: { maxAgeMs: r.taskRunsDays * day },
        maxDatabaseBytes: r.maxDatabaseMB * 1024 * 1024,
      });
    } catch (e) {
      this.log.error({ error: (e as Error).message }, 'retention failed');
    }
  }

  async close(): Promise<void> {
    if (this.housekeeping) clearInterval(this.housekeeping);
    await this.scheduler.stop();
    // Commands already sent to a meter finish their exchange and record their outcome.
    const running = this.store.commands.list({ status: 'running', limit: 1000 }).map((c) => commandInFlight(this.store, c.id));
    await Promise.allSettled(running);
    await this.uplink?.stop();
    for (const { bus } of this.buses.values()) await bus.exclusive(() => bus.channel.close(), 100);
    this.store.flush();
    this.store.close();
    this.log.info('DCU runtime closed');
  }
}
