// The vending store: every query (queries.ts) plus transactions. Two implementations with
// the same behaviour: SQLite (sqlite.ts, the cloud's file) and PostgreSQL (postgres.ts,
// DATABASE_URL). Top-level calls each run on their own; `transaction(work)` runs work's
// queries — all through its `tx` — as one database transaction: all of it commits, or none.
import { VendingQueries } from './queries.js';

export abstract class VendingStore extends VendingQueries {
  abstract readonly kind: 'sqlite' | 'postgres';

  /**
   * Runs `work` in one transaction. PostgreSQL: READ COMMITTED with row locks (`lock: true`
   * reads), retried from the start on a serialization failure, deadlock or unique violation,
   * so `work` must do nothing but database work and computing. SQLite: BEGIN IMMEDIATE.
   */
  abstract transaction<T>(work: (tx: VendingQueries) => Promise<T>): Promise<T>;

  /** Runs read-only `work` on one consistent view of the database (reconciliation reads many tables). */
  abstract snapshot<T>(work: (tx: VendingQueries) => Promise<T>): Promise<T>;
}
