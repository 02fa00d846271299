// Retention per data class (readings, events, task runs) with age limits and byte quotas,
// plus a quota on the whole database. Deletion is FIFO (oldest time first) in batches, each
// batch its own short transaction, so the writer lock is never held for long and a crash
// loses no accounting: each batch adds its counts to retention_tally in the same
// transaction, and the tally becomes one 'data-dropped' event per class at the end of the
// run (or at the start of the next run, after a crash).
//
// The outbox rule: a row the cloud has not acknowledged is never deleted for age. A class
// quota drops the class's delivered rows first; the database quota drops delivered readings,
// task runs and delivered events first (DATABASE_QUOTA_ORDER). Only when a quota still cannot
// be met are undelivered rows dropped, and the event says how many.
//
// How bytes are known, without reading the whole file:
// - per class: exact row count (row_counts, kept with every insert and delete) × bytes per
//   row (defaults measured with dbstat by bench/store and test/dcu/store; settable per class).
// - the database: (PRAGMA page_count − PRAGMA freelist_count) × page_size — exact and O(1).
// - measuredBytes() uses dbstat when SQLite was built with it (it reads every page: for
//   calibration and diagnostics, not for the periodic run).
import { existsSync, statSync } from 'node:fs';
import type { Db, Statement } from './database.js';
import { DATA_CLASSES, type DataClass, type RowCounts } from './counts.js';
import type { EventLog } from './events.js';
import type { Outbox, Stream } from './outbox.js';

export interface ClassPolicy {
  /** Rows older than this (by reading ts, event ts, run start) are dropped once delivered. */
  maxAgeMs?: number;
  /** Estimated size of the class (rows × bytesPerRow) is kept under this. */
  maxBytes?: number;
  /** Bytes a row takes with its index entries; defaults in DEFAULT_BYTES_PER_ROW. */
  bytesPerRow?: number;
}

export interface RetentionPolicy {
  readings?: ClassPolicy;
  events?: ClassPolicy;
  taskRuns?: ClassPolicy;
  /** Quota on the used pages of the database file; over it, data is dropped in DATABASE_QUOTA_ORDER. */
  maxDatabaseBytes?: number;
  /** Rows per delete transaction (default 5,000). */
  batchRows?: number;
}

/** Measured on this schema (bench/store, dbstat): readings ≈ 69 B with the key index. */
export const DEFAULT_BYTES_PER_ROW: Readonly<Record<DataClass, number>> = { readings: 70, events: 160, taskRuns: 70 };

/** What goes first when the whole database is over quota: delivered data, then undelivered. */
export const DATABASE_QUOTA_ORDER: readonly { cls: DataClass; undelivered: boolean }[] = [
  { cls: 'readings', undelivered: false },
  { cls: 'taskRuns', undelivered: false },
  { cls: 'events', undelivered: false },
  { cls: 'readings', undelivered: true },
  { cls: 'events', undelivered: true },
];

export interface ClassReport {
  byAge: number;
  byQuota: number;
  /** Of the rows dropped, how many the cloud had not acknowledged. */
  undelivered: number;
  rows: number;
  estimatedBytes: number;
}

export interface DatabaseSize {
  pageSize: number;
  pages: number;
  freePages: number;
  /** (pages − freePages) × pageSize. */
  usedBytes: number;
  /** Size of the database file and of its -wal file on disk. */
  fileBytes: number;
  walBytes: number;
}

export interface RetentionReport {
  readings: ClassReport;
  events: ClassReport;
  taskRuns: ClassReport;
  database: DatabaseSize;
  /** The database quota could not be met even after dropping everything allowed. */
  overQuota: boolean;
}

const SHAPE: Record<DataClass, { table: string; id: string; time: string; index: string; stream: Stream | null }> = {
  readings: { table: 'readings', id: 'seq', time: 'ts', index: 'readings_key', stream: 'readings' },
  events: { table: 'events', id: 'id', time: 'ts', index: 'events_ts', stream: 'events' },
  taskRuns: { table: 'task_runs', id: 'id', time: 'started_at', index: 'task_runs_started', stream: null },
};

const NO_LIMIT = Number.MAX_SAFE_INTEGER;
type Reason = 'age' | 'quota';

export class Retention {
  private readonly deleteStmts: Record<DataClass, Statement>;
  private readonly tallyStmt: Statement;
  private readonly readTallyStmt: Statement;
  private readonly clearTallyStmt: Statement;

  constructor(
    private readonly db: Db,
    private readonly counts: RowCounts,
    private readonly outbox: Outbox,
    private readonly events: EventLog,
    private readonly clock: () => number,
  ) {
    const del = (cls: DataClass): Statement => {
      const s = SHAPE[cls];
      return db
        .prepare(
          `DELETE FROM ${s.table} WHERE ${s.id} IN (
             SELECT ${s.id} FROM ${s.table} INDEXED BY ${s.index} WHERE ${s.time} < ? AND ${s.id} <= ? ORDER BY ${s.time} LIMIT ?)
           RETURNING ${s.id}, ${s.time}`,
        )
        .raw();
    };
    this.deleteStmts = { readings: del('readings'), events: del('events'), taskRuns: del('taskRuns') };
    this.tallyStmt = db.prepare(
      `INSERT INTO retention_tally (class, by_age, by_quota, undelivered, oldest_ts, newest_ts) VALUES (@cls, @byAge, @byQuota, @undelivered, @oldest, @newest)
       ON CONFLICT (class) DO UPDATE SET by_age = by_age + excluded.by_age, by_quota = by_quota + excluded.by_quota,
         undelivered = undelivered + excluded.undelivered, oldest_ts = min(coalesce(oldest_ts, excluded.oldest_ts), excluded.oldest_ts),
         newest_ts = max(coalesce(newest_ts, excluded.newest_ts), excluded.newest_ts)`,
    );
    this.readTallyStmt = db.prepare('SELECT * FROM retention_tally WHERE class = ?');
    this.clearTallyStmt = db.prepare('DELETE FROM retention_tally WHERE class = ?');
  }

  /** Applies the policy now: ages, class quotas, then the database quota. */
  enforce(policy: RetentionPolicy, now: number = this.clock()): RetentionReport {
    const batch = Math.max(1, Math.trunc(policy.batchRows ?? 5000));
    const dropped: Record<DataClass, { byAge: number; byQuota: number; undelivered: number }> = {
      readings: { byAge: 0, byQuota: 0, undelivered: 0 },
      events: { byAge: 0, byQuota: 0, undelivered: 0 },
      taskRuns: { byAge: 0, byQuota: 0, undelivered: 0 },
    };
    const drop = (cls: DataClass, cutoff: number, undelivered: boolean, limit: number, reason: Reason): number => {
      const r = this.deleteBatch(cls, cutoff, undelivered, limit, reason);
      dropped[cls][reason === 'age' ? 'byAge' : 'byQuota'] += r.rows;
      dropped[cls].undelivered += r.undelivered;
      return r.rows;
    };
    for (const cls of DATA_CLASSES) this.flushTally(cls, now); // left by a crash mid-run

    for (const cls of DATA_CLASSES) {
      const p = policy[cls] ?? {};
      if (p.maxAgeMs !== undefined) {
        const cutoff = now - p.maxAgeMs;
        while (drop(cls, cutoff, false, batch, 'age') > 0);
      }
      if (p.maxBytes !== undefined) {
        const bytesPerRow = p.bytesPerRow ?? DEFAULT_BYTES_PER_ROW[cls];
        const maxRows = Math.floor(p.maxBytes / bytesPerRow);
        for (const undelivered of [false, true]) {
          let excess: number;
          while ((excess = this.counts.get(cls) - maxRows) > 0 && drop(cls, NO_LIMIT, undelivered, Math.min(batch, excess), 'quota') > 0);
        }
      }
    }

    let overQuota = false;
    if (policy.maxDatabaseBytes !== undefined) {
      const max = policy.maxDatabaseBytes;
      for (const step of DATABASE_QUOTA_ORDER) {
        while (this.size().usedBytes > max && drop(step.cls, NO_LIMIT, step.undelivered, batch, 'quota') > 0);
      }
      overQuota = this.size().usedBytes > max;
    }

    for (const cls of DATA_CLASSES) this.flushTally(cls, now);
    const report = (cls: DataClass): ClassReport => {
      const rows = this.counts.get(cls);
      return { ...dropped[cls], rows, estimatedBytes: rows * (policy[cls]?.bytesPerRow ?? DEFAULT_BYTES_PER_ROW[cls]) };
    };
    return { readings: report('readings'), events: report('events'), taskRuns: report('taskRuns'), database: this.size(), overQuota };
  }

  /**
   * Frees room after the database hit its size limit (SQLITE_FULL): drops up to `rows` rows
   * in DATABASE_QUOTA_ORDER (delivered first) and reports them as events. Returns rows dropped.
   */
  makeRoom(rows: number, now: number = this.clock()): number {
    let left = rows;
    for (const step of DATABASE_QUOTA_ORDER) {
      let n: number;
      while (left > 0 && (n = this.deleteBatch(step.cls, NO_LIMIT, step.undelivered, Math.min(left, 5000), 'quota').rows) > 0) left -= n;
    }
    for (const cls of DATA_CLASSES) this.flushTally(cls, now);
    return rows - left;
  }

  /** Page-based size of the database (O(1)) and the files on disk. */
  size(): DatabaseSize {
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const freePages = this.db.pragma('freelist_count', { simple: true }) as number;
    const fileSize = (f: string): number => (existsSync(f) ? statSync(f).size : 0);
    return {
      pageSize,
      pages,
      freePages,
      usedBytes: (pages - freePages) * pageSize,
      fileBytes: fileSize(this.db.name),
      walBytes: fileSize(`${this.db.name}-wal`),
    };
  }

  /** Bytes per table including its indexes, from dbstat; null when SQLite was built without it. Reads every page. */
  measuredBytes(): Record<string, number> | null {
    try {
      const rows = this.db
        .prepare(`SELECT s.tbl_name AS tbl, sum(d.pgsize) AS bytes FROM dbstat d JOIN sqlite_schema s ON s.name = d.name GROUP BY s.tbl_name`)
        .all() as { tbl: string; bytes: number }[];
      return Object.fromEntries(rows.map((r) => [r.tbl, r.bytes]));
    } catch {
      return null;
    }
  }

  /** One delete batch in its own transaction (a savepoint inside the caller's), counted in the tally. */
  private deleteBatch(cls: DataClass, cutoff: number, undelivered: boolean, limit: number, reason: Reason): { rows: number; undelivered: number } {
    return this.db.transaction(() => {
      const stream = SHAPE[cls].stream;
      const delivered = stream === null ? NO_LIMIT : this.outbox.deliveredUpTo(stream);
      const rows = this.deleteStmts[cls].all(cutoff, undelivered ? NO_LIMIT : delivered, limit) as [number, number][];
      if (rows.length === 0) return { rows: 0, undelivered: 0 };
      let lost = 0;
      let oldest = Infinity;
      let newest = -Infinity;
      for (const [id, ts] of rows) {
        if (id > delivered) lost++;
        if (ts < oldest) oldest = ts;
        if (ts > newest) newest = ts;
      }
      this.counts.add(cls, -rows.length);
      this.tallyStmt.run({
        cls,
        byAge: reason === 'age' ? rows.length : 0,
        byQuota: reason === 'quota' ? rows.length : 0,
        undelivered: lost,
        oldest,
        newest,
      });
      return { rows: rows.length, undelivered: lost };
    }).immediate();
  }

  /** Turns the tally of a class into one 'data-dropped' event, in one transaction. */
  private flushTally(cls: DataClass, now: number): void {
    this.db.transaction(() => {
      const t = this.readTallyStmt.get(cls) as
        | { by_age: number; by_quota: number; undelivered: number; oldest_ts: number | null; newest_ts: number | null }
        | undefined;
      if (t === undefined) return;
      this.clearTallyStmt.run(cls);
      if (t.by_age + t.by_quota === 0) return;
      this.events.append({
        ts: now,
        kind: 'data-dropped',
        severity: t.undelivered > 0 ? 'error' : t.by_quota > 0 ? 'warning' : 'info',
        details: {
          class: cls,
          byAge: t.by_age,
          byQuota: t.by_quota,
          undelivered: t.undelivered,
          oldestTs: t.oldest_ts,
          newestTs: t.newest_ts,
        },
      });
    }).immediate();
  }
}
