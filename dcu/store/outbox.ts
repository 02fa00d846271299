// The delivered mark of each uplink stream. Rows of the reading buffer (seq) and events (id)
// are numbered in insertion order by AUTOINCREMENT, which SQLite never reuses. The cloud
// acknowledges the highest contiguous batch, and batches are contiguous runs of that number,
// so "delivered" is always a prefix: one number per stream says it, and an acknowledgement
// is one small UPDATE instead of a rewrite of every row it covers. Retention consults it so
// that nothing undelivered is deleted unless a disk quota forces it.
import type { Db, Statement } from './database.js';
import { StoreError } from './errors.js';

export type Stream = 'readings' | 'events';

const MAX_SEQ: Record<Stream, string> = {
  readings: `SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'readings'), 0)`,
  events: `SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)`,
};

export class Outbox {
  private readonly getStmt: Statement;
  private readonly ackStmt: Statement;
  private readonly maxStmts: Record<Stream, Statement>;

  constructor(
    db: Db,
    private readonly clock: () => number,
  ) {
    this.getStmt = db.prepare('SELECT delivered_upto FROM outbox WHERE stream = ?').pluck();
    this.ackStmt = db.prepare('UPDATE outbox SET delivered_upto = max(delivered_upto, ?), acknowledged_at = ? WHERE stream = ?');
    this.maxStmts = { readings: db.prepare(MAX_SEQ.readings).pluck(), events: db.prepare(MAX_SEQ.events).pluck() };
  }

  /** Everything numbered up to this was acknowledged by the cloud. */
  deliveredUpTo(stream: Stream): number {
    return Number(this.getStmt.get(stream) ?? 0);
  }

  /** The highest number ever given out in the stream (0 if none). */
  lastAssigned(stream: Stream): number {
    return Number(this.maxStmts[stream].get());
  }

  /**
   * Records the cloud's acknowledgement of everything up to `upto`. The mark only moves
   * forward (a stale or replayed ack is a no-op); acknowledging a number never given out is
   * refused, since it would mark future rows delivered.
   */
  acknowledge(stream: Stream, upto: number, now: number = this.clock()): number {
    if (!Number.isSafeInteger(upto) || upto < 0) throw new StoreError(`acknowledgement must be a sequence number, got ${upto}`, 'invalid');
    const last = this.lastAssigned(stream);
    if (upto > last) {
      throw new StoreError(`acknowledgement of ${stream} up to ${upto}, but only ${last} were ever numbered`, 'invalid');
    }
    this.ackStmt.run(upto, now, stream);
    return this.deliveredUpTo(stream);
  }
}
