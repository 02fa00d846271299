// The simulator program end to end (a child process on a pty bus), and the persistence it
// relies on: atomic state files and an invocation counter stored ahead of use.
import { afterEach, describe, expect, it } from 'vitest';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { serverAddress } from '../../../shared/hdlc/address.js';
import { Obis } from '../../../shared/dlms/obis.js';
import { COUNTER_RESERVE } from '../../../shared/dlms/security/invocation-counter.js';
import { MeterStateStore, writeFileAtomic } from '../../../simulators/meter/transport/state-store.js';
import { type PtyPair, openPtyPair } from '../../helpers/pty-pair.js';
import { TestHdlcClient } from './hdlc-client.js';
import { realMeters, tempDir } from './real-meters.js';
import { type SerialIo, openSerialIo } from './serial-io.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('meter state persistence', () => {
  it('writes atomically: no temporary file is left, the content is whole', () => {
    const dir = tempDir();
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'x.json');
    writeFileAtomic(file, '{"a":1}');
    writeFileAtomic(file, '{"a":2}');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ a: 2 });
    expect(readdirSync(dir)).toEqual(['x.json']);
  });

  it('stores the invocation counter ahead of use, so a restart never reuses one', () => {
    const dir = tempDir();
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const [first] = realMeters(1, 17, dir);
    const used = Array.from({ length: 1500 }, () => first.counter.take());
    const stored = new MeterStateStore(dir).load(first.serial)!;
    // No save() call: the reserve alone was written as the counter went.
    expect(stored.state.invocationCounter).toBeGreaterThan(used.at(-1)!);
    expect(stored.state.invocationCounter).toBeLessThanOrEqual(used.at(-1)! + COUNTER_RESERVE + 1);
    const [again] = realMeters(1, 17, dir);
    expect(again.counter.take()).toBeGreaterThan(used.at(-1)!);
  });

  it('keeps relay and clock state across a restart', () => {
    const dir = tempDir();
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const [m] = realMeters(1, 17, dir);
    m.meter.state.relay.controlState = 0;
    m.meter.state.clock.offsetMs = 12_345;
    m.save();
    const [again] = realMeters(1, 17, dir);
    expect(again.meter.state.relay.controlState).toBe(0);
    expect(again.meter.state.clock.offsetMs).toBe(12_345);
  });

  it('names a damaged state file', () => {
    const dir = tempDir();
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const store = new MeterStateStore(dir);
    writeFileAtomic(store.fileOf('40000001'), '{not json');
    expect(() => realMeters(1, 17, dir)).toThrow(/meter-40000001\.json is not valid JSON/);
  });
});

function startSimulator(args: string[]): { child: ChildProcess; output: () => string; ready: Promise<void>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'simulators/meter/main.ts', ...args], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (out.includes('\nready')) {
        clearInterval(timer);
        resolve();
      }
    }, 20);
    void exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`simulator exited (${code}) before it was ready:\n${out}`));
    });
  });
  ready.catch(() => {});
  return { child, output: () => out, ready, exited };
}

describe('simulators/meter/main.ts', () => {
  it('serves meters on a pty bus, logs the associations, saves state and exits cleanly on SIGTERM', async () => {
    const pty: PtyPair = await openPtyPair();
    cleanup.push(() => pty.close());
    const dir = tempDir();
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const sim = startSimulator(['--serial', pty.b, '--baud', '19200', '--meters', '2', '--first-address', '17', '--state-dir', dir, '--seed', '3']);
    cleanup.push(() => sim.child.kill('SIGKILL'));
    await sim.ready;
    expect(sim.output()).toMatch(/meter 30000002: HDLC address 1\/18/);
    expect(sim.output()).toMatch(/LLS password "12345678"/);
    expect(sim.output()).toMatch(/block cipher key 000102030405060708090a0b0c0d0e0f/);
    const io: SerialIo = await openSerialIo(pty.a, 19200);
    cleanup.push(() => io.close());
    const c = new TestHdlcClient(io, { client: 1, server: serverAddress(1, 18) });
    cleanup.push(() => c.stop());
    await c.connect();
    await c.associate();
    expect(await c.get({ classId: 1, instanceId: Obis.serialNumber, attributeId: 2 })).toEqual({ type: 'octet-string', value: new TextEncoder().encode('30000002') });
    await c.release();
    await c.disconnect();
    sim.child.kill('SIGTERM');
    expect(await sim.exited).toBe(0);
    const out = sim.output();
    expect(out).toMatch(/meter 30000002 \(18\) serial: client 1 associated \(high-gmac\)/);
    expect(out).toMatch(/SIGTERM: closing/);
    expect(out).toMatch(/serial .*: \d+ bytes from the client, \d+ to it/);
    const file = join(dir, 'meter-30000002.json');
    expect(existsSync(file)).toBe(true);
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    expect(stored.state.invocationCounter).toBeGreaterThanOrEqual(COUNTER_RESERVE);
    expect(Object.keys(stored.received)).toHaveLength(1);
  });

  it('refuses bad arguments with a message', async () => {
    const sim = startSimulator(['--tcp-hdlc', '0', '--faults', '{"17": {"late": {"every": 2}}}']);
    expect(await sim.exited).toBe(2);
    expect(sim.output()).toMatch(/--faults: faults.17.late.delay: required/);
  });
});
