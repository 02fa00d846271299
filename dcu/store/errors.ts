// Errors of the DCU store are values with a kind, like the protocol errors in shared/errors.ts:
// the caller (the runtime, the console, a technician reading a log) can tell a damaged file
// from a file of another program, a schema from newer software, or a lost race.

export type StoreErrorKind =
  /** The file is not a readable SQLite database, or SQLite found damage in it. */
  | 'corrupt'
  /** A SQLite file that is not a DCU store (another application id, or foreign tables). */
  | 'foreign-database'
  /** The schema was written by newer software than this one; nothing was changed. */
  | 'newer-schema'
  /** WAL could not be enabled (e.g. a file system without shared memory). */
  | 'wal-unavailable'
  /** A compare-and-set lost (config version), or a state transition that is not allowed. */
  | 'conflict'
  /** The caller passed something the store refuses to write (bad timestamp, a key in place of a key reference…). */
  | 'invalid'
  /** The record named does not exist. */
  | 'not-found';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    message: string,
    readonly kind: StoreErrorKind,
    /** The database file concerned, when there is one. */
    readonly file?: string,
  ) {
    super(message);
  }
}

/** better-sqlite3 throws SqliteError with a `code` such as 'SQLITE_FULL'; this reads it without importing the class. */
export function sqliteCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return undefined;
}
