// Test data for the cloud tests: batches as a DCU would send them.
import { randomBytes } from 'node:crypto';
import type { StoredReading } from '../../cloud/store/index.js';
import type { EventsBatch, ReadingsBatch, SyncEvent, SyncReading } from '../../shared/sync/messages.js';

export const T0 = Date.UTC(2025, 0, 1);
export const QUARTER = 15 * 60_000;

/** A DCU id unique to this test run. */
export function dcuId(name = 'dcu'): string {
  return `${name}-${randomBytes(4).toString('hex')}`;
}

/** `count` load-profile readings of one meter, 15 min apart from `from` (values vary by type). */
export function profileReadings(count: number, options: { meter?: string; from?: number; base?: number } = {}): SyncReading[] {
  const meter = options.meter ?? 'MTR00000001';
  const from = options.from ?? T0;
  const base = options.base ?? 1000;
  return Array.from({ length: count }, (_, i) => ({
    ts: from + i * QUARTER,
    meter,
    obis: '1.0.1.8.0.255',
    attribute: 2,
    value: base + i * 7,
    unit: 30,
    scaler: 0,
    status: 0,
    source: 'scheduled' as const,
  }));
}

/** One reading of each value type the contract allows. */
export function mixedReadings(meter = 'MTR00000002', ts = T0): SyncReading[] {
  const r = (obis: string, value: SyncReading['value'], extra: Partial<SyncReading> = {}): SyncReading => ({
    ts, meter, obis, attribute: 2, value, unit: null, scaler: null, status: 0, source: 'on-demand', ...extra,
  });
  return [
    r('1.0.1.8.0.255', 123456, { unit: 30, scaler: -1 }),
    r('1.0.1.8.1.255', 12345678901234567890n, { unit: 30, scaler: 0 }),
    r('1.0.32.7.0.255', 229.87, { unit: 35, scaler: -2, status: 0x80 }),
    r('0.0.96.1.0.255', 'SERIAL-42'),
    r('0.0.42.0.0.255', new Uint8Array([0x4d, 0x54, 0x52, 0x00, 0xff])),
    r('0.0.96.3.10.255', null, { attribute: 3, source: 'pushed' }),
    r('0.0.96.1.1.255', 'PADDED\u0000\u0000', { source: 'recollected' }),
    r('1.0.2.8.0.255', -0.5, { unit: 30, scaler: 3 }),
  ];
}

/** A v2 batch; epoch '' is a database from before epochs (also what a v1 batch decodes to). */
export function readingsBatch(dcu: string, seq: number, readings: SyncReading[], epoch = ''): ReadingsBatch {
  return { v: 2, kind: 'readings', dcu, epoch, seq, readings };
}

export function eventsBatch(dcu: string, seq: number, events: SyncEvent[], epoch = ''): EventsBatch {
  return { v: 2, kind: 'events', dcu, epoch, seq, events };
}

/** A random epoch, as a new DCU database makes one. */
export function newEpoch(): string {
  return randomBytes(16).toString('hex');
}

export function sampleEvents(firstId: number, count: number, meter: string | null = 'MTR00000001'): SyncEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    id: firstId + i,
    ts: T0 + i * 1000,
    meter,
    kind: i % 2 ? 'power-down' : 'power-up',
    severity: 'info',
    details: { code: i, counter: 2n ** 40n + BigInt(i) },
  }));
}

/** Deterministic shuffle (for order-independence checks). */
export function shuffled<T>(items: readonly T[], seed = 1): T[] {
  const out = [...items];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Stored readings as the DCU sent them (without dcu, seq, receivedAt). */
export function withoutStoreFields(rows: StoredReading[]): SyncReading[] {
  return rows.map(({ dcu: _d, seq: _s, receivedAt: _r, ...reading }) => reading);
}

/** In the store's order: (meter, obis, attribute, ts), text compared by code unit. */
export function sortReadings(readings: SyncReading[]): SyncReading[] {
  const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);
  return [...readings].sort((a, b) => cmp(a.meter, b.meter) || cmp(a.obis, b.obis) || a.attribute - b.attribute || a.ts - b.ts);
}
