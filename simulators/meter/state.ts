// Everything about a simulated meter that changes at run time, as plain JSON-friendly
// data: the transports persist it between runs and pass it back to createSimulatedMeter.
// What follows from the configuration (values, outages) is never stored here.

export interface ClockState {
  /** Meter time = now + offsetMs + drift since driftReferenceMs + configured jumps. */
  offsetMs: number;
  /** Drift in parts per million (positive = the meter clock runs fast). */
  driftPpm: number;
  /** The real time (UTC ms) from which the drift accumulates; reset by every clock set. */
  driftReferenceMs: number;
  /** Set by clock method 5 (preset_adjusting_time), used by method 4; meter-time UTC ms. */
  preset: { time: number; validFrom: number; validTo: number } | null;
}

export interface RelayState {
  /** IC 70 control_state: 0 disconnected, 1 connected, 2 ready_for_reconnection. */
  controlState: number;
  /** IC 70 control_mode 0..6. */
  controlMode: number;
  /** Meter time since which the relay has been open, or null while it is closed. */
  openSince: number | null;
  /** Earlier open periods [from, to) in meter time, so energy stops while open. */
  openPeriods: { from: number; to: number }[];
}

export interface LimiterState {
  thresholdActive: number;
  thresholdNormal: number;
  thresholdEmergency: number;
  minOverThresholdDuration: number;
  minUnderThresholdDuration: number;
}

export interface MeterEvent {
  /** Meter time, UTC ms. */
  time: number;
  /** Standard event code (events.ts). */
  code: number;
}

export interface MeterState {
  clock: ClockState;
  relay: RelayState;
  limiter: LimiterState;
  /** Run-time events, oldest first (outage and cover events come from the configuration). */
  events: MeterEvent[];
  /** The server's frame counter, as last stored by the association layer. */
  invocationCounter: number;
  /** Per profile OBIS: meter time of the last reset (IC 7 method 1); older entries are gone. */
  profileResets: Record<string, number>;
}

export function initialState(options: { offsetMs?: number; driftPpm?: number; controlMode?: number; now?: number }): MeterState {
  return {
    clock: { offsetMs: options.offsetMs ?? 0, driftPpm: options.driftPpm ?? 0, driftReferenceMs: options.now ?? 0, preset: null },
    relay: { controlState: 1, controlMode: options.controlMode ?? 1, openSince: null, openPeriods: [] },
    limiter: {
      thresholdActive: 15_000,
      thresholdNormal: 15_000,
      thresholdEmergency: 5_000,
      minOverThresholdDuration: 60,
      minUnderThresholdDuration: 60,
    },
    events: [],
    invocationCounter: 0,
    profileResets: {},
  };
}

/** A persisted state completed with defaults for fields it lacks (an older file, a hand edit). */
export function restoreState(saved: Partial<MeterState>, defaults: MeterState): MeterState {
  return {
    clock: { ...defaults.clock, ...saved.clock },
    relay: { ...defaults.relay, ...saved.relay },
    limiter: { ...defaults.limiter, ...saved.limiter },
    events: Array.isArray(saved.events) ? saved.events : [],
    invocationCounter: typeof saved.invocationCounter === 'number' ? saved.invocationCounter : defaults.invocationCounter,
    profileResets: saved.profileResets ?? {},
  };
}
