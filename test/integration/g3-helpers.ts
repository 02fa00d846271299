// Shared set-up of the G3 integration tests: the modem simulator on one end of a socat pty
// pair with a PAN of simulated meters, a DCU runtime (real SQLite file in a temp dir) with a
// G3 network on the other end, and the comparison of the buffer with what the meters hold
// (a twin of each simulated meter, built as the simulator builds it: same seed, serial and
// start of life, hence the same profiles).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Obis } from '../../shared/dlms/obis.js';
import type { GatewayClock } from '../../dcu/clock/gateway-clock.js';
import { type DcuConfig, parseConfig } from '../../dcu/config.js';
import { DcuRuntime } from '../../dcu/runtime.js';
import { type G3ModemSimulator, type PlcNetworkOptions, plcNodes, startG3Modem } from '../../simulators/g3-modem/index.js';
import { type RunningMeter, createMeterSet } from '../../simulators/meter/transport/meter-set.js';
import { type PtyPair, openPtyPair } from '../helpers/pty-pair.js';
import { columnsOf, compareWithModel, storedColumn } from './model-profile.js';

export const PAN_ID = 0x4d31;
/**
 * Model time of the PLC network runs 100× faster than the clock: a 3 s hop takes 30 ms, the
 * join window of 5 model minutes 3 s. The DCU's timeouts are set for that scale (a worst
 * hop of 30 ms); the meters answer a repeated request from their cache for 60 model s (0.6 s).
 */
export const TIME_SCALE = 0.01;
export const LINK = 'plc-1';
export const DAY = 86_400_000;
export const START_OF_LIFE = Math.floor(Date.now() / DAY) * DAY - 5 * DAY;

/** The gateway clock: real time, synchronised. */
export const realClock: GatewayClock = { now: () => Date.now(), synchronised: async () => true };

export interface G3Setup {
  dir: string;
  pty: PtyPair;
  sim: G3ModemSimulator;
  seed: number;
  config: DcuConfig;
  runtime: DcuRuntime;
  /** Opens the runtime again on the same database (a DCU restart). */
  reopen(): Promise<DcuRuntime>;
  close(): Promise<void>;
}

export async function openG3(o: { count: number; seed: number; maxHops?: number; network?: Partial<PlcNetworkOptions>; g3?: Record<string, unknown> }): Promise<G3Setup> {
  const dir = mkdtempSync(join(tmpdir(), 'dcu-g3-'));
  const pty = await openPtyPair();
  const sim = await startG3Modem({
    path: pty.b,
    startOfLife: START_OF_LIFE,
    network: { panId: PAN_ID, nodes: plcNodes({ count: o.count, seed: o.seed, ...(o.maxHops !== undefined && { maxHops: o.maxHops }) }), seed: o.seed, timeScale: TIME_SCALE, joinWindowMs: 300_000, lossPerHop: 0.01, ...o.network },
  });
  const config = parseConfig({
    dcuId: 'dcu-g3',
    database: join(dir, 'dcu.db'),
    systemTitle: '4443550000000033',
    g3: [{
      name: LINK, path: pty.a, panId: PAN_ID, profile: 'reader', controlProfile: 'management',
      responseTimeoutMs: 200, hopTimeoutMs: 30, maxRetries: 4, confirmTimeoutMs: 500, dataConfirmTimeoutMs: 2000,
      keepAliveMs: 1000, joinWindowMs: 5000, backoffMs: 5, maxInFlight: { min: 1, max: 64, initial: 4 }, ...o.g3,
    }],
    profiles: {
      reader: { clientSap: 17, authentication: 'low', password: '12345678' },
      management: { clientSap: 1, authentication: 'high-gmac', blockCipherKey: '000102030405060708090a0b0c0d0e0f', authenticationKey: 'd0d1d2d3d4d5d6d7d8d9dadbdcdddedf' },
    },
    backfillDays: 2,
    assumeClockSynchronised: true,
  });
  const open = () => DcuRuntime.open(config, { clock: realClock, log: pino({ level: 'silent' }) });
  const setup: G3Setup = {
    dir, pty, sim, seed: o.seed, config,
    runtime: await open(),
    reopen: async () => {
      await setup.runtime.close();
      setup.runtime = await open();
      return setup.runtime;
    },
    close: async () => {
      await setup.runtime?.close();
      await sim.close();
      await pty.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return setup;
}

/** Polls until `check` holds; throws with `what` after `ms`. */
export async function until(check: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A twin of a simulated G3 meter: the same model the simulator serves. */
export function twin(setup: G3Setup, serial: string): RunningMeter {
  return createMeterSet({ count: 1, firstAddress: 16, seed: setup.seed, firstSerial: Number(serial), startOfLife: START_OF_LIFE })[0];
}

/** The buffer's rows of a meter's profile and the twin's, up to the collection mark, as "ts obis:attr=value". */
export function compareProfile(setup: G3Setup, serial: string, profile: Obis): { expected: string[]; stored: string[] } {
  const { store } = setup.runtime;
  const meter = store.meters.bySerial(serial);
  if (!meter) throw new Error(`meter ${serial} not in the directory`);
  const mark = store.marks.get(meter.id, profile);
  if (!mark) throw new Error(`no collection mark for ${serial} ${profile}`);
  const m = twin(setup, serial);
  const columns = columnsOf(m, profile);
  // From the first row collected (the backfill start) to the mark: every row there, and nothing else.
  const first = store.readings.range({ from: 0, to: mark.upto + 1, meter: meter.id }).filter((r) => r.source !== 'on-demand' && columns.some((c) => storedColumn(c) && c.obis === r.obis));
  return compareWithModel(store, meter, m, profile, Math.min(...first.map((r) => r.ts)), mark.upto);
}
