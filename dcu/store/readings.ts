// The reading buffer: append-only, unique by (ts, meter, obis, attribute), numbered by seq in
// insertion order for the uplink. A bulk insert is one transaction (or one savepoint inside
// the caller's transaction); a row already stored under the same key is ignored, so
// recollecting a range never duplicates anything.
//
// Values keep their type: a number goes into `value` (REAL; SQLite writes integral values
// as 1–6-byte integers on disk), anything else into `raw` — text, bytes, and bigint (INTEGER;
// beyond the int64 range as its decimal text). What comes back is what went in.
import type { Obis } from '../../shared/dlms/obis.js';
import type { Db, Statement, Transaction } from './database.js';
import { checkTime, num, numOrNull, packObis, sourceCode, sourceName, unpackObis, type ReadingSource } from './codec.js';
import type { RowCounts } from './counts.js';
import { StoreError } from './errors.js';
import type { Outbox } from './outbox.js';

export type { ReadingSource } from './codec.js';
export type ReadingValue = number | bigint | string | Uint8Array | null;

/** A reading as it travels from meter to cloud (ARCHITECTURE.md, "Values that cross layers"). */
export interface Reading {
  /** UTC ms: the capture time for profile entries, the read time for registers. */
  ts: number;
  /** Meter id in the directory. */
  meter: number;
  obis: Obis | string;
  attribute: number;
  /** As read: scale with `scaler` (value × 10^scaler) unless the producer already did and left scaler null. */
  value: ReadingValue;
  unit?: number | null;
  scaler?: number | null;
  status?: number;
  source: ReadingSource;
}

export interface StoredReading {
  seq: number;
  ts: number;
  meter: number;
  obis: Obis;
  attribute: number;
  value: ReadingValue;
  unit: number | null;
  scaler: number | null;
  status: number;
  source: ReadingSource;
  /** Acknowledged by the cloud (seq ≤ the readings stream's delivered mark). */
  delivered: boolean;
}

export interface InsertResult {
  inserted: number;
  /** Rows whose key was already stored (recollection, a repeated push). */
  ignored: number;
  /** seq of the first and last row inserted; null when nothing was new. */
  firstSeq: number | null;
  lastSeq: number | null;
}

/** The buffer's key, for paging through a range. */
export interface ReadingKey {
  ts: number;
  meter: number;
  obis: Obis | string;
  attribute: number;
}

export interface RangeQuery {
  /** Inclusive. */
  from: number;
  /** Exclusive. */
  to: number;
  /** Without a meter the range covers every meter (one scan in key order). */
  meter?: number;
  obis?: Obis | string;
  attribute?: number;
  /** Continue after this key (the last row of the previous page). */
  after?: ReadingKey;
  /** Default 10,000. */
  limit?: number;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const COLUMNS = 'seq, ts, meter, obis, attribute, value, raw, unit, scaler, status, source';

type Row = [unknown, unknown, unknown, unknown, unknown, number | null, unknown, unknown, unknown, unknown, unknown];

/** [value, raw] columns for a reading value. */
function columnsOf(v: ReadingValue): [number | null, string | bigint | Buffer | null] {
  if (typeof v === 'number') {
    if (Number.isNaN(v)) throw new StoreError('a reading value is NaN (SQLite would store it as NULL); pass null for "no value"', 'invalid');
    return [v, null];
  }
  if (v === null) return [null, null];
  if (typeof v === 'string') return [null, v];
  if (typeof v === 'bigint') return [null, v >= INT64_MIN && v <= INT64_MAX ? v : v.toString()];
  if (v instanceof Uint8Array) return [null, Buffer.from(v.buffer, v.byteOffset, v.byteLength)];
  throw new StoreError(`a reading value must be a number, bigint, string, bytes or null, got ${typeof v}`, 'invalid');
}

export class ReadingBuffer {
  private readonly insertStmt: Statement;
  private readonly afterStmt: Statement;
  private readonly countAfterStmt: Statement;
  private readonly queries = new Map<string, Statement>();
  private readonly insertTx: Transaction<(rows: readonly Reading[]) => InsertResult>;

  constructor(
    private readonly db: Db,
    private readonly counts: RowCounts,
    private readonly outbox: Outbox,
  ) {
    this.insertStmt = db.prepare(
      `INSERT INTO readings (ts, meter, obis, attribute, value, raw, unit, scaler, status, source)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ts, meter, obis, attribute) DO NOTHING`,
    );
    this.afterStmt = db.prepare(`SELECT ${COLUMNS} FROM readings WHERE seq > ? ORDER BY seq LIMIT ?`).raw().safeIntegers();
    this.countAfterStmt = db.prepare('SELECT count(*) FROM readings WHERE seq > ?').pluck();
    this.insertTx = db.transaction((rows: readonly Reading[]) => this.insertRows(rows));
  }

  /**
   * Inserts the rows in one transaction (a savepoint if the caller has one open): either all
   * new rows are stored or none. Rows with a key already stored are ignored, not updated.
   */
  insert(rows: readonly Reading[]): InsertResult {
    return this.insertTx.immediate(rows);
  }

  private insertRows(rows: readonly Reading[]): InsertResult {
    let inserted = 0;
    let firstSeq: number | null = null;
    let lastSeq: number | null = null;
    for (const r of rows) {
      if (!Number.isSafeInteger(r.ts)) checkTime(r.ts, 'reading ts');
      if (!Number.isInteger(r.attribute)) throw new StoreError(`reading attribute must be an integer, got ${String(r.attribute)}`, 'invalid');
      const [value, raw] = columnsOf(r.value);
      const info = this.insertStmt.run(
        r.ts,
        r.meter,
        packObis(r.obis),
        r.attribute,
        value,
        raw,
        r.unit ?? null,
        r.scaler ?? null,
        r.status ?? 0,
        sourceCode(r.source),
      );
      if (info.changes === 1) {
        inserted++;
        lastSeq = Number(info.lastInsertRowid);
        firstSeq ??= lastSeq;
      }
    }
    this.counts.add('readings', inserted);
    return { inserted, ignored: rows.length - inserted, firstSeq, lastSeq };
  }

  /** Rows in key order (ts, meter, obis, attribute) within [from, to), optionally of one meter / OBIS / attribute. */
  range(q: RangeQuery): StoredReading[] {
    checkTime(q.from, 'range from');
    checkTime(q.to, 'range to');
    const where = ['ts >= ?', 'ts < ?'];
    const args: unknown[] = [q.from, q.to];
    if (q.meter !== undefined) (where.push('meter = ?'), args.push(q.meter));
    if (q.obis !== undefined) (where.push('obis = ?'), args.push(packObis(q.obis)));
    if (q.attribute !== undefined) (where.push('attribute = ?'), args.push(q.attribute));
    if (q.after !== undefined) {
      where.push('(ts, meter, obis, attribute) > (?, ?, ?, ?)');
      args.push(q.after.ts, q.after.meter, packObis(q.after.obis), q.after.attribute);
    }
    const sql = `SELECT ${COLUMNS} FROM readings WHERE ${where.join(' AND ')} ORDER BY ts, meter, obis, attribute LIMIT ?`;
    let stmt = this.queries.get(sql);
    if (stmt === undefined) this.queries.set(sql, (stmt = this.db.prepare(sql).raw().safeIntegers()));
    const delivered = this.outbox.deliveredUpTo('readings');
    return (stmt.all(...args, q.limit ?? 10_000) as Row[]).map((r) => toReading(r, delivered));
  }

  /** Rows numbered after `afterSeq`, in seq order: what the uplink sends next. */
  after(afterSeq: number, limit = 1000): StoredReading[] {
    const delivered = this.outbox.deliveredUpTo('readings');
    return (this.afterStmt.all(afterSeq, limit) as Row[]).map((r) => toReading(r, delivered));
  }

  /** Rows not yet acknowledged by the cloud. */
  undeliveredCount(): number {
    return this.countAfterStmt.get(this.outbox.deliveredUpTo('readings')) as number;
  }

  /** Rows in the buffer (exact, kept with every insert and delete). */
  count(): number {
    return this.counts.get('readings');
  }
}

function toReading(r: Row, delivered: number): StoredReading {
  const seq = num(r[0]);
  const raw = r[6];
  return {
    seq,
    ts: num(r[1]),
    meter: num(r[2]),
    obis: unpackObis(num(r[3])),
    attribute: num(r[4]),
    value: r[5] !== null ? r[5] : (raw as ReadingValue),
    unit: numOrNull(r[7]),
    scaler: numOrNull(r[8]),
    status: num(r[9]),
    source: sourceName(num(r[10])),
    delivered: seq <= delivered,
  };
}
