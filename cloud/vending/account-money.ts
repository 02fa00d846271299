// Undoing a vend on an account. Applying a quote is the domain's rule (accounts/applyVend);
// undoing it is the service's, because only the service knows a vend may be undone: it
// takes back exactly the vend's effect, by difference, so changes made to the account since
// (friendly periods, emergency credit taken) are kept.
import type { AccountState } from './accounts/account.js';
import type { VendQuote } from './quote.js';

/** The account with `vend`'s effect taken back; `before`/`after` are the states around the vend. */
export function reverseQuote(current: AccountState, quote: VendQuote, before: AccountState, after: AccountState): AccountState {
  return {
    ...current,
    revision: current.revision + 1,
    balance: current.balance - (after.balance - before.balance),
    debt: { ...current.debt, amount: current.debt.amount + quote.debtRecovered },
    emergencyCredit: { ...current.emergencyCredit, taken: current.emergencyCredit.taken + quote.emergencyRepaid },
    chargesPaidThrough: before.chargesPaidThrough,
    lastPurchaseAt: before.lastPurchaseAt,
  };
}
