// A pair of connected pseudo-terminals from socat, as a null-modem cable between two
// serial ports: what one end writes, the other reads. For the simulated RS485 bus (pty-bus.ts),
// its tests and benchmarks: real serial code (the npm serialport package) without hardware.
// socat is required: a missing socat fails loudly (naming the package) instead of skipping.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PtyPair {
  /** Path of one end (a symlink to /dev/pts/N). */
  a: string;
  /** Path of the other end. */
  b: string;
  close(): Promise<void>;
}

const INSTALL = 'socat is needed for serial tests: install socat (apt-get install socat)';

/** Starts socat, waits until both links exist, and returns their paths. */
export async function openPtyPair(timeoutMs = 5000): Promise<PtyPair> {
  const dir = await mkdtemp(join(tmpdir(), 'pty-'));
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  const child: ChildProcess = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (e: NodeJS.ErrnoException) => reject(new Error(e.code === 'ENOENT' ? INSTALL : `cannot start socat: ${e.message}`)));
    child.once('exit', (code) => reject(new Error(`socat exited (code ${code}) before the ptys were ready: ${stderr.trim()}`)));
  });
  const close = async () => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const ready = (async () => {
    const deadline = Date.now() + timeoutMs;
    while (!(existsSync(a) && existsSync(b))) {
      if (Date.now() > deadline) throw new Error(`socat did not create ${a} and ${b} within ${timeoutMs} ms: ${stderr.trim()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  try {
    await Promise.race([ready, failed]);
  } catch (e) {
    await close();
    throw e;
  }
  failed.catch(() => {}); // a later exit (our own kill) is not an error
  return { a, b, close };
}
