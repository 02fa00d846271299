// Whether the cloud should cut the supply of an account now. Only a prepaid,
// open account whose balance is exhausted (≤ 0) is disconnected, and never in a
// friendly period: then the decision names the end of that period instead.
// Emergency credit is not taken automatically; the customer (or an operator
// rule) takes it with takeEmergencyCredit, which lifts the balance.
import { isFriendly, nextUnfriendly } from '../../../shared/prepayment/friendly.js';
import { AccountError, type AccountState, type DisconnectDecision } from './account.js';

export function disconnectDecision(account: AccountState, now: number): DisconnectDecision {
  if (typeof now !== 'number' || !Number.isFinite(now)) throw new AccountError('invalid', 'now', `must be a time in UTC ms, got ${String(now)}`);
  if (account.status === 'closed') return { disconnect: false, reason: 'closed', notBefore: null };
  if (account.mode === 'postpaid') return { disconnect: false, reason: 'postpaid', notBefore: null };
  if (account.balance > 0) return { disconnect: false, reason: 'in-credit', notBefore: null };
  if (isFriendly(account.friendly, now)) {
    const end = nextUnfriendly(account.friendly, now);
    return { disconnect: false, reason: 'friendly-period', notBefore: Number.isFinite(end) ? end : null };
  }
  return { disconnect: true, reason: 'credit-exhausted', notBefore: now };
}
