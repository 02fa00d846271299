import { describe, expect, it } from 'vitest';
import { DEFAULT_BYTES_PER_ROW, type DcuStore, type EventRecord } from '../../../dcu/store/index.js';
import { addMeters, DAY, HOUR, openStore, profileRows, T0, testClock } from './helpers.js';

/** 3 meters × 2 channels × 24 h × `days`, inserted day by day (so seq follows ts). */
function fillDays(store: DcuStore, days: number): number[] {
  const meters = addMeters(store, 3);
  for (let d = 0; d < days; d++) for (const m of meters) store.readings.insert(profileRows(m, T0 + d * DAY, 24));
  return meters;
}

const dropEvents = (store: DcuStore): EventRecord[] => store.events.list({ kind: 'data-dropped' });
const oldestTs = (store: DcuStore): number => store.db.prepare('SELECT min(ts) FROM readings').pluck().get() as number;

describe('retention', () => {
  it('drops readings past their age oldest-first, in batches, and raises one event with the counts', () => {
    const clock = testClock(T0 + 10 * DAY);
    const store = openStore({ clock });
    fillDays(store, 10); // 1,440 rows
    store.outbox.acknowledge('readings', store.outbox.lastAssigned('readings'));
    const report = store.enforceRetention({ readings: { maxAgeMs: 7 * DAY }, batchRows: 50 });
    expect(report.readings).toMatchObject({ byAge: 432, byQuota: 0, undelivered: 0, rows: 1008 });
    expect(oldestTs(store)).toBe(T0 + 3 * DAY);
    expect(store.counts.recount('readings')).toBe(1008);
    const [event, ...more] = dropEvents(store);
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      severity: 'info',
      ts: T0 + 10 * DAY,
      details: { class: 'readings', byAge: 432, byQuota: 0, undelivered: 0, oldestTs: T0, newestTs: T0 + 3 * DAY - HOUR },
    });
    // Nothing more to do: no new event.
    store.enforceRetention({ readings: { maxAgeMs: 7 * DAY } });
    expect(dropEvents(store)).toHaveLength(1);
  });

  it('a byte quota drops exactly the oldest rows (FIFO)', () => {
    const store = openStore({ clock: testClock(T0 + 10 * DAY) });
    fillDays(store, 4); // 576 rows
    store.outbox.acknowledge('readings', store.outbox.lastAssigned('readings'));
    const keep = 200;
    const expected = store.readings.range({ from: 0, to: T0 + 100 * DAY }).slice(-keep).map((r) => r.seq);
    const report = store.enforceRetention({ readings: { maxBytes: keep * 100, bytesPerRow: 100 }, batchRows: 64 });
    expect(report.readings).toMatchObject({ byQuota: 376, rows: keep, estimatedBytes: keep * 100 });
    expect(store.readings.range({ from: 0, to: T0 + 100 * DAY }).map((r) => r.seq)).toEqual(expected);
    expect(dropEvents(store)[0]).toMatchObject({ severity: 'warning', details: { byQuota: 376, undelivered: 0 } });
  });

  it('never drops undelivered rows for age; a quota drops delivered rows first, then says how many undelivered went', () => {
    const store = openStore({ clock: testClock(T0 + 30 * DAY) });
    fillDays(store, 4); // 576 rows, seq in ts order
    store.outbox.acknowledge('readings', 144); // day 0 delivered, days 1–3 not

    const aged = store.enforceRetention({ readings: { maxAgeMs: 7 * DAY } });
    expect(aged.readings).toMatchObject({ byAge: 144, undelivered: 0, rows: 432 });
    expect(store.readings.undeliveredCount()).toBe(432);
    expect(oldestTs(store)).toBe(T0 + DAY);

    // Under the quota the undelivered rows are kept…
    store.enforceRetention({ readings: { maxAgeMs: 7 * DAY, maxBytes: 432 * 70, bytesPerRow: 70 } });
    expect(store.readings.count()).toBe(432);

    // …until the quota cannot be met otherwise: then the oldest undelivered go, and the event names them.
    store.readings.insert(profileRows(1, T0 + 20 * DAY, 24));
    store.outbox.acknowledge('readings', store.outbox.lastAssigned('readings') - 24); // the 24 newest stay undelivered
    const forced = store.enforceRetention({ readings: { maxBytes: 100 * 70, bytesPerRow: 70 }, batchRows: 30 });
    expect(forced.readings).toMatchObject({ byQuota: 380, rows: 100 });
    expect(store.readings.count()).toBe(100);
    const events = dropEvents(store);
    expect(events[0]).toMatchObject({ severity: 'warning', details: { byQuota: 380, undelivered: 0 } });
    // 76 delivered rows are left (they go first), then 14 of the 24 undelivered.
    const last = store.enforceRetention({ readings: { maxBytes: 10 * 70, bytesPerRow: 70 }, batchRows: 30 });
    expect(last.readings).toMatchObject({ byQuota: 90, undelivered: 14, rows: 10 });
    expect(dropEvents(store)[0]).toMatchObject({ severity: 'error', details: { class: 'readings', byQuota: 90, undelivered: 14 } });
    // What is left is the newest: the 10 undelivered rows of the last insert with the latest ts.
    expect(store.readings.after(0).every((r) => !r.delivered && r.ts >= T0 + 20 * DAY)).toBe(true);
  });

  it('events and task runs age out too; undelivered events are kept', () => {
    const clock = testClock(T0);
    const store = openStore({ clock });
    const task = store.schedule.put({ name: 't', type: 'registers' });
    for (let d = 0; d < 10; d++) {
      clock.now = T0 + d * DAY;
      store.events.append({ kind: 'clock-corrected', severity: 'info', details: { day: d } });
      store.schedule.finishRun(store.schedule.startRun(task.id, null), { outcome: 'ok' });
    }
    const fifth = store.events.list({ kind: 'clock-corrected' }).find((e) => e.details.day === 4)!;
    store.outbox.acknowledge('events', fifth.id);
    clock.now = T0 + 10 * DAY;
    const r = store.enforceRetention({ events: { maxAgeMs: 3 * DAY }, taskRuns: { maxAgeMs: 3 * DAY } });
    expect(r.events).toMatchObject({ byAge: 5, undelivered: 0 });
    expect(r.taskRuns).toMatchObject({ byAge: 7 });
    expect(store.events.list({ kind: 'clock-corrected' }).map((e) => e.details.day)).toEqual([9, 8, 7, 6, 5]);
    expect(store.schedule.runs().length).toBe(3);
  });

  it('a database quota (used pages) is met by dropping delivered readings first', () => {
    const store = openStore({ clock: testClock(T0 + 30 * DAY) });
    const [m] = addMeters(store, 1) as [number];
    for (let d = 0; d < 40; d++) store.readings.insert(profileRows(m, T0 + d * DAY, 24).map((r) => ({ ...r, value: `pad-${'x'.repeat(200)}` })));
    store.outbox.acknowledge('readings', store.outbox.lastAssigned('readings'));
    const before = store.retention.size();
    const max = Math.floor(before.usedBytes / 2);
    const r = store.enforceRetention({ maxDatabaseBytes: max, batchRows: 100 });
    expect(r.overQuota).toBe(false);
    expect(r.database.usedBytes).toBeLessThanOrEqual(max);
    expect(r.readings.byQuota).toBeGreaterThan(0);
    expect(r.readings.undelivered).toBe(0);
    expect(oldestTs(store)).toBeGreaterThan(T0);
  });

  it('a write that hits the hard size limit makes room by policy and goes through', () => {
    const store = openStore({ clock: testClock(T0), hardLimitBytes: 1024 * 1024, roomRows: 4000 });
    const [m] = addMeters(store, 1) as [number];
    let inserted = 0;
    for (let d = 0; d < 60; d++) {
      const rows = profileRows(m, T0 + d * DAY, 24).map((r) => ({ ...r, value: 'v'.repeat(300) }));
      inserted += store.insertReadings(rows).inserted; // never throws SQLITE_FULL
      if (d === 30) store.outbox.acknowledge('readings', store.outbox.lastAssigned('readings'));
    }
    expect(inserted).toBe(60 * 48);
    expect(store.readings.count()).toBeLessThan(inserted);
    expect(store.readings.range({ meter: m, from: T0 + 59 * DAY, to: T0 + 60 * DAY })).toHaveLength(48);
    const events = dropEvents(store);
    expect(events.length).toBeGreaterThan(0);
    expect(events.some((e) => (e.details.undelivered as number) > 0)).toBe(true);
    expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(store.counts.get('readings')).toBe(store.counts.recount('readings'));
  });

  it('a tally left by a crash mid-run is reported at the next run', () => {
    const store = openStore({ clock: testClock(T0) });
    store.db.prepare(`INSERT INTO retention_tally (class, by_age, by_quota, undelivered, oldest_ts, newest_ts) VALUES ('readings', 10, 0, 0, 1, 2)`).run();
    store.enforceRetention({});
    expect(dropEvents(store)[0]?.details).toMatchObject({ class: 'readings', byAge: 10 });
    expect(store.db.prepare('SELECT count(*) FROM retention_tally').pluck().get()).toBe(0);
  });

  it('the default bytes per reading row matches what dbstat measures', () => {
    const store = openStore();
    const meters = addMeters(store, 50);
    for (let d = 0; d < 4; d++) {
      const rows = meters.flatMap((m) => profileRows(m, T0 + d * DAY, 24));
      store.readings.insert(rows.map((r, i) => ({ ...r, value: (r.value as number) * 1000 + (i % 997) })));
    }
    const measured = store.retention.measuredBytes();
    if (measured === null) return; // SQLite built without dbstat: the estimate cannot be checked here
    const perRow = measured.readings! / store.readings.count();
    expect(perRow).toBeGreaterThan(DEFAULT_BYTES_PER_ROW.readings * 0.7);
    expect(perRow).toBeLessThan(DEFAULT_BYTES_PER_ROW.readings * 1.3);
  });
});
