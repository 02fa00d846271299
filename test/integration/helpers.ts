// Shared set-up for serial integration tests: 8 simulated meters on one socat pty bus
// (simulators/feeder/pty-bus.ts), the DCU's side of the bus as a real SerialChannel, and
// sessions for each association.
import { randomBytes } from 'node:crypto';
import { fromHex } from '../../shared/bytes.js';
import type { ClientAssociationConfig } from '../../shared/dlms/association/settings.js';
import { serverAddress } from '../../shared/hdlc/address.js';
import { ReplayGuard, SendingCounter } from '../../shared/dlms/security/invocation-counter.js';
import type { HdlcParameters } from '../../shared/hdlc/parameters.js';
import { SerialChannel } from '../../dcu/links/channel.js';
import { HdlcTransport } from '../../dcu/links/hdlc-transport.js';
import { DlmsSession } from '../../dcu/session/session.js';
import type { SerialBus } from '../../simulators/meter/transport/serial-bus.js';
import type { RunningMeter } from '../../simulators/meter/transport/meter-set.js';
import { type PtyBusOptions, openPtyBus } from '../../simulators/feeder/pty-bus.js';
import type { PtyPair } from '../../simulators/feeder/pty-pair.js';
import { realMeters } from '../simulators/transport/real-meters.js';

export const DCU_SYSTEM_TITLE = fromHex('4443550000000001');
export const GURUX_EK = fromHex('000102030405060708090a0b0c0d0e0f');
export const GURUX_AK = fromHex('d0d1d2d3d4d5d6d7d8d9dadbdcdddedf');

export function associationFor(sap: 16 | 17 | 1, overrides: Partial<ClientAssociationConfig> = {}): ClientAssociationConfig {
  const challenge = () => new Uint8Array(randomBytes(16));
  if (sap === 16) return { authentication: 'none', challenge, ...overrides };
  if (sap === 17) return { authentication: 'low', password: new TextEncoder().encode('12345678'), challenge, ...overrides };
  return {
    authentication: 'high-gmac',
    security: { systemTitle: DCU_SYSTEM_TITLE, blockCipherKey: GURUX_EK, authenticationKey: GURUX_AK, counter: new SendingCounter(1), guard: new ReplayGuard() },
    challenge,
    ...overrides,
  };
}

export interface Bus {
  pty: PtyPair;
  bus: SerialBus;
  channel: SerialChannel;
  meters: RunningMeter[];
  session(meter: RunningMeter, sap: 16 | 17 | 1, opts?: { association?: Partial<ClientAssociationConfig>; proposal?: HdlcParameters; responseTimeout?: number; maxListItems?: number }): DlmsSession;
  close(): Promise<void>;
}

export async function openBus(count = 8, options: Omit<PtyBusOptions, 'meters' | 'count'> = {}): Promise<Bus> {
  const line = await openPtyBus({ ...options, meters: realMeters(count) });
  const channel = await SerialChannel.open({ path: line.path, baudRate: line.baud }).catch(async (e: unknown) => {
    await line.close();
    throw e;
  });
  const meters = line.meters;
  return {
    pty: line.pty,
    bus: line.bus,
    channel,
    meters,
    session: (meter, sap, opts = {}) =>
      new DlmsSession({
        meter: meter.serial,
        transport: new HdlcTransport(channel, { client: sap, server: serverAddress(1, meter.physical), responseTimeout: opts.responseTimeout ?? 1500, maxRetries: 3, ...(opts.proposal && { proposal: opts.proposal }) }),
        association: associationFor(sap, opts.association),
        operationTimeout: 60_000,
        ...(opts.maxListItems !== undefined && { maxListItems: opts.maxListItems }),
      }),
    close: async () => {
      await channel.close();
      await line.close();
    },
  };
}
