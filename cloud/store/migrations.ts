// Schemas as migrations in code, shared by the cloud store and the vending tables (SQLite and
// PostgreSQL). Append to a MIGRATIONS list, never edit one. On PostgreSQL the migrations run
// in one transaction under an advisory lock, so several cloud instances may start at once; a
// table holds the versions applied, and software older than the database stops before it
// changes anything.
import type pg from 'pg';

export interface Migration {
  readonly version: number;
  readonly sql: string;
}

/** The version a database has once every migration of the list is applied. */
export function latestVersion(migrations: readonly Migration[]): number {
  return migrations[migrations.length - 1]!.version;
}

export interface PostgresMigrations {
  /** Key of the transaction-scoped advisory lock (the server hashes it). */
  lock: string;
  /** The table of the versions applied: a constant of the caller, it goes into the SQL as is. */
  versionTable: string;
  migrations: readonly Migration[];
  /** Runs first in the transaction, under the lock (e.g. CREATE SCHEMA). */
  prepare?: (client: pg.PoolClient) => Promise<unknown>;
  /** The error when the database's version is newer than the last migration. */
  tooNew: (version: number, supported: number) => Error;
}

/** Applies the migrations not yet applied, all in one transaction. */
export async function migratePostgresTables(pool: pg.Pool, m: PostgresMigrations): Promise<void> {
  const supported = latestVersion(m.migrations);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [m.lock]);
    await m.prepare?.(client);
    await client.query(`CREATE TABLE IF NOT EXISTS ${m.versionTable} (version INTEGER NOT NULL)`);
    const { rows } = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${m.versionTable}`);
    const version = rows[0]?.version ?? 0;
    if (version > supported) throw m.tooNew(version, supported);
    for (const migration of m.migrations) {
      if (migration.version <= version) continue;
      await client.query(migration.sql);
      await client.query(`INSERT INTO ${m.versionTable} (version) VALUES ($1)`, [migration.version]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
