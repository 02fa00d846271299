// The DCU side of bench/g3: the real runtime (dcu/runtime.ts) with one G3 network on the
// simulator's UART, a throw-away SQLite file, the reader profile of the simulated meters,
// every DCU time limit multiplied by the simulator's time scale (the PLC's latencies are
// scaled, so the DCU's timeouts must be too). The daily cycle is the DCU's own scheduled
// tasks fired by hand, together (Scheduler.fireTogether): each meter does 'daily-billing',
// then 'load-profile' (two sessions), so the next meter's work starts as soon as one ends.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { g3TimeLimits } from '../../g3-demo.js';
import { parseConfig } from '../../dcu/config.js';
import type { G3Network } from '../../dcu/links/g3/network.js';
import { DcuRuntime, type G3Link } from '../../dcu/runtime.js';
import type { RunSummary } from '../../dcu/tasks/run-task.js';
import { UartTap } from './g3-uart-tap.js';

export const LINK = 'plc-1';
export const PAN_ID = 0x4d31;
/** The simulated meters' reading client: SAP 17, LLS (as bench/rs485). */
const READER = { clientSap: 17, authentication: 'low', password: '12345678' } as const;

export interface DcuLimits {
  maxInFlight: { min: number; max: number; initial: number };
  maxSessions: number;
}

export interface BenchDcu {
  runtime: DcuRuntime;
  link: G3Link;
  network: G3Network;
  tap: UartTap;
  /** Waits until `count` meters of the network are in the directory and identification is done; returns how many are. */
  directory(count: number, timeoutMs: number): Promise<number>;
  /** The daily cycle on every meter in the directory: per meter the billing task, then the load-profile task. */
  cycle(): Promise<{ billing: RunSummary[]; profile: RunSummary[] }>;
  /** Wall ms each meter spent in its task runs (sessions), by serial. */
  sessionTime(): Map<string, number>;
  close(): Promise<void>;
}

export async function openBenchDcu(o: { path: string; timeScale: number; joinWindowMs: number; limits?: DcuLimits; hopsOf: (eui64: string) => number }): Promise<BenchDcu> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-g3-'));
  const config = parseConfig({
    dcuId: 'bench-g3',
    database: join(dir, 'dcu.db'),
    systemTitle: '4443550000000003',
    g3: [
      {
        name: LINK,
        path: o.path,
        panId: PAN_ID,
        profile: 'reader',
        ...g3TimeLimits(o.timeScale, o.joinWindowMs),
        ...(o.limits && { maxInFlight: o.limits.maxInFlight, maxSessions: o.limits.maxSessions }),
      },
    ],
    profiles: { reader: READER },
    backfillDays: 1,
    assumeClockSynchronised: true,
  });
  const runtime = await DcuRuntime.open(config, { log: pino({ level: 'error' }) });
  const link = runtime.g3.get(LINK)!;
  // Installed before any byte can come back from the modem (open has just sent ADP-INITIALIZE), so every join is seen.
  const tap = new UartTap(link.network.channel, o.hopsOf);
  const meters = () => runtime.store.meters.list({ link: LINK, status: 'active' });
  return {
    runtime,
    link,
    network: link.network,
    tap,
    directory: async (count, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (meters().length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      await link.directory.settled();
      return meters().length;
    },
    cycle: async () => {
      const [billing, profile] = await runtime.scheduler.fireTogether(['daily-billing', 'load-profile']);
      return { billing, profile };
    },
    sessionTime: () => {
      const out = new Map<string, number>();
      for (const m of meters()) {
        const runs = runtime.store.schedule.runs({ meter: m.id, limit: 1000 });
        out.set(m.serial, runs.reduce((sum, r) => sum + ((r.finishedAt ?? r.startedAt) - r.startedAt), 0));
      }
      return out;
    },
    close: async () => {
      await runtime.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
