// The meter's prepayment account: STS tokens in, credit (Wh) drawn down by the energy the
// meter registers, and the relay opened when the credit is exhausted — never inside a
// friendly period — and closed again when a purchase brings the credit above zero.
//
// Lazy, like the rest of the simulator: no timers. The credit is a checkpoint (creditWh at
// meter time settledAt) minus the import energy registered since; update(t), called before
// every access, finds by bisection the instant the credit reached 0, moves it to the end of
// any friendly period (shared/prepayment/friendly.ts nextUnfriendly), and opens the relay
// there if that instant has passed. Energy stops while the relay is open (env.noLoad), so
// an open relay also stops the credit falling.
//
// Relay transitions (IC 70, Blue Book 4.5.8): credit exhausted = local_disconnect (g,
// connected → ready_for_reconnection, every control mode but 0); credit back above zero =
// local_reconnect (h, ready_for_reconnection → connected), which only control modes 5 and 6
// allow — prepayment meters are built with mode 5 (mode 1 plus local reconnection). In modes
// 1–4 the relay stays ready_for_reconnection until the customer presses the button
// (manual_reconnect, e). Only a relay this account opened is closed by it: a remote or
// manual disconnection is not undone by a purchase.
import type { FriendlyPeriods } from '../../../shared/prepayment/friendly.js';
import { nextUnfriendly } from '../../../shared/prepayment/friendly.js';
import { acceptToken, type AcceptResult, STS_RESULT_CODES } from '../../../shared/sts/index.js';
import { ControlState, triggerEnabled } from '../disconnect.js';
import type { MeterEnv } from '../env.js';
import type { EnergyRegisters } from '../model.js';
import { type LastToken, PaymentMode, type PrepaymentState } from '../state.js';
import { tokenStatusCode } from './token-status.js';

/** STS class 0 subclass 0 credit comes in 0.1 kWh transfer units. */
export const WH_PER_TRANSFER_UNIT = 100;

export interface PrepaymentOptions {
  friendlyPeriods?: FriendlyPeriods;
  /** IC 111 low_credit_threshold and IC 112 warning_threshold, Wh. */
  lowCreditThresholdWh: number;
}

/** What entering one token did. */
export interface TokenOutcome {
  result: AcceptResult['result'];
  code: number;
  reason: string;
  statusCode: number;
  /** Wh added to the credit. */
  creditAddedWh: number;
}

export class PrepaymentAccount {
  constructor(
    private readonly env: MeterEnv,
    readonly options: PrepaymentOptions,
  ) {}

  get state(): PrepaymentState {
    return this.env.state.prepayment;
  }

  get prepaymentMode(): boolean {
    return this.state.paymentMode === PaymentMode.prepayment;
  }

  /** Credit (Wh) at meter time t; negative after use inside a friendly period. */
  creditAt(t: number, energy = this.env.energyFunction()): number {
    const p = this.state;
    if (!this.prepaymentMode || t <= p.settledAt) return p.creditWh;
    return p.creditWh - (importAt(energy, t) - importAt(energy, p.settledAt));
  }

  /**
   * Brings the relay up to meter time t: if the credit ran out at or before t and the
   * first moment after that outside a friendly period has come, the relay opens then.
   */
  update(t: number): void {
    const p = this.state;
    const relay = this.env.state.relay;
    if (relay.controlState !== ControlState.readyForReconnection) p.creditDisconnect = false;
    if (!this.prepaymentMode || t < p.settledAt || relay.controlState !== ControlState.connected) return;
    if (!triggerEnabled(relay.controlMode, 'local-disconnect')) return; // mode 0: always connected
    const energy = this.env.energyFunction();
    const exhausted = this.exhaustedAt(energy, t);
    if (exhausted === null) return;
    // Not before the relay last closed (a reconnection after the credit had run out).
    const lastClosed = relay.openPeriods.length > 0 ? relay.openPeriods[relay.openPeriods.length - 1].to : -Infinity;
    const from = Math.max(exhausted, lastClosed);
    const at = this.options.friendlyPeriods ? nextUnfriendly(this.options.friendlyPeriods, from) : from;
    if (at > t) return;
    this.settle(at, energy);
    this.env.relay('local-disconnect', at);
    p.creditDisconnect = true;
  }

  /**
   * The token gateway's enter(): decode and apply one token at meter time t.
   * `octets` are the 20 token digits as ASCII, as the Blue Book's companion specs send them.
   */
  enter(octets: Uint8Array, t: number, deliveryMethod: number): TokenOutcome {
    this.update(t);
    const p = this.state;
    const digits = String.fromCharCode(...octets);
    const decided = acceptToken(p.sts, digits, t);
    const accepted = decided.credit && decided.credit.subclass !== 0 ? notForElectricity(decided, p, t) : decided;
    let creditAddedWh = 0;
    const energy = this.env.energyFunction();
    if (accepted.result === 'Accept' && accepted.credit) {
      this.settle(t, energy);
      creditAddedWh = accepted.credit.transferUnits * WH_PER_TRANSFER_UNIT;
      p.creditWh += creditAddedWh;
    } else if (accepted.result === 'Accept' && accepted.token?.class === 2 && accepted.token.subclass === 1 && (accepted.token.value === 0 || accepted.token.value === 0xffff)) {
      this.settle(t, energy); // ClearCredit of the electricity register
      p.creditWh = 0;
    }
    p.sts = accepted.newState;
    const statusCode = tokenStatusCode(accepted.result);
    const last: LastToken = {
      octets: Buffer.from(octets).toString('hex'),
      time: t,
      deliveryMethod,
      statusCode,
      stsCode: accepted.code,
      description: [accepted.result, accepted.reason],
    };
    p.lastToken = last;
    this.reconnectIfDue(t);
    return { result: accepted.result, code: accepted.code, reason: accepted.reason, statusCode, creditAddedWh };
  }

  /** IC 111 payment_mode changed (SET of account_mode_and_status) at meter time t. */
  setPaymentMode(mode: number, t: number): void {
    this.update(t);
    this.settle(t, this.env.energyFunction());
    this.state.paymentMode = mode;
    this.reconnectIfDue(t);
  }

  /** Closes the relay this account opened, once there is credit again (or no prepayment). */
  private reconnectIfDue(t: number): void {
    const p = this.state;
    if (!p.creditDisconnect || this.env.state.relay.controlState !== ControlState.readyForReconnection) return;
    if (this.prepaymentMode && this.creditAt(t) <= 0) return;
    if (this.env.relay('local-reconnect', t)) p.creditDisconnect = false;
  }

  /** Moves the checkpoint to t, drawing the consumption since the last one. */
  private settle(t: number, energy: (t: number) => EnergyRegisters): void {
    const p = this.state;
    if (t <= p.settledAt) return;
    p.creditWh = this.creditAt(t, energy);
    p.settledAt = t;
  }

  /** The first meter time in [settledAt, t] at which the credit was ≤ 0, or null. */
  private exhaustedAt(energy: (t: number) => EnergyRegisters, t: number): number | null {
    const p = this.state;
    if (p.creditWh <= 0) return p.settledAt;
    const base = importAt(energy, p.settledAt);
    const spent = (x: number) => importAt(energy, x) - base >= p.creditWh;
    if (!spent(t)) return null;
    // Import never decreases, so bisect: credit > 0 at lo, ≤ 0 at hi.
    let lo = p.settledAt;
    let hi = t;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (spent(mid)) hi = mid;
      else lo = mid;
    }
    return hi;
  }
}

/**
 * An electricity meter keeps no water, gas, time or currency register: such a credit token
 * is refused (Function) with the state as it was, so its TID stays unused for the meter it
 * was meant for.
 */
function notForElectricity(decided: AcceptResult, p: PrepaymentState, t: number): AcceptResult {
  const code = STS_RESULT_CODES.Function;
  return {
    result: 'Function',
    code,
    reason: `${decided.token?.name ?? 'this credit token'} carries no electricity credit; this meter takes subclass 0 (electricity) only`,
    newState: { ...p.sts, lastResult: { result: 'Function', code, at: t } },
    ...(decided.token && { token: decided.token }),
  };
}

function importAt(energy: (t: number) => EnergyRegisters, t: number): number {
  return energy(t).importTotal;
}
