// The schema, as migrations in code. PRAGMA user_version holds the number of the last
// migration applied; each migration runs in its own transaction together with the bump of
// user_version, so a crash leaves the file at one version or the next, never between.
// Add a migration by appending to MIGRATIONS — never edit one that has shipped.
import { randomBytes } from 'node:crypto';
import type { Db } from './database.js';
import { StoreError } from './errors.js';
import { obisSql, sourceSql } from './codec.js';

/** PRAGMA application_id of a DCU store: 'DCU1'. */
export const APPLICATION_ID = 0x44435531;

export interface Migration {
  readonly version: number;
  readonly name: string;
  up(db: Db): void;
}

const V1 = `
-- The meter directory. A meter is its serial number; where it answers (link, addresses) may change.
CREATE TABLE meters (
  id                  INTEGER PRIMARY KEY,
  serial              TEXT NOT NULL UNIQUE,
  logical_device_name TEXT,
  link                TEXT,                 -- bus or network name, e.g. 'rs485-1'
  link_kind           TEXT,                 -- 'hdlc-serial', 'hdlc-tcp', 'wrapper-udp', 'wrapper-tcp', 'g3-plc'…
  physical_address    INTEGER,              -- HDLC lower (physical device) address
  logical_device      INTEGER,              -- HDLC upper address / wrapper destination wPort
  network_address     TEXT,                 -- IP[:port] or G3 short address / EUI-64, for wrapper links
  client_sap          INTEGER,
  security_profile    TEXT,                 -- name of a security profile (policy, suite, authentication)
  key_refs            TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(key_refs)),  -- names of keys in the key store, never keys
  capabilities        TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(capabilities)), -- object list: [{classId, obis, version}]
  status              TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'unreachable', 'removed')),
  first_seen          INTEGER NOT NULL,
  last_seen           INTEGER NOT NULL,
  attempts            INTEGER NOT NULL DEFAULT 0,
  successes           INTEGER NOT NULL DEFAULT 0,
  failures            INTEGER NOT NULL DEFAULT 0,
  bytes_in            INTEGER NOT NULL DEFAULT 0,
  bytes_out           INTEGER NOT NULL DEFAULT 0,
  last_error          TEXT,
  last_error_at       INTEGER,
  silent_cycles       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX meters_address ON meters (link, physical_address, logical_device);

-- The schedule and what came of it.
CREATE TABLE tasks (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  type        TEXT NOT NULL,
  items       TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(items)),
  cron        TEXT,
  start_at    INTEGER,
  end_at      INTEGER,
  period_ms   INTEGER,
  priority    INTEGER NOT NULL DEFAULT 0,
  retries     INTEGER NOT NULL DEFAULT 0,
  enabled     INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE TABLE task_runs (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  task        INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  meter       INTEGER REFERENCES meters (id),
  started_at  INTEGER NOT NULL,
  finished_at INTEGER,
  outcome     TEXT CHECK (outcome IN ('ok', 'partial', 'failed', 'timeout', 'skipped', 'interrupted')),
  error       TEXT,
  rows        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX task_runs_started ON task_runs (started_at);
CREATE INDEX task_runs_task ON task_runs (task, meter, started_at);
CREATE INDEX task_runs_meter ON task_runs (meter, started_at);

-- The reading buffer. seq (the rowid, AUTOINCREMENT so never reused) is the insertion order
-- and the uplink order; the unique key (ts, meter, obis, attribute) orders time first so that
-- rows arriving in time order append at the end of the index, and makes recollection idempotent.
CREATE TABLE readings (
  seq       INTEGER PRIMARY KEY AUTOINCREMENT,
  ts        INTEGER NOT NULL,               -- UTC ms
  meter     INTEGER NOT NULL REFERENCES meters (id),
  obis      INTEGER NOT NULL,               -- packed: A.B.C.D.E.F as a 48-bit integer
  attribute INTEGER NOT NULL,
  value     REAL,                           -- numbers (integral values take 1–6 bytes on disk)
  raw,                                      -- text, blob, or a 64-bit integer, when value is not a number
  unit      INTEGER,                        -- COSEM unit enumeration
  scaler    INTEGER,                        -- value × 10^scaler is the physical quantity
  status    INTEGER NOT NULL DEFAULT 0,     -- status bits (profile status, recollection flags…)
  source    INTEGER NOT NULL                -- 0 scheduled, 1 recollected, 2 on-demand, 3 pushed
);
CREATE UNIQUE INDEX readings_key ON readings (ts, meter, obis, attribute);

-- Per meter and profile (or register group): the time of the last entry collected.
CREATE TABLE collection_marks (
  meter      INTEGER NOT NULL REFERENCES meters (id),
  profile    TEXT NOT NULL,                 -- OBIS of the profile, 'A.B.C.D.E.F'
  upto       INTEGER NOT NULL,              -- UTC ms
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (meter, profile)
) WITHOUT ROWID;

CREATE TABLE events (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  ts       INTEGER NOT NULL,
  meter    INTEGER REFERENCES meters (id),
  kind     TEXT NOT NULL,
  severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'error', 'critical')),
  details  TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details))
);
CREATE INDEX events_ts ON events (ts);
CREATE INDEX events_meter ON events (meter, ts);

-- The command journal: one row per command id, ever; a repeated id is the same command.
CREATE TABLE commands (
  id          TEXT PRIMARY KEY,
  kind        TEXT NOT NULL,
  meter       TEXT,                         -- target meter's serial, as the command names it
  params      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(params)),
  status      TEXT NOT NULL CHECK (status IN ('received', 'running', 'done', 'failed')),
  outcome     TEXT CHECK (outcome IS NULL OR json_valid(outcome)),
  received_at INTEGER NOT NULL,
  started_at  INTEGER,
  finished_at INTEGER,
  updated_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX commands_status ON commands (status, received_at);

CREATE TABLE config (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL CHECK (json_valid(value)),
  version    INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Uplink streams: everything with seq/id <= delivered_upto was acknowledged by the cloud.
CREATE TABLE outbox (
  stream          TEXT PRIMARY KEY,
  delivered_upto  INTEGER NOT NULL DEFAULT 0,
  acknowledged_at INTEGER
) WITHOUT ROWID;
INSERT INTO outbox (stream) VALUES ('readings'), ('events');

-- Exact row counts per data class, kept in the transactions that insert and delete, so that
-- quotas are checked without counting millions of rows.
CREATE TABLE row_counts (
  class TEXT PRIMARY KEY,
  rows  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
INSERT INTO row_counts (class) VALUES ('readings'), ('events'), ('taskRuns');

-- What retention dropped and has not yet reported as an event (survives a crash mid-run).
CREATE TABLE retention_tally (
  class       TEXT PRIMARY KEY,
  by_age      INTEGER NOT NULL DEFAULT 0,
  by_quota    INTEGER NOT NULL DEFAULT 0,
  undelivered INTEGER NOT NULL DEFAULT 0,
  oldest_ts   INTEGER,
  newest_ts   INTEGER
) WITHOUT ROWID;

-- For people with the sqlite3 shell on site: the buffer in readable form.
CREATE VIEW readings_view AS
SELECT r.seq, r.ts, strftime('%Y-%m-%dT%H:%M:%fZ', r.ts / 1000.0, 'unixepoch') AS time,
       m.serial, r.meter, ${obisSql('r.obis')} AS obis, r.attribute,
       coalesce(r.value, r.raw) AS value, r.unit, r.scaler, r.status, ${sourceSql('r.source')} AS source,
       r.seq <= (SELECT delivered_upto FROM outbox WHERE stream = 'readings') AS delivered
FROM readings r JOIN meters m ON m.id = r.meter;
`;

const V2 = `
-- Uplink batches (dcu/uplink): each batch of a stream gets the next sequence number, and the
-- run of rows it carries is stored (and flushed) before it is published, so a batch is sent
-- again after a restart under the same number with the same rows. Rows are numbered by
-- readings.seq / events.id; a batch is the contiguous run first_row…last_row. Batches up to
-- the acknowledged number are deleted with the acknowledgement.
CREATE TABLE uplink_batches (
  stream     TEXT NOT NULL CHECK (stream IN ('readings', 'events')),
  seq        INTEGER NOT NULL,
  first_row  INTEGER NOT NULL,
  last_row   INTEGER NOT NULL,
  rows       INTEGER NOT NULL,              -- rows when the batch was made (retention may drop some later)
  created_at INTEGER NOT NULL,
  PRIMARY KEY (stream, seq)
) WITHOUT ROWID;
-- Per stream: the last batch number given out, the last one the cloud acknowledged, and the
-- last row put into a batch (the next batch starts after it).
ALTER TABLE outbox ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN acked_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN batched_upto INTEGER NOT NULL DEFAULT 0;
UPDATE outbox SET batched_upto = delivered_upto;

-- Commands from the cloud that passed signature and target checks: their per-DCU sequence
-- (replay protection: a new command must be above the highest accepted), a digest of the signed
-- message (a redelivery of the same command is not a new one), and the result message until
-- the broker has taken it. What ran is in the command journal (commands) under the same id.
CREATE TABLE cloud_commands (
  id           TEXT PRIMARY KEY,
  seq          INTEGER NOT NULL,
  digest       TEXT NOT NULL,
  kind         TEXT NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('accepted', 'refused')),
  result       TEXT CHECK (result IS NULL OR json_valid(result)),
  received_at  INTEGER NOT NULL,
  published_at INTEGER
) WITHOUT ROWID;
CREATE INDEX cloud_commands_seq ON cloud_commands (status, seq);
CREATE INDEX cloud_commands_unpublished ON cloud_commands (received_at) WHERE published_at IS NULL;
`;

const V3 = `
-- G3-PLC meters: the short address the coordinator gave (the EUI-64 is network_address) and
-- the hops of the route, so that after a restart the DCU reaches them without waiting for joins.
ALTER TABLE meters ADD COLUMN short_address INTEGER;
ALTER TABLE meters ADD COLUMN hops INTEGER;
CREATE INDEX meters_network ON meters (link, network_address);
`;

// The database's epoch (shared/sync/messages.ts): batch numbers and event ids count within it,
// so the cloud does not take a new database's batch 1 for a replay of the old one's. One row.
const V4 = `
CREATE TABLE store_epoch (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  epoch      TEXT NOT NULL CHECK (epoch = '' OR (length(epoch) = 32 AND epoch NOT GLOB '*[^0-9a-f]*')),
  created_at INTEGER NOT NULL
);
`;

/**
 * A database that has numbered uplink batches keeps numbering where it was: it keeps the legacy
 * epoch '' that the cloud filed those batches under (a new random one would make the cloud wait
 * for batches 1… of it, which never come). Any other database gets 16 random bytes.
 */
function newEpoch(db: Db): string {
  const numbered = db.prepare('SELECT max(last_seq) FROM outbox').pluck().get() as number | null;
  return (numbered ?? 0) > 0 ? '' : randomBytes(16).toString('hex');
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'directory, schedule, buffer, marks, events, commands, config, outbox, retention',
    up(db) {
      db.exec(V1);
      db.pragma(`application_id = ${APPLICATION_ID}`);
    },
  },
  {
    version: 2,
    name: 'uplink batches and cloud commands',
    up(db) {
      db.exec(V2);
    },
  },
  {
    version: 3,
    name: 'G3-PLC short address and hops in the directory',
    up(db) {
      db.exec(V3);
    },
  },
  {
    version: 4,
    name: 'the database epoch for uplink numbering',
    up(db) {
      db.exec(V4);
      db.prepare('INSERT INTO store_epoch (id, epoch, created_at) VALUES (1, ?, ?)').run(newEpoch(db), Date.now());
    },
  },
];

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

export interface MigrationResult {
  from: number;
  to: number;
}

/**
 * Applies the migrations after PRAGMA user_version, each in one IMMEDIATE transaction with
 * its user_version bump. Refuses (StoreError, file untouched) a schema newer than this code
 * and a file that holds tables of another application.
 */
export function migrate(db: Db, file = db.name, migrations: readonly Migration[] = MIGRATIONS): MigrationResult {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${i} has version ${m.version}, expected ${i + 1}`);
  });
  const latest = migrations.length;
  const from = schemaVersion(db);
  const appId = db.pragma('application_id', { simple: true }) as number;
  if (from > latest) {
    throw new StoreError(
      `database ${file} has schema version ${from}, newer than this software knows (${latest}); ` +
        `nothing was changed — run the newer DCU software, or restore a backup made with this version`,
      'newer-schema',
      file,
    );
  }
  if (appId !== APPLICATION_ID && appId !== 0) {
    throw new StoreError(`database ${file} belongs to another application (application_id ${appId}); it was not changed`, 'foreign-database', file);
  }
  if (from === 0) {
    const tables = db.prepare(`SELECT count(*) AS n FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'`).get() as { n: number };
    if (tables.n > 0) {
      throw new StoreError(`database ${file} already holds ${tables.n} tables of another program; it was not changed`, 'foreign-database', file);
    }
  }
  for (const m of migrations.slice(from)) {
    db.transaction(() => {
      // Another process may have migrated while this one waited for the write lock.
      if (schemaVersion(db) >= m.version) return;
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return { from, to: Math.max(from, latest) };
}
