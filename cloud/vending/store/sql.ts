// The little the vending queries need from a database: run a statement, read rows. The SQL
// is written once (queries.ts) in the dialect SQLite and PostgreSQL share, with `?`
// placeholders (the PostgreSQL executor numbers them). JSON columns come back as text from
// SQLite and parsed from PostgreSQL's JSONB; records.ts takes both.
import { AsyncLocalStorage } from 'node:async_hooks';

export type Row = Record<string, unknown>;

/**
 * Vending schema version 2, the same in both dialects. Two versions of one tariff taking effect
 * at the same instant would make the price at that instant ambiguous: the service refuses the
 * second, and the database too, whatever writes. Settlements at closing are found by kind and
 * time (the VAT report).
 */
export const SCHEMA_V2 = `
CREATE UNIQUE INDEX tariffs_one_version_per_instant ON tariffs (id, valid_from);
CREATE INDEX account_events_kind_at ON account_events (kind, at);
`;

export interface SqlExecutor {
  /** The rows of a query. */
  all(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a statement; resolves with the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /**
   * Appended to the SELECTs that lock what a transaction is about to change: ' FOR UPDATE'
   * on PostgreSQL (row locks); '' on SQLite, whose IMMEDIATE transaction holds the write lock
   * of the whole database already.
   */
  readonly forUpdate: string;
}

/**
 * The store whose transaction the current async call chain is inside. A store refuses its
 * own top-level queries there: they would bypass the transaction (and, waiting for a lock
 * the transaction holds, never finish). Inside `transaction(work)`, use work's `tx`.
 */
const inTransaction = new AsyncLocalStorage<object>();

export function runInTransaction<T>(owner: object, work: () => Promise<T>): Promise<T> {
  return inTransaction.run(owner, work);
}

export function refuseInsideTransaction(owner: object): void {
  if (inTransaction.getStore() === owner) {
    throw new Error('a vending store query was called on the store inside its own transaction: use the transaction\'s queries (the `tx` given to work)');
  }
}
