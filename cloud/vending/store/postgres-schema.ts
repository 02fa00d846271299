// The vending tables in PostgreSQL: the same tables, columns and rules as sqlite-schema.ts —
// money and times BIGINT (minor units, UTC ms), JSON as JSONB, unique (vendor, request_id),
// the journal and the tariff versions append-only (triggers refuse UPDATE, DELETE and
// TRUNCATE). They live next to the cloud store's tables (its pool's search_path); table
// vending_schema holds the version. Migrations run under an advisory lock, so several cloud
// instances may start at once (../../store/migrations.ts). Append to MIGRATIONS, never edit one.
import type pg from 'pg';
import { latestVersion, migratePostgresTables, type Migration } from '../../store/migrations.js';
import { VendingError } from '../errors.js';
import { SCHEMA_V2 } from './sql.js';

const V1 = `
CREATE FUNCTION vending_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
END $$;

CREATE TABLE tariffs (
  id          TEXT COLLATE "C" NOT NULL,
  version     INTEGER NOT NULL CHECK (version >= 1),
  valid_from  BIGINT NOT NULL,
  definition  JSONB NOT NULL,
  created_at  BIGINT NOT NULL,
  PRIMARY KEY (id, version)
);
CREATE TRIGGER tariffs_append_only BEFORE UPDATE OR DELETE ON tariffs
  FOR EACH ROW EXECUTE FUNCTION vending_append_only('tariff versions are append-only');
CREATE TRIGGER tariffs_append_only_t BEFORE TRUNCATE ON tariffs
  FOR EACH STATEMENT EXECUTE FUNCTION vending_append_only('tariff versions are append-only');

CREATE TABLE accounts (
  id              TEXT COLLATE "C" PRIMARY KEY,
  meter           TEXT COLLATE "C" NOT NULL UNIQUE,
  pan             TEXT COLLATE "C" NOT NULL UNIQUE,
  tariff_id       TEXT COLLATE "C" NOT NULL,
  delivery        TEXT NOT NULL CHECK (delivery IN ('token', 'remote')),
  dcu             TEXT COLLATE "C",
  status          TEXT NOT NULL CHECK (status IN ('open', 'closed')),
  sts             JSONB NOT NULL,
  state           JSONB NOT NULL,
  meter_credit    JSONB,
  meter_credit_at BIGINT,
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL
);

CREATE TABLE vendors (
  id           TEXT COLLATE "C" PRIMARY KEY,
  name         TEXT COLLATE "C" NOT NULL UNIQUE,
  key_id       TEXT COLLATE "C" NOT NULL UNIQUE,
  key_hash     TEXT NOT NULL,
  credit_limit BIGINT NOT NULL CHECK (credit_limit >= 0),
  balance_owed BIGINT NOT NULL DEFAULT 0,
  status       TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
  created_at   BIGINT NOT NULL
);

CREATE TABLE vends (
  id               TEXT COLLATE "C" PRIMARY KEY,
  vendor           TEXT COLLATE "C" NOT NULL REFERENCES vendors (id),
  request_id       TEXT COLLATE "C" NOT NULL,
  account          TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
  pan              TEXT NOT NULL,
  amount           BIGINT NOT NULL CHECK (amount > 0),
  quote            JSONB NOT NULL,
  units            BIGINT NOT NULL,
  token            TEXT,
  tid              BIGINT,
  base_date        INTEGER,
  account_before   JSONB NOT NULL,
  account_after    JSONB NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('issued', 'reversed')),
  issued_at        BIGINT NOT NULL,
  reversed_at      BIGINT,
  reversal_reason  TEXT,
  delivery         TEXT NOT NULL CHECK (delivery IN ('manual', 'pending', 'sent', 'delivered', 'rejected', 'failed', 'cancelled')),
  delivery_attempts INTEGER NOT NULL DEFAULT 0,
  delivery_command TEXT,
  delivery_dcu     TEXT,
  delivery_next_at BIGINT,
  delivery_result  JSONB,
  delivery_at      BIGINT,
  UNIQUE (vendor, request_id)
);
CREATE INDEX vends_account ON vends (account, issued_at);
CREATE INDEX vends_issued ON vends (issued_at);
CREATE INDEX vends_delivery ON vends (delivery, delivery_next_at) WHERE delivery IN ('pending', 'sent');

CREATE TABLE meter_tids (
  account   TEXT COLLATE "C" PRIMARY KEY REFERENCES accounts (id),
  base_date INTEGER NOT NULL,
  last_tid  BIGINT NOT NULL
);

CREATE TABLE engineering_tokens (
  id         TEXT COLLATE "C" PRIMARY KEY,
  account    TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
  kind       TEXT NOT NULL,
  tokens     JSONB NOT NULL,
  tid        BIGINT,
  params     JSONB NOT NULL,
  issued_at  BIGINT NOT NULL
);

CREATE TABLE account_events (
  id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account  TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
  at       BIGINT NOT NULL,
  kind     TEXT NOT NULL,
  details  JSONB NOT NULL
);
CREATE INDEX account_events_account ON account_events (account, id);

CREATE TABLE journal (
  id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  entry    TEXT COLLATE "C" NOT NULL,
  kind     TEXT NOT NULL CHECK (kind IN ('vend', 'reversal', 'payment', 'adjustment')),
  at       BIGINT NOT NULL,
  vendor   TEXT COLLATE "C",
  account  TEXT COLLATE "C",
  vend     TEXT COLLATE "C",
  book     TEXT COLLATE "C" NOT NULL,
  amount   BIGINT NOT NULL,
  memo     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX journal_entry ON journal (entry);
CREATE INDEX journal_book ON journal (book);
CREATE INDEX journal_at ON journal (at);
CREATE INDEX journal_vend ON journal (vend);
CREATE TRIGGER journal_append_only BEFORE UPDATE OR DELETE ON journal
  FOR EACH ROW EXECUTE FUNCTION vending_append_only('the journal is append-only');
CREATE TRIGGER journal_append_only_t BEFORE TRUNCATE ON journal
  FOR EACH STATEMENT EXECUTE FUNCTION vending_append_only('the journal is append-only');
`;


const MIGRATIONS: readonly Migration[] = [
  { version: 1, sql: V1 },
  { version: 2, sql: SCHEMA_V2 },
];
export const VENDING_POSTGRES_SCHEMA_VERSION = latestVersion(MIGRATIONS);

/** Creates or updates the vending tables in one transaction, under an advisory lock. */
export async function migrateVendingPostgres(pool: pg.Pool): Promise<void> {
  await migratePostgresTables(pool, {
    lock: 'metering-vending-store',
    versionTable: 'vending_schema',
    migrations: MIGRATIONS,
    tooNew: (version, supported) =>
      new VendingError('unavailable', `the vending tables have schema version ${version}, newer than this software (${supported}); nothing was changed`),
  });
}
