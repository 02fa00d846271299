// An order-independent checksum of readings, for comparing both ends of the uplink (the
// chaos test): count plus the sum mod 2^64 of a 64-bit digest per reading over its natural
// key (dcu, meter, obis, attribute, ts) and what it says (value, scaler, unit). Computed in
// JS, so SQLite, PostgreSQL and the DCU's outbox give the same figure for the same rows.
// Integers compare by value whether they travel as number or bigint.
import { createHash } from 'node:crypto';
import type { SyncReading } from '../../shared/sync/messages.js';
import { hex } from './rows.js';

const MASK = (1n << 64n) - 1n;

function canonicalValue(value: SyncReading['value']): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'number') return `n:${Number.isInteger(value) ? BigInt(value).toString() : String(value)}`;
  if (typeof value === 'bigint') return `n:${value.toString()}`;
  if (typeof value === 'string') return `s:${value}`;
  return `b:${hex(value)}`;
}

type Digestible = Pick<SyncReading, 'meter' | 'obis' | 'attribute' | 'ts' | 'value' | 'unit' | 'scaler'>;

/** The 64-bit digest of one reading of a DCU. */
export function readingDigest(dcu: string, r: Digestible): bigint {
  const text = [dcu, r.meter, r.obis, r.attribute, r.ts, canonicalValue(r.value), r.scaler ?? '-', r.unit ?? '-'].join('\u0000');
  return createHash('sha256').update(text).digest().readBigUInt64BE(0);
}

/** Accumulates count and checksum; add() in any order gives the same result. */
export class ReadingsChecksum {
  #count = 0;
  #sum = 0n;

  add(dcu: string, reading: Digestible): void {
    this.#count += 1;
    this.#sum = (this.#sum + readingDigest(dcu, reading)) & MASK;
  }

  get count(): number {
    return this.#count;
  }

  get checksum(): string {
    return this.#sum.toString(16).padStart(16, '0');
  }

  summary(): { count: number; checksum: string } {
    return { count: this.count, checksum: this.checksum };
  }
}
