// What the COSEM objects of one meter share: the value model, the run-time state, the
// clock, and the few operations that touch more than one object (energy with the relay's
// open periods, event logging, relay transitions).
import type { AccessContext } from '../../shared/dlms/association/server-objects.js';
import type { MeterClock } from './clock.js';
import { type RelayTrigger, outputState, relayTransition } from './disconnect.js';
import { recordEvent } from './events.js';
import type { EnergyRegisters, MeterModel } from './model.js';
import type { TimeRange } from './ranges.js';
import type { MeterEvent, MeterState } from './state.js';

export interface MeterEnvOptions {
  serial: string;
  logicalDeviceName: string;
  systemTitle: Uint8Array;
  logicalDeviceAddress: number;
  /** Events that follow from the configuration (outages, cover openings), sorted. */
  configuredEvents: readonly MeterEvent[];
  eventLogEntries: number;
  loadProfileEntries: number;
  dailyProfileEntries: number;
  invocationCounter?: (ctx: AccessContext) => number;
  clientSystemTitle?: (ctx: AccessContext) => Uint8Array | undefined;
}

export class MeterEnv {
  constructor(
    readonly model: MeterModel,
    readonly state: MeterState,
    readonly clock: MeterClock,
    readonly options: MeterEnvOptions,
  ) {}

  meterNow(ctx: AccessContext): number {
    return this.clock.time(ctx.now);
  }

  /** Outages and relay-open periods, merged. */
  noLoad(): TimeRange[] {
    const relay = this.state.relay;
    const open: TimeRange[] = relay.openPeriods.map((p) => ({ from: p.from, to: p.to }));
    if (relay.openSince !== null) open.push({ from: relay.openSince, to: Infinity });
    return this.model.noLoad(open);
  }

  /** Energy registers as a function of meter time, for one request (ranges merged once). */
  energyFunction(): (meterTime: number) => EnergyRegisters {
    const ranges = this.noLoad();
    return (t) => this.model.energy(t, ranges);
  }

  logEvent(meterTime: number, code: number): void {
    recordEvent(this.state, meterTime, code, this.options.eventLogEntries);
  }

  /**
   * Applies `trigger` to the disconnect control state machine at meter time `meterTime`.
   * Returns false if no transition applies (nothing changed).
   */
  relay(trigger: RelayTrigger, meterTime: number): boolean {
    const r = this.state.relay;
    const t = relayTransition(r.controlState, r.controlMode, trigger);
    if (t === null) return false;
    const wasClosed = outputState(r.controlState);
    r.controlState = t.to;
    const closed = outputState(r.controlState);
    if (wasClosed && !closed) r.openSince = meterTime;
    if (!wasClosed && closed && r.openSince !== null) {
      if (meterTime > r.openSince) r.openPeriods.push({ from: r.openSince, to: meterTime });
      r.openSince = null;
    }
    this.logEvent(meterTime, t.event);
    return true;
  }
}
