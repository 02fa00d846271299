// The vend flow, money-safe. One vend = ONE database transaction: the idempotency check on
// (vendor, request id), the vendor's credit check, the quote, the TID, the token, the account's
// new state, the vend row and its journal entry all commit together or not at all — on SQLite
// and on PostgreSQL, where the vendor's and the account's rows are locked (FOR UPDATE) and a
// clash with a concurrent transaction runs the vend again from the idempotency check. A retried
// request id is answered from the database — after a crash too — so it yields the same
// token and one charge; the same request id with a different amount or meter is a conflict.
//
// Reversals (documented policy): a vendor may reverse its vend only while it is the newest
// vend of the account still standing, within `reversalWindowMs` of issue (24 h by default),
// while the account is open, and never once the meter accepted the token remotely (or while
// a delivery is in flight). A reversal gives the money back to the vendor (its balance owed
// goes down) and undoes the vend's effect on the account (balance, debt, emergency credit,
// charges paid through); it is a journal entry of its own, nothing is deleted. The TID stays
// used. STS cannot recall a token from a meter, so a token keyed in by hand before the
// reversal is the risk the window bounds.
import { randomUUID } from 'node:crypto';
import { domain, VendingError } from './errors.js';
import { type VendingKeyring } from './keyring.js';
import { vendEntry } from './ledger.js';
import { quoteVend, type VendQuote } from './quote.js';
import type { AccountRecord, JournalRow, LockOption, VendingQueries, VendorRecord, VendRecord, VendingStore } from './store/index.js';
import { generateToken, groupDigits, StsError } from './sts-engine.js';
import { monthIndex, startOfMonthIndex } from '../../shared/prepayment/local-time.js';
import { takeTid } from './tids.js';
import { reverseQuote } from './account-money.js';
import { applyVend } from './accounts/index.js';
import { tariffInForce, TariffError, type Tariff } from './tariffs/index.js';
import { Vendors } from './vendors.js';

export interface VendRequest {
  requestId: string;
  /** The meter's serial number or 18-digit MeterPAN — or `account`. */
  meter?: string;
  account?: string;
  /** Minor units paid. */
  amount: number;
}

export interface VendResult {
  vendId: string;
  requestId: string;
  account: string;
  meter: string;
  /** 20 digits, or null when the payment bought no units. */
  token: string | null;
  /** The same digits in groups of four. */
  tokenGrouped: string | null;
  /** Token units (0.1 kWh). */
  units: number;
  kWh: number;
  amount: number;
  /** Where the money went (the quote without its internal bookkeeping fields). */
  breakdown: Breakdown;
  status: VendRecord['status'];
  issuedAt: number;
  reversedAt: number | null;
  delivery: VendRecord['delivery'];
  deliveryResult: Record<string, unknown> | null;
  /** true when this answer was read back for a request id seen before. */
  replayed: boolean;
}

export type Breakdown = Pick<VendQuote, 'paid' | 'vat' | 'fixedCharges' | 'debtRecovered' | 'emergencyRepaid' | 'energyMoney' | 'units' | 'remainder' | 'tariff'>;

export function breakdownOf(q: VendQuote): Breakdown {
  const { paid, vat, fixedCharges, debtRecovered, emergencyRepaid, energyMoney, units, remainder, tariff } = q;
  return { paid, vat, fixedCharges, debtRecovered, emergencyRepaid, energyMoney, units, remainder, tariff };
}

export interface VendingServiceOptions {
  store: VendingStore;
  keyring: VendingKeyring;
  now?: () => number;
  reversalWindowMs?: number;
  /** Called after a vend for a remote-delivery account committed (the remote-credit worker's nudge). */
  onRemoteVend?: (vend: VendRecord) => void;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

export function vendResult(v: VendRecord, meter: string, replayed: boolean): VendResult {
  return {
    vendId: v.id,
    requestId: v.requestId,
    account: v.account,
    meter,
    token: v.token,
    tokenGrouped: v.token === null ? null : groupDigits(v.token),
    units: v.units,
    kWh: v.units / 10,
    amount: v.amount,
    breakdown: breakdownOf(v.quote),
    status: v.status,
    issuedAt: v.issuedAt,
    reversedAt: v.reversedAt,
    delivery: v.delivery,
    deliveryResult: v.deliveryResult,
    replayed,
  };
}

export class VendingService {
  readonly store: VendingStore;
  readonly keyring: VendingKeyring;
  readonly vendors: Vendors;
  readonly now: () => number;
  private readonly reversalWindowMs: number;
  private readonly onRemoteVend: ((vend: VendRecord) => void) | undefined;

  constructor(o: VendingServiceOptions) {
    this.store = o.store;
    this.keyring = o.keyring;
    this.now = o.now ?? Date.now;
    this.reversalWindowMs = o.reversalWindowMs ?? 24 * 3_600_000;
    this.onRemoteVend = o.onRemoteVend;
    this.vendors = new Vendors(this.store, this.now);
  }

  private checkRequest(r: VendRequest): void {
    if (typeof r.requestId !== 'string' || !REQUEST_ID.test(r.requestId)) {
      throw new VendingError('invalid', 'requestId must be 1 to 100 characters of A–Z a–z 0–9 . _ : -', 'requestId');
    }
    if ((r.meter === undefined) === (r.account === undefined)) throw new VendingError('invalid', 'give either meter or account', r.meter === undefined ? 'meter' : 'account');
    if (typeof r.amount !== 'number' || !Number.isSafeInteger(r.amount) || r.amount <= 0) {
      throw new VendingError('invalid', `amount must be a whole number of minor units (cents) above 0, got ${JSON.stringify(r.amount)}`, 'amount');
    }
  }

  /** The account a request names, or a not-found error naming the field. */
  async findAccount(r: { meter?: string | undefined; account?: string | undefined }, q: VendingQueries = this.store, o?: LockOption): Promise<AccountRecord> {
    const found = r.account !== undefined ? await q.account(r.account, o) : await q.accountByMeter(String(r.meter), o);
    if (!found) {
      throw r.account !== undefined ? new VendingError('not-found', `no account ${r.account}`, 'account') : new VendingError('not-found', `no account for meter ${r.meter}`, 'meter');
    }
    return found;
  }

  private async sameRequest(q: VendingQueries, v: VendRecord, r: VendRequest): Promise<boolean> {
    if (v.amount !== r.amount) return false;
    if (r.account !== undefined) return v.account === r.account;
    const a = (await q.account(v.account))!;
    return r.meter === a.state.meterSerial || r.meter === a.sts.pan;
  }

  /** The answer to a request id seen before, a conflict if it came with another sale, or null. */
  private async previous(q: VendingQueries, vendor: string, r: VendRequest): Promise<{ vend: VendRecord; replayed: true } | null> {
    const previous = await q.vendByRequest(vendor, r.requestId);
    if (!previous) return null;
    if (!(await this.sameRequest(q, previous, r))) {
      throw new VendingError('conflict', `request ${r.requestId} was already used for a vend of ${previous.amount} to account ${previous.account}; a new sale needs a new request id`, 'requestId');
    }
    return { vend: previous, replayed: true };
  }

  /** Sells `amount` to the account for `vendor`; see the header for the guarantees. */
  async vend(vendor: VendorRecord, r: VendRequest): Promise<VendResult> {
    this.checkRequest(r);
    const at = this.now();
    const outcome = await this.store.transaction(async (tx) => {
      const seen = await this.previous(tx, vendor.id, r);
      if (seen) return seen;
      // The vendor's row lock orders its sales (PostgreSQL; SQLite's transaction holds the
      // whole database). The same request id sent twice at once: the second waits here, then
      // finds the first one's vend.
      const v = (await tx.vendor(vendor.id, { lock: true }))!;
      const raced = await this.previous(tx, vendor.id, r);
      if (raced) return raced;
      if (v.status !== 'active') throw new VendingError('forbidden', `vendor '${v.name}' is suspended`);
      if (v.balanceOwed + r.amount > v.creditLimit) {
        throw new VendingError('credit-limit', `vendor '${v.name}' owes ${v.balanceOwed} of a credit limit of ${v.creditLimit}: a sale of ${r.amount} would exceed it`, 'amount');
      }
      const account = await this.findAccount(r, tx, { lock: true });
      const quote = await this.quote(tx, account, r.amount, at);
      const applied = domain(() => applyVend(account.state, quote));
      const after = applied.account;
      let token: { digits: string; tid: number; baseDate: number } | null = null;
      if (quote.units > 0) token = await this.creditToken(tx, account, quote.units, at);
      const remote = account.state.delivery.kind === 'remote' && token !== null;
      const vend: VendRecord = {
        id: randomUUID(),
        vendor: v.id,
        requestId: r.requestId,
        account: account.id,
        pan: account.sts.pan,
        amount: r.amount,
        quote,
        units: quote.units,
        token: token?.digits ?? null,
        tid: token?.tid ?? null,
        baseDate: token?.baseDate ?? null,
        accountBefore: account.state,
        accountAfter: after,
        status: 'issued',
        issuedAt: at,
        reversedAt: null,
        reversalReason: null,
        delivery: remote ? 'pending' : 'manual',
        deliveryAttempts: 0,
        deliveryCommand: null,
        deliveryDcu: null,
        deliveryNextAt: remote ? at : null,
        deliveryResult: null,
        deliveryAt: null,
      };
      await tx.insertVend(vend);
      await tx.setAccountState(after, at);
      await tx.addAccountEvents(account.id, applied.events);
      await tx.post(vendEntry('vend', vend, at));
      await tx.addToVendorBalance(v.id, r.amount);
      return { vend, replayed: false };
    });
    const account = (await this.store.account(outcome.vend.account))!;
    if (!outcome.replayed && outcome.vend.delivery === 'pending') this.onRemoteVend?.(outcome.vend);
    return vendResult(outcome.vend, account.state.meterSerial, outcome.replayed);
  }

  private async quote(q: VendingQueries, account: AccountRecord, paid: number, at: number): Promise<VendQuote> {
    if (account.state.status === 'closed') throw new VendingError('account-state', `account ${account.id} is closed`, 'account');
    const tariff = await this.tariffAt(account.state.tariffId, at, q);
    const month = startOfMonthIndex(monthIndex(at, tariff.timeZoneMinutes), tariff.timeZoneMinutes);
    const monthToDateUnits = await q.unitsSince(account.id, month);
    return domain(() => quoteVend({ account: account.state, tariff, paid, at, monthToDateUnits }));
  }

  /** The version of tariff `id` in force at `at` (the domain's rule over the stored versions). */
  async tariffAt(id: string, at: number, q: VendingQueries = this.store): Promise<Tariff> {
    const versions = (await q.tariffVersions(id)).map((t) => t.definition);
    try {
      return tariffInForce(versions, id, at);
    } catch (error) {
      if (error instanceof TariffError) throw new VendingError('account-state', error.message, 'tariff');
      throw error;
    }
  }

  /** A class 0 electricity token for `units` (0.1 kWh) with the meter's next TID. */
  private async creditToken(tx: VendingQueries, account: AccountRecord, units: number, at: number): Promise<{ digits: string; tid: number; baseDate: number }> {
    const decoderKey = this.keyring.decoderKey(account.sts);
    const tid = await takeTid(tx, account.id, account.sts, at);
    try {
      const t = generateToken({
        class: 0,
        subclass: 0,
        decoderKey,
        algorithm: account.sts.algorithm,
        tid,
        baseDate: account.sts.baseDate,
        keyExpiryNumber: account.sts.keyExpiryNumber,
        transferUnits: units,
      });
      if (t.transferUnits !== units) throw new Error(`the token would carry ${t.transferUnits} units, not the ${units} quoted`);
      return { digits: t.digits, tid, baseDate: account.sts.baseDate };
    } catch (error) {
      if (error instanceof StsError) {
        const kind = error.kind === 'key-expired' ? 'account-state' : 'invalid';
        throw new VendingError(kind, `cannot make the token: ${error.message}`, error.kind === 'key-expired' ? 'sts.keyExpiryNumber' : 'amount');
      }
      throw error;
    }
  }

  /** The vend a vendor made under `requestId`. */
  async vendByRequest(vendor: VendorRecord, requestId: string): Promise<VendResult> {
    const v = await this.store.vendByRequest(vendor.id, requestId);
    if (!v) throw new VendingError('not-found', `no vend with request id ${requestId}`, 'requestId');
    return vendResult(v, (await this.store.account(v.account))!.state.meterSerial, true);
  }

  /** Reverses a vendor's vend (policy in the header); reversing a reversed vend answers it again. */
  async reverse(vendor: VendorRecord, requestId: string, reason = ''): Promise<VendResult> {
    const at = this.now();
    const vend = await this.store.transaction(async (tx) => {
      const found = await tx.vendByRequest(vendor.id, requestId);
      if (!found) throw new VendingError('not-found', `no vend with request id ${requestId}`, 'requestId');
      if (found.status === 'reversed') return found;
      // Locks in the vend's order (vendor, then the vend against the delivery worker, then the account).
      await tx.vendor(found.vendor, { lock: true });
      const v = (await tx.vendByRequest(vendor.id, requestId, { lock: true }))!;
      if (v.status === 'reversed') return v;
      const account = (await tx.account(v.account, { lock: true }))!;
      const latest = (await tx.latestIssuedVend(v.account))!;
      if (latest.id !== v.id) throw new VendingError('conflict', `only the newest vend of account ${v.account} can be reversed; vend ${latest.requestId} came after this one`, 'requestId');
      if (at - v.issuedAt > this.reversalWindowMs) {
        throw new VendingError('conflict', `vends can be reversed within ${this.reversalWindowMs / 3_600_000} h of issue; this one was issued ${new Date(v.issuedAt).toISOString()}`, 'requestId');
      }
      if (v.delivery === 'delivered') throw new VendingError('conflict', 'the meter has accepted this token (remote delivery): it cannot be reversed', 'requestId');
      if (v.delivery === 'sent') throw new VendingError('conflict', 'the token is being delivered to the meter now; try again when the delivery has finished', 'requestId');
      if (account.state.status === 'closed') throw new VendingError('account-state', `account ${v.account} is closed`, 'account');
      const restored = reverseQuote(account.state, v.quote, v.accountBefore, v.accountAfter);
      await tx.setAccountState(restored, at);
      await tx.markReversed(v.id, at, String(reason).slice(0, 500));
      if (v.delivery === 'pending') await tx.updateDelivery(v.id, { delivery: 'cancelled', deliveryNextAt: null });
      await tx.post(vendEntry('reversal', v, at));
      await tx.addToVendorBalance(v.vendor, -v.amount);
      return (await tx.vend(v.id))!;
    });
    return vendResult(vend, (await this.store.account(vend.account))!.state.meterSerial, false);
  }

  /** The vend's journal lines (operators, audits). */
  journalOf(vendId: string): Promise<JournalRow[]> {
    return this.store.journal({ vend: vendId });
  }
}
