// The G3-PLC modem simulator in one call: a modem speaking USI (protocol 0x25, G3 ADP) on a
// serial device, coordinator of a simulated PAN of full simulated meters that answer DLMS
// over the wrapper on UDP 4059 in IPv6 packets carried by ADPD-DATA. Everything random is
// drawn from `seed`; every duration is multiplied by `timeScale`. With `stateDir` the
// meters' state and the short address table survive a restart. See README.md.
import type { AdpMessage } from '../../shared/g3/adp.js';
import { G3Modem, type ModemState } from './modem.js';
import { PlcNetwork } from './plc-network.js';
import { Scheduler } from './scheduler.js';
import { Counters, type G3Stats } from './stats.js';
import type { PlcNodeSpec } from './topology.js';
import { DEFAULT_BAUD_RATE, UsiPort } from './usi-port.js';

export { type PlcNodeSpec, plcNodes, simulatedEui64, FIRST_G3_SERIAL } from './topology.js';
export type { G3Stats, DataCounts } from './stats.js';
export { PUSH_CLIENT_WPORT, ALARM_BITS } from './alarms.js';
export { MAC_NO_ACK } from './plc-network.js';
export { INVALID_IPV6_FRAME } from './modem.js';
export { AdpAttribute, AdpResult } from './adp-ib.js';

export interface PlcNetworkOptions {
  /** The PAN id the DCU is expected to start; the modem uses the one NETWORK-START gives. */
  panId: number;
  nodes: PlcNodeSpec[];
  /** Effective channel capacity, bits/s (default 20 000). */
  capacityBps?: number;
  /** Per-hop latency range, model ms (default 300..3000). */
  hopLatencyMs?: { min: number; max: number };
  /** Probability that one hop loses a frame (default 0.01). */
  lossPerHop?: number;
  /** Nodes join at seeded times within this window after NETWORK-START, model ms (default 600 000). */
  joinWindowMs?: number;
  /** Data requests the modem holds unconfirmed at most (default 8). */
  modemBuffers?: number;
  /** Multiplies every model duration into wall-clock time (default 1). */
  timeScale?: number;
  seed?: number;
  /** Spontaneous alarms per node per hour of model time (default 0: only pushAlarm()). */
  alarmsPerNodePerHour?: number;
}

export interface G3ModemOptions {
  /** Serial device of the modem, e.g. one end of a socat pty pair. */
  path: string;
  baudRate?: number;
  network: PlcNetworkOptions;
  /** UTC ms at which the meters' registers were 0 (default 2024-01-01). */
  startOfLife?: number;
  /** One line per event worth a log (joins, leaves, faults, serial errors). */
  log?: (line: string) => void;
  /**
   * Where to keep each meter's state (invocation counters, STS token state, credit…, one
   * file per meter as the RS485 meter simulator keeps them) and the coordinator's short
   * address table between runs; none: every run starts afresh (counters at 0).
   */
  stateDir?: string;
}

export interface G3ModemSimulator {
  leave(eui64: string): void;
  rejoin(eui64: string): void;
  setLossPerHop(p: number): void;
  breakRoute(eui64: string): void;
  reset(): void;
  hang(): void;
  pushAlarm(eui64: string): void;
  stats(): G3Stats;
  readonly nodes: readonly PlcNodeSpec[];
  close(): Promise<void>;
  /** The node's short address once it has joined at least once, else null. */
  shortAddress(eui64: string): number | null;
  /** Whether the node is joined now. */
  joined(eui64: string): boolean;
  readonly modemState: ModemState | 'hung';
}

export const DEFAULTS = {
  capacityBps: 20_000,
  hopLatencyMs: { min: 300, max: 3_000 },
  lossPerHop: 0.01,
  joinWindowMs: 600_000,
  modemBuffers: 8,
  timeScale: 1,
  seed: 1,
  alarmsPerNodePerHour: 0,
  startOfLife: Date.UTC(2024, 0, 1),
} as const;

export async function startG3Modem(o: G3ModemOptions): Promise<G3ModemSimulator> {
  const n = o.network;
  const timeScale = n.timeScale ?? DEFAULTS.timeScale;
  const scheduler = new Scheduler(timeScale);
  const counters = new Counters();
  const log = o.log ?? (() => {});
  let port: UsiPort | null = null;
  let modem: G3Modem | null = null;
  const send = (m: AdpMessage) => {
    try {
      port?.send(m);
    } catch (e) {
      if (m.type === 'data-indication') counters.data.answersTooLong++;
      log(`cannot send ${m.type}: ${(e as Error).message}`);
    }
  };
  const network = new PlcNetwork(
    n.nodes,
    {
      seed: n.seed ?? DEFAULTS.seed,
      capacityBps: n.capacityBps ?? DEFAULTS.capacityBps,
      hopLatencyMs: n.hopLatencyMs ?? DEFAULTS.hopLatencyMs,
      lossPerHop: n.lossPerHop ?? DEFAULTS.lossPerHop,
      joinWindowMs: n.joinWindowMs ?? DEFAULTS.joinWindowMs,
      alarmsPerNodePerHour: n.alarmsPerNodePerHour ?? DEFAULTS.alarmsPerNodePerHour,
      startOfLife: o.startOfLife ?? DEFAULTS.startOfLife,
      // A host repeats a lost request after its timeout (tens of model seconds): the meter
      // answers a repeat within 60 model seconds from its cache.
      repeatWindowMs: 60_000 * timeScale,
      ...(o.stateDir && { stateDir: o.stateDir }),
    },
    scheduler,
    counters,
    {
      joinRequest: (eui) => modem?.send({ type: 'join-request', eui64: eui }),
      joinComplete: (eui, shortAddress) => {
        log(`node ${eui} joined as 0x${shortAddress.toString(16).padStart(4, '0')}`);
        modem?.send({ type: 'join-complete', eui64: eui, shortAddress });
      },
      leave: (shortAddress) => {
        log(`node 0x${shortAddress.toString(16).padStart(4, '0')} left`);
        modem?.send({ type: 'leave', shortAddress });
      },
      indication: (linkQualityIndicator, packet) => modem?.send({ type: 'data-indication', linkQualityIndicator, packet }),
    },
  );
  modem = new G3Modem(network, scheduler, counters, n.modemBuffers ?? DEFAULTS.modemBuffers, send);
  const m = modem;
  port = await UsiPort.open({
    path: o.path,
    baudRate: o.baudRate ?? DEFAULT_BAUD_RATE,
    onPayload: (payload) => m.receive(payload),
    onBadFrame: (why) => {
      counters.badFrames++;
      log(`dropped a USI frame: ${why}`);
    },
    onError: (e) => log(`serial ${o.path}: ${e.message}`),
  });
  const p = port;
  const fault = (what: string, fn: () => void) => {
    log(`fault: ${what}`);
    fn();
  };
  return {
    nodes: n.nodes,
    leave: (eui) => fault(`${eui} leaves`, () => network.leave(eui)),
    rejoin: (eui) => fault(`${eui} re-joins`, () => network.rejoin(eui)),
    setLossPerHop: (loss) => fault(`loss per hop ${loss}`, () => network.radio.setLossPerHop(loss)),
    breakRoute: (eui) => fault(`route to ${eui} broken`, () => network.breakRoute(eui)),
    reset: () => fault('modem reset', () => m.reset()),
    hang: () => fault('modem hangs', () => m.hang()),
    pushAlarm: (eui) => network.pushAlarm(eui),
    stats: () => counters.snapshot(network.radio.channel, scheduler.now()),
    shortAddress: (eui) => network.node(eui).shortAddress || null,
    joined: (eui) => network.node(eui).joined,
    get modemState() {
      return m.hung ? 'hung' : m.state;
    },
    close: async () => {
      scheduler.close();
      network.saveMeters();
      await p.close();
    },
  };
}
