// The vending store on the cloud's SQLite connection. better-sqlite3 is synchronous: every
// query below finishes before its promise is returned, so a transaction whose work awaits only
// its queries runs from BEGIN IMMEDIATE to COMMIT within one turn of the event loop — nothing
// else using the connection (the cloud store's ingest) can run in between and land inside
// it. A transaction that waits for anything else (I/O, a timer) is a bug: it is rolled back
// with an error. Transactions of this process take turns (a queue); another process on the
// same file waits on the write lock (busy timeout); with synchronous=FULL (the cloud store's
// setting) a commit survives kill -9 and power loss.
import type Database from 'better-sqlite3';
import type { Db } from '../../store/sqlite-schema.js';
import { VendingQueries } from './queries.js';
import { type Row, type SqlExecutor, refuseInsideTransaction, runInTransaction } from './sql.js';
import { migrateVending } from './sqlite-schema.js';
import { VendingStore } from './store.js';

/** One at a time, in call order. */
class Queue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => T | Promise<T>): Promise<T> {
    const result = this.#tail.then(work);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

function statements(db: Db): (sql: string) => Database.Statement {
  const cache = new Map<string, Database.Statement>();
  return (sql) => {
    let s = cache.get(sql);
    if (!s) cache.set(sql, (s = db.prepare(sql)));
    return s;
  };
}

export class SqliteVendingStore extends VendingStore {
  readonly kind = 'sqlite' as const;
  readonly #queue: Queue;
  readonly #owner: object;
  readonly #tx: VendingQueries;

  private constructor(readonly db: Db) {
    const queue = new Queue();
    const owner = {};
    const prepared = statements(db);
    // Top-level queries wait for a running transaction (they must not read its uncommitted rows).
    const topLevel: SqlExecutor = {
      forUpdate: '',
      all: (sql, params = []) => (refuseInsideTransaction(owner), queue.run(() => prepared(sql).all(...params) as Row[])),
      run: (sql, params = []) => (refuseInsideTransaction(owner), queue.run(() => prepared(sql).run(...params).changes)),
    };
    super(topLevel);
    this.#queue = queue;
    this.#owner = owner;
    this.#tx = new VendingQueries({
      forUpdate: '',
      all: async (sql, params = []) => prepared(sql).all(...params) as Row[],
      run: async (sql, params = []) => prepared(sql).run(...params).changes,
    });
  }

  /** The vending tables in `db` (created or migrated now). */
  static open(db: Db): SqliteVendingStore {
    migrateVending(db);
    return new SqliteVendingStore(db);
  }

  transaction<T>(work: (tx: VendingQueries) => Promise<T>): Promise<T> {
    return this.#run('BEGIN IMMEDIATE', work);
  }

  snapshot<T>(work: (tx: VendingQueries) => Promise<T>): Promise<T> {
    return this.#run('BEGIN', work);
  }

  #run<T>(begin: string, work: (tx: VendingQueries) => Promise<T>): Promise<T> {
    refuseInsideTransaction(this.#owner);
    return this.#queue.run(async () => {
      this.db.exec(begin);
      let waited = false;
      const nextTurn = setImmediate(() => (waited = true));
      try {
        const result = await runInTransaction(this.#owner, () => work(this.#tx));
        if (waited) throw new Error('a SQLite vending transaction waited for something other than its queries; it was rolled back');
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      } finally {
        clearImmediate(nextTurn);
      }
    });
  }
}
