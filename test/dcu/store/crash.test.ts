// A process killed with SIGKILL in the middle of writing: every chunk it committed is there,
// whole, with its mark; nothing of the chunk in flight is; the file passes integrity_check.
// Three rounds on one file, each resuming from the mark the previous one left.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DcuStore } from '../../../dcu/store/index.js';
import { tempDir } from './helpers.js';

const WRITER = fileURLToPath(new URL('./crash-writer.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ROWS = 2000;
const T0 = Date.UTC(2025, 0, 1);

/** Starts the writer, kills it with SIGKILL `delayMs` after its first commit; returns the chunks it reported. */
function runAndKill(file: string, delayMs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, file, String(ROWS)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const reported: number[] = [];
    let buffer = '';
    let stderr = '';
    let armed = false;
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      buffer += text;
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const l of lines) reported.push(Number(l));
      if (!armed && reported.length > 0) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(reported);
      else reject(new Error(`writer exited by itself (code ${code}): ${stderr}`));
    });
  });
}

describe('crash safety', () => {
  it('kill -9 during bulk inserts: the database is consistent and every committed chunk is whole', async () => {
    const file = join(tempDir(), 'crash.db');
    let lastReported = -1;
    for (const delayMs of [37, 150, 290]) {
      const reported = await runAndKill(file, delayMs);
      expect(reported.length).toBeGreaterThan(0);
      lastReported = reported.at(-1)!;

      const store = DcuStore.open(file, { check: 'quick' });
      try {
        expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
        const chunks = store.db
          .prepare('SELECT value AS k, count(*) AS n, min(ts) AS first, max(ts) AS last FROM readings GROUP BY value ORDER BY value')
          .all() as { k: number; n: number; first: number; last: number }[];
        // Chunks 0..K, each complete; K is at least the last one the writer saw committed.
        expect(chunks.map((c) => c.k)).toEqual(chunks.map((_, i) => i));
        expect(chunks.every((c) => c.n === ROWS && c.first === T0 + c.k * ROWS * 1000 && c.last === c.first + (ROWS - 1) * 1000)).toBe(true);
        const top = chunks.at(-1)!;
        expect(top.k).toBeGreaterThanOrEqual(lastReported);
        expect(top.k).toBeLessThanOrEqual(lastReported + 1); // at most the one committed but not yet printed
        // The mark is exactly the last entry stored; the row count kept with the writes is exact.
        const meter = store.meters.bySerial('CRASH-1')!.id;
        expect(store.marks.get(meter, '1.0.99.1.0.255')?.upto).toBe(top.last);
        expect(store.counts.get('readings')).toBe(chunks.length * ROWS);
        expect(store.counts.recount('readings')).toBe(chunks.length * ROWS);
      } finally {
        store.db.close(); // no checkpoint: the next round starts from the WAL as the crash left it
      }
    }
  });
});
