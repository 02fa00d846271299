// `dcu run --config FILE` as an installer runs it: a wrong config value stops the start
// with the field named; a good one runs against a bus, finds the meters by itself, serves
// its API, and on SIGTERM finishes and closes the database cleanly.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DcuStore } from '../../dcu/store/index.js';
import { openPtyBus, type PtyBus } from '../../simulators/feeder/pty-bus.js';

let dir: string;
let feeder: PtyBus;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dcu-main-'));
  feeder = await openPtyBus({ count: 2, baud: 115200, firstAddress: 20 });
});
afterAll(async () => {
  await feeder?.close();
  rmSync(dir, { recursive: true, force: true });
});

const config = (overrides: Record<string, unknown> = {}) => ({
  dcuId: 'dcu-test',
  database: join(dir, 'dcu.db'),
  systemTitle: '4443550000000007',
  buses: [{ name: 'rs485-1', path: feeder.path, baud: 115200, profile: 'reader', discovery: { from: 18, to: 24, timeoutMs: 150 } }],
  profiles: { reader: { clientSap: 17, authentication: 'low', password: '12345678' } },
  assumeClockSynchronised: true,
  api: { host: '127.0.0.1', port: 0 },
  log: { level: 'info' },
  ...overrides,
});

function writeConfig(name: string, value: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

const dcu = (args: string[]) => spawn(process.execPath, ['--import', 'tsx', 'dcu/main.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });

function waitFor(child: ChildProcess, pattern: RegExp, ms = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output:\n${seen}`)), ms);
    const on = (d: Buffer) => {
      seen += d.toString();
      const m = pattern.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
  });
}

describe('dcu run --config', () => {
  it('refuses a wrong config value, naming the field', () => {
    const file = writeConfig('bad.json', config({ buses: [{ name: 'rs485-1', path: '/dev/x', baud: 9601, profile: 'nope' }] }));
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'dcu/main.ts', 'run', '--config', file], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('buses.0.baud: expected one of');
    const missing = spawnSync(process.execPath, ['--import', 'tsx', 'dcu/main.ts', 'run', '--config', join(dir, 'none.json')], { encoding: 'utf8' });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cannot read config/);
  });

  it('finds the meters on first start, serves its API, and stops cleanly on SIGTERM', async () => {
    const file = writeConfig('good.json', config());
    const child = dcu(['run', '--config', file]);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const api = await waitFor(child, /"api":"(http:\/\/127\.0\.0\.1:\d+)"/);
    const url = JSON.parse(`{${api}}`).api as string;
    await waitFor(child, /discovery on rs485-1: 2 meter\(s\)/);
    const meters = (await (await fetch(`${url}/meters`)).json()) as { serial: string }[] | { meters: { serial: string }[] };
    const list = Array.isArray(meters) ? meters : meters.meters;
    expect(list.map((m) => m.serial).sort()).toEqual(feeder.meters.map((m) => m.serial).sort());
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const store = DcuStore.open(join(dir, 'dcu.db'));
    expect(store.meters.list()).toHaveLength(2);
    store.close();
  }, 120_000);
});
