// The command journal, configuration and schedule: small tables with rules that matter.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../../dcu/store/index.js';
import { addMeters, HOUR, openStore, T0, tempDir, testClock } from './helpers.js';

describe('command journal', () => {
  it('is idempotent by command id: a second receive returns the existing record', () => {
    const clock = testClock();
    const store = openStore({ clock });
    const cmd = { id: 'cmd-7f3a', kind: 'disconnect', meter: 'SN-0001', params: { reason: 'non-payment' } };
    const first = store.commands.receive(cmd);
    expect(first).toMatchObject({ created: true, sameRequest: true, record: { id: 'cmd-7f3a', status: 'received', receivedAt: T0 } });

    store.commands.start('cmd-7f3a');
    clock.now += 1000;
    store.commands.finish('cmd-7f3a', 'done', { outputState: false, controlState: 'disconnected' });

    clock.now += HOUR;
    const second = store.commands.receive(cmd);
    expect(second.created).toBe(false);
    expect(second.sameRequest).toBe(true);
    expect(second.record).toMatchObject({ status: 'done', receivedAt: T0, finishedAt: T0 + 1000, outcome: { outputState: false } });
    expect(store.commands.receive({ ...cmd, kind: 'reconnect' })).toMatchObject({ created: false, sameRequest: false, record: { kind: 'disconnect' } });
    expect(store.commands.list()).toHaveLength(1);
  });

  it('runs a command at most once: start is a compare-and-set', () => {
    const store = openStore();
    store.commands.receive({ id: 'c1', kind: 'read' });
    store.commands.start('c1');
    const e = (() => {
      try {
        store.commands.start('c1');
      } catch (error) {
        return error as StoreError;
      }
    })();
    expect(e).toBeInstanceOf(StoreError);
    expect(e?.kind).toBe('conflict');
    expect(() => store.commands.start('nope')).toThrow(/no command/);
    expect(store.commands.list({ status: 'running' }).map((c) => c.id)).toEqual(['c1']);
    store.commands.finish('c1', 'failed', { error: 'AccessError: read-write-denied' });
    expect(() => store.commands.finish('c1', 'done', null)).toThrow(/it is failed/);
  });

  it('survives a re-open: the id stays taken', () => {
    const file = join(tempDir(), 'dcu.db');
    openStore({ file }).commands.receive({ id: 'persisted', kind: 'reconnect', meter: 'SN-1' });
    const again = openStore({ file });
    expect(again.commands.receive({ id: 'persisted', kind: 'reconnect', meter: 'SN-1' }).created).toBe(false);
  });
});

describe('configuration', () => {
  it('keeps JSON values with a version per key and compare-and-set', () => {
    const store = openStore();
    expect(store.config.set('time-sync', { ignoreBelowMs: 10_000, correctUpToMs: 600_000 }).version).toBe(1);
    expect(store.config.set('time-sync', { ignoreBelowMs: 5_000, correctUpToMs: 600_000 }, { expectedVersion: 1 }).version).toBe(2);
    expect(() => store.config.set('time-sync', {}, { expectedVersion: 1 })).toThrow(/version 2, not 1/);
    expect(() => store.config.set('new', 1, { expectedVersion: 1 })).toThrow(StoreError);
    expect(store.config.set('new', 1, { expectedVersion: 0 }).version).toBe(1);
    expect(store.config.get('time-sync')?.value).toEqual({ ignoreBelowMs: 5_000, correctUpToMs: 600_000 });
    expect(store.config.value('missing', 42)).toBe(42);
    store.config.set('discovery.range', [16, 127]);
    expect(store.config.list('discovery.').map((e) => e.key)).toEqual(['discovery.range']);
    // JSON has no 64-bit integers: a bigint is stored (and read back) as its decimal text.
    expect(store.config.set('counter', 2n ** 64n).value).toBe('18446744073709551616');
    expect(store.config.get('counter')?.value).toBe('18446744073709551616');
  });
});

describe('schedule and task runs', () => {
  it('keeps task definitions by name and their runs; a re-open closes runs a crash left open', () => {
    const file = join(tempDir(), 'dcu.db');
    const clock = testClock();
    const store = openStore({ file, clock });
    const [m] = addMeters(store, 1) as [number];
    const lp = store.schedule.put({ name: 'lp-hourly', type: 'load-profile', items: ['1.0.99.1.0.255'], cron: '5 * * * *', priority: 2, retries: 3 });
    store.schedule.put({ name: 'billing', type: 'billing', items: ['1.0.98.1.0.255'], cron: '15 0 * * *', priority: 1 });
    store.schedule.put({ name: 'discovery', type: 'discovery', periodMs: 6 * HOUR, enabled: false });
    expect(store.schedule.list().map((t) => t.name)).toEqual(['lp-hourly', 'billing', 'discovery']);
    expect(store.schedule.list({ enabledOnly: true }).map((t) => t.name)).toEqual(['lp-hourly', 'billing']);
    const updated = store.schedule.put({ name: 'lp-hourly', type: 'load-profile', items: ['1.0.99.1.0.255'], cron: '*/15 * * * *' });
    expect(updated).toMatchObject({ id: lp.id, cron: '*/15 * * * *', priority: 0, retries: 0, enabled: true, startAt: null });
    expect(() => store.schedule.put({ name: 'bad', type: 'billing', periodMs: -1 })).toThrow(StoreError);

    const run = store.schedule.startRun(lp.id, m);
    clock.now += 30_000;
    expect(store.schedule.finishRun(run, { outcome: 'ok', rows: 48 })).toMatchObject({ outcome: 'ok', rows: 48, finishedAt: T0 + 30_000 });
    expect(() => store.schedule.finishRun(run, { outcome: 'failed' })).toThrow(/already finished/);
    const open = store.schedule.startRun(lp.id, m);
    store.db.close(); // the process dies during the run

    clock.now += HOUR;
    const again = openStore({ file, clock });
    expect(again.schedule.lastRun(lp.id, m)).toMatchObject({ id: open, outcome: 'interrupted', finishedAt: T0 + 30_000 + HOUR });
    expect(again.schedule.runs({ task: lp.id }).map((r) => r.outcome)).toEqual(['interrupted', 'ok']);
    expect(again.counts.get('taskRuns')).toBe(2);
    expect(again.schedule.remove('lp-hourly')).toBe(true);
    expect(again.counts.get('taskRuns')).toBe(0);
    expect(again.counts.recount('taskRuns')).toBe(0);
  });
});
