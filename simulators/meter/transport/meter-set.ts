// The simulated meters a simulator process serves: built from a seed and consecutive HDLC
// addresses, each with its persisted state (when a state directory is given) and the
// security state the association layer needs (system title, counters). Transports take
// `server` (the DLMS side) and the physical address from here.
import type { ServerAssociation } from '../../../shared/dlms/association/server.js';
import { type SimulatedMeter, createSimulatedMeter } from '../meter.js';
import { DEFAULT_XDLMS } from '../catalog.js';
import type { MeterServer } from './meter-endpoint.js';
import type { ReservedCounter } from '../../../shared/dlms/security/invocation-counter.js';
import { MeterStateStore, securityFrom } from './state-store.js';

export interface MeterSetOptions {
  count: number;
  /** HDLC physical address of the first meter; the others follow. */
  firstAddress: number;
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
  for (let i = 0; i < o.count; i++) {
    const physical = o.firstAddress + i;
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
