// Batches from the store's rows: the next runs of the reading buffer (or the event log)
// after the last row already batched, and the message of a numbered batch — rebuilt from its
// stored run of rows, so that a batch sent again (after a restart, on a resend request)
// carries the same rows as the first time. Meters travel as their serial numbers (the
// identity the cloud knows); a meter's id and serial never change, so neither does a batch.
// Every batch carries the database's epoch (store.batches.epoch, read as the message is built:
// an epoch restart renumbers everything not yet delivered).
import { SYNC_VERSION, type EventsBatch, type ReadingsBatch, type Stream, type SyncEvent, type SyncReading } from '../../shared/sync/messages.js';
import type { BatchRange, DcuStore, EventRecord, NewBatch, StoredReading } from '../store/index.js';

export type BatchMessage = ReadingsBatch | EventsBatch;

type Row = StoredReading | EventRecord;

const rowNumber = (stream: Stream, row: Row): number => (stream === 'readings' ? (row as StoredReading).seq : (row as EventRecord).id);

export class BatchBuilder {
  private readonly serials = new Map<number, string>();

  constructor(
    private readonly store: DcuStore,
    private readonly dcuId: string,
    private readonly batchSize: number,
  ) {}

  /**
   * Up to `count` new runs of at most batchSize rows each, after the last row batched so far,
   * with their rows. Nothing is numbered yet (the caller assigns numbers in the store).
   */
  nextRuns(stream: Stream, count: number): { runs: NewBatch[]; rows: Row[][] } {
    const after = this.store.batches.position(stream).batchedUpTo;
    const limit = count * this.batchSize;
    const all: Row[] = stream === 'readings' ? this.store.readings.after(after, limit) : this.store.events.after(after, limit);
    const runs: NewBatch[] = [];
    const rows: Row[][] = [];
    for (let i = 0; i < all.length; i += this.batchSize) {
      const chunk = all.slice(i, i + this.batchSize);
      runs.push({ firstRow: rowNumber(stream, chunk[0]!), lastRow: rowNumber(stream, chunk[chunk.length - 1]!), rows: chunk.length });
      rows.push(chunk);
    }
    return { runs, rows };
  }

  /** The rows of a numbered batch, read back from the store (fewer if retention dropped some). */
  rowsOf(range: BatchRange): Row[] {
    const rows: Row[] = range.stream === 'readings' ? this.store.readings.after(range.firstRow - 1, range.rows) : this.store.events.after(range.firstRow - 1, range.rows);
    return rows.filter((r) => rowNumber(range.stream, r) <= range.lastRow);
  }

  /** The message of batch `seq` with these rows. */
  message(stream: Stream, seq: number, rows: readonly Row[]): BatchMessage {
    const epoch = this.store.batches.epoch;
    if (stream === 'readings') {
      return { v: SYNC_VERSION, kind: 'readings', dcu: this.dcuId, epoch, seq, readings: (rows as StoredReading[]).map((r) => this.reading(r)) };
    }
    return { v: SYNC_VERSION, kind: 'events', dcu: this.dcuId, epoch, seq, events: (rows as EventRecord[]).map((e) => this.event(e)) };
  }

  private reading(r: StoredReading): SyncReading {
    const value = r.value instanceof Uint8Array ? new Uint8Array(r.value) : r.value;
    return { ts: r.ts, meter: this.serial(r.meter), obis: r.obis, attribute: r.attribute, value, unit: r.unit, scaler: r.scaler, status: r.status, source: r.source };
  }

  private event(e: EventRecord): SyncEvent {
    return { id: e.id, ts: e.ts, meter: e.meter === null ? null : this.serial(e.meter), kind: e.kind, severity: e.severity, details: e.details };
  }

  private serial(meter: number): string {
    let s = this.serials.get(meter);
    if (s === undefined) {
      // A meter's row is never deleted (foreign keys), so the fallback only guards a damaged file.
      s = this.store.meters.get(meter)?.serial ?? `meter-id-${meter}`;
      this.serials.set(meter, s);
    }
    return s;
  }
}
