// Opening the DCU's one database file: WAL, synchronous=NORMAL, foreign keys, a busy
// timeout, then the migrations in code. A file that is damaged, belongs to another program
// or was written by newer software is refused with a StoreError that says what to do —
// the store never rewrites such a file on its own.
//
// Durability with these settings: in WAL mode with synchronous=NORMAL a commit is atomic and
// the file is always consistent after a crash or power cut; a power cut may lose the last
// transactions that were committed but not yet checkpointed-synced (SQLite syncs the WAL at
// each checkpoint). A reading is only "safe" for the outbox once committed, and nothing is
// deleted before the cloud acknowledges it, so a lost tail is re-read from the meter
// (the collection marks roll back with the rows: they are in the same transaction).
import { existsSync, renameSync } from 'node:fs';
import Database from 'better-sqlite3';
import { StoreError, sqliteCode } from './errors.js';
import { migrate } from './migrations.js';

export type Db = Database.Database;
export type Statement = Database.Statement;
export type Transaction<F extends (...args: any[]) => unknown> = Database.Transaction<F>;

export interface OpenOptions {
  /** How long a writer waits for another connection's lock before SQLITE_BUSY (default 5,000 ms). */
  busyTimeoutMs?: number;
  /** Page cache per connection in KiB (default 16,384 = 16 MiB; the RSS budget of the DCU is 120 MB). */
  cacheSizeKiB?: number;
  /** After a checkpoint the -wal file is truncated to at most this (default 32 MiB). */
  walSizeLimitBytes?: number;
  /** 'quick' runs PRAGMA quick_check on open (reads the whole file: seconds on an SD card). Default 'none'. */
  check?: 'none' | 'quick';
}

const CORRUPT_CODES = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CORRUPT_VTAB', 'SQLITE_CORRUPT_SEQUENCE', 'SQLITE_CORRUPT_INDEX']);

function recoveryAdvice(file: string): string {
  return (
    `nothing was changed. To recover: stop the DCU, move the file aside (with its -wal and -shm files), ` +
    `e.g. with quarantineDatabase() or \`mv ${file} ${file}.corrupt\`, and start again with an empty store; ` +
    `rows may be salvaged from the old file with \`sqlite3 ${file}.corrupt .recover\`. ` +
    `Readings not yet acknowledged by the cloud are re-read from the meters as far as their buffers reach.`
  );
}

function corrupt(file: string, error: unknown): StoreError {
  const why = error instanceof Error ? error.message : String(error);
  return new StoreError(`database ${file} is damaged or not a SQLite database (${why}); ${recoveryAdvice(file)}`, 'corrupt', file);
}

/**
 * Opens (creating if needed) the store's database file, applies the connection settings and
 * brings the schema up to date. Throws StoreError('corrupt' | 'foreign-database' |
 * 'newer-schema' | 'wal-unavailable') without modifying the file in those cases.
 */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  let db: Db;
  try {
    db = new Database(file, { timeout: options.busyTimeoutMs ?? 5000 });
  } catch (error) {
    throw new StoreError(`cannot open database ${file}: ${error instanceof Error ? error.message : String(error)}`, 'invalid', file);
  }
  try {
    // The first statement reads the header: a file that is not a database fails here.
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal' && file !== ':memory:') {
      throw new StoreError(`database ${file}: WAL mode could not be enabled (journal_mode is ${String(mode)})`, 'wal-unavailable', file);
    }
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
    db.pragma(`cache_size = ${-Math.trunc(options.cacheSizeKiB ?? 16_384)}`);
    db.pragma(`journal_size_limit = ${Math.trunc(options.walSizeLimitBytes ?? 32 * 1024 * 1024)}`);
    if (options.check === 'quick') {
      const result = db.pragma('quick_check', { simple: true });
      if (result !== 'ok') throw corrupt(file, new Error(`quick_check: ${String(result)}`));
    }
    migrate(db, file);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof StoreError) throw error;
    const code = sqliteCode(error);
    if (code !== undefined && CORRUPT_CODES.has(code)) throw corrupt(file, error);
    throw error;
  }
}

/**
 * The recovery path for a damaged file: renames it and its -wal/-shm companions to
 * `FILE.corrupt-<time>` (nothing is deleted or overwritten) and returns the new name of the
 * database file. The next open then starts an empty store.
 */
export function quarantineDatabase(file: string, now: number = Date.now()): string {
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  const target = `${file}.corrupt-${stamp}`;
  if (existsSync(target)) throw new StoreError(`cannot quarantine ${file}: ${target} exists`, 'conflict', file);
  for (const suffix of ['', '-wal', '-shm']) {
    if (existsSync(file + suffix)) renameSync(file + suffix, target + suffix);
  }
  return target;
}

/** Checkpoints the WAL into the main file, runs PRAGMA optimize and closes. */
export function closeDatabase(db: Db): void {
  if (!db.open) return;
  try {
    db.pragma('optimize');
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}
