// What operators do besides selling: tariff versions, accounts (open, close, prepaid/postpaid,
// friendly periods, delivery, emergency credit, debt) and engineering tokens. Each change
// is one transaction, holding the account's row lock (PostgreSQL): the domain's transition,
// the new state, its events, and — when money moved — a journal entry from the state
// difference (ledger.ts adjustmentEntry), so the books always follow the accounts.
import { randomUUID } from 'node:crypto';
import { parseFriendlyPeriods } from '../../shared/prepayment/friendly.js';
import {
  type AccountMode,
  type AccountState,
  addDebt,
  changeTariff,
  closeAccount,
  type Delivery,
  openAccount,
  type OpenAccountInput,
  type Settlement,
  switchMode,
  takeEmergencyCredit,
  type Transition,
} from './accounts/index.js';
import { domain, fromDomainError, VendingError } from './errors.js';
import { checkStsParameters } from './keyring.js';
import { adjustmentEntry, Books } from './ledger.js';
import type { VendingService } from './service.js';
import type { AccountRecord, EngineeringTokenRecord, LockOption, StsMeterParameters, TariffRecord, VendingQueries } from './store/index.js';
import { generateKeyChangeTokens, generateToken, keyParameters, StsError } from './sts-engine.js';
import { parseTariff } from './tariffs/index.js';
import { takeTid } from './tids.js';

export type EngineeringKind = 'clear-credit' | 'clear-tamper' | 'set-power-limit' | 'key-change';

export interface KeyChangeParams {
  supplyGroupCode?: string;
  tariffIndex?: string;
  keyRevisionNumber: number;
  keyType?: number;
  keyExpiryNumber?: number;
  /** A later base date than the meter's makes this the TID-rollover key change (RO bit set). */
  baseDate?: number;
}

export class Operations {
  constructor(private readonly vending: VendingService) {}

  private get store() {
    return this.vending.store;
  }

  private get now() {
    return this.vending.now;
  }

  // ---- tariffs ----------------------------------------------------------------------------

  /** Adds the next version of a tariff (the version number is assigned here). */
  addTariff(input: unknown): Promise<TariffRecord> {
    const body = { ...(input as Record<string, unknown>) };
    if (typeof body.id !== 'string') throw new VendingError('invalid', 'id must be the tariff name', 'id');
    // Two versions added at once get the same number: the second insert violates the primary
    // key and its transaction runs again (PostgreSQL) with the next number.
    return this.store.transaction(async (tx) => {
      const version = await tx.nextTariffVersion(body.id as string);
      const tariff = domain(() => parseTariff({ ...body, version }));
      if ((await tx.tariffVersions(tariff.id)).some((t) => t.validFrom === tariff.validFrom)) {
        throw new VendingError('conflict', `a version of tariff ${tariff.id} already takes effect at ${new Date(tariff.validFrom).toISOString()}`, 'validFrom');
      }
      return tx.addTariffVersion(tariff, this.now());
    });
  }

  async tariffVersions(id: string): Promise<TariffRecord[]> {
    const versions = await this.store.tariffVersions(id);
    if (versions.length === 0) throw new VendingError('not-found', `no tariff ${id}`, 'tariff');
    return versions;
  }

  // ---- accounts ---------------------------------------------------------------------------

  async account(id: string, q: VendingQueries = this.store, o?: LockOption): Promise<AccountRecord> {
    const a = await q.account(id, o);
    if (!a) throw new VendingError('not-found', `no account ${id}`, 'account');
    return a;
  }

  async open(input: Omit<OpenAccountInput, 'at'> & { sts: unknown }): Promise<AccountRecord> {
    const at = this.now();
    const sts = checkStsParameters(input.sts);
    if (!this.vending.keyring.has(sts)) {
      throw new VendingError('invalid', `no ${sts.keyDerivation} vending key for supply group ${sts.supplyGroupCode} key revision ${sts.keyRevisionNumber}: tokens could not be made`, 'sts');
    }
    const { sts: _sts, ...rest } = input;
    const t = domain(() => openAccount({ ...rest, at }));
    return this.store.transaction(async (tx) => {
      if ((await tx.tariffVersions(t.account.tariffId)).length === 0) throw new VendingError('invalid', `no tariff ${t.account.tariffId}`, 'tariffId');
      await tx.insertAccount(t.account, sts, at);
      await this.record(tx, null, t, at, `open:${t.account.id}`);
      return this.account(t.account.id, tx);
    });
  }

  /** Runs a transition on the stored account and records it (state, events, journal). */
  private change(
    id: string,
    work: (state: AccountState, at: number, tx: VendingQueries) => Transition | Promise<Transition>,
    entryKind: string,
    extraLines?: (t: Transition) => { book: string; amount: number; memo?: string }[],
  ): Promise<AccountRecord> {
    const at = this.now();
    return this.store.transaction(async (tx) => {
      const before = (await this.account(id, tx, { lock: true })).state;
      let t: Transition;
      try {
        t = await work(before, at, tx);
      } catch (error) {
        return fromDomainError(error);
      }
      await this.record(tx, before, t, at, `${entryKind}:${id}:${t.account.revision}`, extraLines?.(t));
      return this.account(id, tx);
    });
  }

  private async record(tx: VendingQueries, before: AccountState | null, t: Transition, at: number, entry: string, extra: { book: string; amount: number; memo?: string }[] = []): Promise<void> {
    if (before !== null) await tx.setAccountState(t.account, at);
    await tx.addAccountEvents(t.account.id, t.events);
    const e = adjustmentEntry(entry, before, t.account, at);
    if (!e) return;
    if (extra.length > 0) {
      // Named counterparts first; whatever is left goes to 'adjustments'.
      const named = e.lines.filter((l) => l.book !== Books.adjustments);
      const rest = -(named.reduce((s, l) => s + l.amount, 0) + extra.reduce((s, l) => s + l.amount, 0));
      e.lines = [...named, ...extra, ...(rest !== 0 ? [{ book: Books.adjustments, amount: rest, memo: 'adjustment' }] : [])];
    }
    await tx.post(e);
  }

  /** Closes the account: the settlement pays emergency credit, debt and charges due; a rest is a refund payable. */
  async close(id: string): Promise<AccountRecord & { settlement: Settlement }> {
    let settlement: Settlement | undefined;
    const record = await this.change(
      id,
      async (state, at, tx) => {
        const tariff = await this.vending.tariffAt(state.tariffId, at, tx);
        const result = closeAccount(state, { at, tariff });
        settlement = result.settlement;
        return result;
      },
      'close',
      () => [
        { book: Books.sales, amount: -settlement!.fixedCharges, memo: 'charges settled at closing' },
        { book: Books.refunds, amount: -settlement!.refund, memo: 'refund payable' },
      ],
    );
    return { ...record, settlement: settlement! };
  }

  switchMode(id: string, to: AccountMode): Promise<AccountRecord> {
    return this.change(id, (s, at) => switchMode(s, to, at), 'mode');
  }

  setFriendly(id: string, friendly: unknown): Promise<AccountRecord> {
    return this.change(id, (s) => ({ account: { ...s, revision: s.revision + 1, friendly: parseFriendlyPeriods(friendly) }, events: [] }), 'friendly');
  }

  async setDelivery(id: string, delivery: Delivery): Promise<AccountRecord> {
    const next: Delivery =
      delivery?.kind === 'token' ? { kind: 'token' } : delivery?.kind === 'remote' && typeof delivery.dcuId === 'string' && delivery.dcuId ? { kind: 'remote', dcuId: delivery.dcuId } : (() => {
        throw new VendingError('invalid', `delivery must be {"kind":"token"} or {"kind":"remote","dcuId":"…"}`, 'delivery');
      })();
    return this.change(id, (s) => ({ account: { ...s, revision: s.revision + 1, delivery: next }, events: [] }), 'delivery');
  }

  async changeTariff(id: string, tariffId: string): Promise<AccountRecord> {
    if ((await this.store.tariffVersions(tariffId)).length === 0) throw new VendingError('not-found', `no tariff ${tariffId}`, 'tariffId');
    return this.change(id, (s, at) => changeTariff(s, tariffId, at), 'tariff');
  }

  emergencyCredit(id: string, amount?: number): Promise<AccountRecord> {
    return this.change(id, (s, at) => takeEmergencyCredit(s, { at, ...(amount !== undefined && { amount }) }), 'emergency');
  }

  addDebt(id: string, amount: number, recoveryBasisPoints?: number): Promise<AccountRecord> {
    return this.change(id, (s, at) => addDebt(s, { amount, at, ...(recoveryBasisPoints !== undefined && { recoveryBasisPoints }) }), 'debt');
  }

  // ---- engineering tokens -----------------------------------------------------------------

  /** Clear credit / clear tamper / set power limit (class 2, with a TID) or a key change set. */
  engineering(accountId: string, kind: EngineeringKind, params: Record<string, unknown> = {}): Promise<EngineeringTokenRecord> {
    const at = this.now();
    return this.store.transaction(async (tx) => {
      const account = await this.account(accountId, tx, { lock: true });
      const key = this.vending.keyring.decoderKey(account.sts);
      const sts = account.sts;
      const record: EngineeringTokenRecord = { id: randomUUID(), account: accountId, kind, tokens: [], tid: null, params, issuedAt: at };
      try {
        if (kind === 'key-change') {
          const next = this.nextKey(sts, params as unknown as KeyChangeParams);
          const tokens = generateKeyChangeTokens({
            decoderKey: key,
            algorithm: sts.algorithm,
            newDecoderKey: this.vending.keyring.decoderKey(next),
            newKey: keyParameters(next),
            rollover: next.baseDate !== sts.baseDate,
          });
          record.tokens = tokens.map((t) => t.digits);
          await tx.setAccountSts(accountId, next, at);
        } else {
          const subclass = { 'clear-credit': 1, 'clear-tamper': 5, 'set-power-limit': 0 }[kind];
          if (subclass === undefined) throw new VendingError('invalid', `kind must be clear-credit, clear-tamper, set-power-limit or key-change, got ${JSON.stringify(kind)}`, 'kind');
          if (kind === 'set-power-limit' && (typeof params.watts !== 'number' || !Number.isInteger(params.watts) || params.watts < 0)) {
            throw new VendingError('invalid', 'watts must be a whole number of watts', 'watts');
          }
          const tid = await takeTid(tx, accountId, sts, at);
          const value = kind === 'set-power-limit' ? (params.watts as number) : kind === 'clear-credit' ? 0xffff : 0;
          const t = generateToken({ class: 2, subclass, decoderKey: key, algorithm: sts.algorithm, tid, baseDate: sts.baseDate, keyExpiryNumber: sts.keyExpiryNumber, value });
          record.tokens = [t.digits];
          record.tid = tid;
          record.params = { ...params, baseDate: sts.baseDate };
        }
      } catch (error) {
        if (error instanceof StsError) throw new VendingError('invalid', error.message, error.field);
        throw error;
      }
      await tx.insertEngineering(record);
      return record;
    });
  }

  private nextKey(current: StsMeterParameters, p: KeyChangeParams): StsMeterParameters {
    const next = checkStsParameters({
      ...current,
      supplyGroupCode: p.supplyGroupCode ?? current.supplyGroupCode,
      tariffIndex: p.tariffIndex ?? current.tariffIndex,
      keyRevisionNumber: p.keyRevisionNumber,
      keyType: p.keyType ?? current.keyType,
      keyExpiryNumber: p.keyExpiryNumber ?? current.keyExpiryNumber,
      baseDate: p.baseDate ?? current.baseDate,
    });
    if (next.baseDate < current.baseDate) throw new VendingError('invalid', `the base date can only move on (${current.baseDate} → later)`, 'baseDate');
    if (!this.vending.keyring.has(next)) throw new VendingError('invalid', `no ${next.keyDerivation} vending key for supply group ${next.supplyGroupCode} key revision ${next.keyRevisionNumber}`, 'keyRevisionNumber');
    return next;
  }
}
