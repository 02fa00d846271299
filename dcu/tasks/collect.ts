// Collection from one meter in an open session: profiles by range from the last collected
// entry in chunks of at most 24 h (each chunk and its mark in one transaction, so a power
// cut loses at most the chunk in flight), registers, and recollection of gaps.
import type { Obis } from '../../shared/dlms/obis.js';
import { Obis as O } from '../../shared/dlms/obis.js';
import { readProfile } from '../session/readers.js';
import type { DlmsSession } from '../session/session.js';
import type { DcuStore, MeterRecord, Reading, ReadingSource } from '../store/index.js';
import type { MeterLayout } from './meter-layout.js';
import { type ScalerUnit, columnScalers, profileToReadings, valueOf } from './profile-readings.js';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
/** Entries younger than this may not be captured yet when the meter's clock runs behind. */
const SETTLE_MS = 5 * 60_000;

export interface CollectJob {
  session: DlmsSession;
  store: DcuStore;
  meter: MeterRecord;
  /** Gateway time, UTC ms. */
  now: number;
  backfillDays: number;
  /** Scaler/unit per register, kept for the session (and beyond it with `layout`). */
  scalers: Map<string, ScalerUnit>;
  /** The meter's remembered layout, whose scalers `scalers` is: told the columns of every profile read. */
  layout?: MeterLayout;
  /** Upper bound of one chunk, ms (24 h by default). */
  chunkMs?: number;
}

export interface CollectResult {
  rows: number;
  chunks: number;
  upto: number | null;
}

/** Reads a profile from its collected-up-to mark to now, chunk by chunk. */
export async function collectProfile(job: CollectJob, profile: Obis, source: ReadingSource = 'scheduled'): Promise<CollectResult> {
  const { store, meter, session, now } = job;
  const chunkMs = job.chunkMs ?? DAY;
  const mark = store.marks.get(meter.id, profile);
  let from = mark ? mark.upto + 1000 : alignDown(now - job.backfillDays * DAY, 15 * 60_000);
  const result: CollectResult = { rows: 0, chunks: 0, upto: mark?.upto ?? null };
  while (from <= now) {
    const to = Math.min(from + chunkMs - 1000, now);
    const read = await readProfile(session, profile, { kind: 'range', from, to });
    job.layout?.columnsRead(profile, read.columns);
    const scalers = await columnScalers(session, read.columns, job.scalers);
    const { readings, lastTs } = profileToReadings(read, meter.id, source, scalers);
    // A finished past range is collected up to its end; the youngest range only up to
    // what it held, since the meter may still capture entries inside it.
    const upto = to <= now - SETTLE_MS ? to : lastTs ?? undefined;
    const stored = store.storeChunk({ meter: meter.id, profile, readings, ...(upto !== undefined && { upto }) });
    result.rows += stored.inserted;
    result.chunks++;
    result.upto = stored.mark?.upto ?? result.upto;
    if (to >= now) break;
    from = to + 1000;
  }
  return result;
}

/** Reads registers (value and scaler/unit) as readings time-stamped with the gateway time. */
export async function collectRegisters(job: CollectJob, registers: { obis: Obis; classId?: number }[], source: ReadingSource = 'scheduled'): Promise<CollectResult> {
  const ts = Math.floor(job.now / 1000) * 1000;
  const readings: Reading[] = [];
  for (const r of registers) {
    const classId = r.classId ?? 3;
    const value = await job.session.get(classId, r.obis, 2);
    if (classId === 3 || classId === 4) await columnScalers(job.session, [{ classId, logicalName: r.obis, attributeIndex: 2, dataIndex: 0 }], job.scalers);
    const su = job.scalers.get(r.obis);
    readings.push({ ts, meter: job.meter.id, obis: r.obis, attribute: 2, value: valueOf(value), unit: su?.unit ?? null, scaler: su?.scaler ?? null, source });
  }
  const inserted = job.store.insertReadings(readings).inserted;
  return { rows: inserted, chunks: 1, upto: ts };
}

export interface RecollectOptions {
  /** How far back to look for gaps, days. */
  days: number;
  /** The column whose timestamps show which entries are there. */
  column: Obis;
  /** Capture period of the profile, ms. */
  periodMs: number;
  /** At most this many gap spans per run, so one bad meter cannot hold the bus. */
  maxSpans?: number;
}

/**
 * Finds missing entries in the last days below the mark and asks the meter for them again.
 * Spans the meter has answered empty (an outage) are remembered and not asked again.
 */
export async function recollect(job: CollectJob, profile: Obis, o: RecollectOptions): Promise<CollectResult & { spans: number }> {
  const { store, meter, now } = job;
  const mark = store.marks.get(meter.id, profile);
  const result = { rows: 0, chunks: 0, upto: mark?.upto ?? null, spans: 0 };
  if (!mark) return result;
  const windowStart = alignDown(Math.max(now - o.days * DAY, meter.firstSeen - job.backfillDays * DAY), o.periodMs);
  const emptyKey = `recollect.empty.${meter.id}.${profile}`;
  const empty = store.config.value<[number, number][]>(emptyKey, []).filter(([, to]) => to >= windowStart);
  const present = new Set(store.readings.range({ from: windowStart, to: mark.upto + 1, meter: meter.id, obis: o.column, attribute: 2 }).map((r) => r.ts));
  const spans = missingSpans(windowStart, mark.upto, o.periodMs, present, empty).slice(0, o.maxSpans ?? 8);
  for (const [from, to] of spans) {
    const read = await readProfile(job.session, profile, { kind: 'range', from, to });
    job.layout?.columnsRead(profile, read.columns);
    const scalers = await columnScalers(job.session, read.columns, job.scalers);
    const { readings } = profileToReadings(read, meter.id, 'recollected', scalers);
    const stored = store.storeChunk({ meter: meter.id, profile, readings });
    if (readings.length === 0) empty.push([from, to]);
    result.rows += stored.inserted;
    result.chunks++;
    result.spans++;
  }
  store.config.set(emptyKey, empty);
  return result;
}

/** Runs of expected capture times in [from, to] that are neither present nor known empty. */
export function missingSpans(from: number, to: number, periodMs: number, present: Set<number>, empty: [number, number][]): [number, number][] {
  const spans: [number, number][] = [];
  let open: number | null = null;
  let last = 0;
  for (let t = alignUp(from, periodMs); t <= to; t += periodMs) {
    const missing = !present.has(t) && !empty.some(([a, b]) => t >= a && t <= b);
    if (missing && open === null) open = t;
    if (!missing && open !== null) {
      spans.push([open, last]);
      open = null;
    }
    last = t;
  }
  if (open !== null) spans.push([open, last]);
  return spans;
}

export function alignDown(t: number, step: number): number {
  return Math.floor(t / step) * step;
}

function alignUp(t: number, step: number): number {
  return Math.ceil(t / step) * step;
}

/** Default register set: total and per-tariff import, export. */
export const DEFAULT_REGISTERS: { obis: Obis }[] = [O.activeEnergyImport, O.activeEnergyImportTariff1, O.activeEnergyImportTariff2, O.activeEnergyImportTariff3, O.activeEnergyImportTariff4, O.activeEnergyExport].map((obis) => ({ obis }));
