// One measured daily cycle of bench/g3: a simulated PAN in its own process, the real DCU
// runtime on its UART, the meters joined and identified first (not part of the cycle),
// then the cycle between two snapshots of everything that counts — the simulator's air
// counters, the UART tap, both processes' CPU time and event-loop lag, the limiter.
import { cpus } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { G3Network } from '../../dcu/links/g3/network.js';
import type { RunSummary } from '../../dcu/tasks/run-task.js';
import type { G3Stats, PlcNetworkOptions, PlcNodeSpec } from '../../simulators/g3-modem/index.js';
import { type DcuLimits, PAN_ID, openBenchDcu } from './g3-dcu.js';
import { type SimSnapshot, startSimChild } from './g3-sim-child.js';
import type { TapCounts } from './g3-uart-tap.js';

export type ChannelModel = Required<Pick<PlcNetworkOptions, 'capacityBps' | 'hopLatencyMs' | 'lossPerHop' | 'joinWindowMs' | 'modemBuffers' | 'seed'>>;

export interface CycleResult {
  meters: number;
  inDirectory: number;
  /** Wall and model (wall ÷ time scale) ms of the cycle, as the DCU saw it. */
  wallMs: number;
  modelMs: number;
  summaries: { billing: RunSummary[]; profile: RunSummary[] };
  /** The simulator's counters over the cycle (differences). */
  air: { data: AirDelta; routing: AirDelta; bootstrap: AirDelta; alarm: AirDelta; management: AirDelta; all: AirDelta };
  data: G3Stats['data'];
  capacityBps: number;
  tap: TapCounts;
  limiter: ReturnType<G3Network['stats']>;
  /** The DCU's limits as configured (its defaults unless the run set them). */
  limits: DcuLimits;
  /** CPU time ÷ wall time over the cycle (1 = one core busy all along). */
  cpu: { dcu: number; simulator: number; machine: number };
  /** Event-loop lag over the cycle, wall ms (a late timer in the simulator stretches model time). */
  lag: { dcu: { meanMs: number; p99Ms: number }; simulator: SimSnapshot['loop'] };
  /** Wall ms each meter's task runs took, by serial. */
  sessionWallMs: Map<string, number>;
}

export interface AirDelta {
  frames: number;
  bytes: number;
  busyMs: number;
}

const LAG_RESOLUTION = 2;
const fmt = (n: number) => n.toFixed(0);

export async function measureCycle(o: { nodes: PlcNodeSpec[]; channel: ChannelModel; timeScale: number; startOfLife: number; limits?: DcuLimits; log: (line: string) => void }): Promise<CycleResult> {
  const hops = new Map(o.nodes.map((n) => [n.eui64, n.hops]));
  const sim = await startSimChild({ network: { panId: PAN_ID, nodes: o.nodes, timeScale: o.timeScale, alarmsPerNodePerHour: 0, ...o.channel }, startOfLife: o.startOfLife });
  let dcu: Awaited<ReturnType<typeof openBenchDcu>> | null = null;
  try {
    const t0 = performance.now();
    dcu = await openBenchDcu({ path: sim.path, timeScale: o.timeScale, joinWindowMs: o.channel.joinWindowMs, hopsOf: (e) => hops.get(e) ?? 8, ...(o.limits && { limits: o.limits }) });
    // Joining takes the join window and the bootstrap exchanges; identification one short session per meter.
    const patience = 3 * (o.channel.joinWindowMs * o.timeScale) + 300_000;
    const inDirectory = await dcu.directory(o.nodes.length, patience);
    o.log(`  ${inDirectory} of ${o.nodes.length} meters joined and identified in ${((performance.now() - t0) / 1000).toFixed(1)} s wall`);
    const lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION });
    const before = await sim.snapshot();
    const limiter0 = dcu.network.stats();
    dcu.tap.take();
    const cpu0 = process.cpuUsage();
    const machine0 = machineBusy();
    lag.enable();
    const w0 = performance.now();
    // A line a minute (G3_BENCH_PROGRESS_S), so a slow cycle shows what the DCU is doing and
    // how busy the channel was since the last line.
    let previous = { busyMs: before.stats.onAir.busyMs, wall: w0 };
    const progress = setInterval(() => {
      const l = dcu!.network.stats();
      void sim.snapshot().then((s) => {
        const now = performance.now();
        const busy = (s.stats.onAir.busyMs - previous.busyMs) / ((now - previous.wall) / o.timeScale);
        previous = { busyMs: s.stats.onAir.busyMs, wall: now };
        o.log(
          `    … ${fmt((now - w0) / 1000)} s wall: ${l.answers - limiter0.answers} answers, ${l.timeouts - limiter0.timeouts} timeouts; ` +
            `limit ${l.window.toFixed(1)}, ${l.inFlight} in flight, ${l.queued} waiting; queue estimate ${l.queueEstimate.toFixed(1)}; channel busy ${(100 * busy).toFixed(0)} % since the last line`,
        );
      });
    }, 1000 * Number(process.env.G3_BENCH_PROGRESS_S ?? 60));
    const summaries = await dcu.cycle().finally(() => clearInterval(progress));
    const wallMs = performance.now() - w0;
    lag.disable();
    const cpu1 = process.cpuUsage(cpu0);
    const machine1 = machineBusy();
    const after = await sim.snapshot();
    const tap = dcu.tap.take();
    const late = (ns: number) => Math.max(0, ns / 1e6 - LAG_RESOLUTION);
    const d = (k: keyof G3Stats['byTraffic']) => delta(after.stats.byTraffic[k], before.stats.byTraffic[k]);
    return {
      meters: o.nodes.length,
      inDirectory,
      wallMs,
      modelMs: wallMs / o.timeScale,
      summaries,
      air: { data: d('data'), routing: d('routing'), bootstrap: d('bootstrap'), alarm: d('alarm'), management: d('management'), all: delta(after.stats.onAir, before.stats.onAir) },
      data: counterDelta(after.stats.data, before.stats.data, new Set()),
      capacityBps: after.stats.capacityBps,
      tap,
      limiter: counterDelta(dcu.network.stats(), limiter0),
      limits: { maxInFlight: dcu.link.config.maxInFlight, maxSessions: dcu.link.config.maxSessions },
      cpu: {
        dcu: (cpu1.user + cpu1.system) / 1000 / wallMs,
        simulator: (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1000 / (after.wallMs - before.wallMs),
        machine: (machine1.busy - machine0.busy) / (machine1.total - machine0.total),
      },
      lag: { dcu: { meanMs: late(lag.mean), p99Ms: late(lag.percentile(99)) }, simulator: after.loop },
      sessionWallMs: dcu.sessionTime(),
    };
  } finally {
    await dcu?.close();
    await sim.close();
  }
}

/** Counters over the cycle; the window, what is in flight and the peak stay as they are. */
function counterDelta<T extends object>(a: T, b: T, keep = new Set(['window', 'inFlight', 'queued', 'peakInFlight'])): T {
  const before = b as Record<string, number>;
  return Object.fromEntries(Object.entries(a as Record<string, number>).map(([k, v]) => [k, keep.has(k) ? v : v - (before[k] ?? 0)])) as T;
}

function delta(a: AirDelta, b: AirDelta): AirDelta {
  return { frames: a.frames - b.frames, bytes: a.bytes - b.bytes, busyMs: a.busyMs - b.busyMs };
}

/** All cores' busy and total time so far, ms. */
function machineBusy(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const c of cpus()) {
    const t = c.times.user + c.times.nice + c.times.sys + c.times.irq + c.times.idle;
    total += t;
    busy += t - c.times.idle;
  }
  return { busy, total };
}

/** A sample of `size` nodes with the hop mix of `nodes`: per hop count its share, at least one of each present. */
export function sampleByHops(nodes: PlcNodeSpec[], size: number): PlcNodeSpec[] {
  const out: PlcNodeSpec[] = [];
  for (const h of hopClasses(nodes).keys()) {
    const of = nodes.filter((n) => n.hops === h);
    out.push(...of.slice(0, Math.max(1, Math.round((size * of.length) / nodes.length))));
  }
  return out;
}

/** Count of nodes per hop count, ascending. */
export function hopClasses(nodes: PlcNodeSpec[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const n of [...nodes].sort((a, b) => a.hops - b.hops)) m.set(n.hops, (m.get(n.hops) ?? 0) + 1);
  return m;
}
