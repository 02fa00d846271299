// The SQLite cloud database: opening it (WAL, synchronous=FULL, busy timeout) and its
// schema as migrations in code. FULL, not the DCU's NORMAL: an ack tells the DCU it may delete
// the batch, so a committed batch must survive a power cut too (NORMAL may lose the last
// commits then; the DCU can re-read its meters, the cloud has nobody to ask).
// PRAGMA user_version is the last migration applied; each migration runs in one transaction
// with the bump. Append to MIGRATIONS, never edit one.
// The PostgreSQL schema (postgres-schema.ts) has the same tables and columns.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { CloudStoreError } from './errors.js';
import { latestVersion, type Migration } from './migrations.js';

export type Db = Database.Database;

/** PRAGMA application_id of a cloud store: 'CLD1'. */
export const APPLICATION_ID = 0x434c4431;

const V1 = `
CREATE TABLE dcus (
  id          TEXT PRIMARY KEY,
  first_seen  INTEGER NOT NULL,
  last_seen   INTEGER NOT NULL,
  status      TEXT CHECK (status IN ('online', 'offline')),
  status_at   INTEGER,
  last_status TEXT                           -- the status message as JSON
);

-- Per (DCU, stream): every seq <= up_to is stored; pending_batches holds the stored seqs above it.
CREATE TABLE streams (
  dcu    TEXT NOT NULL,
  stream TEXT NOT NULL CHECK (stream IN ('readings', 'events')),
  up_to  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (dcu, stream)
);
CREATE TABLE pending_batches (
  dcu         TEXT NOT NULL,
  stream      TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (dcu, stream, seq)
);

CREATE TABLE readings (
  dcu         TEXT NOT NULL,
  meter       TEXT NOT NULL,
  obis        TEXT NOT NULL,
  attribute   INTEGER NOT NULL,
  ts          INTEGER NOT NULL,
  value_kind  INTEGER NOT NULL,            -- rows.ts VALUE_KIND
  value_num   REAL,
  value_text  TEXT,
  unit        INTEGER,
  scaler      INTEGER,
  status      INTEGER NOT NULL,
  source      TEXT NOT NULL,
  seq         INTEGER NOT NULL,            -- the batch that brought the row
  received_at INTEGER NOT NULL,
  PRIMARY KEY (dcu, meter, obis, attribute, ts)
) WITHOUT ROWID;

CREATE TABLE events (
  dcu         TEXT NOT NULL,
  id          INTEGER NOT NULL,
  ts          INTEGER NOT NULL,
  meter       TEXT,
  kind        TEXT NOT NULL,
  severity    TEXT NOT NULL,
  details     TEXT NOT NULL,               -- JSON
  seq         INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (dcu, id)
);

CREATE TABLE command_results (
  dcu         TEXT NOT NULL,
  id          TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('done', 'failed', 'refused')),
  at          INTEGER NOT NULL,
  outcome     TEXT NOT NULL,               -- JSON
  received_at INTEGER NOT NULL,
  PRIMARY KEY (dcu, id)
);
`;

// Items of a batch the store cannot take, with the reason: kept, and the stream goes on.
const V2 = `
CREATE TABLE rejected_items (
  dcu         TEXT NOT NULL,
  stream      TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  idx         INTEGER NOT NULL,
  reason      TEXT NOT NULL,
  item        TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (dcu, stream, seq, idx)
);
`;

// Epochs (shared/sync/messages.ts): batch numbers and event ids count per DCU database, so
// sequences, pending batches, rejected items and events are keyed by it. What was stored before
// is the legacy epoch ''. SQLite cannot change a primary key: those tables are rebuilt.
const V3 = `
ALTER TABLE dcus ADD COLUMN epoch TEXT;           -- the newest epoch seen (null: none named yet)
ALTER TABLE dcus ADD COLUMN epoch_since INTEGER;  -- when it was first seen
CREATE TABLE dcu_epochs (
  dcu        TEXT NOT NULL,
  epoch      TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  PRIMARY KEY (dcu, epoch)
);
INSERT INTO dcu_epochs (dcu, epoch, first_seen) SELECT id, '', first_seen FROM dcus;
UPDATE dcus SET epoch = '', epoch_since = first_seen;

CREATE TABLE streams_v3 (
  dcu    TEXT NOT NULL,
  epoch  TEXT NOT NULL,
  stream TEXT NOT NULL CHECK (stream IN ('readings', 'events')),
  up_to  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (dcu, epoch, stream)
);
INSERT INTO streams_v3 (dcu, epoch, stream, up_to) SELECT dcu, '', stream, up_to FROM streams;
DROP TABLE streams;
ALTER TABLE streams_v3 RENAME TO streams;

CREATE TABLE pending_batches_v3 (
  dcu         TEXT NOT NULL,
  epoch       TEXT NOT NULL,
  stream      TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (dcu, epoch, stream, seq)
);
INSERT INTO pending_batches_v3 (dcu, epoch, stream, seq, received_at) SELECT dcu, '', stream, seq, received_at FROM pending_batches;
DROP TABLE pending_batches;
ALTER TABLE pending_batches_v3 RENAME TO pending_batches;

CREATE TABLE rejected_items_v3 (
  dcu         TEXT NOT NULL,
  epoch       TEXT NOT NULL,
  stream      TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  idx         INTEGER NOT NULL,
  reason      TEXT NOT NULL,
  item        TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (dcu, epoch, stream, seq, idx)
);
INSERT INTO rejected_items_v3 (dcu, epoch, stream, seq, idx, reason, item, received_at)
  SELECT dcu, '', stream, seq, idx, reason, item, received_at FROM rejected_items;
DROP TABLE rejected_items;
ALTER TABLE rejected_items_v3 RENAME TO rejected_items;

CREATE TABLE events_v3 (
  dcu         TEXT NOT NULL,
  epoch       TEXT NOT NULL,
  id          INTEGER NOT NULL,
  ts          INTEGER NOT NULL,
  meter       TEXT,
  kind        TEXT NOT NULL,
  severity    TEXT NOT NULL,
  details     TEXT NOT NULL,               -- JSON
  seq         INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (dcu, epoch, id)
);
INSERT INTO events_v3 (dcu, epoch, id, ts, meter, kind, severity, details, seq, received_at)
  SELECT dcu, '', id, ts, meter, kind, severity, details, seq, received_at FROM events;
DROP TABLE events;
ALTER TABLE events_v3 RENAME TO events;
`;

/** Exported for the migration tests (a database at an older version); append, never edit. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, sql: V1 },
  { version: 2, sql: V2 },
  { version: 3, sql: V3 },
];
export const SCHEMA_VERSION = latestVersion(MIGRATIONS);

function migrate(db: Db, file: string): void {
  const appId = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  const tables = db.prepare(`SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'`).get() as { n: number };
  if (appId !== APPLICATION_ID && (appId !== 0 || tables.n > 0)) {
    throw new CloudStoreError(`${file} is not a cloud store database (application_id ${appId}, ${tables.n} tables); nothing was changed`, 'foreign-database');
  }
  if (version > SCHEMA_VERSION) {
    throw new CloudStoreError(`${file} has schema version ${version}, newer than this software (${SCHEMA_VERSION}); nothing was changed`, 'newer-schema');
  }
  for (const m of MIGRATIONS) {
    if (m.version <= version) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
}

/** Opens (creating it and its folder if needed) the database file and brings the schema up to date. */
export function openSqlite(file: string, busyTimeoutMs = 5000): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  let db: Db;
  try {
    db = new Database(file, { timeout: busyTimeoutMs });
  } catch (error) {
    throw new CloudStoreError(`cannot open ${file}: ${error instanceof Error ? error.message : String(error)}`, 'unavailable');
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
    migrate(db, file);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
