// The PostgreSQL cloud store (DATABASE_URL): the same behaviour as sqlite.ts. Several cloud
// instances may write at once: storeBatch locks the (dcu, stream) row FOR UPDATE before it
// reads the sequence state, so batches of one stream are stored one after the other whatever
// instance got them; a deadlock or serialization failure is retried.
import type pg from 'pg';
import type { ResultMessage, StatusMessage, Stream } from '../../shared/sync/messages.js';
import { ReadingsChecksum } from './checksum.js';
import { CloudStoreError } from './errors.js';
import { createPool, migratePostgres, type PoolOptions } from './postgres-schema.js';
import {
  DCU_COLUMNS,
  EVENT_COLUMNS,
  READING_COLUMNS,
  RESULT_COLUMNS,
  dcuRecord,
  eventRecord,
  readingRecord,
  rejectedItemRecord,
  resultRecord,
  type ReadingRecordRow,
} from './records.js';
import { checkBatchHeader, checkResult, checkStatus, eventRows, readingRows, toJson, type EventRow, type ReadingRow } from './rows.js';
import { advance, missingRanges } from './sequence.js';
import type { BatchOutcome, CloudStore, ReadingFilter, RejectedItemRecord, SequenceState, UplinkBatch } from './types.js';

export interface PostgresCloudStoreOptions extends PoolOptions {
  now?: () => number;
}

const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected
const PAGE = 10_000;

const INSERT_READINGS = `
INSERT INTO readings (${READING_COLUMNS})
SELECT $1, m, o, a, t, vk, vn, vt, u, sc, st, src, $2, $3
FROM unnest($4::text[], $5::text[], $6::int[], $7::bigint[], $8::smallint[], $9::float8[], $10::text[],
            $11::int[], $12::int[], $13::bigint[], $14::text[]) AS x(m, o, a, t, vk, vn, vt, u, sc, st, src)
ON CONFLICT DO NOTHING`;

const INSERT_EVENTS = `
INSERT INTO events (${EVENT_COLUMNS})
SELECT $1, i, t, m, k, sv, d, $2, $3
FROM unnest($4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[]) AS x(i, t, m, k, sv, d)
ON CONFLICT DO NOTHING`;

const TOUCH_DCU = `INSERT INTO dcus (id, first_seen, last_seen) VALUES ($1, $2, $2)
  ON CONFLICT (id) DO UPDATE SET last_seen = GREATEST(dcus.last_seen, excluded.last_seen)`;

function where(filter: ReadingFilter, params: unknown[]): string[] {
  const parts: string[] = [];
  if (filter.dcu !== undefined) (params.push(filter.dcu), parts.push(`dcu = $${params.length}`));
  if (filter.meter !== undefined) (params.push(filter.meter), parts.push(`meter = $${params.length}`));
  return parts;
}

function column<T, K extends keyof T>(rows: readonly T[], key: K): T[K][] {
  return rows.map((r) => r[key]);
}

export class PostgresCloudStore implements CloudStore {
  readonly kind = 'postgres' as const;
  readonly #now: () => number;

  private constructor(readonly pool: pg.Pool, options: PostgresCloudStoreOptions) {
    this.#now = options.now ?? Date.now;
  }

  /** Connects, creates the schema if one is named, migrates. Throws CloudStoreError('unavailable') when the server cannot be reached. */
  static async open(options: PostgresCloudStoreOptions): Promise<PostgresCloudStore> {
    const pool = createPool(options);
    pool.on('error', () => undefined); // an idle client lost its connection: the next query reconnects
    try {
      await migratePostgres(pool, options.schema);
    } catch (error) {
      await pool.end().catch(() => undefined);
      if (error instanceof CloudStoreError) throw error;
      const why = error instanceof Error ? error.message : String(error);
      throw new CloudStoreError(`PostgreSQL at ${redact(options.connectionString)}: ${why}`, 'unavailable');
    }
    return new PostgresCloudStore(pool, options);
  }

  async #transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((e: unknown) => (broken = e as Error));
        const code = (error as { code?: string }).code;
        if (code !== undefined && RETRYABLE.has(code) && attempt < 5) continue;
        throw error;
      } finally {
        client.release(broken);
      }
    }
  }

  async storeBatch(batch: UplinkBatch, receivedAt = this.#now()): Promise<BatchOutcome> {
    checkBatchHeader(batch);
    const { rows, rejected } = batch.kind === 'readings' ? readingRows(batch) : eventRows(batch);
    const stream: Stream = batch.kind;
    const { dcu, seq } = batch;
    return this.#transaction(async (c) => {
      await c.query(TOUCH_DCU, [dcu, receivedAt]);
      await c.query(`INSERT INTO streams (dcu, stream) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [dcu, stream]);
      const state = await c.query<{ up_to: number }>(`SELECT up_to FROM streams WHERE dcu = $1 AND stream = $2 FOR UPDATE`, [dcu, stream]);
      const upTo = state.rows[0]!.up_to;
      const pendingRows = await c.query<{ seq: number }>(`SELECT seq FROM pending_batches WHERE dcu = $1 AND stream = $2 ORDER BY seq`, [dcu, stream]);
      const pending = pendingRows.rows.map((r) => r.seq);
      if (seq <= upTo || pending.includes(seq)) {
        return { stream, upTo, missing: missingRanges(upTo, pending), duplicate: true, inserted: 0, rejected: 0 };
      }
      let inserted = 0;
      for (const x of rejected) {
        await c.query(`INSERT INTO rejected_items (dcu, stream, seq, idx, reason, item, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`, [
          dcu, stream, seq, x.index, x.reason, x.item, receivedAt,
        ]);
      }
      if (rows.length > 0 && batch.kind === 'readings') {
        const r = rows as ReadingRow[];
        const result = await c.query(INSERT_READINGS, [
          dcu, seq, receivedAt,
          column(r, 'meter'), column(r, 'obis'), column(r, 'attribute'), column(r, 'ts'), column(r, 'valueKind'),
          column(r, 'valueNum'), column(r, 'valueText'), column(r, 'unit'), column(r, 'scaler'), column(r, 'status'), column(r, 'source'),
        ]);
        inserted = result.rowCount ?? 0;
      } else if (rows.length > 0) {
        const e = rows as EventRow[];
        const result = await c.query(INSERT_EVENTS, [
          dcu, seq, receivedAt,
          column(e, 'id'), column(e, 'ts'), column(e, 'meter'), column(e, 'kind'), column(e, 'severity'), column(e, 'details'),
        ]);
        inserted = result.rowCount ?? 0;
      }
      const next = advance(upTo, [...pending, seq]);
      if (next.upTo > upTo) {
        await c.query(`UPDATE streams SET up_to = $1 WHERE dcu = $2 AND stream = $3`, [next.upTo, dcu, stream]);
        await c.query(`DELETE FROM pending_batches WHERE dcu = $1 AND stream = $2 AND seq <= $3`, [dcu, stream, next.upTo]);
      }
      if (next.pending.includes(seq)) {
        await c.query(`INSERT INTO pending_batches (dcu, stream, seq, received_at) VALUES ($1, $2, $3, $4)`, [dcu, stream, seq, receivedAt]);
      }
      return { stream, upTo: next.upTo, missing: missingRanges(next.upTo, next.pending), duplicate: false, inserted, rejected: rejected.length };
    });
  }

  async rejectedItems(dcu: string): Promise<RejectedItemRecord[]> {
    const result = await this.pool.query(`SELECT * FROM rejected_items WHERE dcu = $1 ORDER BY stream, seq, idx`, [dcu]);
    return result.rows.map(rejectedItemRecord);
  }

  async recordStatus(message: StatusMessage, receivedAt = this.#now()): Promise<void> {
    checkStatus(message);
    await this.#transaction(async (c) => {
      await c.query(TOUCH_DCU, [message.dcu, receivedAt]);
      await c.query(
        `UPDATE dcus SET status = $1, status_at = $2, last_status = $3 WHERE id = $4 AND (status_at IS NULL OR status_at <= $2)`,
        [message.state, message.at, toJson(message), message.dcu],
      );
    });
  }

  async recordResult(message: ResultMessage, receivedAt = this.#now()): Promise<void> {
    checkResult(message);
    await this.#transaction(async (c) => {
      await c.query(TOUCH_DCU, [message.dcu, receivedAt]);
      await c.query(
        `INSERT INTO command_results (${RESULT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (dcu, id) DO UPDATE SET status = excluded.status, at = excluded.at, outcome = excluded.outcome,
           received_at = excluded.received_at WHERE excluded.at > command_results.at`,
        [message.dcu, message.id, message.status, message.at, toJson(message.outcome ?? {}), receivedAt],
      );
    });
  }

  async sequence(dcu: string, stream: Stream): Promise<SequenceState> {
    const state = await this.pool.query<{ up_to: number }>(`SELECT up_to FROM streams WHERE dcu = $1 AND stream = $2`, [dcu, stream]);
    const pending = await this.pool.query<{ seq: number }>(`SELECT seq FROM pending_batches WHERE dcu = $1 AND stream = $2 ORDER BY seq`, [dcu, stream]);
    const upTo = state.rows[0]?.up_to ?? 0;
    return { stream, upTo, missing: missingRanges(upTo, pending.rows.map((r) => r.seq)) };
  }

  async dcu(id: string) {
    const { rows } = await this.pool.query(`SELECT ${DCU_COLUMNS} FROM dcus WHERE id = $1`, [id]);
    return rows[0] ? dcuRecord(rows[0]) : null;
  }

  async dcus() {
    const { rows } = await this.pool.query(`SELECT ${DCU_COLUMNS} FROM dcus ORDER BY id`);
    return rows.map(dcuRecord);
  }

  async readings(filter: ReadingFilter & { limit?: number } = {}) {
    const params: unknown[] = [];
    const parts = where(filter, params);
    const limit = filter.limit !== undefined ? `LIMIT ${Math.trunc(filter.limit)}` : '';
    const { rows } = await this.pool.query<ReadingRecordRow>(
      `SELECT ${READING_COLUMNS} FROM readings ${parts.length ? `WHERE ${parts.join(' AND ')}` : ''}
       ORDER BY dcu, meter, obis, attribute, ts ${limit}`,
      params,
    );
    return rows.map(readingRecord);
  }

  async events(dcu: string) {
    const { rows } = await this.pool.query(`SELECT ${EVENT_COLUMNS} FROM events WHERE dcu = $1 ORDER BY id`, [dcu]);
    return rows.map(eventRecord);
  }

  async result(dcu: string, id: string) {
    const { rows } = await this.pool.query(`SELECT ${RESULT_COLUMNS} FROM command_results WHERE dcu = $1 AND id = $2`, [dcu, id]);
    return rows[0] ? resultRecord(rows[0]) : null;
  }

  async countReadings(filter: ReadingFilter = {}): Promise<number> {
    const params: unknown[] = [];
    const parts = where(filter, params);
    const { rows } = await this.pool.query<{ n: number }>(`SELECT count(*) AS n FROM readings ${parts.length ? `WHERE ${parts.join(' AND ')}` : ''}`, params);
    return rows[0]!.n;
  }

  async countEvents(dcu?: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(`SELECT count(*) AS n FROM events ${dcu === undefined ? '' : 'WHERE dcu = $1'}`, dcu === undefined ? [] : [dcu]);
    return rows[0]!.n;
  }

  /** Pages through the primary key (keyset pagination), so any number of rows fits in memory. */
  async summarizeReadings(filter: ReadingFilter = {}) {
    const sum = new ReadingsChecksum();
    let after: ReadingRecordRow | undefined;
    for (;;) {
      const params: unknown[] = [];
      const parts = where(filter, params);
      if (after) {
        params.push(after.dcu, after.meter, after.obis, after.attribute, after.ts);
        const n = params.length;
        parts.push(`(dcu, meter, obis, attribute, ts) > ($${n - 4}, $${n - 3}, $${n - 2}, $${n - 1}, $${n})`);
      }
      const { rows } = await this.pool.query<ReadingRecordRow>(
        `SELECT ${READING_COLUMNS} FROM readings ${parts.length ? `WHERE ${parts.join(' AND ')}` : ''}
         ORDER BY dcu, meter, obis, attribute, ts LIMIT ${PAGE}`,
        params,
      );
      for (const row of rows) {
        const r = readingRecord(row);
        sum.add(r.dcu, r);
      }
      if (rows.length < PAGE) return sum.summary();
      after = rows[rows.length - 1];
    }
  }

  async close(): Promise<void> {
    if (this.pool.ended || this.pool.ending) return;
    await this.pool.end();
  }
}

/** The connection string without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+):[^@/]*@/, '$1:***@');
}
