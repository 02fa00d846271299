// The PostgreSQL cloud store (DATABASE_URL): the same behaviour as sqlite.ts. Several cloud
// instances may write at once: storeBatch locks the (dcu, epoch, stream) row FOR UPDATE before
// it reads the sequence state, so batches of one stream are stored one after the other whatever
// instance got them; a deadlock or serialization failure is retried. A new epoch is registered
// with an insert on dcu_epochs' key, so only one instance reports it.
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
  epochOrder,
  epochRecord,
  eventRecord,
  readingRecord,
  rejectedItemRecord,
  resultRecord,
  type ReadingRecordRow,
} from './records.js';
import { checkBatchHeader, checkResult, checkStatus, eventRows, readingRows, toJson, type EventRow, type ReadingRow } from './rows.js';
import { advance, missingRanges } from './sequence.js';
import type { BatchOutcome, CloudStore, EpochChange, ReadingFilter, RejectedItemRecord, SequenceState, UplinkBatch } from './types.js';

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
SELECT $1, $2, i, t, m, k, sv, d, $3, $4
FROM unnest($5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::text[], $10::text[]) AS x(i, t, m, k, sv, d)
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
    const { dcu, epoch, seq } = batch;
    return this.#transaction(async (c) => {
      const epochChange = await touch(c, dcu, epoch, receivedAt);
      const changed = epochChange ? { epochChange } : {};
      await c.query(`INSERT INTO streams (dcu, epoch, stream) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [dcu, epoch, stream]);
      const key = [dcu, epoch, stream];
      const state = await c.query<{ up_to: number }>(`SELECT up_to FROM streams WHERE dcu = $1 AND epoch = $2 AND stream = $3 FOR UPDATE`, key);
      const upTo = state.rows[0]!.up_to;
      const pendingRows = await c.query<{ seq: number }>(`SELECT seq FROM pending_batches WHERE dcu = $1 AND epoch = $2 AND stream = $3 ORDER BY seq`, key);
      const pending = pendingRows.rows.map((r) => r.seq);
      if (seq <= upTo || pending.includes(seq)) {
        return { stream, upTo, missing: missingRanges(upTo, pending), duplicate: true, inserted: 0, rejected: 0, ...changed };
      }
      let inserted = 0;
      for (const x of rejected) {
        await c.query(
          `INSERT INTO rejected_items (dcu, epoch, stream, seq, idx, reason, item, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
          [dcu, epoch, stream, seq, x.index, x.reason, x.item, receivedAt],
        );
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
          dcu, epoch, seq, receivedAt,
          column(e, 'id'), column(e, 'ts'), column(e, 'meter'), column(e, 'kind'), column(e, 'severity'), column(e, 'details'),
        ]);
        inserted = result.rowCount ?? 0;
      }
      const next = advance(upTo, [...pending, seq]);
      if (next.upTo > upTo) {
        await c.query(`UPDATE streams SET up_to = $1 WHERE dcu = $2 AND epoch = $3 AND stream = $4`, [next.upTo, ...key]);
        await c.query(`DELETE FROM pending_batches WHERE dcu = $1 AND epoch = $2 AND stream = $3 AND seq <= $4`, [...key, next.upTo]);
      }
      if (next.pending.includes(seq)) {
        await c.query(`INSERT INTO pending_batches (dcu, epoch, stream, seq, received_at) VALUES ($1, $2, $3, $4, $5)`, [...key, seq, receivedAt]);
      }
      return { stream, upTo: next.upTo, missing: missingRanges(next.upTo, next.pending), duplicate: false, inserted, rejected: rejected.length, ...changed };
    });
  }

  async rejectedItems(dcu: string): Promise<RejectedItemRecord[]> {
    const result = await this.pool.query(`SELECT * FROM rejected_items WHERE dcu = $1 ORDER BY stream, ${epochOrder('rejected_items')}, seq, idx`, [dcu]);
    return result.rows.map(rejectedItemRecord);
  }

  async recordStatus(message: StatusMessage, receivedAt = this.#now()): Promise<EpochChange | null> {
    checkStatus(message);
    return this.#transaction(async (c) => {
      const change = await touch(c, message.dcu, message.epoch, receivedAt);
      await c.query(
        `UPDATE dcus SET status = $1, status_at = $2, last_status = $3 WHERE id = $4 AND (status_at IS NULL OR status_at <= $2)`,
        [message.state, message.at, toJson(message), message.dcu],
      );
      return change;
    });
  }

  async recordResult(message: ResultMessage, receivedAt = this.#now()): Promise<void> {
    checkResult(message);
    await this.#transaction(async (c) => {
      await c.query(TOUCH_DCU, [message.dcu, receivedAt]); // a result names no epoch
      await c.query(
        `INSERT INTO command_results (${RESULT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (dcu, id) DO UPDATE SET status = excluded.status, at = excluded.at, outcome = excluded.outcome,
           received_at = excluded.received_at WHERE excluded.at > command_results.at`,
        [message.dcu, message.id, message.status, message.at, toJson(message.outcome ?? {}), receivedAt],
      );
    });
  }

  async sequence(dcu: string, stream: Stream, epoch?: string): Promise<SequenceState> {
    const e = epoch ?? (await this.pool.query<{ epoch: string | null }>(`SELECT epoch FROM dcus WHERE id = $1`, [dcu])).rows[0]?.epoch ?? '';
    const key = [dcu, e, stream];
    const state = await this.pool.query<{ up_to: number }>(`SELECT up_to FROM streams WHERE dcu = $1 AND epoch = $2 AND stream = $3`, key);
    const pending = await this.pool.query<{ seq: number }>(`SELECT seq FROM pending_batches WHERE dcu = $1 AND epoch = $2 AND stream = $3 ORDER BY seq`, key);
    const upTo = state.rows[0]?.up_to ?? 0;
    return { stream, upTo, missing: missingRanges(upTo, pending.rows.map((r) => r.seq)) };
  }

  async epochs(dcu: string) {
    const { rows } = await this.pool.query(`SELECT epoch, first_seen FROM dcu_epochs WHERE dcu = $1 ORDER BY first_seen, epoch`, [dcu]);
    return rows.map(epochRecord);
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
    const { rows } = await this.pool.query(`SELECT ${EVENT_COLUMNS} FROM events WHERE dcu = $1 ORDER BY ${epochOrder('events')}, id`, [dcu]);
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

/**
 * Inside a transaction: the DCU was heard from, naming `epoch`; an epoch not seen before becomes
 * its current one. TOUCH_DCU locks the DCU's row, so the previous epoch read here is settled.
 */
async function touch(c: pg.PoolClient, dcu: string, epoch: string, receivedAt: number): Promise<EpochChange | null> {
  await c.query(TOUCH_DCU, [dcu, receivedAt]);
  const added = await c.query(`INSERT INTO dcu_epochs (dcu, epoch, first_seen) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [dcu, epoch, receivedAt]);
  if (added.rowCount !== 1) return null;
  const { rows } = await c.query<{ epoch: string | null }>(`SELECT epoch FROM dcus WHERE id = $1`, [dcu]);
  await c.query(`UPDATE dcus SET epoch = $1, epoch_since = $2 WHERE id = $3`, [epoch, receivedAt, dcu]);
  const previous = rows[0]?.epoch ?? null;
  return previous === null ? null : { dcu, epoch, previous, at: receivedAt };
}

/** The connection string without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+):[^@/]*@/, '$1:***@');
}
