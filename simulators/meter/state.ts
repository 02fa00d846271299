// Everything about a simulated meter that changes at run time, as plain JSON-friendly
// data: the transports persist it between runs and pass it back to createSimulatedMeter.
// What follows from the configuration (values, outages) is never stored here.
import type { StsMeterState } from '../../shared/sts/index.js';

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

/** IC 111 payment_mode. */
export const PaymentMode = { credit: 1, prepayment: 2 } as const;

/** The last token the token gateway (IC 115) received and what came of it. */
export interface LastToken {
  /** The octets of enter(), hex. */
  octets: string;
  /** Meter time of reception. */
  time: number;
  /** IC 115 token_delivery_method: 0 remote, 1 local, 2 manual entry. */
  deliveryMethod: number;
  /** IC 115 token_status.status_code. */
  statusCode: number;
  /** The STS result code (shared/sts results.ts), sent as data_value. */
  stsCode: number;
  /** token_description: the STS result name, then the reason. */
  description: string[];
}

/** Prepayment (prepayment/account.ts): STS token state, credit and why the relay is open. */
export interface PrepaymentState {
  sts: StsMeterState;
  /** PaymentMode: 1 credit (postpaid: nothing is drawn, nothing disconnects), 2 prepayment. */
  paymentMode: number;
  /** Credit in Wh at meter time `settledAt`; consumption since then is drawn lazily. */
  creditWh: number;
  settledAt: number;
  /** The relay is ready_for_reconnection because the credit ran out (local disconnect). */
  creditDisconnect: boolean;
  /** Meter time the account was activated (IC 111 account_activation_time). */
  activatedAt: number;
  lastToken: LastToken | null;
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
  prepayment: PrepaymentState;
}

export function initialState(options: { offsetMs?: number; driftPpm?: number; controlMode?: number; now?: number; prepayment: PrepaymentState }): MeterState {
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
    prepayment: options.prepayment,
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
    // A state file from before prepayment starts with the configured STS identity.
    prepayment: { ...defaults.prepayment, ...saved.prepayment },
  };
}
