// Two cloud processes on one database sell the same request ids at the same moment — on
// PostgreSQL each through three connections at once, so every sale is sent six times
// together — and reverse and record payments alongside: each id is sold once (the others
// read it back), every token has its own TID, each payment counts once, and the books agree.
// SQLite runs one connection per process, as the cloud does.
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { reconcile } from '../../../cloud/vending/reports.js';
import { BACKENDS, type DatabaseLocation, type Harness, openShop } from './service-fixtures.js';

let h: (Harness & Awaited<ReturnType<typeof openShop>>) | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const WORKER = new URL('./service-concurrent-worker.ts', import.meta.url).pathname;
const COUNT = 40;

function run(location: DatabaseLocation, vendor: string, startAt: number, clients: number): Promise<Record<string, string>> {
  const args = ['--import', 'tsx', WORKER, JSON.stringify(location), vendor, String(COUNT), String(startAt), String(clients)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Record<string, string>) : reject(new Error(`worker exited ${code}: ${err}`)))));
}

describe.each(BACKENDS)('concurrent sales (%s)', (backend) => {
  it('sells each request id once when processes and connections race for it', async () => {
    h = await openShop(backend, { creditLimit: 1_000_000 });
    const { service } = h.vending;
    const clients = backend === 'postgres' ? 3 : 1;
    const startAt = Date.now() + 3000; // both children are up by then
    const [a, b] = await Promise.all([run(h.location, h.vendor.id, startAt, clients), run(h.location, h.vendor.id, startAt, clients)]);
    expect(Object.keys(a)).toHaveLength(COUNT);
    expect(a).toEqual(b);
    const vends = await service.store.allVends();
    expect(vends).toHaveLength(COUNT);
    expect(vends.map((v) => [v.requestId, v.token]).sort()).toEqual(Object.entries(a).sort());
    const sold = vends.reduce((s, v) => s + v.amount, 0);
    expect(sold).toBe(Array.from({ length: COUNT }, (_, i) => 1000 + i).reduce((s, x) => s + x, 0));
    const reversed = vends.filter((v) => v.status === 'reversed').reduce((s, v) => s + v.amount, 0);
    // Payments pay-6, pay-13, pay-20, pay-27, pay-34 of 1.00 each, every one sent 2 × clients times.
    const payments = (await service.store.journal()).filter((l) => l.kind === 'payment' && l.book === 'cash');
    expect(payments.map((l) => l.entry).sort()).toEqual([6, 13, 20, 27, 34].map((i) => `payment:${h!.vendor.id}:pay-${i}`).sort());
    expect((await service.vendors.get(h.vendor.id)).balanceOwed).toBe(sold - reversed - 500);
    for (const account of ['ACC-1', 'ACC-2']) {
      const tids = vends.filter((v) => v.account === account).map((v) => v.tid);
      expect(new Set(tids).size).toBe(COUNT / 2);
    }
    expect(await reconcile(service.store)).toEqual([]);
  }, 90_000);
});
