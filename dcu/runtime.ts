// The DCU runtime: the store, one Bus per configured RS485 port and one G3 network per
// configured PLC modem, meter access, the scheduler and the local API, wired together. `open` brings it up; `close` takes it down
// gracefully (finishes the exchanges in flight, then closes ports and the database).
import pino, { type Logger } from 'pino';
import { type GatewayClock, SystemClock } from './clock/gateway-clock.js';
import type { DcuConfig } from './config.js';
import { commandInFlight, failInterruptedCommands, submitCommand } from './commands/index.js';
import { Uplink, loadIdentity } from './uplink/index.js';
import { G3Directory } from './discovery/g3.js';
import { discoverBus } from './discovery/rs485.js';
import { Bus } from './links/bus.js';
import { SerialChannel } from './links/channel.js';
import { G3Network } from './links/g3/network.js';
import { type BusConfig, type G3NetworkConfig, MeterAccess } from './meters/access.js';
import { DcuStore } from './store/index.js';
import { defaultSchedule } from './tasks/default-schedule.js';
import type { Target } from './tasks/run-task.js';
import { Scheduler } from './tasks/scheduler.js';

export interface RuntimeOptions {
  clock?: GatewayClock;
  log?: Logger;
}

export interface G3Link {
  network: G3Network;
  config: G3NetworkConfig;
  directory: G3Directory;
}

export class DcuRuntime {
  readonly scheduler: Scheduler;
  readonly access: MeterAccess;
  /** G3-PLC networks by name. */
  readonly g3 = new Map<string, G3Link>();
  private housekeeping: NodeJS.Timeout | null = null;
  uplink: Uplink | null = null;

  private constructor(
    readonly config: DcuConfig,
    readonly store: DcuStore,
    readonly buses: Map<string, { bus: Bus; config: BusConfig }>,
    readonly clock: GatewayClock,
    readonly log: Logger,
    networks: { network: G3Network; config: G3NetworkConfig }[] = [],
  ) {
    this.access = new MeterAccess(store, config);
    for (const { network, config: c } of networks) {
      const directory = new G3Directory({ network, config: c, access: this.access, store, log: log.child({ component: 'g3', link: c.name }) });
      this.g3.set(c.name, { network, config: c, directory });
    }
    this.scheduler = new Scheduler({ store, access: this.access, clock, config, log, targets: () => this.targets(), discover: () => this.discover() });
  }

  static async open(config: DcuConfig, options: RuntimeOptions = {}): Promise<DcuRuntime> {
    const log = options.log ?? pino({ level: config.log.level, base: { dcu: config.dcuId } });
    const store = DcuStore.open(config.database);
    const buses = new Map<string, { bus: Bus; config: BusConfig }>();
    const networks: { network: G3Network; config: G3NetworkConfig }[] = [];
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
      for (const g of config.g3) {
        const channel = await SerialChannel.open({ path: g.path, baudRate: g.baud });
        networks.push({ network: new G3Network(channel, g3Options(g, log)), config: g });
      }
    } catch (e) {
      for (const { bus } of buses.values()) await bus.channel.close();
      for (const { network } of networks) await network.close();
      store.close();
      throw e;
    }
    log.info({ buses: [...buses.keys()], g3: networks.map((n) => n.config.name), database: config.database }, 'DCU runtime open');
    const runtime = new DcuRuntime(config, store, buses, options.clock ?? new SystemClock(config.assumeClockSynchronised), log, networks);
    runtime.startNetworks();
    return runtime;
  }

  /**
   * Hands each G3 network the meters the directory knows on it (so they are read at once,
   * without waiting for joins), then initialises its modem and starts the PAN; meters join
   * from then on. The start is not awaited: a modem that does not answer is retried in the
   * background while the rest of the DCU runs.
   */
  private startNetworks(): void {
    for (const { network, config, directory } of this.g3.values()) {
      const known = directory.restore();
      network.start().then(
        () => this.log.info({ link: config.name, known }, `G3 network ${config.name} up (PAN 0x${config.panId.toString(16)}), ${known} meter(s) known from the directory`),
        (e: Error) => this.log.warn({ link: config.name, error: e.message }, 'G3 network did not start'),
      );
    }
  }

  /** The link a directory entry names, with its configuration. */
  private linkOf(name: string | null): { bus: Bus | G3Network; config: BusConfig | G3NetworkConfig } | undefined {
    if (name === null) return undefined;
    const b = this.buses.get(name);
    if (b) return { bus: b.bus, config: b.config };
    const g = this.g3.get(name);
    return g && { bus: g.network, config: g.config };
  }

  /** Active meters with their bus or G3 network. */
  targets(): Target[] {
    const out: Target[] = [];
    for (const meter of this.store.meters.list()) {
      if (meter.status !== 'active' || !meter.link) continue;
      const l = this.linkOf(meter.link);
      if (l) out.push({ bus: l.bus, busConfig: l.config, meter });
    }
    return out;
  }

  /** Where a meter is, for commands addressed by serial number: its bus, or its G3 network. */
  resolveMeter(serial: string): Target | null {
    const meter = this.store.meters.bySerial(serial);
    const l = meter ? this.linkOf(meter.link) : undefined;
    return meter && l ? { bus: l.bus, busConfig: l.config, meter } : null;
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
    for (const { network, directory } of this.g3.values()) {
      directory.close();
      await network.close();
      await directory.settled(); // identifications cut short by the close end before the store closes
    }
    this.store.flush();
    this.store.close();
    this.log.info('DCU runtime closed');
  }
}

/** The network layer's options from the configuration. */
function g3Options(g: G3NetworkConfig, log: Logger): ConstructorParameters<typeof G3Network>[1] {
  return {
    name: g.name,
    band: g.band,
    panId: g.panId,
    responseTimeoutMs: g.responseTimeoutMs,
    hopTimeoutMs: g.hopTimeoutMs,
    maxHops: g.maxHops,
    inFlight: g.maxInFlight,
    maxSessions: g.maxSessions,
    backoffMs: g.backoffMs,
    joinWindowMs: g.joinWindowMs,
    confirmTimeoutMs: g.confirmTimeoutMs,
    dataConfirmTimeoutMs: g.dataConfirmTimeoutMs,
    discoveryTimeoutMs: Math.max(g.confirmTimeoutMs, 2 * g.maxHops * g.hopTimeoutMs + g.responseTimeoutMs),
    keepAliveMs: g.keepAliveMs,
    log: log.child({ component: 'g3-modem', link: g.name }),
  };
}
