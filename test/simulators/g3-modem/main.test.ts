// The simulator program: it opens its own pty pair, prints the DCU's end, runs a PAN a
// host can start, takes faults on stdin and prints its statistics when it stops; with
// --state-dir its meters and its short address table outlive it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TestHost } from './host.js';
import { PAN_ID, joins, startNetwork } from './pan.js';

describe('g3 modem simulator program', () => {
  let child: ChildProcess | undefined;
  let host: TestHost | undefined;
  afterEach(async () => {
    await host?.close();
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('prints the DCU end of its pty, runs the PAN, takes faults on stdin and reports on SIGTERM', async () => {
    const args = ['--meters', '3', '--seed', '5', '--time-scale', '0.001', '--join-window', '20', '--loss', '0', '--pan-id', String(PAN_ID), '--quiet'];
    const c = spawn(process.execPath, ['--import', 'tsx', 'simulators/g3-modem/main.ts', ...args], { cwd: process.cwd(), stdio: ['pipe', 'pipe', 'pipe'] });
    child = c;
    let out = '';
    c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => c.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 20_000;
    while (!/^ready$/m.test(out)) {
      if (Date.now() > deadline || c.exitCode !== null) throw new Error(`the simulator did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const path = /DCU side of the modem: (\S+)/.exec(out)![1];
    const euis = [...out.matchAll(/EUI-64 ([0-9a-f]{16})/g)].map((m) => m[1]);
    expect(euis).toHaveLength(3);

    host = await TestHost.open(path);
    await startNetwork(host);
    const joined = await joins(host, 3);
    expect([...joined.keys()].sort()).toEqual([...euis].sort());

    c.stdin!.write(`leave ${euis[0]}\n`);
    expect(await host.next('leave')).toEqual({ type: 'leave', shortAddress: joined.get(euis[0]) });
    c.stdin!.write(`rejoin ${euis[0]}\n`);
    expect(await host.next('join-complete')).toEqual({ type: 'join-complete', eui64: euis[0], shortAddress: joined.get(euis[0]) });

    c.kill('SIGTERM');
    expect(await exited).toBe(0);
    const stats = JSON.parse(out.trim().split('\n').at(-1)!);
    expect(stats.joins).toMatchObject({ completed: 4 });
    expect(stats.leaves).toBe(1);
  });
});

describe('g3 modem simulator program with --state-dir', () => {
  const children: ChildProcess[] = [];
  const hosts: TestHost[] = [];
  let dir: string | undefined;
  afterEach(async () => {
    for (const h of hosts.splice(0)) await h.close();
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Starts the program; resolves with its output so far once it is ready (or has exited). */
  async function run(stateDir: string): Promise<{ child: ChildProcess; output: () => string; exited: Promise<number | null> }> {
    const args = ['--meters', '2', '--seed', '5', '--time-scale', '0.001', '--join-window', '20', '--loss', '0', '--pan-id', String(PAN_ID), '--quiet', '--state-dir', stateDir];
    const c = spawn(process.execPath, ['--import', 'tsx', 'simulators/g3-modem/main.ts', ...args], { cwd: process.cwd(), stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(c);
    let out = '';
    c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => c.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 20_000;
    while (!/^ready$/m.test(out) && c.exitCode === null) {
      if (Date.now() > deadline) throw new Error(`the simulator did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return { child: c, output: () => out, exited };
  }

  async function joinAll(output: string): Promise<Map<string, number>> {
    const host = await TestHost.open(/DCU side of the modem: (\S+)/.exec(output)![1]);
    hosts.push(host);
    await startNetwork(host);
    return joins(host, 2);
  }

  it('keeps the meters\' state and the short addresses in the folder, and a second run takes them up', async () => {
    dir = mkdtempSync(join(tmpdir(), 'g3-cli-state-'));
    const first = await run(dir);
    expect(first.output()).toContain(`state in ${dir}`);
    const shorts = await joinAll(first.output());
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const files = readdirSync(dir).sort();
    expect(files.filter((f) => /^meter-\d+\.json$/.test(f))).toHaveLength(2);
    expect(JSON.parse(readFileSync(join(dir, 'g3-short-addresses.json'), 'utf8')).shortAddresses).toEqual(Object.fromEntries(shorts));

    // The same seed joins the nodes in the same order anyway: renumber them in the table to
    // see that the second run takes its addresses from there.
    const [a, b] = [...shorts.keys()];
    const renumbered = { [a]: 0x0109, [b]: 0x0107 };
    writeFileSync(join(dir, 'g3-short-addresses.json'), JSON.stringify({ version: 1, shortAddresses: renumbered }));
    const second = await run(dir);
    expect(Object.fromEntries(await joinAll(second.output()))).toEqual(renumbered);
  }, 60_000);

  it('refuses to start on a damaged short address table, and says which file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'g3-cli-state-'));
    writeFileSync(join(dir, 'g3-short-addresses.json'), '{"version": 1, "shortAddresses": {"0253494d02625a0a": 1, "0253494d02625a05": 1}}');
    const r = await run(dir);
    expect(await r.exited).toBe(1);
    expect(r.output()).toContain(`short address table ${join(dir, 'g3-short-addresses.json')}: short address 1 is given twice`);
  }, 30_000);
});
