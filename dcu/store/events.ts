// The event log: what happened on the DCU and its meters (a meter moved or went silent, data
// dropped by retention, a clock corrected…), each with a kind, a severity and JSON details.
// Events are an uplink stream: `id` is their sequence, and retention keeps undelivered ones.
import type { Db, Statement } from './database.js';
import { checkTime, fromJson, num, numOrNull, toJson } from './codec.js';
import type { RowCounts } from './counts.js';
import { StoreError } from './errors.js';

export type Severity = 'info' | 'warning' | 'error' | 'critical';
const SEVERITIES = new Set<string>(['info', 'warning', 'error', 'critical']);

/** Kinds the store itself raises; other modules add their own (open set). */
export type StoreEventKind =
  | 'meter-added'
  | 'meter-moved'
  | 'meter-displaced'
  | 'meter-unreachable'
  | 'meter-reachable'
  | 'meter-status'
  | 'data-dropped'
  | 'uplink-epoch-restarted';

export interface NewEvent {
  kind: StoreEventKind | (string & {});
  severity: Severity;
  /** Defaults to the store's clock. */
  ts?: number;
  meter?: number | null;
  details?: Record<string, unknown>;
}

export interface EventRecord {
  id: number;
  ts: number;
  meter: number | null;
  kind: string;
  severity: Severity;
  details: Record<string, unknown>;
}

export interface EventQuery {
  meter?: number;
  kind?: string;
  /** Inclusive lower bound on ts. */
  since?: number;
  /** Default 100, newest first. */
  limit?: number;
}

interface Row {
  id: number;
  ts: number;
  meter: number | null;
  kind: string;
  severity: Severity;
  details: string;
}

function fromRow(r: Row): EventRecord {
  return { id: num(r.id), ts: num(r.ts), meter: numOrNull(r.meter), kind: r.kind, severity: r.severity, details: fromJson(r.details) };
}

export class EventLog {
  private readonly insertStmt: Statement;
  private readonly pendingStmt: Statement;
  private readonly queries = new Map<string, Statement>();

  constructor(
    private readonly db: Db,
    private readonly counts: RowCounts,
    private readonly clock: () => number,
  ) {
    this.insertStmt = db.prepare('INSERT INTO events (ts, meter, kind, severity, details) VALUES (?, ?, ?, ?, ?)');
    this.pendingStmt = db.prepare('SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?');
  }

  /** Appends an event (in the caller's transaction, if any) and returns its id. */
  append(event: NewEvent): number {
    if (!SEVERITIES.has(event.severity)) throw new StoreError(`unknown severity ${JSON.stringify(event.severity)}`, 'invalid');
    const ts = checkTime(event.ts ?? this.clock(), 'event ts');
    const info = this.insertStmt.run(ts, event.meter ?? null, event.kind, event.severity, toJson(event.details ?? {}));
    this.counts.add('events', 1);
    return Number(info.lastInsertRowid);
  }

  /** Newest first, filtered by meter, kind and time. */
  list(query: EventQuery = {}): EventRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (query.meter !== undefined) (where.push('meter = ?'), args.push(query.meter));
    if (query.kind !== undefined) (where.push('kind = ?'), args.push(query.kind));
    if (query.since !== undefined) (where.push('ts >= ?'), args.push(query.since));
    const sql = `SELECT * FROM events ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ts DESC, id DESC LIMIT ?`;
    let stmt = this.queries.get(sql);
    if (stmt === undefined) this.queries.set(sql, (stmt = this.db.prepare(sql)));
    return (stmt.all(...args, query.limit ?? 100) as Row[]).map(fromRow);
  }

  /** Events after `afterId` in id order: what the uplink sends next. */
  after(afterId: number, limit = 1000): EventRecord[] {
    return (this.pendingStmt.all(afterId, limit) as Row[]).map(fromRow);
  }
}
