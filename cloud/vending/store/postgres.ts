// The vending store on PostgreSQL (the cloud store's pool: its search_path, BIGINT parsed to
// numbers). A transaction is one pooled connection: BEGIN (READ COMMITTED) … COMMIT. Work
// that will change a vendor, account or vend reads it with `lock: true` (SELECT … FOR UPDATE),
// so two transactions on the same rows run one after the other, and each reads the other's
// committed result. A serialization failure, deadlock or unique violation (two transactions
// inserting the same key, e.g. one vend request sent twice at once) rolls back and runs the
// work again from the start — where the idempotency check then finds the first one's row.
import type pg from 'pg';
import { VendingError } from '../errors.js';
import { migrateVendingPostgres } from './postgres-schema.js';
import { VendingQueries } from './queries.js';
import { type Row, type SqlExecutor, refuseInsideTransaction, runInTransaction } from './sql.js';
import { VendingStore } from './store.js';

/** serialization_failure, deadlock_detected, unique_violation. */
const RETRYABLE = new Set(['40001', '40P01', '23505']);
const ATTEMPTS = 8;

const numbered = new Map<string, string>();
/** `?` placeholders as $1, $2, … (the queries have no `?` inside literals). */
function dollars(sql: string): string {
  let out = numbered.get(sql);
  if (out === undefined) {
    let n = 0;
    numbered.set(sql, (out = sql.replace(/\?/g, () => `$${++n}`)));
  }
  return out;
}

function executor(q: pg.Pool | pg.PoolClient, before?: () => void): SqlExecutor {
  return {
    forUpdate: ' FOR UPDATE',
    all: async (sql, params = []) => {
      before?.();
      return (await q.query<Row>(dollars(sql), params as unknown[])).rows;
    },
    run: async (sql, params = []) => {
      before?.();
      return (await q.query(dollars(sql), params as unknown[])).rowCount ?? 0;
    },
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class PostgresVendingStore extends VendingStore {
  readonly kind = 'postgres' as const;
  readonly #owner: object;

  private constructor(readonly pool: pg.Pool) {
    const owner = {};
    super(executor(pool, () => refuseInsideTransaction(owner)));
    this.#owner = owner;
  }

  /** The vending tables on `pool`'s database and schema (created or migrated now). */
  static async open(pool: pg.Pool): Promise<PostgresVendingStore> {
    await migrateVendingPostgres(pool);
    return new PostgresVendingStore(pool);
  }

  transaction<T>(work: (tx: VendingQueries) => Promise<T>): Promise<T> {
    return this.#run('BEGIN', work);
  }

  /** REPEATABLE READ: every query sees the database as it was at the first one. */
  snapshot<T>(work: (tx: VendingQueries) => Promise<T>): Promise<T> {
    return this.#run('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', work);
  }

  async #run<T>(begin: string, work: (tx: VendingQueries) => Promise<T>): Promise<T> {
    refuseInsideTransaction(this.#owner);
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let broken: Error | undefined;
      try {
        await client.query(begin);
        const result = await runInTransaction(this.#owner, () => work(new VendingQueries(executor(client))));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((e: unknown) => (broken = e as Error));
        const { code, detail } = error as { code?: string; detail?: string };
        if (code === undefined || !RETRYABLE.has(code)) throw error;
        if (attempt >= ATTEMPTS) {
          throw new VendingError('conflict', `the change clashed with concurrent changes ${ATTEMPTS} times (${detail ?? code}); nothing was changed, try again`);
        }
      } finally {
        client.release(broken);
      }
      await pause(Math.random() * 5 * attempt); // let the other transaction finish first
    }
  }
}
