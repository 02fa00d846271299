// Shared by the store tests: real database files in a fresh temp dir, a settable clock.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { DcuStore, type DcuStoreOptions, type Reading } from '../../../dcu/store/index.js';

export const T0 = Date.UTC(2025, 0, 1);
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

const dirs: string[] = [];
const stores: DcuStore[] = [];

afterEach(() => {
  for (const s of stores.splice(0)) if (s.db.open) s.db.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A new empty directory, removed after the test. */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'dcu-store-'));
  dirs.push(d);
  return d;
}

export interface TestClock {
  now: number;
  (): number;
}

export function testClock(start = T0): TestClock {
  const clock = (() => clock.now) as TestClock;
  clock.now = start;
  return clock;
}

/** Opens a store on a file (a new one in a temp dir unless given), closed after the test. */
export function openStore(options: DcuStoreOptions & { file?: string } = {}): DcuStore {
  const file = options.file ?? join(tempDir(), 'dcu.db');
  const store = DcuStore.open(file, { clock: testClock(), ...options });
  stores.push(store);
  return store;
}

/** Adds meters with serials SN-0001… on rs485-1 at physical addresses 17, 18…; returns their ids. */
export function addMeters(store: DcuStore, n: number): number[] {
  const ids: number[] = [];
  for (let i = 1; i <= n; i++) {
    const serial = `SN-${String(i).padStart(4, '0')}`;
    ids.push(store.meters.upsert({ serial, link: 'rs485-1', linkKind: 'hdlc-serial', physicalAddress: 16 + i, logicalDevice: 1 }).meter.id);
  }
  return ids;
}

/** Hourly load-profile rows of one meter: 2 channels (+A, −A), `hours` entries from `start`. */
export function profileRows(meter: number, start: number, hours: number, source: Reading['source'] = 'scheduled'): Reading[] {
  const rows: Reading[] = [];
  for (let h = 0; h < hours; h++) {
    const ts = start + h * HOUR;
    rows.push({ ts, meter, obis: '1.0.1.8.0.255', attribute: 2, value: 1000 + h, unit: 30, scaler: 0, status: 0, source });
    rows.push({ ts, meter, obis: '1.0.2.8.0.255', attribute: 2, value: h, unit: 30, scaler: 0, status: 0, source });
  }
  return rows;
}
