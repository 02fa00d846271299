// Model time for the simulated PAN. Every duration of the model (latencies, air time, join
// window, alarm intervals) is in unscaled milliseconds; `timeScale` multiplies them into
// wall-clock delays, so a test at timeScale 0.001 runs a 10-minute join storm in 0.6 s
// with the same ratios. Statistics stay in model (unscaled) time.
//
// Events run strictly in model-time order (a calendar queue with one wall-clock timer for
// the earliest), each seeing now() = the time it was scheduled for. Timer granularity and
// event-loop lag (a millisecond is a model second at timeScale 0.001) then only delay what
// the host sees; they never reorder the model (the shared channel hands out air time in the
// order requests come) nor pile up along a chain of events. Outside an event (a command
// from the host), now() is the wall clock scaled, never earlier than the last event run.
import { performance } from 'node:perf_hooks';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

export class Scheduler {
  private readonly startedAt = performance.now();
  private readonly queue: Pending[] = []; // binary min-heap by (at, seq)
  private seq = 0;
  private timer: NodeJS.Timeout | null = null;
  private armedFor = Infinity;
  private closed = false;
  /** The model time of the event being run, or of the last one run. */
  private current: number | null = null;
  private last = 0;

  constructor(readonly timeScale: number) {
    if (!(timeScale > 0) || !Number.isFinite(timeScale)) throw new RangeError(`timeScale must be a positive number, got ${timeScale}`);
  }

  /** Model time now, ms since the simulator started. */
  now(): number {
    return this.current ?? Math.max(this.last, this.wall());
  }

  /** Runs fn at model time `at` (at once, in a later turn, if that is past). */
  at(at: number, fn: () => void): void {
    if (this.closed) return;
    this.push({ at: Math.max(at, this.now()), seq: this.seq++, fn });
    this.arm();
  }

  /** Runs fn after `ms` of model time. */
  after(ms: number, fn: () => void): void {
    this.at(this.now() + Math.max(0, ms), fn);
  }

  /** Forgets everything scheduled (a modem reboot: what was in flight never happens). */
  cancelAll(): void {
    this.queue.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.armedFor = Infinity;
  }

  close(): void {
    this.closed = true;
    this.cancelAll();
  }

  private wall(): number {
    return (performance.now() - this.startedAt) / this.timeScale;
  }

  private arm(): void {
    const head = this.queue[0];
    if (!head || head.at >= this.armedFor) return;
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = head.at;
    this.timer = setTimeout(() => this.run(), Math.max(0, (head.at - this.wall()) * this.timeScale));
  }

  private run(): void {
    this.timer = null;
    this.armedFor = Infinity;
    const until = this.wall();
    while (!this.closed && this.queue.length > 0 && this.queue[0].at <= until) {
      const e = this.pop();
      this.current = e.at;
      this.last = Math.max(this.last, e.at);
      try {
        e.fn();
      } finally {
        this.current = null;
      }
    }
    if (!this.closed) this.arm();
  }

  private push(e: Pending): void {
    const q = this.queue;
    q.push(e);
    let i = q.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(q[i], q[parent])) break;
      [q[i], q[parent]] = [q[parent], q[i]];
      i = parent;
    }
  }

  private pop(): Pending {
    const q = this.queue;
    const top = q[0];
    const end = q.pop()!;
    if (q.length > 0) {
      q[0] = end;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < q.length && before(q[l], q[m])) m = l;
        if (r < q.length && before(q[r], q[m])) m = r;
        if (m === i) break;
        [q[i], q[m]] = [q[m], q[i]];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Pending, b: Pending): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
