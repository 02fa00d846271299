// Every query of the vending store, written once for SQLite and PostgreSQL (sql.ts). A
// VendingQueries object runs on the store's connection (top-level calls) or on one
// transaction's connection (the `tx` of VendingStore.transaction).
//
// Portability rules kept here: `?` placeholders; sums CAST to BIGINT (PostgreSQL's sum of a
// BIGINT is NUMERIC, which pg would hand over as a string); NULLS FIRST/LAST spelled out
// (the two databases default differently); JSON passed as text, read back by records.ts.
import type { AccountEvent, AccountState } from '../accounts/account.js';
import type { Tariff } from '../tariffs/tariff.js';
import { VendingError } from '../errors.js';
import {
  type AccountRecord,
  type EngineeringTokenRecord,
  type JournalEntry,
  type JournalRow,
  type MeterCredit,
  type StsMeterParameters,
  type TariffRecord,
  type VendorRecord,
  type VendRecord,
  accountRecord,
  engineeringRecord,
  journalRow,
  parseJson,
  tariffRecord,
  vendorRecord,
  vendRecord,
} from './records.js';
import type { Row, SqlExecutor } from './sql.js';

const j = (v: unknown): string => JSON.stringify(v);

function mirrors(state: AccountState): unknown[] {
  return [state.meterSerial, state.tariffId, state.delivery.kind, state.delivery.kind === 'remote' ? state.delivery.dcuId : null, state.status];
}

export interface NewVendor {
  id: string;
  name: string;
  keyId: string;
  keyHash: string;
  creditLimit: number;
}

export type NewVend = Omit<VendRecord, 'status' | 'reversedAt' | 'reversalReason' | 'deliveryResult' | 'deliveryAt' | 'deliveryCommand' | 'deliveryDcu' | 'deliveryAttempts'>;

export interface DeliveryUpdate {
  delivery: VendRecord['delivery'];
  deliveryAttempts?: number;
  deliveryCommand?: string | null;
  deliveryDcu?: string | null;
  deliveryNextAt?: number | null;
  deliveryResult?: Record<string, unknown> | null;
  deliveryAt?: number | null;
}

/** Locks: `lock: true` reads the row FOR UPDATE (PostgreSQL) inside a transaction that will change it. */
export interface LockOption {
  lock?: boolean;
}

export class VendingQueries {
  constructor(protected readonly sql: SqlExecutor) {}

  private async one(sql: string, ...params: unknown[]): Promise<Row | undefined> {
    return (await this.sql.all(sql, params))[0];
  }

  private all(sql: string, ...params: unknown[]): Promise<Row[]> {
    return this.sql.all(sql, params);
  }

  private run(sql: string, ...params: unknown[]): Promise<number> {
    return this.sql.run(sql, params);
  }

  private lockIf(o: LockOption | undefined): string {
    return o?.lock ? this.sql.forUpdate : '';
  }

  // ---- tariffs ----------------------------------------------------------------------------

  /** The next version number of tariff `id` (1 for a new tariff). */
  async nextTariffVersion(id: string): Promise<number> {
    const row = await this.one(`SELECT max(version) AS v FROM tariffs WHERE id = ?`, id);
    return Number(row?.v ?? 0) + 1;
  }

  /** Appends a tariff version (its id and version inside); versions are never changed. */
  async addTariffVersion(tariff: Tariff, at: number): Promise<TariffRecord> {
    await this.run(`INSERT INTO tariffs (id, version, valid_from, definition, created_at) VALUES (?, ?, ?, ?, ?)`, tariff.id, tariff.version, tariff.validFrom, j(tariff), at);
    return { id: tariff.id, version: tariff.version, validFrom: tariff.validFrom, definition: tariff, createdAt: at };
  }

  /** The given version of a tariff, or its newest one. */
  async tariff(id: string, version?: number): Promise<TariffRecord | null> {
    const row =
      version === undefined
        ? await this.one(`SELECT * FROM tariffs WHERE id = ? ORDER BY version DESC LIMIT 1`, id)
        : await this.one(`SELECT * FROM tariffs WHERE id = ? AND version = ?`, id, version);
    return row ? tariffRecord(row) : null;
  }

  /** The newest version of every tariff. */
  async tariffs(): Promise<TariffRecord[]> {
    return (await this.all(`SELECT t.* FROM tariffs t WHERE version = (SELECT max(version) FROM tariffs WHERE id = t.id) ORDER BY id`)).map(tariffRecord);
  }

  async tariffVersions(id: string): Promise<TariffRecord[]> {
    return (await this.all(`SELECT * FROM tariffs WHERE id = ? ORDER BY version`, id)).map(tariffRecord);
  }

  // ---- accounts ---------------------------------------------------------------------------

  async insertAccount(state: AccountState, sts: StsMeterParameters, at: number): Promise<AccountRecord> {
    const clash = await this.one(`SELECT id, meter, pan FROM accounts WHERE id = ? OR meter = ? OR pan = ?`, state.id, state.meterSerial, sts.pan);
    if (clash) {
      const field = clash.id === state.id ? 'id' : clash.meter === state.meterSerial ? 'meterSerial' : 'sts.pan';
      throw new VendingError('conflict', `account ${String(clash.id)} already has this ${field === 'id' ? 'id' : field === 'meterSerial' ? 'meter serial' : 'MeterPAN'}`, field);
    }
    await this.run(
      `INSERT INTO accounts (id, meter, tariff_id, delivery, dcu, status, pan, sts, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      state.id,
      ...mirrors(state),
      sts.pan,
      j(sts),
      j(state),
      at,
      at,
    );
    return (await this.account(state.id))!;
  }

  async account(id: string, o?: LockOption): Promise<AccountRecord | null> {
    const row = await this.one(`SELECT * FROM accounts WHERE id = ?${this.lockIf(o)}`, id);
    return row ? accountRecord(row) : null;
  }

  /** The account of a meter, found by its serial number or its 18-digit MeterPAN. */
  async accountByMeter(meter: string, o?: LockOption): Promise<AccountRecord | null> {
    const row = await this.one(`SELECT * FROM accounts WHERE meter = ? OR pan = ?${this.lockIf(o)}`, meter, meter);
    return row ? accountRecord(row) : null;
  }

  async accounts(): Promise<AccountRecord[]> {
    return (await this.all(`SELECT * FROM accounts ORDER BY id`)).map(accountRecord);
  }

  async setAccountState(state: AccountState, at: number): Promise<void> {
    await this.run(`UPDATE accounts SET meter = ?, tariff_id = ?, delivery = ?, dcu = ?, status = ?, state = ?, updated_at = ? WHERE id = ?`, ...mirrors(state), j(state), at, state.id);
  }

  async setAccountSts(id: string, sts: StsMeterParameters, at: number): Promise<void> {
    await this.run(`UPDATE accounts SET sts = ?, pan = ?, updated_at = ? WHERE id = ?`, j(sts), sts.pan, at, id);
  }

  async setMeterCredit(id: string, credit: MeterCredit, at: number): Promise<void> {
    await this.run(`UPDATE accounts SET meter_credit = ?, meter_credit_at = ? WHERE id = ? AND (meter_credit_at IS NULL OR meter_credit_at <= ?)`, j(credit), at, id, at);
  }

  async addAccountEvents(account: string, events: readonly AccountEvent[]): Promise<void> {
    for (const e of events) await this.run(`INSERT INTO account_events (account, at, kind, details) VALUES (?, ?, ?, ?)`, account, e.at, e.kind, j(e));
  }

  /** Events of one kind, of every account, at from <= at < to, in order. */
  async eventsOfKind(kind: AccountEvent['kind'], from: number, to: number): Promise<AccountEvent[]> {
    return (await this.all(`SELECT details FROM account_events WHERE kind = ? AND at >= ? AND at < ? ORDER BY id`, kind, from, to)).map((r) => parseJson<AccountEvent>(r.details));
  }

  async accountEvents(account: string): Promise<AccountEvent[]> {
    return (await this.all(`SELECT details FROM account_events WHERE account = ? ORDER BY id`, account)).map((r) => parseJson<AccountEvent>(r.details));
  }

  // ---- vendors ----------------------------------------------------------------------------

  async insertVendor(v: NewVendor, at: number): Promise<VendorRecord> {
    if (await this.one(`SELECT 1 FROM vendors WHERE name = ?`, v.name)) throw new VendingError('conflict', `a vendor named '${v.name}' exists already`, 'name');
    await this.run(
      `INSERT INTO vendors (id, name, key_id, key_hash, credit_limit, balance_owed, status, created_at) VALUES (?, ?, ?, ?, ?, 0, 'active', ?)`,
      v.id,
      v.name,
      v.keyId,
      v.keyHash,
      v.creditLimit,
      at,
    );
    return (await this.vendor(v.id))!;
  }

  async vendor(id: string, o?: LockOption): Promise<VendorRecord | null> {
    const row = await this.one(`SELECT * FROM vendors WHERE id = ?${this.lockIf(o)}`, id);
    return row ? vendorRecord(row) : null;
  }

  /** The vendor and its stored key hash, by the public key id. */
  async vendorByKeyId(keyId: string): Promise<{ vendor: VendorRecord; keyHash: string } | null> {
    const row = await this.one(`SELECT * FROM vendors WHERE key_id = ?`, keyId);
    return row ? { vendor: vendorRecord(row), keyHash: row.key_hash as string } : null;
  }

  async vendors(): Promise<VendorRecord[]> {
    return (await this.all(`SELECT * FROM vendors ORDER BY name`)).map(vendorRecord);
  }

  async addToVendorBalance(id: string, delta: number): Promise<void> {
    await this.run(`UPDATE vendors SET balance_owed = balance_owed + ? WHERE id = ?`, delta, id);
  }

  async setVendorTerms(id: string, terms: { creditLimit?: number; status?: VendorRecord['status'] }): Promise<void> {
    if (terms.creditLimit !== undefined) await this.run(`UPDATE vendors SET credit_limit = ? WHERE id = ?`, terms.creditLimit, id);
    if (terms.status !== undefined) await this.run(`UPDATE vendors SET status = ? WHERE id = ?`, terms.status, id);
  }

  async setVendorKey(id: string, keyId: string, keyHash: string): Promise<void> {
    await this.run(`UPDATE vendors SET key_id = ?, key_hash = ? WHERE id = ?`, keyId, keyHash, id);
  }

  // ---- vends ------------------------------------------------------------------------------

  async vendByRequest(vendor: string, requestId: string, o?: LockOption): Promise<VendRecord | null> {
    const row = await this.one(`SELECT * FROM vends WHERE vendor = ? AND request_id = ?${this.lockIf(o)}`, vendor, requestId);
    return row ? vendRecord(row) : null;
  }

  async vend(id: string): Promise<VendRecord | null> {
    const row = await this.one(`SELECT * FROM vends WHERE id = ?`, id);
    return row ? vendRecord(row) : null;
  }

  async insertVend(v: NewVend): Promise<void> {
    await this.run(
      `INSERT INTO vends (id, vendor, request_id, account, pan, amount, quote, units, token, tid, base_date, account_before, account_after,
         status, issued_at, delivery, delivery_next_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'issued', ?, ?, ?)`,
      ...[v.id, v.vendor, v.requestId, v.account, v.pan, v.amount, j(v.quote), v.units, v.token, v.tid, v.baseDate, j(v.accountBefore), j(v.accountAfter), v.issuedAt, v.delivery, v.deliveryNextAt],
    );
  }

  async markReversed(id: string, at: number, reason: string): Promise<void> {
    await this.run(`UPDATE vends SET status = 'reversed', reversed_at = ?, reversal_reason = ? WHERE id = ? AND status = 'issued'`, at, reason, id);
  }

  /** The newest vend of an account still standing (not reversed), by issue time then TID. */
  async latestIssuedVend(account: string): Promise<VendRecord | null> {
    const row = await this.one(`SELECT * FROM vends WHERE account = ? AND status = 'issued' ORDER BY issued_at DESC, tid DESC NULLS LAST LIMIT 1`, account);
    return row ? vendRecord(row) : null;
  }

  /** Token units of the account's standing vends issued at or after `from` (step tariffs count the month's units). */
  async unitsSince(account: string, from: number): Promise<number> {
    const row = await this.one(`SELECT CAST(coalesce(sum(units), 0) AS BIGINT) AS n FROM vends WHERE account = ? AND status = 'issued' AND issued_at >= ?`, account, from);
    return Number(row!.n);
  }

  async vendsOfAccount(account: string): Promise<VendRecord[]> {
    return (await this.all(`SELECT * FROM vends WHERE account = ? ORDER BY issued_at, tid NULLS FIRST`, account)).map(vendRecord);
  }

  /** Vends issued or reversed in [from, to). */
  async vendsTouching(from: number, to: number): Promise<VendRecord[]> {
    return (await this.all(`SELECT * FROM vends WHERE (issued_at >= ? AND issued_at < ?) OR (reversed_at >= ? AND reversed_at < ?) ORDER BY issued_at`, from, to, from, to)).map(vendRecord);
  }

  async allVends(): Promise<VendRecord[]> {
    return (await this.all(`SELECT * FROM vends ORDER BY issued_at`)).map(vendRecord);
  }

  /** Remote deliveries the worker should look at by `now`. */
  async dueDeliveries(now: number, limit = 100): Promise<VendRecord[]> {
    return (
      await this.all(
        `SELECT * FROM vends WHERE delivery IN ('pending', 'sent') AND (delivery_next_at IS NULL OR delivery_next_at <= ?) ORDER BY delivery_next_at NULLS FIRST LIMIT ?`,
        now,
        limit,
      )
    ).map(vendRecord);
  }

  /**
   * Takes a pending delivery for one send: only if it is still pending at `attempts` (another
   * cloud instance on the same database may have taken it). True when this caller got it.
   */
  async claimDelivery(id: string, attempts: number, claim: { command: string; dcu: string; nextAt: number; sentAt: number }): Promise<boolean> {
    const changed = await this.run(
      `UPDATE vends SET delivery = 'sent', delivery_attempts = ?, delivery_command = ?, delivery_dcu = ?, delivery_next_at = ?, delivery_result = ?
       WHERE id = ? AND delivery = 'pending' AND delivery_attempts = ?`,
      attempts + 1,
      claim.command,
      claim.dcu,
      claim.nextAt,
      j({ sentAt: claim.sentAt }),
      id,
      attempts,
    );
    return changed === 1;
  }

  async updateDelivery(id: string, u: DeliveryUpdate): Promise<void> {
    const sets: string[] = ['delivery = ?'];
    const params: unknown[] = [u.delivery];
    const add = (column: string, value: unknown) => (sets.push(`${column} = ?`), params.push(value));
    if (u.deliveryAttempts !== undefined) add('delivery_attempts', u.deliveryAttempts);
    if (u.deliveryCommand !== undefined) add('delivery_command', u.deliveryCommand);
    if (u.deliveryDcu !== undefined) add('delivery_dcu', u.deliveryDcu);
    if (u.deliveryNextAt !== undefined) add('delivery_next_at', u.deliveryNextAt);
    if (u.deliveryResult !== undefined) add('delivery_result', u.deliveryResult === null ? null : j(u.deliveryResult));
    if (u.deliveryAt !== undefined) add('delivery_at', u.deliveryAt);
    await this.run(`UPDATE vends SET ${sets.join(', ')} WHERE id = ?`, ...params, id);
  }

  // ---- TIDs -------------------------------------------------------------------------------

  async lastTid(account: string): Promise<{ baseDate: number; lastTid: number } | null> {
    const row = await this.one(`SELECT base_date, last_tid FROM meter_tids WHERE account = ?`, account);
    return row ? { baseDate: Number(row.base_date), lastTid: Number(row.last_tid) } : null;
  }

  async setLastTid(account: string, baseDate: number, tid: number): Promise<void> {
    await this.run(
      `INSERT INTO meter_tids (account, base_date, last_tid) VALUES (?, ?, ?) ON CONFLICT (account) DO UPDATE SET base_date = excluded.base_date, last_tid = excluded.last_tid`,
      account,
      baseDate,
      tid,
    );
  }

  // ---- engineering tokens -----------------------------------------------------------------

  async insertEngineering(t: EngineeringTokenRecord): Promise<void> {
    await this.run(`INSERT INTO engineering_tokens (id, account, kind, tokens, tid, params, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?)`, t.id, t.account, t.kind, j(t.tokens), t.tid, j(t.params), t.issuedAt);
  }

  async engineeringTokens(account: string): Promise<EngineeringTokenRecord[]> {
    return (await this.all(`SELECT * FROM engineering_tokens WHERE account = ? ORDER BY issued_at, id`, account)).map(engineeringRecord);
  }

  // ---- journal ----------------------------------------------------------------------------

  /** Appends a balanced entry; an unbalanced one is a bug and writes nothing. */
  async post(e: JournalEntry): Promise<void> {
    const sum = e.lines.reduce((s, l) => s + l.amount, 0);
    if (sum !== 0 || e.lines.some((l) => !Number.isSafeInteger(l.amount))) {
      throw new Error(`journal entry ${e.entry} does not balance (sum ${sum}): ${j(e.lines)}`);
    }
    for (const l of e.lines) {
      if (l.amount === 0) continue;
      await this.run(
        `INSERT INTO journal (entry, kind, at, vendor, account, vend, book, amount, memo) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ...[e.entry, e.kind, e.at, e.vendor ?? null, e.account ?? null, e.vend ?? null, l.book, l.amount, l.memo ?? ''],
      );
    }
  }

  /** Σ amount per book (all time, or entries before `until`). */
  async bookBalances(until?: number): Promise<Map<string, number>> {
    const rows =
      until === undefined
        ? await this.all(`SELECT book, CAST(sum(amount) AS BIGINT) AS s FROM journal GROUP BY book`)
        : await this.all(`SELECT book, CAST(sum(amount) AS BIGINT) AS s FROM journal WHERE at < ? GROUP BY book`, until);
    return new Map(rows.map((r) => [r.book as string, Number(r.s)]));
  }

  /** Entries whose lines do not sum to zero (should never be any). */
  async unbalancedEntries(): Promise<{ entry: string; sum: number }[]> {
    return (await this.all(`SELECT entry, CAST(sum(amount) AS BIGINT) AS s FROM journal GROUP BY entry HAVING sum(amount) <> 0`)).map((r) => ({ entry: r.entry as string, sum: Number(r.s) }));
  }

  async journal(filter: { vend?: string; entry?: string } = {}): Promise<JournalRow[]> {
    const rows =
      filter.vend !== undefined
        ? await this.all(`SELECT * FROM journal WHERE vend = ? ORDER BY id`, filter.vend)
        : filter.entry !== undefined
          ? await this.all(`SELECT * FROM journal WHERE entry = ? ORDER BY id`, filter.entry)
          : await this.all(`SELECT * FROM journal ORDER BY id`);
    return rows.map(journalRow);
  }
}
