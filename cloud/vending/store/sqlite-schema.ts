// The vending tables in SQLite, in the cloud's own file (next to readings and command results).
// postgres-schema.ts has the same tables, columns and rules for PostgreSQL.
// They have their own migration list and version (table vending_schema), so the cloud
// store's migrations (PRAGMA user_version) stay untouched. Append to MIGRATIONS, never edit one.
//
// Money is INTEGER minor units everywhere; times are INTEGER UTC milliseconds.
// The journal and the tariff versions are append-only: triggers refuse UPDATE and DELETE.
import { latestVersion, type Migration } from '../../store/migrations.js';
import type { Db } from '../../store/sqlite-schema.js';
import { VendingError } from '../errors.js';
import { SCHEMA_V2 } from './sql.js';

const V1 = `
CREATE TABLE tariffs (
  id          TEXT NOT NULL,
  version     INTEGER NOT NULL CHECK (version >= 1),
  valid_from  INTEGER NOT NULL,              -- UTC ms from which this version applies
  definition  TEXT NOT NULL,                 -- JSON: the domain's Tariff
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (id, version)
);
CREATE TRIGGER tariffs_append_only_u BEFORE UPDATE ON tariffs BEGIN SELECT RAISE(ABORT, 'tariff versions are append-only'); END;
CREATE TRIGGER tariffs_append_only_d BEFORE DELETE ON tariffs BEGIN SELECT RAISE(ABORT, 'tariff versions are append-only'); END;

CREATE TABLE accounts (
  id              TEXT PRIMARY KEY,
  -- meter, tariff_id, delivery, dcu, status mirror the state JSON (the truth) for lookups
  meter           TEXT NOT NULL UNIQUE,      -- the meter's serial number (what the DCU knows it by)
  pan             TEXT NOT NULL UNIQUE,      -- STS MeterPAN, 18 digits
  tariff_id       TEXT NOT NULL,
  delivery        TEXT NOT NULL CHECK (delivery IN ('token', 'remote')),
  dcu             TEXT,                      -- the DCU that reaches the meter (remote delivery)
  status          TEXT NOT NULL CHECK (status IN ('open', 'closed')),
  sts             TEXT NOT NULL,             -- JSON: key parameters (no key material)
  state           TEXT NOT NULL,             -- JSON: the domain's AccountState
  meter_credit    TEXT,                      -- JSON: credit read back from the meter
  meter_credit_at INTEGER,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);

CREATE TABLE vendors (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE,
  key_id       TEXT NOT NULL UNIQUE,         -- public part of the API key, for the lookup
  key_hash     TEXT NOT NULL,                -- hex SHA-256 of the whole API key
  credit_limit INTEGER NOT NULL CHECK (credit_limit >= 0),
  balance_owed INTEGER NOT NULL DEFAULT 0,   -- what the vendor owes the utility
  status       TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
  created_at   INTEGER NOT NULL
);

CREATE TABLE vends (
  id               TEXT PRIMARY KEY,
  vendor           TEXT NOT NULL REFERENCES vendors (id),
  request_id       TEXT NOT NULL,
  account          TEXT NOT NULL REFERENCES accounts (id),
  pan              TEXT NOT NULL,
  amount           INTEGER NOT NULL CHECK (amount > 0),
  quote            TEXT NOT NULL,            -- JSON: the VendQuote
  units            INTEGER NOT NULL,         -- transfer units on the token (0.1 kWh)
  token            TEXT,                     -- 20 digits; NULL when the payment bought no units
  tid              INTEGER,
  base_date        INTEGER,
  account_before   TEXT NOT NULL,            -- JSON AccountState before and after: audit, reversal
  account_after    TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('issued', 'reversed')),
  issued_at        INTEGER NOT NULL,
  reversed_at      INTEGER,
  reversal_reason  TEXT,
  delivery         TEXT NOT NULL CHECK (delivery IN ('manual', 'pending', 'sent', 'delivered', 'rejected', 'failed', 'cancelled')),
  delivery_attempts INTEGER NOT NULL DEFAULT 0,
  delivery_command TEXT,                     -- id of the last token command sent
  delivery_dcu     TEXT,
  delivery_next_at INTEGER,                  -- when the remote-credit worker looks at it next
  delivery_result  TEXT,                     -- JSON: the DCU's outcome or why it failed
  delivery_at      INTEGER,
  UNIQUE (vendor, request_id)
);
CREATE INDEX vends_account ON vends (account, issued_at);
CREATE INDEX vends_issued ON vends (issued_at);
CREATE INDEX vends_delivery ON vends (delivery, delivery_next_at) WHERE delivery IN ('pending', 'sent');

-- STS needs a new TID for every token a meter gets: the last one used, per account and base date.
CREATE TABLE meter_tids (
  account   TEXT PRIMARY KEY REFERENCES accounts (id),
  base_date INTEGER NOT NULL,
  last_tid  INTEGER NOT NULL
);

CREATE TABLE engineering_tokens (
  id         TEXT PRIMARY KEY,
  account    TEXT NOT NULL REFERENCES accounts (id),
  kind       TEXT NOT NULL,
  tokens     TEXT NOT NULL,                  -- JSON array of 20-digit strings
  tid        INTEGER,
  params     TEXT NOT NULL,                  -- JSON
  issued_at  INTEGER NOT NULL
);

-- What happened to an account (the domain's events: purchases, warnings, settlements…).
CREATE TABLE account_events (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  account  TEXT NOT NULL REFERENCES accounts (id),
  at       INTEGER NOT NULL,
  kind     TEXT NOT NULL,
  details  TEXT NOT NULL                     -- JSON: the event
);
CREATE INDEX account_events_account ON account_events (account, id);

-- Double-entry money journal: each entry's lines sum to zero (debit +, credit -).
CREATE TABLE journal (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  entry    TEXT NOT NULL,                    -- e.g. 'vend:<id>', 'reversal:<id>', 'payment:<id>'
  kind     TEXT NOT NULL CHECK (kind IN ('vend', 'reversal', 'payment', 'adjustment')),
  at       INTEGER NOT NULL,
  vendor   TEXT,
  account  TEXT,
  vend     TEXT,
  book     TEXT NOT NULL,
  amount   INTEGER NOT NULL,
  memo     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX journal_entry ON journal (entry);
CREATE INDEX journal_book ON journal (book);
CREATE INDEX journal_at ON journal (at);
CREATE TRIGGER journal_append_only_u BEFORE UPDATE ON journal BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER journal_append_only_d BEFORE DELETE ON journal BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
`;


const MIGRATIONS: readonly Migration[] = [
  { version: 1, sql: V1 },
  { version: 2, sql: SCHEMA_V2 },
];
export const VENDING_SCHEMA_VERSION = latestVersion(MIGRATIONS);

/** Creates or updates the vending tables; each migration is one transaction with its version bump. */
export function migrateVending(db: Db): void {
  db.exec(`CREATE TABLE IF NOT EXISTS vending_schema (version INTEGER NOT NULL)`);
  const read = () => (db.prepare(`SELECT max(version) FROM vending_schema`).pluck().get() as number | null) ?? 0;
  const version = read();
  if (version > VENDING_SCHEMA_VERSION) {
    throw new VendingError('unavailable', `the vending tables have schema version ${version}, newer than this software (${VENDING_SCHEMA_VERSION}); nothing was changed`);
  }
  for (const m of MIGRATIONS) {
    db.transaction(() => {
      if (read() >= m.version) return; // another process migrated meanwhile
      db.exec(m.sql);
      db.prepare(`INSERT INTO vending_schema (version) VALUES (?)`).run(m.version);
    }).immediate();
  }
}
