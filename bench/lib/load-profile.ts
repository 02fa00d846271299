// A synthetic feeder's load profile for the sync benchmark and the chaos test: N meters × 2
// energy registers (+A, −A) every 15 minutes, with cumulative Wh values that depend only on
// (meter, register, interval) — so a collector restarted after a crash produces the same
// readings again — and the DCU side's count and checksum, computed as the cloud computes its own.
//
// Rows come in collection order: the DCU reads each meter's last hour (4 intervals × 2
// registers) in turn, hour after hour, which is how a backlog builds up in the buffer while
// the uplink is away.
import { ReadingsChecksum } from '../../cloud/store/checksum.js';
import type { DcuStore, Reading } from '../../dcu/store/index.js';

export const T0 = Date.UTC(2025, 0, 1);
export const INTERVAL_MS = 15 * 60_000;
export const INTERVALS_PER_HOUR = 4;
export const REGISTERS = ['1.0.1.8.0.255', '1.0.2.8.0.255'] as const;

/** Serials SN-000001… on rs485-1; returns their directory ids in order (existing meters are kept). */
export function addMeters(store: DcuStore, count: number): number[] {
  const ids: number[] = [];
  store.transaction(() => {
    for (let i = 1; i <= count; i++) {
      const serial = `SN-${String(i).padStart(6, '0')}`;
      ids.push(store.meters.upsert({ serial, link: `rs485-${1 + Math.floor((i - 1) / 1000)}`, linkKind: 'hdlc-serial', physicalAddress: 16 + ((i - 1) % 1000), logicalDevice: 1 }).meter.id);
    }
  });
  return ids;
}

/** Cumulative Wh of a register at an interval: 4…76 Wh per 15 min, never decreasing. */
export function registerValue(meter: number, register: number, interval: number): number {
  const base = 10_000_000 + ((meter * 7919 + register * 104_729) % 5_000_000);
  return base + interval * 40 + ((meter * 31 + register * 17 + interval * 13) % 37);
}

/** Readings of intervals [from, to) for these meters, in collection order (hour by hour, meter by meter). */
export function profileRows(meterIds: readonly number[], from: number, to: number): Reading[] {
  const rows: Reading[] = [];
  for (let hourStart = from; hourStart < to; hourStart = (Math.floor(hourStart / INTERVALS_PER_HOUR) + 1) * INTERVALS_PER_HOUR) {
    const hourEnd = Math.min(to, (Math.floor(hourStart / INTERVALS_PER_HOUR) + 1) * INTERVALS_PER_HOUR);
    for (const meter of meterIds) {
      for (let i = hourStart; i < hourEnd; i++) {
        const ts = T0 + i * INTERVAL_MS;
        for (let r = 0; r < REGISTERS.length; r++) {
          rows.push({ ts, meter, obis: REGISTERS[r]!, attribute: 2, value: registerValue(meter, r, i), unit: 30, scaler: 0, status: 0, source: 'scheduled' });
        }
      }
    }
  }
  return rows;
}

/** Readings per interval for `meters` meters. */
export const readingsPerInterval = (meters: number): number => meters * REGISTERS.length;

/**
 * Fills the buffer with intervals [from, to) in transactions of about `rowsPerTransaction`
 * rows (whole hours); `progress` is called after each with the rows inserted so far.
 */
export function fillBuffer(
  store: DcuStore,
  meterIds: readonly number[],
  from: number,
  to: number,
  progress?: (inserted: number) => void,
  rowsPerTransaction = 64_000,
): number {
  const hoursPerTx = Math.max(1, Math.floor(rowsPerTransaction / (readingsPerInterval(meterIds.length) * INTERVALS_PER_HOUR)));
  let inserted = 0;
  for (let start = from; start < to; ) {
    const end = Math.min(to, (Math.floor(start / INTERVALS_PER_HOUR) + hoursPerTx) * INTERVALS_PER_HOUR);
    inserted += store.insertReadings(profileRows(meterIds, start, end)).inserted;
    progress?.(inserted);
    start = end;
  }
  return inserted;
}

/** Count and checksum of the whole buffer, as the cloud computes them (cloud/store/checksum.ts). */
export function dcuSummary(store: DcuStore, dcuId: string): { count: number; checksum: string } {
  const serials = new Map(store.meters.list().map((m) => [m.id, m.serial]));
  const sum = new ReadingsChecksum();
  let after = 0;
  for (;;) {
    const page = store.readings.after(after, 50_000);
    if (page.length === 0) break;
    for (const r of page) {
      sum.add(dcuId, { meter: serials.get(r.meter) ?? `meter-id-${r.meter}`, obis: r.obis, attribute: r.attribute, ts: r.ts, value: r.value, unit: r.unit, scaler: r.scaler });
    }
    after = page[page.length - 1]!.seq;
  }
  return sum.summary();
}
