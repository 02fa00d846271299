// Low-credit warnings: one 'low-credit' event per threshold when the balance
// falls below it, re-armed once the balance is back at or above it; and one
// 'credit-exhausted' when a prepaid balance reaches zero or less. Postpaid
// accounts are billed, not warned: their bookkeeping is left as it is.
import type { AccountEvent, AccountState } from './account.js';

/** The warning bookkeeping after the balance moved from `account.balance` to `balance`. */
export function creditWarnings(account: AccountState, balance: number, at: number): { warned: number[]; events: AccountEvent[] } {
  if (account.mode !== 'prepaid') return { warned: account.lowCredit.warned, events: [] };
  const events: AccountEvent[] = [];
  const warned = new Set(account.lowCredit.warned);
  for (const threshold of [...account.lowCredit.thresholds].sort((a, b) => b - a)) {
    if (balance < threshold && !warned.has(threshold)) {
      warned.add(threshold);
      events.push({ kind: 'low-credit', at, threshold, balance });
    } else if (balance >= threshold) {
      warned.delete(threshold);
    }
  }
  if (account.mode === 'prepaid' && account.balance > 0 && balance <= 0) events.push({ kind: 'credit-exhausted', at, balance });
  return { warned: [...warned].sort((a, b) => b - a), events };
}
