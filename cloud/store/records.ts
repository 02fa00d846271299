// Rows as both databases return them (same column names; PostgreSQL BIGINTs are parsed to
// numbers by the pool) turned into the records of types.ts.
import type { ResultMessage, StatusMessage, Stream, SyncReading } from '../../shared/sync/messages.js';
import { type EventRow, fromJson, valueFromColumns } from './rows.js';
import type { CommandResultRecord, DcuRecord, EpochRecord, RejectedItemRecord, StoredEvent, StoredReading } from './types.js';

export const READING_COLUMNS = 'dcu, meter, obis, attribute, ts, value_kind, value_num, value_text, unit, scaler, status, source, seq, received_at';
export const EVENT_COLUMNS = 'dcu, epoch, id, ts, meter, kind, severity, details, seq, received_at';
export const DCU_COLUMNS = 'id, first_seen, last_seen, status, status_at, last_status, epoch, epoch_since';
export const RESULT_COLUMNS = 'dcu, id, status, at, outcome, received_at';

/** ORDER BY terms that put a table's rows of older epochs (by when the cloud first saw them) first. Same SQL on both databases. */
export function epochOrder(table: string): string {
  return `(SELECT first_seen FROM dcu_epochs d WHERE d.dcu = ${table}.dcu AND d.epoch = ${table}.epoch), ${table}.epoch`;
}

export interface ReadingRecordRow {
  dcu: string;
  meter: string;
  obis: string;
  attribute: number;
  ts: number;
  value_kind: number;
  value_num: number | null;
  value_text: string | null;
  unit: number | null;
  scaler: number | null;
  status: number;
  source: string;
  seq: number;
  received_at: number;
}

export function readingRecord(row: ReadingRecordRow): StoredReading {
  return {
    dcu: row.dcu,
    meter: row.meter,
    obis: row.obis,
    attribute: row.attribute,
    ts: row.ts,
    value: valueFromColumns(row.value_kind, row.value_num, row.value_text),
    unit: row.unit,
    scaler: row.scaler,
    status: row.status,
    source: row.source as SyncReading['source'],
    seq: row.seq,
    receivedAt: row.received_at,
  };
}

export function eventRecord(row: EventRow & { dcu: string; epoch: string; seq: number; received_at: number }): StoredEvent {
  return {
    dcu: row.dcu,
    epoch: row.epoch,
    id: row.id,
    ts: row.ts,
    meter: row.meter,
    kind: row.kind,
    severity: row.severity,
    details: fromJson<Record<string, unknown>>(row.details),
    seq: row.seq,
    receivedAt: row.received_at,
  };
}

export function dcuRecord(row: {
  id: string;
  first_seen: number;
  last_seen: number;
  status: string | null;
  status_at: number | null;
  last_status: string | null;
  epoch: string | null;
  epoch_since: number | null;
}): DcuRecord {
  return {
    id: row.id,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    status: row.status as DcuRecord['status'],
    statusAt: row.status_at,
    lastStatus: fromJson<StatusMessage | null>(row.last_status),
    epoch: row.epoch,
    epochSince: row.epoch_since,
  };
}

export function epochRecord(row: { epoch: string; first_seen: number }): EpochRecord {
  return { epoch: row.epoch, firstSeen: Number(row.first_seen) };
}

export function resultRecord(row: { dcu: string; id: string; status: string; at: number; outcome: string; received_at: number }): CommandResultRecord {
  return {
    dcu: row.dcu,
    id: row.id,
    status: row.status as ResultMessage['status'],
    at: row.at,
    outcome: fromJson<Record<string, unknown>>(row.outcome),
    receivedAt: row.received_at,
  };
}

export function rejectedItemRecord(r: Record<string, unknown>): RejectedItemRecord {
  return { dcu: String(r.dcu), epoch: String(r.epoch), stream: r.stream as Stream, seq: Number(r.seq), index: Number(r.idx), reason: String(r.reason), item: String(r.item), receivedAt: Number(r.received_at) };
}
