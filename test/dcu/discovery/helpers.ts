// Discovery tests: real simulated meters at chosen HDLC addresses on a socat pty bus, the
// DCU's side as a real SerialChannel in a Bus, a real DcuStore file and MeterAccess.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DcuConfig, parseConfig } from '../../../dcu/config.js';
import { Bus } from '../../../dcu/links/bus.js';
import { SerialChannel } from '../../../dcu/links/channel.js';
import { MeterAccess } from '../../../dcu/meters/access.js';
import { DcuStore } from '../../../dcu/store/index.js';
import type { SimulatedMeterConfig } from '../../../simulators/meter/meter.js';
import { type RunningMeter, createMeterSet } from '../../../simulators/meter/transport/meter-set.js';
import { openPtyBus } from '../../../simulators/feeder/pty-bus.js';

export const LINK = 'rs485-1';
/** Line speed of the simulated bus: an object list (~1.9 kB) takes 2 s at 9600 baud, 0.17 s here. */
export const BAUD = 115200;
export const START = Date.UTC(2024, 0, 1);
export const FIRST_SERIAL = 50000001;

export interface Line {
  bus: Bus;
  meters: RunningMeter[];
  close(): Promise<void>;
}

/** Meters with serials FIRST_SERIAL + i at addresses[i]. */
export function meterSet(addresses: readonly number[], configure?: (index: number, serial: string) => Partial<SimulatedMeterConfig> | undefined): RunningMeter[] {
  return createMeterSet({ addresses, seed: 7, firstSerial: FIRST_SERIAL, startOfLife: START, ...(configure && { configure }) });
}

/** A pty bus carrying `meters`, and the DCU's Bus on the other end. */
export async function openLine(meters: RunningMeter[], baud = BAUD): Promise<Line> {
  const line = await openPtyBus({ meters, baud, turnaround: 20 });
  const channel = await SerialChannel.open({ path: line.path, baudRate: baud }).catch(async (e: unknown) => {
    await line.close();
    throw e;
  });
  return {
    bus: new Bus(LINK, channel),
    meters,
    close: async () => {
      await channel.close();
      await line.close();
    },
  };
}

export interface Dcu {
  config: DcuConfig;
  store: DcuStore;
  access: MeterAccess;
  close(): void;
}

export function openDcu(discovery: { from: number; to: number; timeoutMs: number; silentCycles: number }, baud = BAUD): Dcu {
  const dir = mkdtempSync(join(tmpdir(), 'dcu-discovery-'));
  const config = parseConfig({
    dcuId: 'test-dcu',
    database: join(dir, 'dcu.db'),
    systemTitle: '4443550000000001',
    buses: [{ name: LINK, path: '/dev/ttyRS485', baud, profile: 'reader', discovery, responseTimeoutMs: 1000 }],
    profiles: {
      reader: { clientSap: 17, authentication: 'low', password: '12345678' },
      'reader-site-b': { clientSap: 17, authentication: 'low', password: 'site-b-pw' },
    },
    assumeClockSynchronised: true,
  });
  const store = DcuStore.open(config.database);
  const access = new MeterAccess(store, config);
  return {
    config,
    store,
    access,
    close: () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
