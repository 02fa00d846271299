// The simulated meters a simulator process serves: built from a seed and consecutive HDLC
// addresses (or a list of addresses, for meters scattered over a bus), each with its
// persisted state (when a state directory is given) and the security state the
// association layer needs (system title, counters). Transports take `server` (the DLMS
// side) and the physical address from here.
import type { ServerAssociation } from '../../../shared/dlms/association/server.js';
import { type SimulatedMeter, type SimulatedMeterConfig, createSimulatedMeter } from '../meter.js';
import { DEFAULT_XDLMS } from '../catalog.js';
import type { MeterServer } from './meter-endpoint.js';
import type { ReservedCounter } from '../../../shared/dlms/security/invocation-counter.js';
import { MeterStateStore, securityFrom } from './state-store.js';

export interface MeterSetOptions {
  /** Number of meters (required without `addresses`). */
  count?: number;
  /** HDLC physical address of the first meter; the others follow (required without `addresses`). */
  firstAddress?: number;
  /**
   * HDLC physical address of each meter, in serial order (meters scattered over a bus);
   * replaces `count` and `firstAddress` when given. Meter i keeps serial firstSerial + i
   * whatever its address, so a meter moves by changing its entry here.
   */
  addresses?: readonly number[];
  /**
   * Per-meter settings beyond the defaults (another LLS password, keys, clock error…), by
   * index and serial; serial, seed, address, start of life and the hooks stay the set's.
   */
  configure?: (index: number, serial: string) => Partial<SimulatedMeterConfig> | undefined;
  seed: number;
  /** Serial number of the first meter (decimal); the others follow. */
  firstSerial: number;
  /** UTC ms at which the registers were 0 and the profiles start. */
  startOfLife: number;
  /** Where to keep state between runs; none: every run starts afresh. */
  stateDir?: string;
}

export interface RunningMeter {
  meter: SimulatedMeter;
  server: MeterServer;
  physical: number;
  serial: string;
  counter: ReservedCounter;
  /** Writes the meter's state (atomically); a no-op without a state directory. */
  save(): void;
}

export function createMeterSet(o: MeterSetOptions): RunningMeter[] {
  const store = o.stateDir ? new MeterStateStore(o.stateDir) : null;
  const out: RunningMeter[] = [];
  const addresses = o.addresses ?? consecutive(o.count, o.firstAddress);
  if (new Set(addresses).size !== addresses.length) throw new Error(`two meters with one HDLC physical address in ${addresses.join(', ')}`);
  for (let i = 0; i < addresses.length; i++) {
    const physical = addresses[i];
    const serial = String(o.firstSerial + i);
    const stored = store?.load(serial);
    let meter: SimulatedMeter | null = null;
    const write = (reserve: number) => {
      if (!store || !meter) return;
      store.save({ version: 1, serial, state: { ...meter.state, invocationCounter: reserve }, received: guard.toJSON() });
    };
    const { counter, guard } = securityFrom(stored, write);
    const serving: { association: ServerAssociation | null } = { association: null };
    meter = createSimulatedMeter(
      {
        ...o.configure?.(i, serial),
        serial,
        seed: o.seed,
        physicalAddress: physical,
        startOfLife: o.startOfLife,
        hooks: {
          invocationCounter: () => counter.value,
          // What this association negotiated, when one is being served.
          xdlms: () => {
            const a = serving.association;
            return a ? { conformance: a.conformance, maxReceivePduSize: DEFAULT_XDLMS.maxReceivePduSize, maxSendPduSize: a.clientMaxReceivePduSize } : DEFAULT_XDLMS;
          },
        },
      },
      stored?.state,
    );
    const m = meter;
    out.push({
      meter: m,
      physical,
      serial,
      counter,
      server: { objects: m.objects, policy: (sap) => m.policy(sap), systemTitle: m.systemTitle, counter, guard, serving, maxReceivePduSize: DEFAULT_XDLMS.maxReceivePduSize },
      save: () => write(counter.stored),
    });
    write(counter.stored);
  }
  return out;
}

function consecutive(count: number | undefined, first: number | undefined): number[] {
  if (count === undefined || first === undefined) throw new Error('a meter set needs either addresses, or count and firstAddress');
  return Array.from({ length: count }, (_, i) => first + i);
}
