// The benchmark's end of a simulated G3 PLC network: a socat pty pair as the modem's UART,
// the simulator (g3-sim-process.ts) forked on one end, the DCU to open the other.
import { type ChildProcess, fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type PtyPair, openPtyPair } from '../../simulators/feeder/pty-pair.js';
import type { G3ModemOptions, G3Stats } from '../../simulators/g3-modem/index.js';

export interface SimSnapshot {
  stats: G3Stats;
  /** The simulator process's CPU time so far, µs. */
  cpu: NodeJS.CpuUsage;
  /** Its clock (performance.now), ms. */
  wallMs: number;
  /** Its event-loop delay since the previous snapshot, wall ms. */
  loop: { meanMs: number; p99Ms: number; maxMs: number };
}

export interface SimChild {
  /** The DCU's end of the UART. */
  path: string;
  snapshot(): Promise<SimSnapshot>;
  close(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));

export async function startSimChild(o: Omit<G3ModemOptions, 'path'>): Promise<SimChild> {
  const pty: PtyPair = await openPtyPair();
  const child: ChildProcess = fork(join(here, 'g3-sim-process.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.send({ cmd: 'start', options: { ...o, path: pty.b } });
  const waiting = new Map<number, { resolve: (m: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  let next = 0;
  let exited = false;
  child.on('message', (m: Record<string, unknown>) => {
    const id = m.id as number | undefined;
    if (id === undefined) return;
    waiting.get(id)?.resolve(m);
    waiting.delete(id);
  });
  child.once('exit', (code) => {
    exited = true;
    for (const w of waiting.values()) w.reject(new Error(`the G3 simulator process exited (code ${code})`));
    waiting.clear();
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (m: Record<string, unknown>) => m.ready && resolve());
    child.once('exit', (code) => reject(new Error(`the G3 simulator process exited with code ${code} before it was ready`)));
  });
  try {
    await ready;
  } catch (e) {
    await pty.close();
    throw e;
  }
  const ask = (cmd: 'stats' | 'close') =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      if (exited) return reject(new Error('the G3 simulator process has exited'));
      const id = next++;
      waiting.set(id, { resolve, reject });
      child.send({ id, cmd });
    });
  return {
    path: pty.a,
    snapshot: async () => (await ask('stats')) as unknown as SimSnapshot,
    close: async () => {
      if (!exited) {
        const gone = new Promise((r) => child.once('exit', r));
        await ask('close').catch(() => undefined);
        await gone;
      }
      await pty.close();
    },
  };
}
