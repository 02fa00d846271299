// A customer's prepayment account as plain data. The transitions in
// transitions.ts take a state and return the next state plus the events the
// caller stores (warnings, repayments …); nothing here does I/O or reads a clock.
//
// Credit is kept in MONEY: `balance` is the customer's money held by the utility
// and not yet turned into energy. Units are computed only when a token is vended,
// at the tariff version then in force, and the money that does not make a whole
// token unit stays in `balance` — so a price change can never shrink a balance.
import type { FriendlyPeriods } from '../../../shared/prepayment/friendly.js';

export type { FriendlyPeriods };

export type AccountMode = 'prepaid' | 'postpaid';
export type AccountStatus = 'open' | 'closed';

/** How credit reaches the meter: a 20-digit token for the customer to key in, or through the DCU. */
export type Delivery = { kind: 'token' } | { kind: 'remote'; dcuId: string };

export interface AccountState {
  id: string;
  /**
   * Incremented by every transition. A quote is computed from one revision and may be
   * applied only to that revision: applying it twice, or after another change, is refused.
   */
  revision: number;
  meterSerial: string;
  mode: AccountMode;
  status: AccountStatus;
  /** ISO 4217; every tariff used must be in this currency. */
  currency: string;
  /** The tariff id; the version in force at each vend/charge time applies. */
  tariffId: string;
  delivery: Delivery;
  /**
   * Minor units. Prepaid: the customer's money not yet vended (remainders, emergency
   * credit not yet vended, cloud-side deduction credit). Negative = owed (postpaid bill,
   * or consumption charged during a friendly period after credit ran out).
   */
  balance: number;
  /** Arrears recovered at `recoveryBasisPoints` of every payment until `amount` is 0. */
  debt: { amount: number; recoveryBasisPoints: number };
  /** An advance of up to `limit`; `taken` is outstanding and repaid first on the next purchase. */
  emergencyCredit: { limit: number; taken: number };
  /**
   * Low-credit warnings: when `balance` falls below a threshold (minor units) a
   * 'low-credit' event is raised once; `warned` holds the thresholds already announced,
   * and a threshold is re-armed when the balance rises to it or above again.
   */
  lowCredit: { thresholds: number[]; warned: number[] };
  /** When nobody is disconnected (daily hours, weekdays, holidays). */
  friendly: FriendlyPeriods;
  openedAt: number;
  closedAt: number | null;
  lastPurchaseAt: number | null;
  /**
   * Periodic fixed charges are paid for periods ending at or before these instants
   * (UTC ms). At opening both equal `openedAt`, so the opening period is due.
   */
  chargesPaidThrough: { daily: number; monthly: number };
}

/** What happened; the caller stores these (account history, customer notices). */
export type AccountEvent =
  | { kind: 'opened'; at: number }
  | { kind: 'closed'; at: number; settlement: Settlement }
  | { kind: 'mode-switched'; at: number; from: AccountMode; to: AccountMode; movedToDebt: number; emergencyToBalance: number }
  | { kind: 'purchase'; at: number; paid: number; units: number; energyMoney: number; balance: number }
  | { kind: 'fixed-charges'; at: number; amount: number }
  | { kind: 'consumption-charged'; at: number; amount: number; balance: number }
  | { kind: 'debt-recovered'; at: number; amount: number; outstanding: number }
  | { kind: 'emergency-credit-taken'; at: number; amount: number; outstanding: number }
  | { kind: 'emergency-credit-repaid'; at: number; amount: number; outstanding: number }
  | { kind: 'low-credit'; at: number; threshold: number; balance: number }
  | { kind: 'credit-exhausted'; at: number; balance: number }
  | { kind: 'tariff-changed'; at: number; from: string; to: string };

export interface Transition {
  account: AccountState;
  events: AccountEvent[];
}

/**
 * Closing: the balance first settles the outstanding emergency credit, the debt and
 * the periodic charges due; what is left is refunded (refund > 0) or still owed
 * (owed > 0). balance = emergencyCredit + debt + fixedCharges + refund − owed.
 */
export interface Settlement {
  balance: number;
  /** Fixed charges due at closing, gross, and the VAT in them (for the VAT report), priced by `tariff`. */
  fixedCharges: number;
  fixedChargesVat: number;
  tariff: { id: string; version: number };
  debt: number;
  emergencyCredit: number;
  refund: number;
  owed: number;
}

export type DisconnectReason =
  | 'in-credit'
  | 'credit-exhausted'
  | 'friendly-period'
  | 'postpaid'
  | 'closed';

export interface DisconnectDecision {
  disconnect: boolean;
  reason: DisconnectReason;
  /**
   * Earliest UTC ms at which a disconnection may happen: `now` when disconnecting,
   * the end of the friendly period when one holds it back, null when not due at all
   * (in credit, postpaid, closed, or friendly forever).
   */
  notBefore: number | null;
}

/** An account rule refused; `code` is stable for API mapping, `field` names the input. */
export class AccountError extends Error {
  override readonly name = 'AccountError';
  constructor(
    readonly code: 'invalid' | 'closed' | 'not-prepaid' | 'no-emergency-credit' | 'stale-quote' | 'mismatch',
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}
