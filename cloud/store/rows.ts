// How messages become rows and rows become values again — one place for both stores, so
// SQLite and PostgreSQL hold the same columns and give back the same values.
// A reading's value is polymorphic (number | bigint | string | bytes | null); it is stored as
// a kind plus two columns: value_num (the number, also for bigint as an approximation, handy
// in SQL) and value_text (bigint as decimal, text, bytes as hex, non-finite numbers). Text
// with NUL characters (meters pad visible-strings with them; PostgreSQL TEXT cannot hold
// them) is stored JSON-quoted under its own kind, in both stores alike.
import { isEpoch, type EventsBatch, type ReadingsBatch, type ResultMessage, type StatusMessage, type SyncReading } from '../../shared/sync/messages.js';
import { CloudStoreError } from './errors.js';
import { isValidSeq } from './sequence.js';

export const VALUE_KIND = { null: 0, number: 1, bigint: 2, string: 3, bytes: 4, stringWithNul: 5 } as const;
const SOURCES = new Set<string>(['scheduled', 'recollected', 'on-demand', 'pushed']);

export interface ReadingRow {
  meter: string;
  obis: string;
  attribute: number;
  ts: number;
  valueKind: number;
  valueNum: number | null;
  valueText: string | null;
  unit: number | null;
  scaler: number | null;
  status: number;
  source: string;
}

export interface EventRow {
  id: number;
  ts: number;
  meter: string | null;
  kind: string;
  severity: string;
  details: string;
}

function invalid(message: string): CloudStoreError {
  return new CloudStoreError(message, 'invalid');
}

function checkInt(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw invalid(`${what} must be an integer, got ${String(value)}`);
  return value;
}

function checkText(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0) throw invalid(`${what} must be a non-empty string`);
  if (value.includes('\u0000')) throw invalid(`${what} must not contain NUL characters`);
  return value;
}

function checkRange(value: unknown, min: number, max: number, what: string): number {
  const n = checkInt(value, what);
  if (n < min || n > max) throw invalid(`${what} must be in ${min}…${max}, got ${n}`);
  return n;
}

function checkEpoch(value: unknown): string {
  if (!isEpoch(value)) throw invalid(`epoch must be '' or 32 lowercase hex digits, got ${JSON.stringify(value)}`);
  return value;
}

/** Throws CloudStoreError('invalid') unless dcu, epoch and seq are usable. */
export function checkBatchHeader(batch: { dcu: unknown; epoch: unknown; seq: unknown; kind: unknown }): void {
  checkText(batch.dcu, 'dcu');
  checkEpoch(batch.epoch);
  if (!isValidSeq(batch.seq)) throw invalid(`seq must be an integer ≥ 1, got ${String(batch.seq)}`);
  if (batch.kind !== 'readings' && batch.kind !== 'events') throw invalid(`not a batch: kind ${String(batch.kind)}`);
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function valueColumns(value: SyncReading['value']): Pick<ReadingRow, 'valueKind' | 'valueNum' | 'valueText'> {
  if (value === null || value === undefined) return { valueKind: VALUE_KIND.null, valueNum: null, valueText: null };
  if (typeof value === 'number') {
    return Number.isFinite(value)
      ? { valueKind: VALUE_KIND.number, valueNum: value, valueText: null }
      : { valueKind: VALUE_KIND.number, valueNum: null, valueText: String(value) };
  }
  if (typeof value === 'bigint') return { valueKind: VALUE_KIND.bigint, valueNum: Number(value), valueText: value.toString() };
  if (typeof value === 'string') {
    return value.includes('\u0000')
      ? { valueKind: VALUE_KIND.stringWithNul, valueNum: null, valueText: JSON.stringify(value) }
      : { valueKind: VALUE_KIND.string, valueNum: null, valueText: value };
  }
  if (value instanceof Uint8Array) return { valueKind: VALUE_KIND.bytes, valueNum: null, valueText: hex(value) };
  throw invalid(`reading value of unsupported type ${typeof value}`);
}

export function valueFromColumns(kind: number, num: number | null, text: string | null): SyncReading['value'] {
  switch (kind) {
    case VALUE_KIND.null:
      return null;
    case VALUE_KIND.number:
      return text !== null ? Number(text) : num;
    case VALUE_KIND.bigint:
      return BigInt(text ?? '0');
    case VALUE_KIND.string:
      return text ?? '';
    case VALUE_KIND.bytes:
      return new Uint8Array(Buffer.from(text ?? '', 'hex'));
    case VALUE_KIND.stringWithNul:
      return JSON.parse(text ?? '""') as string;
    default:
      throw new Error(`unknown value kind ${kind} in the readings table`);
  }
}

/**
 * An item of a batch the store cannot take (a NUL in a serial, a scaler out of range): kept
 * aside with the reason, so that one bad reading neither holds up its DCU's stream (a batch
 * never acknowledged is sent again for ever) nor is lost.
 */
export interface RejectedItem {
  index: number;
  reason: string;
  /** The item as JSON (bigints as strings, bytes as hex). */
  item: string;
}

/** A batch's items as rows, and those that cannot be rows. */
export interface SortedItems<R> {
  rows: R[];
  rejected: RejectedItem[];
}

function sortItems<I, R>(items: I[], name: string, row: (item: I, at: string) => R): SortedItems<R> {
  const out: SortedItems<R> = { rows: [], rejected: [] };
  items.forEach((item, index) => {
    try {
      out.rows.push(row(item, `${name}[${index}]`));
    } catch (e) {
      if (!(e instanceof CloudStoreError)) throw e;
      // Reasons may quote the bad value; PostgreSQL TEXT takes no NUL.
      out.rejected.push({ index, reason: e.message.replaceAll('\u0000', '\\0'), item: itemJson(item) });
    }
  });
  return out;
}

function itemJson(item: unknown): string {
  return JSON.stringify(item, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? hex(v) : v)) ?? 'null';
}

export function readingRows(batch: ReadingsBatch): SortedItems<ReadingRow> {
  if (!Array.isArray(batch.readings)) throw invalid('readings must be an array');
  return sortItems(batch.readings, 'readings', (r, at) => {
    if (typeof r !== 'object' || r === null) throw invalid(`${at} is not a reading`);
    if (!SOURCES.has(r.source)) throw invalid(`${at}.source: unknown source ${String(r.source)}`);
    return {
      meter: checkText(r.meter, `${at}.meter`),
      obis: checkText(r.obis, `${at}.obis`),
      attribute: checkRange(r.attribute, -128, 255, `${at}.attribute`),
      ts: checkInt(r.ts, `${at}.ts`),
      ...valueColumns(r.value),
      unit: r.unit === null || r.unit === undefined ? null : checkRange(r.unit, 0, 255, `${at}.unit`),
      scaler: r.scaler === null || r.scaler === undefined ? null : checkRange(r.scaler, -128, 127, `${at}.scaler`),
      status: checkInt(r.status, `${at}.status`),
      source: r.source,
    };
  });
}

export function eventRows(batch: EventsBatch): SortedItems<EventRow> {
  if (!Array.isArray(batch.events)) throw invalid('events must be an array');
  return sortItems(batch.events, 'events', (e, at) => {
    if (typeof e !== 'object' || e === null) throw invalid(`${at} is not an event`);
    return {
      id: checkInt(e.id, `${at}.id`),
      ts: checkInt(e.ts, `${at}.ts`),
      meter: e.meter === null ? null : checkText(e.meter, `${at}.meter`),
      kind: checkText(e.kind, `${at}.kind`),
      severity: checkText(e.severity, `${at}.severity`),
      details: toJson(e.details ?? {}),
    };
  });
}

export function checkStatus(message: StatusMessage): void {
  checkText(message.dcu, 'dcu');
  checkEpoch(message.epoch);
  checkInt(message.at, 'at');
  if (message.state !== 'online' && message.state !== 'offline') throw invalid(`state must be online or offline, got ${String(message.state)}`);
}

export function checkResult(message: ResultMessage): void {
  checkText(message.dcu, 'dcu');
  checkText(message.id, 'id');
  checkInt(message.at, 'at');
  if (!['done', 'failed', 'refused'].includes(message.status)) throw invalid(`result status ${String(message.status)}`);
}

/** JSON for TEXT columns: bigint as decimal text, bytes as hex. */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Uint8Array) return hex(v);
    return v;
  });
}

export function fromJson<T>(text: string | null): T {
  return (text === null ? null : JSON.parse(text)) as T;
}
