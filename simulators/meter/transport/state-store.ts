// Persisted run-time state of simulated meters: one JSON file per meter (clock, relay,
// limiter, events, invocation counter, counters seen from clients), written atomically —
// a temporary file, fsync, rename — so a crash leaves the old file or the new one, never
// half of one.
//
// The sending invocation counter is stored ahead of use: the file holds a reserve the
// counter has not reached yet, and a new reserve is written (synchronously) before the
// counter passes it. A restart starts from the reserve, so no counter — no AES-GCM IV —
// is ever used twice, even after a kill -9.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { type ReceivedCounters, ReplayGuard, ReservedCounter } from '../../../shared/dlms/security/invocation-counter.js';
import type { MeterState } from '../state.js';

export interface StoredMeter {
  version: 1;
  serial: string;
  state: MeterState;
  /** Last counter accepted per client system title. */
  received: ReceivedCounters;
}

/** How far ahead of use the stored invocation counter runs. */

export function writeFileAtomic(path: string, text: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

export class MeterStateStore {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  fileOf(serial: string): string {
    return join(this.dir, `meter-${serial.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
  }

  /** The stored meter, or undefined when there is none; a damaged file is an error that names it. */
  load(serial: string): StoredMeter | undefined {
    const file = this.fileOf(serial);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    let stored: StoredMeter;
    try {
      stored = JSON.parse(text) as StoredMeter;
    } catch (e) {
      throw new Error(`meter state ${file} is not valid JSON (${(e as Error).message}); move it away to start this meter afresh`);
    }
    if (stored.version !== 1 || stored.serial !== serial || typeof stored.state?.invocationCounter !== 'number') {
      throw new Error(`meter state ${file} is not a version 1 state of meter ${serial}`);
    }
    return stored;
  }

  save(stored: StoredMeter): void {
    writeFileAtomic(this.fileOf(stored.serial), `${JSON.stringify(stored, null, 1)}\n`);
  }
}

/** Counter and guard of a meter from its stored state, the counter reserving ahead in `save`. */
export function securityFrom(stored: StoredMeter | undefined, save: (reserve: number) => void): { counter: ReservedCounter; guard: ReplayGuard } {
  return { counter: new ReservedCounter(stored?.state.invocationCounter ?? 0, save), guard: new ReplayGuard(stored?.received ?? {}) };
}
