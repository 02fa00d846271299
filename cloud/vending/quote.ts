// quoteVend: what a payment buys. Pure and deterministic.
//
// The pool is the payment plus the account balance (money kept from before; a
// negative balance is settled first). From it, in this order:
//  1. fixed charges due: periodic ones for every local day/month begun since the last
//     one paid (the current one in advance), percent ones on the payment;
//  2. debt recovery: recoveryBasisPoints of the payment, at most the debt;
//  3. emergency credit repayment: all that is outstanding, as far as the pool goes —
//     only on a purchase (paid > 0); a vend from the balance (paid = 0, e.g. to deliver
//     emergency credit just taken) repays nothing;
//  4. energy: the most whole token units whose cost (VAT included) fits what is left,
//     rounded DOWN to a value the STS amount field holds exactly (above 1638.3 kWh the
//     field steps by 1, 10, 100 kWh), at the tariff version in force (TOU: its vend price;
//     steps: from the month-to-date units);
//  5. remainder: the rest stays in the account as money (never dropped).
// So paid + balanceBefore = Σ fixedCharges + debtRecovered + emergencyRepaid + energyMoney + remainder.
// Refused: a payment (with the balance) that does not cover the fixed charges; units
// beyond one STS token's maximum (AMOUNT_MAX = 1 820 162.4 kWh) — refused rather than
// split, since no real purchase comes near it and a split would hand out several
// tokens for one payment; pay in smaller parts instead.
import type { AccountState } from './accounts/account.js';
import { AMOUNT_MAX, decodeAmount } from '../../shared/sts/index.js';
import { addMoney, assertMoney, MoneyError, percentOf, subtractMoney } from './money.js';
import { chargesDue } from './tariffs/charges.js';
import { costOfUnits, unitsForMoney } from './tariffs/pricing.js';
import type { Tariff } from './tariffs/tariff.js';

export interface VendQuote {
  /** Minor units the customer paid. */
  paid: number;
  /** VAT contained in the fixed charges and the energy money. */
  vat: number;
  /** Gross (VAT included) amounts of the fixed charges due. */
  fixedCharges: { name: string; amount: number }[];
  debtRecovered: number;
  emergencyRepaid: number;
  /** Money converted into units (VAT included). */
  energyMoney: number;
  /** Token units: 0.1 kWh for electricity (STS class 0 subclass 0). Exactly encodable. 0 = issue no token. */
  units: number;
  /** Money left in the account (not expressible as whole units): the new balance. */
  remainder: number;
  tariff: { id: string; version: number };
  // ---- additions to the contract ----
  accountId: string;
  /** The account revision the quote was computed from; applyVend refuses any other. */
  accountRevision: number;
  /** The vend time the quote was computed for (UTC ms). */
  at: number;
  /** The account balance the quote started from (guards against applying a stale quote). */
  balanceBefore: number;
  /** The account's new chargesPaidThrough once the quote is applied. */
  chargesPaidThrough: { daily: number; monthly: number };
}

export type QuoteErrorCode =
  | 'invalid'
  | 'account-closed'
  | 'not-prepaid'
  | 'tariff-mismatch'
  | 'insufficient-payment'
  | 'amount-too-large';

/** A vend the rules refuse; `code` is stable for API mapping, `field` names the input. */
export class QuoteError extends Error {
  override readonly name = 'QuoteError';
  constructor(
    readonly code: QuoteErrorCode,
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

export interface QuoteInput {
  account: AccountState;
  tariff: Tariff;
  paid: number;
  at: number;
  monthToDateUnits: number;
}

const MANTISSA_MAX = 0x3fff;

/** The largest token-unit count ≤ units that the 16-bit STS amount field encodes exactly. */
export function largestEncodableUnits(units: number): number {
  for (let e = 3; e >= 0; e--) {
    const start = decodeAmount(e << 14); // first value of exponent e
    if (units >= start) {
      const m = Math.min(MANTISSA_MAX, Math.floor((units - start) / 10 ** e));
      return decodeAmount((e << 14) | m);
    }
  }
  return 0;
}

function checkInput(i: QuoteInput): void {
  const { account, tariff } = i;
  try {
    assertMoney(i.paid, 'paid', { nonNegative: true });
  } catch (e) {
    if (e instanceof MoneyError) throw new QuoteError('invalid', 'paid', e.message.replace(/^[^:]*: /, ''));
    throw e;
  }
  if (!Number.isSafeInteger(i.at)) throw new QuoteError('invalid', 'at', `must be a time in whole UTC ms, got ${i.at}`);
  if (!Number.isSafeInteger(i.monthToDateUnits) || i.monthToDateUnits < 0) throw new QuoteError('invalid', 'monthToDateUnits', `must be a non-negative whole number of 0.1 kWh units, got ${i.monthToDateUnits}`);
  if (account.status !== 'open') throw new QuoteError('account-closed', 'account.status', `account ${account.id} is closed`);
  if (account.mode !== 'prepaid') throw new QuoteError('not-prepaid', 'account.mode', `account ${account.id} is postpaid: payments settle its bill (applyPayment), no token is vended`);
  if (tariff.id !== account.tariffId) throw new QuoteError('tariff-mismatch', 'tariff.id', `account ${account.id} uses tariff '${account.tariffId}', not '${tariff.id}'`);
  if (tariff.currency !== account.currency) throw new QuoteError('tariff-mismatch', 'tariff.currency', `account ${account.id} is in ${account.currency}, tariff '${tariff.id}' v${tariff.version} in ${tariff.currency}`);
  if (tariff.validFrom > i.at) throw new QuoteError('tariff-mismatch', 'tariff.validFrom', `tariff '${tariff.id}' v${tariff.version} takes effect only at ${new Date(tariff.validFrom).toISOString()}`);
}

export function quoteVend(i: QuoteInput): VendQuote {
  checkInput(i);
  const { account, tariff, paid, at } = i;
  const pool = addMoney(paid, account.balance, 'paid + balance');

  const due = chargesDue(tariff, account.chargesPaidThrough, at, paid);
  const charges = due.charges.reduce((s, c) => addMoney(s, c.gross, 'fixed charges'), 0);
  if (pool < charges) {
    const list = due.charges.map((c) => `${c.name} ${c.gross}`).join(', ');
    const from = account.balance === 0 ? `payment ${paid}` : `payment ${paid} with balance ${account.balance}`;
    throw new QuoteError('insufficient-payment', 'paid', `${from} does not cover the fixed charges due (${list}; total ${charges} ${tariff.currency} minor units)`);
  }
  let left = pool - charges;

  const debtRecovered = Math.min(account.debt.amount, percentOf(paid, account.debt.recoveryBasisPoints).part, left);
  left -= debtRecovered;
  const emergencyRepaid = paid > 0 ? Math.min(account.emergencyCredit.taken, left) : 0;
  left -= emergencyRepaid;

  const affordable = unitsForMoney(tariff, left, i.monthToDateUnits, AMOUNT_MAX + 1).units;
  if (affordable > AMOUNT_MAX) {
    throw new QuoteError('amount-too-large', 'paid', `${left} minor units buy more than one STS token holds (${AMOUNT_MAX / 10} kWh); split the payment`);
  }
  const units = largestEncodableUnits(affordable);
  const energy = costOfUnits(tariff, i.monthToDateUnits, units);
  const remainder = subtractMoney(left, energy.gross, 'remainder');
  return {
    paid,
    vat: due.charges.reduce((s, c) => s + c.vat, energy.vat),
    fixedCharges: due.charges.map((c) => ({ name: c.name, amount: c.gross })),
    debtRecovered,
    emergencyRepaid,
    energyMoney: energy.gross,
    units,
    remainder,
    tariff: { id: tariff.id, version: tariff.version },
    accountId: account.id,
    accountRevision: account.revision,
    at,
    balanceBefore: account.balance,
    chargesPaidThrough: due.paidThrough,
  };
}
