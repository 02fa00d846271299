// Runs one store test suite against both stores: `describe.each(STORES)`. Each test gets a
// fresh database — a new SQLite file in a temp dir, or a new PostgreSQL schema (dropped
// after the test). open() may be called again in the same test: another connection to the
// same database (a second cloud instance, or a restart). older() makes this test's database at
// an older schema version first, as older software left it, for the migration tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PostgresCloudStore, SqliteCloudStore, type CloudStore } from '../../../cloud/store/index.js';
import { migratePostgresTables } from '../../../cloud/store/migrations.js';
import { MIGRATIONS as POSTGRES_MIGRATIONS, createPool } from '../../../cloud/store/postgres-schema.js';
import { APPLICATION_ID, MIGRATIONS as SQLITE_MIGRATIONS } from '../../../cloud/store/sqlite-schema.js';
import { POSTGRES_URL, freshPostgresSchema, requirePostgres, type PostgresSchema } from '../../helpers/postgres.js';

/** A database at an older schema version, written to with plain SQL (`?` placeholders on both). */
export interface OlderDatabase {
  run(sql: string, ...params: unknown[]): Promise<void>;
  close(): Promise<void>;
}

export interface StoreHarness {
  readonly name: 'sqlite' | 'postgres';
  /** beforeAll: checks the database server; when it is missing every open() fails with what to install. */
  prepare(): Promise<void>;
  /** A store on this test's database (fails loudly when prepare() found no server). */
  open(options?: { now?: () => number }): Promise<CloudStore>;
  /** This test's database with only the first `version` migrations applied (before open()). */
  older(version: number): Promise<OlderDatabase>;
  /** afterEach: closes what open() opened and removes the database. */
  cleanup(): Promise<void>;
}

function sqliteHarness(): StoreHarness {
  let dir: string | undefined;
  const opened: CloudStore[] = [];
  return {
    name: 'sqlite',
    async prepare() {},
    async open(options = {}) {
      dir ??= mkdtempSync(join(tmpdir(), 'cloud-store-'));
      const store = await SqliteCloudStore.open(join(dir, 'cloud.db'), options);
      opened.push(store);
      return store;
    },
    async older(version) {
      dir ??= mkdtempSync(join(tmpdir(), 'cloud-store-'));
      const db = new Database(join(dir, 'cloud.db'));
      for (const m of SQLITE_MIGRATIONS.slice(0, version)) {
        db.exec(m.sql);
        db.pragma(`application_id = ${APPLICATION_ID}`);
        db.pragma(`user_version = ${m.version}`);
      }
      return {
        run: async (sql, ...params) => void db.prepare(sql).run(...params),
        close: async () => void db.close(),
      };
    },
    async cleanup() {
      for (const s of opened.splice(0)) await s.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
      dir = undefined;
    },
  };
}

function postgresHarness(): StoreHarness {
  let schema: PostgresSchema | undefined;
  let missing: unknown;
  const opened: CloudStore[] = [];
  return {
    name: 'postgres',
    // Each test fails on its own (counted as failed, not skipped as after a failing beforeAll).
    prepare: () => requirePostgres(POSTGRES_URL).then(() => (missing = undefined), (error: unknown) => void (missing = error)),
    async open(options = {}) {
      if (missing) throw missing;
      schema ??= freshPostgresSchema(POSTGRES_URL);
      const store = await PostgresCloudStore.open({ connectionString: schema.url, schema: schema.schema, ...options });
      opened.push(store);
      return store;
    },
    async older(version) {
      if (missing) throw missing;
      const s = (schema ??= freshPostgresSchema(POSTGRES_URL));
      const pool = createPool({ connectionString: s.url, schema: s.schema, max: 1 });
      await migratePostgresTables(pool, {
        lock: 'metering-cloud-store',
        versionTable: 'cloud_schema',
        migrations: POSTGRES_MIGRATIONS.slice(0, version),
        prepare: (client) => client.query(`CREATE SCHEMA IF NOT EXISTS ${s.schema}`),
        tooNew: () => new Error('newer'),
      });
      return {
        run: async (sql, ...params) => {
          let n = 0;
          await pool.query(sql.replace(/\?/g, () => `$${++n}`), params);
        },
        close: () => pool.end(),
      };
    },
    async cleanup() {
      for (const s of opened.splice(0)) await s.close();
      await schema?.drop();
      schema = undefined;
    },
  };
}

export const STORES: StoreHarness[] = [sqliteHarness(), postgresHarness()];
