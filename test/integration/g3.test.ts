// Issue #6 end to end on a G3-PLC network: 200 simulated meters behind the modem simulator
// (a socat pty pair, 230400 baud) join after power-up; the DCU has every one of them in its
// directory within the join window, reads daily billing and load profile from all of them
// (the buffer equals what the meters hold, row for row), gets their pushed alarms into the
// buffer as events, switches a relay and checks a clock over PLC, marks a meter that leaves
// unreachable and active again when it re-joins, with its history; after a restart it
// re-uses its directory instead of waiting for joins.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Obis } from '../../shared/dlms/obis.js';
import { runClockSyncCommand, runRelayCommand } from '../../dcu/commands/index.js';
import type { DcuRuntime } from '../../dcu/runtime.js';
import { startOrder } from '../../dcu/tasks/scheduler.js';
import { type G3Setup, LINK, compareProfile, openG3, realClock, until } from './g3-helpers.js';

const COUNT = 200;
let setup: G3Setup;
let runtime: DcuRuntime;

function deps() {
  const r = setup.runtime;
  return { store: r.store, access: r.access, clock: realClock, timeSync: r.config.timeSync, resolveMeter: (s: string) => r.resolveMeter(s) };
}

beforeAll(async () => {
  setup = await openG3({ count: COUNT, seed: 21 });
  runtime = setup.runtime;
}, 60_000);

afterAll(async () => {
  await setup?.close();
});

describe('DCU with 200 G3-PLC meters', () => {
  it('has every meter that joined in its directory within the join window, with its EUI-64 and short address', async () => {
    const { sim } = setup;
    await until(() => runtime.store.meters.list({ link: LINK, status: 'active' }).length === COUNT, `${COUNT} G3 meters in the directory`, 60_000);
    for (const node of sim.nodes) {
      const m = runtime.store.meters.bySerial(node.serial);
      expect(m, node.serial).toMatchObject({ link: LINK, linkKind: 'g3-plc', networkAddress: node.eui64, shortAddress: sim.shortAddress(node.eui64), status: 'active', securityProfile: 'reader' });
    }
    expect(runtime.targets()).toHaveLength(COUNT);
  }, 90_000);

  it('reads daily billing and load profile from all of them, farthest and nearest meters in turn, each meter both tasks back to back: the buffer holds what the meters hold', async () => {
    const tasks = ['daily-billing', 'load-profile'];
    const summaries = await runtime.scheduler.fireTogether(tasks);
    for (const [i, runs] of summaries.entries()) {
      expect(runs, tasks[i]).toHaveLength(COUNT);
      expect(runs.filter((r) => r.outcome !== 'ok'), tasks[i]).toEqual([]);
    }
    // The order the meters were started in (runs are numbered as they start): the scheduler's
    // start order — farthest, nearest, in turn — and every meter's profile run after its own
    // billing run ended.
    const { store } = runtime;
    const hopsOf = new Map(store.meters.list({ link: LINK }).map((m) => [m.id, m.hops ?? 0]));
    // A run that failed is run again: a meter's first run of a task is when it started.
    const [billing, profile] = tasks.map((name) => {
      const runs = store.schedule.runs({ task: store.schedule.get(name)!.id, limit: 10 * COUNT }).sort((a, b) => a.id - b.id);
      return runs.filter((r, i) => runs.findIndex((x) => x.meter === r.meter) === i);
    });
    expect(billing).toHaveLength(COUNT);
    const started = billing.map((r) => hopsOf.get(r.meter!)!);
    expect(new Set(started).size).toBeGreaterThan(1);
    expect(started).toEqual(startOrder(runtime.targets()).map((t) => t.meter.hops));
    const billingEnd = new Map<number | null, number>();
    for (const r of store.schedule.runs({ task: store.schedule.get(tasks[0])!.id, limit: 10 * COUNT })) billingEnd.set(r.meter, Math.max(billingEnd.get(r.meter) ?? 0, r.finishedAt!));
    for (const p of profile) expect(p.startedAt).toBeGreaterThanOrEqual(billingEnd.get(p.meter)!);
    // More meters than sessions at once: the last meters' billing waits for earlier meters to finish both tasks.
    expect(Math.min(...profile.map((r) => r.id))).toBeLessThan(Math.max(...billing.map((r) => r.id)));
    for (const node of setup.sim.nodes) {
      for (const profile of [Obis.dailyBilling, Obis.loadProfile]) {
        const { expected, stored } = compareProfile(setup, node.serial, profile);
        expect(stored.length, `${node.serial} ${profile}`).toBeGreaterThan(0);
        expect(stored, `${node.serial} ${profile}`).toEqual(expected);
      }
    }
    const g3 = runtime.g3.get(LINK)!.network.stats();
    expect(g3.peakInFlight).toBeGreaterThan(4); // the limit opened up
    expect(g3.peakInFlight).toBeLessThanOrEqual(64); // maxInFlight.max
  }, 120_000);

  it('pushed alarms reach the buffer as events of their meter, and the uplink stream', async () => {
    const nodes = setup.sim.nodes.slice(10, 15);
    const before = runtime.store.events.list({ kind: 'alarm', limit: 1000 }).length;
    for (const n of nodes) setup.sim.pushAlarm(n.eui64);
    await until(() => runtime.store.events.list({ kind: 'alarm', limit: 1000 }).length >= before + nodes.length, 'alarm events', 30_000);
    for (const n of nodes) {
      const m = runtime.store.meters.bySerial(n.serial)!;
      const [e] = runtime.store.events.list({ kind: 'alarm', meter: m.id });
      expect(e.details).toMatchObject({ serial: n.serial, eui64: n.eui64 });
      expect((e.details.bits as number[]).length).toBe(1);
      expect(runtime.store.events.after(e.id - 1, 1)[0].id).toBe(e.id);
    }
  }, 60_000);

  it('switches a relay and checks a clock over PLC like on a bus', async () => {
    const serial = setup.sim.nodes[3].serial;
    // At the network's usual 1 % loss; heavier loss is the fault tests' subject.
    const off = await runRelayCommand({ id: 'g3-relay-1', meter: serial, action: 'disconnect' }, deps());
    expect(off).toMatchObject({ status: 'done', outcome: { result: 'disconnected' } });
    const on = await runRelayCommand({ id: 'g3-relay-2', meter: serial, action: 'connect' }, deps());
    expect(on.status, JSON.stringify(on.outcome)).toBe('done');
    const sync = await runClockSyncCommand({ id: 'g3-clock-1', meter: serial }, deps());
    expect(sync.status, JSON.stringify(sync.outcome)).toBe('done');
  }, 60_000);

  it('a meter that leaves becomes unreachable; when it re-joins it is active again, with its history', async () => {
    const node = setup.sim.nodes[42];
    const before = runtime.store.meters.bySerial(node.serial)!;
    const rows = runtime.store.readings.range({ from: 0, to: Date.now() + 1, meter: before.id }).length;
    setup.sim.leave(node.eui64);
    await until(() => runtime.store.meters.bySerial(node.serial)!.status === 'unreachable', 'unreachable after leave', 30_000);
    expect(runtime.targets().some((t) => t.meter.serial === node.serial)).toBe(false);
    setup.sim.rejoin(node.eui64);
    await until(() => runtime.store.meters.bySerial(node.serial)!.status === 'active', 'active after re-join', 30_000);
    const after = runtime.store.meters.bySerial(node.serial)!;
    expect(after.id).toBe(before.id);
    expect(after.firstSeen).toBe(before.firstSeen);
    expect(runtime.store.readings.range({ from: 0, to: Date.now() + 1, meter: after.id }).length).toBe(rows);
    const kinds = runtime.store.events.list({ meter: after.id, limit: 100 }).map((e) => e.kind);
    expect(kinds).toContain('meter-status');
    expect(kinds).toContain('meter-reachable');
  }, 60_000);

  it('after a restart the directory is used at once, without waiting for joins', async () => {
    runtime = await setup.reopen();
    expect(runtime.targets()).toHaveLength(COUNT); // before any join
    const runs = await runtime.scheduler.fire('daily-billing');
    expect(runs.filter((r) => r.outcome !== 'ok')).toEqual([]);
    expect(runtime.store.meters.list({ link: LINK })).toHaveLength(COUNT);
  }, 120_000);
});
