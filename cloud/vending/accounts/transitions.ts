// Pure account transitions: state in, next state and events out. Every one
// checks its inputs and the account status first and throws an AccountError
// (nothing changed) when a rule refuses; every one bumps `revision`.
import { parseFriendlyPeriods, FriendlyPeriodsError } from '../../../shared/prepayment/friendly.js';
import { addMoney, assertBasisPoints, assertMoney, MoneyError, percentOf, subtractMoney } from '../money.js';
import { chargesDue } from '../tariffs/charges.js';
import type { Tariff } from '../tariffs/tariff.js';
import type { VendQuote } from '../quote.js';
import { AccountError, type AccountEvent, type AccountMode, type AccountState, type Delivery, type FriendlyPeriods, type Settlement, type Transition } from './account.js';
import { creditWarnings } from './low-credit.js';

export interface OpenAccountInput {
  id: string;
  meterSerial: string;
  mode: AccountMode;
  currency: string;
  tariffId: string;
  delivery: Delivery;
  friendly: FriendlyPeriods;
  at: number;
  emergencyCreditLimit?: number;
  lowCreditThresholds?: number[];
  debt?: { amount: number; recoveryBasisPoints: number };
  /** Money carried in from elsewhere (e.g. a previous account); default 0. */
  openingBalance?: number;
}

/** Runs money/friendly validation, turning their errors into AccountErrors naming the field. */
function valid<T>(field: string, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof MoneyError) throw new AccountError('invalid', field, e.message.replace(/^[^:]*: /, ''));
    if (e instanceof FriendlyPeriodsError) throw new AccountError('invalid', `${field}.${e.field}`, e.message.replace(/^[^:]*: /, ''));
    throw e;
  }
}

function text(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > 128) throw new AccountError('invalid', field, `must be a non-empty string of at most 128 characters, got ${JSON.stringify(value)}`);
  return value;
}

function time(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new AccountError('invalid', field, `must be a time in whole UTC milliseconds, got ${String(value)}`);
  return value;
}

function requireOpen(account: AccountState, action: string): void {
  if (account.status !== 'open') throw new AccountError('closed', 'account.status', `account ${account.id} is closed; cannot ${action}`);
}

function requirePrepaid(account: AccountState, action: string): void {
  if (account.mode !== 'prepaid') throw new AccountError('not-prepaid', 'account.mode', `account ${account.id} is postpaid; cannot ${action}`);
}

/** The account with a new balance, the warning bookkeeping and the next revision. */
function withBalance(account: AccountState, balance: number, at: number, changes: Partial<AccountState> = {}): Transition {
  const { warned, events } = creditWarnings(account, balance, at);
  return { account: { ...account, ...changes, balance, lowCredit: { ...account.lowCredit, warned }, revision: account.revision + 1 }, events };
}

export function openAccount(i: OpenAccountInput): Transition {
  const at = time(i.at, 'at');
  if (i.mode !== 'prepaid' && i.mode !== 'postpaid') throw new AccountError('invalid', 'mode', `must be 'prepaid' or 'postpaid', got ${JSON.stringify(i.mode)}`);
  if (typeof i.currency !== 'string' || !/^[A-Z]{3}$/.test(i.currency)) throw new AccountError('invalid', 'currency', `must be an ISO 4217 code such as "EUR", got ${JSON.stringify(i.currency)}`);
  const delivery: Delivery =
    i.delivery?.kind === 'token' ? { kind: 'token' } : i.delivery?.kind === 'remote' ? { kind: 'remote', dcuId: text(i.delivery.dcuId, 'delivery.dcuId') } : (() => {
      throw new AccountError('invalid', 'delivery', `must be { kind: 'token' } or { kind: 'remote', dcuId }, got ${JSON.stringify(i.delivery)}`);
    })();
  const limit = i.emergencyCreditLimit ?? 0;
  valid('emergencyCreditLimit', () => assertMoney(limit, 'emergencyCreditLimit', { nonNegative: true }));
  const thresholds = i.lowCreditThresholds ?? [];
  thresholds.forEach((t, n) => valid(`lowCreditThresholds[${n}]`, () => assertMoney(t, 'threshold', { nonNegative: true })));
  const debt = i.debt ?? { amount: 0, recoveryBasisPoints: 0 };
  valid('debt.amount', () => assertMoney(debt.amount, 'debt.amount', { nonNegative: true }));
  valid('debt.recoveryBasisPoints', () => assertBasisPoints(debt.recoveryBasisPoints, 'debt.recoveryBasisPoints'));
  const balance = i.openingBalance ?? 0;
  valid('openingBalance', () => assertMoney(balance, 'openingBalance'));
  const account: AccountState = {
    id: text(i.id, 'id'),
    revision: 0,
    meterSerial: text(i.meterSerial, 'meterSerial'),
    mode: i.mode,
    status: 'open',
    currency: i.currency,
    tariffId: text(i.tariffId, 'tariffId'),
    delivery,
    balance: 0,
    debt: { amount: debt.amount, recoveryBasisPoints: debt.recoveryBasisPoints },
    emergencyCredit: { limit, taken: 0 },
    lowCredit: { thresholds: [...new Set(thresholds)].sort((a, b) => b - a), warned: [] },
    friendly: valid('friendly', () => parseFriendlyPeriods(i.friendly)),
    openedAt: at,
    closedAt: null,
    lastPurchaseAt: null,
    chargesPaidThrough: { daily: at, monthly: at },
  };
  // A new account starts below its thresholds without a warning (nothing has been
  // consumed yet); they arm once a purchase lifts the balance above them.
  const warned = account.lowCredit.thresholds.filter((t) => balance < t);
  return { account: { ...account, balance, lowCredit: { ...account.lowCredit, warned } }, events: [{ kind: 'opened', at }] };
}

/**
 * Closes the account. The balance settles, in order, the emergency credit outstanding,
 * the debt and the periodic charges due up to `at` (tariff in force then); a positive
 * rest is refunded (the caller pays it out; the balance becomes 0), a negative rest
 * stays as a negative balance: still owed. Units already in the meter are not money
 * held by the account and are not refunded here.
 */
export function closeAccount(account: AccountState, i: { at: number; tariff: Tariff }): Transition & { settlement: Settlement } {
  requireOpen(account, 'close it');
  const at = time(i.at, 'at');
  checkTariff(account, i.tariff);
  const due = chargesDue(i.tariff, account.chargesPaidThrough, at, 0);
  const fixedCharges = due.charges.reduce((s, c) => addMoney(s, c.gross), 0);
  const settled = addMoney(addMoney(account.emergencyCredit.taken, account.debt.amount), fixedCharges);
  const rest = subtractMoney(account.balance, settled);
  const settlement: Settlement = {
    balance: account.balance,
    fixedCharges,
    fixedChargesVat: due.charges.reduce((s, c) => addMoney(s, c.vat), 0),
    tariff: { id: i.tariff.id, version: i.tariff.version },
    debt: account.debt.amount,
    emergencyCredit: account.emergencyCredit.taken,
    refund: Math.max(rest, 0),
    owed: Math.max(-rest, 0),
  };
  const next: AccountState = {
    ...account,
    revision: account.revision + 1,
    status: 'closed',
    closedAt: at,
    balance: rest < 0 ? rest : 0,
    debt: { ...account.debt, amount: 0 },
    emergencyCredit: { ...account.emergencyCredit, taken: 0 },
    chargesPaidThrough: due.paidThrough,
  };
  return { account: next, events: [{ kind: 'closed', at, settlement }], settlement };
}

/**
 * Prepaid ↔ postpaid; no money is lost either way. To postpaid: outstanding emergency
 * credit becomes part of the balance (balance − taken). To prepaid: a negative balance
 * (an unpaid bill) becomes debt, recovered at the debt's percentage of each purchase.
 */
export function switchMode(account: AccountState, to: AccountMode, at: number): Transition {
  requireOpen(account, 'switch its mode');
  time(at, 'at');
  if (to !== 'prepaid' && to !== 'postpaid') throw new AccountError('invalid', 'to', `must be 'prepaid' or 'postpaid', got ${JSON.stringify(to)}`);
  if (to === account.mode) throw new AccountError('invalid', 'to', `account ${account.id} is already ${to}`);
  let balance = account.balance;
  let debt = account.debt.amount;
  let movedToDebt = 0;
  let emergencyToBalance = 0;
  if (to === 'postpaid') {
    emergencyToBalance = account.emergencyCredit.taken;
    balance = subtractMoney(balance, emergencyToBalance, 'balance');
  } else if (balance < 0) {
    movedToDebt = -balance;
    debt = addMoney(debt, movedToDebt, 'debt');
    balance = 0;
  }
  const next: AccountState = {
    ...account,
    revision: account.revision + 1,
    mode: to,
    balance,
    debt: { ...account.debt, amount: debt },
    emergencyCredit: { ...account.emergencyCredit, taken: 0 },
    lowCredit: { ...account.lowCredit, warned: [] },
  };
  return { account: next, events: [{ kind: 'mode-switched', at, from: account.mode, to, movedToDebt, emergencyToBalance }] };
}

function checkTariff(account: AccountState, tariff: Tariff): void {
  if (tariff.id !== account.tariffId) throw new AccountError('mismatch', 'tariff.id', `account ${account.id} uses tariff '${account.tariffId}', not '${tariff.id}'`);
  if (tariff.currency !== account.currency) throw new AccountError('mismatch', 'tariff.currency', `account ${account.id} is in ${account.currency}, tariff '${tariff.id}' in ${tariff.currency}`);
}

/** Applies a quote from quoteVend (a purchase, or a vend from the balance when paid = 0). */
export function applyVend(account: AccountState, quote: VendQuote): Transition {
  requireOpen(account, 'vend');
  requirePrepaid(account, 'vend');
  if (quote.accountId !== account.id) throw new AccountError('mismatch', 'quote.accountId', `quote is for account ${quote.accountId}, not ${account.id}`);
  if (quote.accountRevision !== account.revision || quote.balanceBefore !== account.balance) {
    throw new AccountError('stale-quote', 'quote.accountRevision', `quote was computed for revision ${quote.accountRevision} (balance ${quote.balanceBefore}); account ${account.id} is at revision ${account.revision} (balance ${account.balance}): quote again`);
  }
  const debt = subtractMoney(account.debt.amount, quote.debtRecovered, 'debt');
  const taken = subtractMoney(account.emergencyCredit.taken, quote.emergencyRepaid, 'emergencyCredit.taken');
  if (debt < 0 || taken < 0 || quote.remainder < 0) throw new AccountError('mismatch', 'quote', 'quote repays more than is owed or leaves a negative remainder');
  const at = quote.at;
  const fixed = quote.fixedCharges.reduce((s, c) => s + c.amount, 0);
  const events: AccountEvent[] = [];
  if (fixed > 0) events.push({ kind: 'fixed-charges', at, amount: fixed });
  if (quote.debtRecovered > 0) events.push({ kind: 'debt-recovered', at, amount: quote.debtRecovered, outstanding: debt });
  if (quote.emergencyRepaid > 0) events.push({ kind: 'emergency-credit-repaid', at, amount: quote.emergencyRepaid, outstanding: taken });
  events.push({ kind: 'purchase', at, paid: quote.paid, units: quote.units, energyMoney: quote.energyMoney, balance: quote.remainder });
  const t = withBalance(account, quote.remainder, at, {
    debt: { ...account.debt, amount: debt },
    emergencyCredit: { ...account.emergencyCredit, taken },
    chargesPaidThrough: quote.chargesPaidThrough,
    lastPurchaseAt: quote.paid > 0 ? at : account.lastPurchaseAt,
  });
  return { account: t.account, events: [...events, ...t.events] };
}

/** Deducts the cost of consumption (e.g. costOfConsumption(...).gross) from the balance. */
export function chargeConsumption(account: AccountState, i: { amount: number; at: number }): Transition {
  requireOpen(account, 'charge consumption');
  const at = time(i.at, 'at');
  valid('amount', () => assertMoney(i.amount, 'amount', { nonNegative: true }));
  const balance = subtractMoney(account.balance, i.amount, 'balance');
  const t = withBalance(account, balance, at);
  return { account: t.account, events: [{ kind: 'consumption-charged', at, amount: i.amount, balance }, ...t.events] };
}

/**
 * Advances emergency credit (all that is left of the limit, or `amount`) into the
 * balance; it is repaid first from the next purchase. Vend it with quoteVend paid = 0.
 */
export function takeEmergencyCredit(account: AccountState, i: { at: number; amount?: number }): Transition {
  requireOpen(account, 'take emergency credit');
  requirePrepaid(account, 'take emergency credit');
  const at = time(i.at, 'at');
  const available = account.emergencyCredit.limit - account.emergencyCredit.taken;
  if (available <= 0) throw new AccountError('no-emergency-credit', 'emergencyCredit', `account ${account.id} has taken all of its emergency credit (${account.emergencyCredit.taken} of ${account.emergencyCredit.limit})`);
  const amount = i.amount ?? available;
  valid('amount', () => assertMoney(amount, 'amount', { nonNegative: true }));
  if (amount === 0 || amount > available) throw new AccountError('invalid', 'amount', `must be 1 to ${available} (emergency credit left), got ${amount}`);
  const taken = account.emergencyCredit.taken + amount;
  const t = withBalance(account, addMoney(account.balance, amount, 'balance'), at, { emergencyCredit: { ...account.emergencyCredit, taken } });
  return { account: t.account, events: [{ kind: 'emergency-credit-taken', at, amount, outstanding: taken }, ...t.events] };
}

/** A postpaid payment (or one settling a closed account's amount owed): debt recovery at its percentage, the rest to the balance. */
export function applyPayment(account: AccountState, i: { paid: number; at: number }): Transition {
  if (account.status === 'open') requirePostpaidOrExplain(account);
  const at = time(i.at, 'at');
  valid('paid', () => assertMoney(i.paid, 'paid', { nonNegative: true }));
  const recovered = Math.min(account.debt.amount, percentOf(i.paid, account.debt.recoveryBasisPoints).part);
  const debt = account.debt.amount - recovered;
  const t = withBalance(account, addMoney(account.balance, i.paid - recovered, 'balance'), at, { debt: { ...account.debt, amount: debt } });
  const events: AccountEvent[] = recovered > 0 ? [{ kind: 'debt-recovered', at, amount: recovered, outstanding: debt }] : [];
  return { account: t.account, events: [...events, ...t.events] };
}

function requirePostpaidOrExplain(account: AccountState): void {
  if (account.mode === 'prepaid') throw new AccountError('invalid', 'account.mode', `account ${account.id} is prepaid: a payment is a purchase (quoteVend, then applyVend)`);
}

/** Adds arrears to recover from purchases (optionally with a new recovery percentage). */
export function addDebt(account: AccountState, i: { amount: number; at: number; recoveryBasisPoints?: number }): Transition {
  requireOpen(account, 'add debt');
  time(i.at, 'at');
  valid('amount', () => assertMoney(i.amount, 'amount', { nonNegative: true }));
  const recoveryBasisPoints = i.recoveryBasisPoints ?? account.debt.recoveryBasisPoints;
  valid('recoveryBasisPoints', () => assertBasisPoints(recoveryBasisPoints, 'recoveryBasisPoints'));
  return { account: { ...account, revision: account.revision + 1, debt: { amount: addMoney(account.debt.amount, i.amount, 'debt'), recoveryBasisPoints } }, events: [] };
}

/** Moves the account to another tariff id; the balance (money) is untouched. */
export function changeTariff(account: AccountState, tariffId: string, at: number): Transition {
  requireOpen(account, 'change its tariff');
  time(at, 'at');
  const to = text(tariffId, 'tariffId');
  return { account: { ...account, revision: account.revision + 1, tariffId: to }, events: [{ kind: 'tariff-changed', at, from: account.tariffId, to }] };
}
