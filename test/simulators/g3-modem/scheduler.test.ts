// Model time: events run in model-time order whatever order they were scheduled in, see
// their own scheduled time as now(), and a reset forgets them.
import { afterEach, describe, expect, it } from 'vitest';
import { Scheduler } from '../../../simulators/g3-modem/scheduler.js';

describe('scheduler', () => {
  let s: Scheduler | undefined;
  afterEach(() => s?.close());

  it('runs events in model-time order, each at its own time, ties in the order given', async () => {
    s = new Scheduler(1);
    const sched = s;
    const ran: [string, number][] = [];
    const t0 = sched.now();
    sched.at(t0 + 30, () => ran.push(['c', sched.now() - t0]));
    sched.at(t0 + 10, () => {
      ran.push(['a', sched.now() - t0]);
      // Scheduled from inside an event: relative to the event's own time.
      sched.after(5, () => ran.push(['b', sched.now() - t0]));
    });
    sched.at(t0 + 30, () => ran.push(['d', sched.now() - t0]));
    await new Promise((r) => setTimeout(r, 80));
    expect(ran).toEqual([['a', 10], ['b', 15], ['c', 30], ['d', 30]]);
  });

  it('forgets everything on cancelAll and rejects a nonsensical scale', async () => {
    s = new Scheduler(0.001);
    let ran = false;
    s.after(1, () => (ran = true));
    s.cancelAll();
    await new Promise((r) => setTimeout(r, 20));
    expect(ran).toBe(false);
    expect(() => new Scheduler(0)).toThrow(/timeScale/);
  });
});
