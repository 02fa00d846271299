// Uplink batches: the numbering the cloud acknowledges. Each stream (readings, events) hands
// out batch numbers 1, 2, 3… that never repeat within this database's epoch (a random id made
// with the database, migration 4: a replaced database numbers from 1 again under a new epoch,
// which the cloud keeps apart from the old one's); a batch is a contiguous run of row numbers
// (readings.seq / events.id), stored here before the batch is published, so that after a
// restart an unacknowledged batch goes out again under the same number with the same rows.
//
// The cloud acknowledges the highest contiguous batch number it stored; that moves the
// outbox's delivered mark to the batch's last row (one UPDATE) and deletes the batch ranges
// up to it. Nothing else marks rows delivered — in particular not the broker's PUBACK.
//
// Retention may drop rows of an unacknowledged batch when a disk quota forces it (an event
// says so); the batch then goes out with the rows that are left, under its own number.
//
// An ack above the last number given out means the cloud holds batches of this epoch that this
// file never numbered: it is an older copy of the database (a restored backup). Numbering on
// would give the cloud's numbers to other rows, which it would take for replays. restartEpoch()
// starts a new epoch instead and batches every undelivered row again from 1 (both streams:
// the epoch is the database's). Rows the cloud already had go again: readings dedupe on their
// natural key, events may be stored twice (once per epoch) — duplicates, never a loss.
import { randomBytes } from 'node:crypto';
import type { Db, Statement } from './database.js';
import { num } from './codec.js';
import { StoreError } from './errors.js';
import type { EventLog } from './events.js';
import type { Outbox, Stream } from './outbox.js';

export interface BatchRange {
  stream: Stream;
  /** The batch number (per stream, from 1). */
  seq: number;
  /** First and last row number of the run (inclusive). */
  firstRow: number;
  lastRow: number;
  /** Rows in the run when the batch was made. */
  rows: number;
  createdAt: number;
}

/** Where a stream stands. */
export interface BatchPosition {
  /** The last batch number given out (0: none yet). */
  lastSeq: number;
  /** The last batch number the cloud acknowledged (0: none yet). */
  ackedSeq: number;
  /** The last row put into a batch: the next batch starts after it. */
  batchedUpTo: number;
}

export interface NewBatch {
  firstRow: number;
  lastRow: number;
  rows: number;
}

/** What restartEpoch() did. */
export interface EpochRestart {
  previousEpoch: string;
  epoch: string;
  /** Undelivered rows per stream, to be batched again from 1 under the new epoch. */
  unsent: Record<Stream, number>;
  /** The 'uplink-epoch-restarted' event. */
  eventId: number;
}

export interface BatchAck {
  /** The acknowledged batch number after this acknowledgement. */
  ackedSeq: number;
  /** False for a stale or repeated acknowledgement (nothing changed). */
  advanced: boolean;
  /** The outbox's delivered mark (row number) after it. */
  deliveredUpTo: number;
}

interface Row {
  stream: Stream;
  seq: number;
  first_row: number;
  last_row: number;
  rows: number;
  created_at: number;
}

const fromRow = (r: Row): BatchRange => ({
  stream: r.stream,
  seq: num(r.seq),
  firstRow: num(r.first_row),
  lastRow: num(r.last_row),
  rows: num(r.rows),
  createdAt: num(r.created_at),
});

const COUNT_AFTER: Record<Stream, string> = {
  readings: 'SELECT count(*) FROM readings WHERE seq > ?',
  events: 'SELECT count(*) FROM events WHERE id > ?',
};
const STREAMS = Object.keys(COUNT_AFTER) as Stream[];

export class UplinkBatches {
  private readonly epochStmt: Statement;
  private readonly setEpochStmt: Statement;
  private readonly resetStmt: Statement;
  private readonly clearStmt: Statement;
  private readonly positionStmt: Statement;
  private readonly getStmt: Statement;
  private readonly pendingStmt: Statement;
  private readonly insertStmt: Statement;
  private readonly advanceStmt: Statement;
  private readonly ackStmt: Statement;
  private readonly pruneStmt: Statement;
  private readonly countStmts: Record<Stream, Statement>;
  private readonly tx: <T>(fn: () => T) => T;

  constructor(
    private readonly db: Db,
    private readonly outbox: Outbox,
    private readonly events: EventLog,
    private readonly clock: () => number,
  ) {
    this.epochStmt = db.prepare('SELECT epoch FROM store_epoch WHERE id = 1').pluck();
    this.setEpochStmt = db.prepare('UPDATE store_epoch SET epoch = ?, created_at = ? WHERE id = 1');
    this.resetStmt = db.prepare('UPDATE outbox SET last_seq = 0, acked_seq = 0, batched_upto = ? WHERE stream = ?');
    this.clearStmt = db.prepare('DELETE FROM uplink_batches');
    this.positionStmt = db.prepare('SELECT last_seq, acked_seq, batched_upto FROM outbox WHERE stream = ?');
    this.getStmt = db.prepare('SELECT * FROM uplink_batches WHERE stream = ? AND seq = ?');
    this.pendingStmt = db.prepare('SELECT * FROM uplink_batches WHERE stream = ? AND seq > ? ORDER BY seq LIMIT ?');
    this.insertStmt = db.prepare('INSERT INTO uplink_batches (stream, seq, first_row, last_row, rows, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    this.advanceStmt = db.prepare('UPDATE outbox SET last_seq = ?, batched_upto = ? WHERE stream = ?');
    this.ackStmt = db.prepare('UPDATE outbox SET acked_seq = ? WHERE stream = ?');
    this.pruneStmt = db.prepare('DELETE FROM uplink_batches WHERE stream = ? AND seq <= ?');
    this.countStmts = { readings: db.prepare(COUNT_AFTER.readings).pluck(), events: db.prepare(COUNT_AFTER.events).pluck() };
    this.tx = <T>(fn: () => T): T => db.transaction(fn).immediate();
    void this.epoch; // throws now, at open, for a file without an epoch
  }

  /**
   * This database's epoch: every batch carries it, and only an ack naming it is applied. Read
   * from the file each time, so everyone sees a restartEpoch() at once (and no rolled-back one).
   */
  get epoch(): string {
    const epoch = this.epochStmt.get();
    if (typeof epoch !== 'string') throw new StoreError(`database ${this.db.name} has no epoch (store_epoch is empty)`, 'corrupt', this.db.name);
    return epoch;
  }

  position(stream: Stream): BatchPosition {
    const r = this.positionStmt.get(stream) as { last_seq: number; acked_seq: number; batched_upto: number } | undefined;
    if (r === undefined) throw new StoreError(`no outbox stream ${JSON.stringify(stream)}`, 'invalid');
    return { lastSeq: num(r.last_seq), ackedSeq: num(r.acked_seq), batchedUpTo: num(r.batched_upto) };
  }

  /** The range of a batch not yet acknowledged (undefined for an acknowledged or unknown number). */
  get(stream: Stream, seq: number): BatchRange | undefined {
    const r = this.getStmt.get(stream, seq) as Row | undefined;
    return r === undefined ? undefined : fromRow(r);
  }

  /** Unacknowledged batches after `afterSeq`, oldest first. */
  pending(stream: Stream, afterSeq = this.position(stream).ackedSeq, limit = 1000): BatchRange[] {
    return (this.pendingStmt.all(stream, afterSeq, limit) as Row[]).map(fromRow);
  }

  /** Rows not yet put into any batch. */
  unbatchedRows(stream: Stream): number {
    return this.countStmts[stream].get(this.position(stream).batchedUpTo) as number;
  }

  /**
   * Gives the next batch numbers to these runs of rows (in order, each after the previous and
   * after every run already batched), in one transaction. Call the store's flush() before
   * publishing any of them, so that a power cut cannot give a number to other rows.
   */
  assign(stream: Stream, runs: readonly NewBatch[], now: number = this.clock()): BatchRange[] {
    return this.tx(() => {
      let { lastSeq, batchedUpTo } = this.position(stream);
      const out: BatchRange[] = [];
      for (const run of runs) {
        if (!Number.isSafeInteger(run.firstRow) || !Number.isSafeInteger(run.lastRow) || run.firstRow > run.lastRow || run.rows < 1) {
          throw new StoreError(`batch rows ${run.firstRow}…${run.lastRow} (${run.rows}) are not a run of rows`, 'invalid');
        }
        if (run.firstRow <= batchedUpTo) {
          throw new StoreError(`batch rows ${run.firstRow}…${run.lastRow} of ${stream} overlap rows already batched (up to ${batchedUpTo})`, 'invalid');
        }
        lastSeq++;
        batchedUpTo = run.lastRow;
        this.insertStmt.run(stream, lastSeq, run.firstRow, run.lastRow, run.rows, now);
        out.push({ stream, seq: lastSeq, firstRow: run.firstRow, lastRow: run.lastRow, rows: run.rows, createdAt: now });
      }
      this.advanceStmt.run(lastSeq, batchedUpTo, stream);
      return out;
    });
  }

  /**
   * The cloud stored every batch up to `upTo`: the outbox's delivered mark moves to that
   * batch's last row and the ranges up to it are dropped, in one transaction. A stale or
   * repeated acknowledgement changes nothing; one above the last number given out is refused
   * (StoreError 'invalid'): it would mark rows delivered that were never sent.
   */
  acknowledge(stream: Stream, upTo: number, now: number = this.clock()): BatchAck {
    if (!Number.isSafeInteger(upTo) || upTo < 0) throw new StoreError(`acknowledgement must be a batch number, got ${upTo}`, 'invalid');
    return this.tx(() => {
      const { lastSeq, ackedSeq } = this.position(stream);
      if (upTo <= ackedSeq) return { ackedSeq, advanced: false, deliveredUpTo: this.outbox.deliveredUpTo(stream) };
      if (upTo > lastSeq) {
        throw new StoreError(`acknowledgement of ${stream} batches up to ${upTo}, but only ${lastSeq} were ever numbered`, 'invalid');
      }
      const batch = this.get(stream, upTo);
      if (batch === undefined) throw new StoreError(`batch ${upTo} of ${stream} is not in the store`, 'corrupt');
      const deliveredUpTo = this.outbox.acknowledge(stream, batch.lastRow, now);
      this.ackStmt.run(upTo, stream);
      this.pruneStmt.run(stream, upTo);
      return { ackedSeq: upTo, advanced: true, deliveredUpTo };
    });
  }

  /**
   * The cloud acknowledged batches of `stream` up to `upTo` in `epoch`, above anything this
   * database numbered: it is behind the cloud (an older copy). In one transaction: a new random
   * epoch (as migration 4 makes), no batch ranges, both streams at 0 with their batched mark at
   * the delivered one (every undelivered row is batched again from 1), and a warning event.
   * Refuses (StoreError 'conflict', nothing changed) when `epoch` is no longer this database's
   * or `upTo` is not above the last number: so one epoch can be restarted only once.
   */
  restartEpoch(ack: { epoch: string; stream: Stream; upTo: number }, now: number = this.clock()): EpochRestart {
    return this.tx(() => {
      const previousEpoch = this.epoch;
      const { lastSeq } = this.position(ack.stream);
      if (ack.epoch !== previousEpoch) throw new StoreError(`epoch ${ack.epoch} is not this database's (${previousEpoch}); not restarted again`, 'conflict');
      if (!(ack.upTo > lastSeq)) throw new StoreError(`${ack.stream} batches up to ${ack.upTo} were numbered here (up to ${lastSeq}): the epoch stays`, 'conflict');
      const epoch = randomBytes(16).toString('hex');
      this.setEpochStmt.run(epoch, now);
      this.clearStmt.run();
      const unsent = {} as Record<Stream, number>;
      for (const stream of STREAMS) {
        const delivered = this.outbox.deliveredUpTo(stream);
        this.resetStmt.run(delivered, stream);
        unsent[stream] = this.countStmts[stream].get(delivered) as number;
      }
      const eventId = this.events.append({
        ts: now,
        kind: 'uplink-epoch-restarted',
        severity: 'warning',
        details: { previousEpoch, epoch, stream: ack.stream, cloudUpTo: ack.upTo, lastSeq, rowsToSendAgain: unsent },
      });
      return { previousEpoch, epoch, unsent, eventId };
    });
  }
}
