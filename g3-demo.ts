// The G3-PLC part of `npm start`: a simulated G3 modem (coordinator of a PAN of full
// simulated DLMS meters) on one end of a socat pty pair, the DCU's G3 network on the other.
// The PLC runs `timeScale` times faster than real so that a day's reading of the PAN shows
// within a minute or two; the DCU's G3 time limits are scaled by the same factor
// (g3TimeLimits) — a deployment keeps the defaults of dcu/config.ts. The meters' state
// (invocation counters, tokens, credit) and the PAN's short addresses persist in
// <data folder>/g3-meters, so a second `npm start` goes on where the first stopped: the
// DCU refuses a meter whose invocation counter went back.
import { join } from 'node:path';
import type { DcuRuntime } from './dcu/runtime.js';
import { openPtyPair } from './simulators/feeder/pty-pair.js';
import { type G3ModemSimulator, type PlcNetworkOptions, plcNodes, startG3Modem } from './simulators/g3-modem/index.js';

export interface G3Demo {
  sim: G3ModemSimulator;
  /** The G3 network entry of the DCU configuration. */
  config: Record<string, unknown>;
  close(): Promise<void>;
}

/**
 * The DCU's G3 time limits (dcu/config.ts defaults, in real ms) for a PAN simulated at
 * `timeScale`. Confirms of local modem requests cross only the UART, which is not scaled.
 */
export function g3TimeLimits(timeScale: number, joinWindowMs: number): Record<string, number> {
  const scaled = (ms: number, min: number) => Math.max(min, Math.round(ms * timeScale));
  return {
    responseTimeoutMs: scaled(5000, 10),
    hopTimeoutMs: scaled(3000, 1),
    backoffMs: scaled(500, 1),
    dataConfirmTimeoutMs: scaled(15_000, 10),
    joinWindowMs: scaled(joinWindowMs, 0),
  };
}

export interface G3DemoOptions {
  name: string;
  panId: number;
  meters: number;
  timeScale: number;
  startOfLife: number;
  profile: string;
  controlProfile?: string;
  /** The data folder of `npm start`: the meters keep their state in its g3-meters folder. */
  dataDir: string;
  log?: (line: string) => void;
}

export async function startG3Demo(o: G3DemoOptions): Promise<G3Demo> {
  const pty = await openPtyPair();
  const network: PlcNetworkOptions = {
    panId: o.panId,
    nodes: plcNodes({ count: o.meters, seed: 1 }),
    // 20 kbit/s, 0.3–3 s per hop, 1 % loss per hop: the simulator's realistic defaults.
    timeScale: o.timeScale,
    joinWindowMs: 60_000,
    alarmsPerNodePerHour: 0.05,
    seed: 1,
  };
  try {
    const sim = await startG3Modem({ path: pty.b, network, startOfLife: o.startOfLife, stateDir: join(o.dataDir, 'g3-meters'), ...(o.log && { log: o.log }) });
    return {
      sim,
      config: {
        name: o.name,
        path: pty.a,
        panId: o.panId,
        profile: o.profile,
        ...(o.controlProfile && { controlProfile: o.controlProfile }),
        ...g3TimeLimits(o.timeScale, network.joinWindowMs!),
      },
      close: async () => {
        await sim.close();
        await pty.close();
      },
    };
  } catch (e) {
    await pty.close();
    throw e;
  }
}

/** One line on the PAN: joined nodes, what went over the air, alarms. */
export function g3Summary(sim: G3ModemSimulator): string {
  const s = sim.stats();
  const joined = sim.nodes.filter((n) => sim.joined(n.eui64)).length;
  const busy = s.elapsedMs > 0 ? s.onAir.busyMs / s.elapsedMs : 0;
  return (
    `G3 PAN: ${joined}/${sim.nodes.length} meters joined, ${s.data.requests} DLMS requests and ${s.data.answersDelivered} answers over the PLC ` +
    `(${s.data.lost + s.data.answersLost} lost on the way), ${(s.onAir.bytes / 1000).toFixed(0)} kB on air (hops counted), channel busy ${(100 * busy).toFixed(0)} % of the time, ` +
    `${s.alarms.delivered} alarm(s) pushed`
  );
}

/** Waits until `count` meters of the G3 link are in the directory (joined and identified), or the time is up. */
export async function waitForG3Meters(runtime: DcuRuntime, link: string, count: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const found = () => runtime.store.meters.list({ link, status: 'active' }).length;
  while (found() < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  await runtime.g3.get(link)?.directory.settled();
  return found();
}
