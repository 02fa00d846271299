// The PostgreSQL cloud database: the connection pool (BIGINT parsed to numbers, optional
// schema via search_path) and the schema as migrations in code — the same tables and columns
// as sqlite-schema.ts. Migrations run under an advisory lock, so several cloud instances may
// start at once (migrations.ts); table cloud_schema holds the version.
import pg from 'pg';
import { CloudStoreError } from './errors.js';
import { latestVersion, migratePostgresTables, type Migration } from './migrations.js';

/** Exported for the migration tests (a database at an older version); append, never edit. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
CREATE TABLE dcus (
  id          TEXT COLLATE "C" PRIMARY KEY,
  first_seen  BIGINT NOT NULL,
  last_seen   BIGINT NOT NULL,
  status      TEXT CHECK (status IN ('online', 'offline')),
  status_at   BIGINT,
  last_status TEXT
);
CREATE TABLE streams (
  dcu    TEXT COLLATE "C" NOT NULL,
  stream TEXT NOT NULL CHECK (stream IN ('readings', 'events')),
  up_to  BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (dcu, stream)
);
CREATE TABLE pending_batches (
  dcu         TEXT COLLATE "C" NOT NULL,
  stream      TEXT NOT NULL,
  seq         BIGINT NOT NULL,
  received_at BIGINT NOT NULL,
  PRIMARY KEY (dcu, stream, seq)
);
CREATE TABLE readings (
  dcu         TEXT COLLATE "C" NOT NULL,
  meter       TEXT COLLATE "C" NOT NULL,
  obis        TEXT COLLATE "C" NOT NULL,
  attribute   INTEGER NOT NULL,
  ts          BIGINT NOT NULL,
  value_kind  SMALLINT NOT NULL,
  value_num   DOUBLE PRECISION,
  value_text  TEXT,
  unit        INTEGER,
  scaler      INTEGER,
  status      BIGINT NOT NULL,
  source      TEXT NOT NULL,
  seq         BIGINT NOT NULL,
  received_at BIGINT NOT NULL,
  PRIMARY KEY (dcu, meter, obis, attribute, ts)
);
CREATE TABLE events (
  dcu         TEXT COLLATE "C" NOT NULL,
  id          BIGINT NOT NULL,
  ts          BIGINT NOT NULL,
  meter       TEXT,
  kind        TEXT NOT NULL,
  severity    TEXT NOT NULL,
  details     TEXT NOT NULL,
  seq         BIGINT NOT NULL,
  received_at BIGINT NOT NULL,
  PRIMARY KEY (dcu, id)
);
CREATE TABLE command_results (
  dcu         TEXT COLLATE "C" NOT NULL,
  id          TEXT COLLATE "C" NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('done', 'failed', 'refused')),
  at          BIGINT NOT NULL,
  outcome     TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  PRIMARY KEY (dcu, id)
);`,
  },
  {
    // Items of a batch the store cannot take, with the reason: kept, and the stream goes on.
    version: 2,
    sql: `
CREATE TABLE rejected_items (
  dcu         TEXT COLLATE "C" NOT NULL,
  stream      TEXT NOT NULL,
  seq         BIGINT NOT NULL,
  idx         INTEGER NOT NULL,
  reason      TEXT NOT NULL,
  item        TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  PRIMARY KEY (dcu, stream, seq, idx)
);`,
  },
  {
    // Epochs (shared/sync/messages.ts): batch numbers and event ids count per DCU database, so
    // sequences, pending batches, rejected items and events are keyed by it. What was stored
    // before is the legacy epoch ''. The same tables and keys as SQLite's version 3.
    version: 3,
    sql: `
ALTER TABLE dcus ADD COLUMN epoch TEXT COLLATE "C", ADD COLUMN epoch_since BIGINT;
CREATE TABLE dcu_epochs (
  dcu        TEXT COLLATE "C" NOT NULL,
  epoch      TEXT COLLATE "C" NOT NULL,
  first_seen BIGINT NOT NULL,
  PRIMARY KEY (dcu, epoch)
);
INSERT INTO dcu_epochs (dcu, epoch, first_seen) SELECT id, '', first_seen FROM dcus;
UPDATE dcus SET epoch = '', epoch_since = first_seen;
ALTER TABLE streams ADD COLUMN epoch TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE streams ALTER COLUMN epoch DROP DEFAULT, DROP CONSTRAINT streams_pkey, ADD PRIMARY KEY (dcu, epoch, stream);
ALTER TABLE pending_batches ADD COLUMN epoch TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE pending_batches ALTER COLUMN epoch DROP DEFAULT, DROP CONSTRAINT pending_batches_pkey, ADD PRIMARY KEY (dcu, epoch, stream, seq);
ALTER TABLE rejected_items ADD COLUMN epoch TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE rejected_items ALTER COLUMN epoch DROP DEFAULT, DROP CONSTRAINT rejected_items_pkey, ADD PRIMARY KEY (dcu, epoch, stream, seq, idx);
ALTER TABLE events ADD COLUMN epoch TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE events ALTER COLUMN epoch DROP DEFAULT, DROP CONSTRAINT events_pkey, ADD PRIMARY KEY (dcu, epoch, id);`,
  },
];
export const SCHEMA_VERSION = latestVersion(MIGRATIONS);

const INT8 = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export function checkSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new CloudStoreError(`schema name ${JSON.stringify(schema)}: use lower-case letters, digits and _`, 'invalid');
  return schema;
}

export interface PoolOptions {
  connectionString: string;
  /** Tables live in this schema (created if missing); default: the server's search_path. */
  schema?: string;
  max?: number;
}

export function createPool(options: PoolOptions): pg.Pool {
  return new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 8,
    types,
    ...(options.schema !== undefined ? { options: `-c search_path=${checkSchemaName(options.schema)}` } : {}),
  });
}

/** Creates the schema if asked, then applies the migrations not yet applied. */
export async function migratePostgres(pool: pg.Pool, schema?: string): Promise<void> {
  await migratePostgresTables(pool, {
    lock: 'metering-cloud-store',
    versionTable: 'cloud_schema',
    migrations: MIGRATIONS,
    ...(schema !== undefined && { prepare: (client: pg.PoolClient) => client.query(`CREATE SCHEMA IF NOT EXISTS ${checkSchemaName(schema)}`) }),
    tooNew: (version, supported) =>
      new CloudStoreError(`database has cloud schema version ${version}, newer than this software (${supported}); nothing was changed`, 'newer-schema'),
  });
}
