// Faults on a G3-PLC network while the DCU collects: 10 % loss per hop, a modem that resets
// in the middle of a cycle, a modem that hangs, routes that break; relay and clock commands
// under the same loss (a ciphered request repeated after the meters' repeat window is refused
// as a replay: relay switching is ciphered again, a clock change is read back). Each cycle completes
// (repeats, route discovery, modem restart, task retries), nothing wrong is stored — the
// buffer equals what the meters hold — and nothing hangs (every cycle ends within its test's
// time limit; the DCU closes cleanly at the end).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Obis } from '../../shared/dlms/obis.js';
import { runClockSyncCommand, runRelayCommand } from '../../dcu/commands/index.js';
import type { RunSummary } from '../../dcu/tasks/run-task.js';
import { type G3Setup, LINK, compareProfile, openG3, realClock, until } from './g3-helpers.js';

const COUNT = 40;
let setup: G3Setup;

beforeAll(async () => {
  setup = await openG3({ count: COUNT, seed: 5, maxHops: 4, g3: { maxRetries: 5 } });
  await until(() => setup.runtime.store.meters.list({ link: LINK, status: 'active' }).length === COUNT, `${COUNT} G3 meters in the directory`, 60_000);
}, 90_000);

afterAll(async () => {
  await setup?.close();
});

function network() {
  return setup.runtime.g3.get(LINK)!.network;
}

/** Every meter's profile in the buffer equals the meter's own, row for row. */
function expectBufferMatchesMeters(profile: Obis): void {
  for (const node of setup.sim.nodes) {
    const { expected, stored } = compareProfile(setup, node.serial, profile);
    expect(stored.length, `${node.serial} ${profile}`).toBeGreaterThan(0);
    expect(stored, `${node.serial} ${profile}`).toEqual(expected);
  }
}

function allOk(runs: RunSummary[]): void {
  expect(runs).toHaveLength(COUNT);
  expect(runs.filter((r) => r.outcome !== 'ok')).toEqual([]);
}

describe('G3 faults during collection', () => {
  it('10 % loss per hop: the cycle completes with repeats, and the buffer holds only what the meters hold', async () => {
    setup.sim.setLossPerHop(0.1);
    const before = network().stats();
    allOk(await setup.runtime.scheduler.fire('daily-billing'));
    setup.sim.setLossPerHop(0.01);
    expect(network().stats().timeouts).toBeGreaterThan(before.timeouts);
    expectBufferMatchesMeters(Obis.dailyBilling);
  }, 120_000);

  it('a modem reset in the middle of a cycle: the modem is restarted, the cycle completes, the buffer is right', async () => {
    const restarts = network().stats().restarts;
    const cycle = setup.runtime.scheduler.fire('load-profile');
    await until(() => network().stats().answers > 0 && setup.runtime.store.readings.count() > 0, 'collection under way', 30_000);
    setup.sim.reset();
    allOk(await cycle);
    expect(network().stats().restarts).toBeGreaterThan(restarts);
    expect(setup.sim.modemState).toBe('started');
    expectBufferMatchesMeters(Obis.loadProfile);
    // The directory survived: same meters, all active.
    expect(setup.runtime.store.meters.list({ link: LINK, status: 'active' })).toHaveLength(COUNT);
  }, 120_000);

  it('a modem that hangs in the middle of a cycle is found silent, restarted, and the cycle completes', async () => {
    const restarts = network().stats().restarts;
    const cycle = setup.runtime.scheduler.fire('daily-billing');
    setTimeout(() => setup.sim.hang(), 200);
    allOk(await cycle);
    expect(network().stats().restarts).toBeGreaterThan(restarts);
    expectBufferMatchesMeters(Obis.dailyBilling);
  }, 120_000);

  it('broken routes: route discovery, then the requests go through', async () => {
    const broken = setup.sim.nodes.slice(0, 6);
    const routeErrors = network().stats().routeErrors;
    for (const n of broken) setup.sim.breakRoute(n.eui64);
    allOk(await setup.runtime.scheduler.fire('daily-billing'));
    expect(network().stats().routeErrors).toBeGreaterThanOrEqual(routeErrors + broken.length);
    expect(setup.sim.stats().routeDiscoveries).toBeGreaterThanOrEqual(broken.length);
    expectBufferMatchesMeters(Obis.dailyBilling);
  }, 120_000);

  // Last: switching relays changes what the meters count, which the twins compared above do not know.
  it('10 % loss per hop: relay commands and clock syncs on one-hop meters complete', async () => {
    const r = setup.runtime;
    const deps = { store: r.store, access: r.access, clock: realClock, timeSync: r.config.timeSync, resolveMeter: (s: string) => r.resolveMeter(s) };
    // One hop: a request and its answer are each lost 1 time in 10, so six tries of one
    // exchange all failing stays out of reach, while a repeat that comes after the meter's
    // repeat window (0.6 s here) and is refused as a replay does happen now and then.
    const meters = setup.sim.nodes.filter((n) => n.hops === 1).slice(0, 3);
    expect(meters).toHaveLength(3);
    setup.sim.setLossPerHop(0.1);
    try {
      for (const [i, node] of meters.entries()) {
        const off = await runRelayCommand({ id: `g3-lossy-off-${i}`, meter: node.serial, action: 'disconnect' }, deps);
        expect(off, JSON.stringify(off.outcome)).toMatchObject({ status: 'done', outcome: { result: 'disconnected' } });
        const on = await runRelayCommand({ id: `g3-lossy-on-${i}`, meter: node.serial, action: 'connect' }, deps);
        expect(on.status, JSON.stringify(on.outcome)).toBe('done');
        const sync = await runClockSyncCommand({ id: `g3-lossy-clock-${i}`, meter: node.serial }, deps);
        expect(sync.status, JSON.stringify(sync.outcome)).toBe('done');
      }
    } finally {
      setup.sim.setLossPerHop(0.01);
    }
  }, 120_000);
});
