// A simulated RS485 feeder segment in one call: a socat pty pair as the cable, N simulated
// meters on a multi-drop HDLC bus (SerialBus: baud pacing, turnaround, half duplex) on one
// end, and the path of the other end for the DCU's serial port. Used by the integration
// tests, bench/rs485 and anything that wants "meters on a serial line" without hardware.
import type { HdlcParameters } from '../../shared/hdlc/parameters.js';
import type { FaultsByMeter } from '../meter/transport/faults.js';
import type { LineMeter } from '../meter/transport/hdlc-line.js';
import { type MeterSetOptions, type RunningMeter, createMeterSet } from '../meter/transport/meter-set.js';
import { SerialBus, type SerialBusOptions } from '../meter/transport/serial-bus.js';
import { type PtyPair, openPtyPair } from './pty-pair.js';

/** What the simulated meters accept in SNRM unless told otherwise (as simulators/meter/main.ts). */
export const METER_LIMITS: Readonly<HdlcParameters> = { maxInfoTx: 512, maxInfoRx: 512, windowTx: 7, windowRx: 7 };

export interface PtyBusOptions extends Partial<MeterSetOptions>, Pick<SerialBusOptions, 'parity' | 'inactivityTimeout' | 'clock' | 'onEvent' | 'onFault' | 'onError'> {
  /** Number of meters (default 8); ignored when `meters` or `addresses` is given. */
  count?: number;
  /** Meters built by the caller; default: createMeterSet from the options here. */
  meters?: RunningMeter[];
  /** Line speed (default 9600). */
  baud?: number;
  /** Pause before a meter answers, ms (default 20). */
  turnaround?: number;
  /** What every meter accepts in SNRM negotiation (default METER_LIMITS). */
  limits?: HdlcParameters;
  faults?: FaultsByMeter;
}

export interface PtyBus {
  /** The DCU's end of the cable: open it as a serial port. */
  path: string;
  baud: number;
  bus: SerialBus;
  meters: RunningMeter[];
  pty: PtyPair;
  /** Stops the meters and socat; the DCU closes its own port first. */
  close(): Promise<void>;
}

/** The meters of a set as they sit on a line: physical address, DLMS server, limits. */
export function lineMeters(meters: RunningMeter[], limits: HdlcParameters = METER_LIMITS): LineMeter[] {
  return meters.map((m) => ({ physical: m.physical, server: m.server, label: m.serial, limits }));
}

export async function openPtyBus(o: PtyBusOptions = {}): Promise<PtyBus> {
  const meters =
    o.meters ??
    createMeterSet({
      count: o.count ?? 8,
      firstAddress: o.firstAddress ?? 17,
      seed: o.seed ?? 1,
      firstSerial: o.firstSerial ?? 30000001,
      startOfLife: o.startOfLife ?? Date.UTC(2024, 0, 1),
      ...(o.stateDir && { stateDir: o.stateDir }),
      ...(o.addresses && { addresses: o.addresses }),
      ...(o.configure && { configure: o.configure }),
    });
  const baud = o.baud ?? 9600;
  const pty = await openPtyPair();
  try {
    const bus = await SerialBus.open({
      path: pty.b,
      baud,
      turnaround: o.turnaround ?? 20,
      meters: lineMeters(meters, o.limits),
      ...(o.seed !== undefined && { seed: o.seed }),
      ...(o.faults && { faults: o.faults }),
      ...(o.parity && { parity: o.parity }),
      ...(o.inactivityTimeout !== undefined && { inactivityTimeout: o.inactivityTimeout }),
      ...(o.clock && { clock: o.clock }),
      ...(o.onEvent && { onEvent: o.onEvent }),
      ...(o.onFault && { onFault: o.onFault }),
      ...(o.onError && { onError: o.onError }),
    });
    return {
      path: pty.a,
      baud,
      bus,
      meters,
      pty,
      close: async () => {
        await bus.close();
        await pty.close();
      },
    };
  } catch (e) {
    await pty.close();
    throw e;
  }
}
