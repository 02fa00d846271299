// Runs one store test suite against both stores: `describe.each(STORES)`. Each test gets a
// fresh database — a new SQLite file in a temp dir, or a new PostgreSQL schema (dropped
// after the test). open() may be called again in the same test: another connection to the
// same database (a second cloud instance, or a restart).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresCloudStore, SqliteCloudStore, type CloudStore } from '../../../cloud/store/index.js';
import { POSTGRES_URL, freshPostgresSchema, requirePostgres, type PostgresSchema } from '../../helpers/postgres.js';

export interface StoreHarness {
  readonly name: 'sqlite' | 'postgres';
  /** beforeAll: checks the database server; when it is missing every open() fails with what to install. */
  prepare(): Promise<void>;
  /** A store on this test's database (fails loudly when prepare() found no server). */
  open(options?: { now?: () => number }): Promise<CloudStore>;
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
    async cleanup() {
      for (const s of opened.splice(0)) await s.close();
      await schema?.drop();
      schema = undefined;
    },
  };
}

export const STORES: StoreHarness[] = [sqliteHarness(), postgresHarness()];
