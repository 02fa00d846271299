// The SQLite cloud store (the default: one file, WAL). better-sqlite3 is synchronous; the
// methods return promises only to share the CloudStore interface with PostgreSQL. Each write
// is one IMMEDIATE transaction, so several processes may share the file (busy timeout).
// Sequence state is per (dcu, epoch, stream); see types.ts.
import type { ResultMessage, StatusMessage, Stream } from '../../shared/sync/messages.js';
import { ReadingsChecksum } from './checksum.js';
import { CloudStoreError } from './errors.js';
import {
  DCU_COLUMNS,
  EVENT_COLUMNS,
  READING_COLUMNS,
  RESULT_COLUMNS,
  dcuRecord,
  epochOrder,
  epochRecord,
  eventRecord,
  readingRecord,
  rejectedItemRecord,
  resultRecord,
  type ReadingRecordRow,
} from './records.js';
import { checkBatchHeader, checkResult, checkStatus, eventRows, readingRows, toJson, type EventRow, type ReadingRow, type SortedItems } from './rows.js';
import { advance, missingRanges } from './sequence.js';
import { openSqlite, type Db } from './sqlite-schema.js';
import type { BatchOutcome, CloudStore, EpochChange, ReadingFilter, RejectedItemRecord, SequenceState, UplinkBatch } from './types.js';

export interface SqliteCloudStoreOptions {
  busyTimeoutMs?: number;
  now?: () => number;
}

function where(filter: ReadingFilter): { sql: string; params: string[] } {
  const parts: string[] = [];
  const params: string[] = [];
  if (filter.dcu !== undefined) (parts.push('dcu = ?'), params.push(filter.dcu));
  if (filter.meter !== undefined) (parts.push('meter = ?'), params.push(filter.meter));
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

export class SqliteCloudStore implements CloudStore {
  readonly kind = 'sqlite' as const;
  readonly db: Db;
  readonly #now: () => number;
  readonly #statements;
  readonly #storeBatch;

  constructor(readonly file: string, options: SqliteCloudStoreOptions = {}) {
    this.db = openSqlite(file, options.busyTimeoutMs);
    this.#now = options.now ?? Date.now;
    const db = this.db;
    this.#statements = {
      touchDcu: db.prepare(
        `INSERT INTO dcus (id, first_seen, last_seen) VALUES (?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)`,
      ),
      addEpoch: db.prepare(`INSERT INTO dcu_epochs (dcu, epoch, first_seen) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`),
      currentEpoch: db.prepare(`SELECT epoch FROM dcus WHERE id = ?`).pluck(),
      setEpoch: db.prepare(`UPDATE dcus SET epoch = ?, epoch_since = ? WHERE id = ?`),
      ensureStream: db.prepare(`INSERT INTO streams (dcu, epoch, stream) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`),
      upTo: db.prepare(`SELECT up_to FROM streams WHERE dcu = ? AND epoch = ? AND stream = ?`).pluck(),
      pending: db.prepare(`SELECT seq FROM pending_batches WHERE dcu = ? AND epoch = ? AND stream = ? ORDER BY seq`).pluck(),
      addPending: db.prepare(`INSERT INTO pending_batches (dcu, epoch, stream, seq, received_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
      dropPending: db.prepare(`DELETE FROM pending_batches WHERE dcu = ? AND epoch = ? AND stream = ? AND seq <= ?`),
      setUpTo: db.prepare(`UPDATE streams SET up_to = ? WHERE dcu = ? AND epoch = ? AND stream = ?`),
      insertReading: db.prepare(
        `INSERT INTO readings (${READING_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      ),
      insertEvent: db.prepare(`INSERT INTO events (${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
      insertRejected: db.prepare(
        `INSERT INTO rejected_items (dcu, epoch, stream, seq, idx, reason, item, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      ),
      status: db.prepare(
        `UPDATE dcus SET status = ?, status_at = ?, last_status = ? WHERE id = ? AND (status_at IS NULL OR status_at <= ?)`,
      ),
      result: db.prepare(
        `INSERT INTO command_results (${RESULT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (dcu, id) DO UPDATE SET status = excluded.status, at = excluded.at, outcome = excluded.outcome,
           received_at = excluded.received_at WHERE excluded.at > command_results.at`,
      ),
    };
    this.#storeBatch = db.transaction((batch: UplinkBatch, sorted: SortedItems<ReadingRow | EventRow>, receivedAt: number): BatchOutcome => {
      const s = this.#statements;
      const stream: Stream = batch.kind;
      const { dcu, epoch, seq } = batch;
      const epochChange = this.#touch(dcu, epoch, receivedAt);
      const changed = epochChange ? { epochChange } : {};
      s.ensureStream.run(dcu, epoch, stream);
      const upTo = s.upTo.get(dcu, epoch, stream) as number;
      const pending = s.pending.all(dcu, epoch, stream) as number[];
      if (seq <= upTo || pending.includes(seq)) {
        return { stream, upTo, missing: missingRanges(upTo, pending), duplicate: true, inserted: 0, rejected: 0, ...changed };
      }
      let inserted = 0;
      for (const x of sorted.rejected) s.insertRejected.run(dcu, epoch, stream, seq, x.index, x.reason, x.item, receivedAt);
      if (batch.kind === 'readings') {
        for (const r of sorted.rows as ReadingRow[]) {
          inserted += s.insertReading.run(dcu, r.meter, r.obis, r.attribute, r.ts, r.valueKind, r.valueNum, r.valueText,
            r.unit, r.scaler, r.status, r.source, seq, receivedAt).changes;
        }
      } else {
        for (const e of sorted.rows as EventRow[]) {
          inserted += s.insertEvent.run(dcu, epoch, e.id, e.ts, e.meter, e.kind, e.severity, e.details, seq, receivedAt).changes;
        }
      }
      const next = advance(upTo, [...pending, seq]);
      if (next.upTo > upTo) {
        s.setUpTo.run(next.upTo, dcu, epoch, stream);
        s.dropPending.run(dcu, epoch, stream, next.upTo);
      }
      if (next.pending.includes(seq)) s.addPending.run(dcu, epoch, stream, seq, receivedAt);
      return { stream, upTo: next.upTo, missing: missingRanges(next.upTo, next.pending), duplicate: false, inserted, rejected: sorted.rejected.length, ...changed };
    });
  }

  /** Inside a transaction: the DCU was heard from, naming `epoch`; an epoch not seen before becomes its current one. */
  #touch(dcu: string, epoch: string, receivedAt: number): EpochChange | null {
    const s = this.#statements;
    s.touchDcu.run(dcu, receivedAt, receivedAt);
    if (s.addEpoch.run(dcu, epoch, receivedAt).changes === 0) return null;
    const previous = s.currentEpoch.get(dcu) as string | null;
    s.setEpoch.run(epoch, receivedAt, dcu);
    return previous === null ? null : { dcu, epoch, previous, at: receivedAt };
  }

  static async open(file: string, options: SqliteCloudStoreOptions = {}): Promise<SqliteCloudStore> {
    return new SqliteCloudStore(file, options);
  }

  async storeBatch(batch: UplinkBatch, receivedAt = this.#now()): Promise<BatchOutcome> {
    checkBatchHeader(batch);
    const sorted = batch.kind === 'readings' ? readingRows(batch) : eventRows(batch);
    return this.#storeBatch.immediate(batch, sorted, receivedAt);
  }

  async rejectedItems(dcu: string): Promise<RejectedItemRecord[]> {
    const rows = this.db
      .prepare(`SELECT * FROM rejected_items WHERE dcu = ? ORDER BY stream, ${epochOrder('rejected_items')}, seq, idx`)
      .all(dcu) as Record<string, unknown>[];
    return rows.map(rejectedItemRecord);
  }

  async recordStatus(message: StatusMessage, receivedAt = this.#now()): Promise<EpochChange | null> {
    checkStatus(message);
    return this.db.transaction(() => {
      const change = this.#touch(message.dcu, message.epoch, receivedAt);
      this.#statements.status.run(message.state, message.at, toJson(message), message.dcu, message.at);
      return change;
    }).immediate();
  }

  async recordResult(message: ResultMessage, receivedAt = this.#now()): Promise<void> {
    checkResult(message);
    this.db.transaction(() => {
      this.#statements.touchDcu.run(message.dcu, receivedAt, receivedAt); // a result names no epoch
      this.#statements.result.run(message.dcu, message.id, message.status, message.at, toJson(message.outcome ?? {}), receivedAt);
    }).immediate();
  }

  async sequence(dcu: string, stream: Stream, epoch?: string): Promise<SequenceState> {
    const e = epoch ?? ((this.#statements.currentEpoch.get(dcu) as string | null | undefined) ?? '');
    const upTo = (this.#statements.upTo.get(dcu, e, stream) as number | undefined) ?? 0;
    const pending = this.#statements.pending.all(dcu, e, stream) as number[];
    return { stream, upTo, missing: missingRanges(upTo, pending) };
  }

  async epochs(dcu: string) {
    const rows = this.db.prepare(`SELECT epoch, first_seen FROM dcu_epochs WHERE dcu = ? ORDER BY first_seen, epoch`).all(dcu);
    return (rows as Parameters<typeof epochRecord>[0][]).map(epochRecord);
  }

  async dcu(id: string) {
    const row = this.db.prepare(`SELECT ${DCU_COLUMNS} FROM dcus WHERE id = ?`).get(id) as Parameters<typeof dcuRecord>[0] | undefined;
    return row ? dcuRecord(row) : null;
  }

  async dcus() {
    return (this.db.prepare(`SELECT ${DCU_COLUMNS} FROM dcus ORDER BY id`).all() as Parameters<typeof dcuRecord>[0][]).map(dcuRecord);
  }

  async readings(filter: ReadingFilter & { limit?: number } = {}) {
    const w = where(filter);
    const limit = filter.limit !== undefined ? `LIMIT ${Math.trunc(filter.limit)}` : '';
    const rows = this.db
      .prepare(`SELECT ${READING_COLUMNS} FROM readings ${w.sql} ORDER BY dcu, meter, obis, attribute, ts ${limit}`)
      .all(...w.params) as ReadingRecordRow[];
    return rows.map(readingRecord);
  }

  async events(dcu: string) {
    const rows = this.db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE dcu = ? ORDER BY ${epochOrder('events')}, id`).all(dcu);
    return (rows as Parameters<typeof eventRecord>[0][]).map(eventRecord);
  }

  async result(dcu: string, id: string) {
    const row = this.db.prepare(`SELECT ${RESULT_COLUMNS} FROM command_results WHERE dcu = ? AND id = ?`).get(dcu, id);
    return row ? resultRecord(row as Parameters<typeof resultRecord>[0]) : null;
  }

  async countReadings(filter: ReadingFilter = {}): Promise<number> {
    const w = where(filter);
    return this.db.prepare(`SELECT count(*) FROM readings ${w.sql}`).pluck().get(...w.params) as number;
  }

  async countEvents(dcu?: string): Promise<number> {
    const stmt = this.db.prepare(`SELECT count(*) FROM events ${dcu === undefined ? '' : 'WHERE dcu = ?'}`).pluck();
    return (dcu === undefined ? stmt.get() : stmt.get(dcu)) as number;
  }

  async summarizeReadings(filter: ReadingFilter = {}) {
    const w = where(filter);
    const sum = new ReadingsChecksum();
    const stmt = this.db.prepare(`SELECT ${READING_COLUMNS} FROM readings ${w.sql}`);
    for (const row of stmt.iterate(...w.params)) {
      const r = readingRecord(row as ReadingRecordRow);
      sum.add(r.dcu, r);
    }
    return sum.summary();
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (error) {
      throw new CloudStoreError(`closing ${this.file}: ${error instanceof Error ? error.message : String(error)}`, 'unavailable');
    } finally {
      this.db.close();
    }
  }
}
