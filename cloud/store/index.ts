// The cloud store: open the one the environment asks for. PostgreSQL when a database URL is
// given (DATABASE_URL), else SQLite in one file (CLOUD_DB, default ./data/cloud.db).
import { PostgresCloudStore } from './postgres.js';
import { SqliteCloudStore } from './sqlite.js';
import type { CloudStore } from './types.js';

export type * from './types.js';
export { CloudStoreError, type CloudStoreErrorKind } from './errors.js';
export { ReadingsChecksum, readingDigest } from './checksum.js';
export { MAX_MISSING_RANGES } from './sequence.js';
export { PostgresCloudStore, redact } from './postgres.js';
export { SqliteCloudStore } from './sqlite.js';

export const DEFAULT_SQLITE_FILE = 'data/cloud.db';

export interface OpenCloudStoreOptions {
  /** postgres://… — when set, the PostgreSQL store. */
  databaseUrl?: string | undefined;
  /** PostgreSQL schema for the tables (created if missing). */
  schema?: string | undefined;
  /** The SQLite file when there is no databaseUrl (default data/cloud.db). */
  sqliteFile?: string | undefined;
  now?: () => number;
}

export async function openCloudStore(options: OpenCloudStoreOptions = {}): Promise<CloudStore> {
  const now = options.now ?? Date.now;
  if (options.databaseUrl) {
    return PostgresCloudStore.open({ connectionString: options.databaseUrl, now, ...(options.schema ? { schema: options.schema } : {}) });
  }
  return SqliteCloudStore.open(options.sqliteFile ?? DEFAULT_SQLITE_FILE, { now });
}

/** The store the environment names: DATABASE_URL (PostgreSQL) or CLOUD_DB (SQLite file). */
export function openCloudStoreFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<CloudStore> {
  return openCloudStore({ databaseUrl: env.DATABASE_URL, schema: env.DATABASE_SCHEMA, sqliteFile: env.CLOUD_DB });
}
