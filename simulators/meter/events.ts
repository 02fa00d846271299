// Standard event log content. Codes are the DLMS UA / IDIS standard event codes (as in
// the IDIS "Standard event log" and "Disconnector control log" tables); this meter keeps
// them all in one log, 0.0.99.98.0.255, with the clock and the event code object
// 0.0.96.11.0.255 as its two columns.
//
// The log merges two sources: events that follow from the configuration (outages give a
// power-down at `from` and a power-up at `to`, cover openings a removed/closed pair) and
// run-time events kept in the state (clock adjustments, relay operations, thresholds).
import type { TimeRange } from './ranges.js';
import type { MeterEvent, MeterState } from './state.js';

export const EventCode = {
  powerDown: 1,
  powerUp: 2,
  clockAdjustedOldTime: 4,
  clockAdjustedNewTime: 5,
  terminalCoverRemoved: 40,
  terminalCoverClosed: 41,
  meterCoverRemoved: 44,
  meterCoverClosed: 45,
  manualDisconnection: 59,
  manualConnection: 60,
  remoteDisconnection: 61,
  remoteConnection: 62,
  localDisconnection: 63,
  limiterThresholdExceeded: 64,
  limiterThresholdOk: 65,
  limiterThresholdChanged: 66,
  localReconnection: 68,
} as const;

export interface CoverOpening {
  /** Meter time at which the meter cover was removed. */
  at: number;
  /** Meter time at which it was closed again; never if absent. */
  closedAt?: number;
}

/** Keeps at most `capacity` run-time events (the oldest go first, as in a FIFO log). */
export function recordEvent(state: MeterState, time: number, code: number, capacity: number): void {
  state.events.push({ time, code });
  if (state.events.length > capacity) state.events.splice(0, state.events.length - capacity);
}

/** The events of the configuration, sorted by time. */
export function configuredEvents(outages: readonly TimeRange[], covers: readonly CoverOpening[]): MeterEvent[] {
  const out: MeterEvent[] = [];
  for (const o of outages) {
    out.push({ time: o.from, code: EventCode.powerDown });
    if (Number.isFinite(o.to)) out.push({ time: o.to, code: EventCode.powerUp });
  }
  for (const c of covers) {
    out.push({ time: c.at, code: EventCode.meterCoverRemoved });
    if (c.closedAt !== undefined) out.push({ time: c.closedAt, code: EventCode.meterCoverClosed });
  }
  return out.sort((a, b) => a.time - b.time);
}

/**
 * The log as the meter shows it at meter time `meterNow`: configured events that have
 * happened (and are younger than the last reset) merged with the run-time events, ordered
 * by time (stable: at equal times configured events come first).
 */
export function eventLog(configured: readonly MeterEvent[], runtime: readonly MeterEvent[], meterNow: number, resetAt: number | undefined): MeterEvent[] {
  const past = configured.filter((e) => e.time <= meterNow && (resetAt === undefined || e.time > resetAt));
  return [...past, ...runtime].sort((a, b) => a.time - b.time);
}
