// TIDs for one meter: STS meters refuse a token whose TID they have seen (USED) or that is
// older than the oldest they remember (OLD), so every token a meter gets needs a TID of its
// own, and later tokens should carry later TIDs. A TID is the issue minute; when a minute is
// taken already (two tokens in one minute), the next free minute is used — the token then
// "comes from the future" by a minute or so, which the meter does not check.
import type { VendingQueries } from './store/index.js';
import { StsError, tidFromTime, TID_LIMIT } from './sts-engine.js';
import { VendingError } from './errors.js';
import type { StsMeterParameters } from './store/index.js';

/** The TID for a token issued at `now`, given the last one the meter got under `baseDate`. */
export function nextTid(now: number, baseDate: StsMeterParameters['baseDate'], last: { baseDate: number; lastTid: number } | null): number {
  let tid: number;
  try {
    tid = tidFromTime(now, baseDate);
  } catch (error) {
    if (error instanceof StsError) throw new VendingError('account-state', `the meter's key (base date ${baseDate}) cannot carry tokens issued now: ${error.message}`, 'sts.baseDate');
    throw error;
  }
  // A new base date (TID-rollover key change) starts a fresh TID sequence.
  if (last && last.baseDate === baseDate) tid = Math.max(tid, last.lastTid + 1);
  if (tid >= TID_LIMIT) throw new VendingError('account-state', `the meter has used every TID of base date ${baseDate}: a TID-rollover key change is needed`, 'sts.baseDate');
  return tid;
}

/** Takes the meter's next TID in the transaction `tx` (which holds the account's lock). */
export async function takeTid(tx: VendingQueries, account: string, sts: StsMeterParameters, now: number): Promise<number> {
  const tid = nextTid(now, sts.baseDate, await tx.lastTid(account));
  await tx.setLastTid(account, sts.baseDate, tid);
  return tid;
}
