// How many DLMS requests the DCU keeps in flight on one PLC network at once. The channel
// is slow and shared: too few requests leave it idle, too many fill the modems' buffers,
// collide and time out — and the retries make it worse (congestion collapse). So the limit
// adapts, the way TCP's congestion window does:
//   - slow start, then additive increase (+1 per window's worth of answers) while answers
//     come back in time;
//   - multiplicative decrease (halve) when the modem says busy, and on timeouts only when
//     they say congestion. PLC loses frames at random (noise, a weak link) at a steady rate,
//     and a far meter loses several times more than a near one: a loss-based window would
//     shrink to ~1/√p for nothing. So a timeout counts as congestion when losses rise clearly
//     above what their hop classes lose anyway (line-loss.ts) while round trips are 1.6 ×
//     their base, or when most recent exchanges are lost (a collapsing channel leaves no
//     answers to time);
//   - delay-based: round trips against their hop class's base (queue-delay.ts: a queue adds
//     the same wait to a near meter's exchange as to a far one's, so dividing by hops would
//     misread it): smoothed, twice the base means queues are growing — a gentler decrease,
//     before losses start;
//   - queueing delay, Vegas-like: requests in flight × (1 − base ÷ round trip) estimates how
//     many of them wait in the channel's queue rather than travel; above a quarter of the
//     window growth stops (more would only lengthen the queue, not the rate);
//   - at most one decrease per window: requests sent before a decrease do not cut again
//     (one burst of losses is one congestion event, not twenty).
// Requests beyond the limit wait, highest priority first (commands before reads), then in
// order of arrival. No timers, no clock: callers report what happened.

import { LineLoss } from './line-loss.js';
import { QueueDelay } from './queue-delay.js';

export interface LimiterOptions {
  min: number;
  max: number;
  initial: number;
  /** A smoothed round trip per hop above this × its smallest value is a delay signal (default 2). */
  delayFactor?: number;
  /** Growth stops while more than this share of the window waits in queues (default 0.25). */
  queueShare?: number;
}

export type SlotOutcome =
  /** The answer came; its round trip and the meter's hop count (unknown: null). */
  | { kind: 'answer'; roundTripMs: number; hops: number | null }
  /** No answer in time (a loss, or a queue longer than the timeout); the meter's hop count. */
  | { kind: 'congestion'; cause: 'timeout'; hops: number | null }
  /** The modem said busy / no buffers. */
  | { kind: 'congestion'; cause: 'busy' | 'no-buffers' }
  /** Nothing learned about the channel (route error, modem reset, cancelled). */
  | { kind: 'neutral' };

export interface Slot {
  readonly sequence: number;
  /** Gives the slot back; the first call counts, later ones are ignored. */
  release(outcome: SlotOutcome): void;
}

export interface LimiterStats {
  window: number;
  inFlight: number;
  queued: number;
  answers: number;
  congestion: number;
  delaySignals: number;
  decreases: number;
  /** Decreases by cause: the modem said busy, timeouts with losses and queues up, round trips well above their base. */
  decreasesOnBusy: number;
  decreasesOnTimeouts: number;
  decreasesOnDelay: number;
  /** Largest number in flight at once so far. */
  peakInFlight: number;
  /** Requests estimated to wait in queues (Vegas' diff), at the last answer. */
  queueEstimate: number;
  /** Answers that did not grow the limit because queues were building. */
  queueHolds: number;
}

interface Waiting {
  priority: number;
  order: number;
  start: (slot: Slot) => void;
}

export class AdaptiveLimiter {
  private windowSize: number;
  private threshold: number;
  private active = 0;
  private waiting: Waiting[] = [];
  private order = 0;
  private sequence = 0;
  /** Requests with a sequence below this were sent before the last decrease. */
  private decreasedAt = 0;
  /** Round trips against their hop class's base: how much of them is queueing. */
  private readonly delay = new QueueDelay();
  /** Losses against what each hop class loses anyway. */
  private readonly loss = new LineLoss();
  private queueEstimate = 0;
  private readonly counters = { answers: 0, congestion: 0, delaySignals: 0, decreases: 0, decreasesOnBusy: 0, decreasesOnTimeouts: 0, decreasesOnDelay: 0, peakInFlight: 0, queueHolds: 0 };

  constructor(readonly options: LimiterOptions) {
    if (!(options.min >= 1 && options.min <= options.max)) throw new RangeError(`limiter bounds ${options.min}..${options.max} are not 1 ≤ min ≤ max`);
    this.windowSize = clamp(options.initial, options.min, options.max);
    this.threshold = options.max;
  }

  /** Smoothed time answers spend waiting in the channel's queues now, ms (0 until known). */
  get queueingMs(): number {
    return this.delay.queueingMs;
  }

  /** The current limit (whole requests). */
  get limit(): number {
    return Math.floor(this.windowSize);
  }

  stats(): LimiterStats {
    return { window: this.windowSize, inFlight: this.active, queued: this.waiting.length, queueEstimate: this.queueEstimate, ...this.counters };
  }

  /** Resolves when the request may go; higher priority first. */
  acquire(priority = 0): Promise<Slot> {
    return new Promise((start) => {
      this.waiting.push({ priority, order: this.order++, start });
      this.waiting.sort((a, b) => b.priority - a.priority || a.order - b.order);
      this.pump();
    });
  }

  /** After a modem reset nothing is known about the channel any more: start low again. */
  restart(): void {
    this.windowSize = this.options.min;
    this.threshold = Math.max(this.options.min, Math.floor(this.options.max / 2));
    this.decreasedAt = this.sequence;
  }

  private pump(): void {
    while (this.active < this.limit && this.waiting.length > 0) {
      const next = this.waiting.shift()!;
      this.active++;
      this.counters.peakInFlight = Math.max(this.counters.peakInFlight, this.active);
      next.start(this.slot());
    }
  }

  private slot(): Slot {
    const sequence = this.sequence++;
    let released = false;
    return {
      sequence,
      release: (outcome) => {
        if (released) return;
        released = true;
        this.active--;
        this.learn(sequence, outcome);
        this.pump();
      },
    };
  }

  private learn(sequence: number, outcome: SlotOutcome): void {
    if (outcome.kind === 'neutral') return;
    const inflation = this.delay.inflation;
    if (outcome.kind === 'congestion') {
      this.counters.congestion++;
      // busy / no-buffers: the modem itself says it is full.
      if (outcome.cause !== 'timeout') return this.decrease(sequence, 0.5, 'decreasesOnBusy');
      this.loss.sample(true, outcome.hops);
      // A timeout: when losses stand clearly above the line's own (≈ 4 σ of its noise at
      // 10 % loss) while queues grew — round trips 1.6 × their base (before a base is known a
      // timeout says nothing of queues) — or when most recent exchanges are lost: a
      // collapsing channel leaves no answers to time.
      const queueGrew = inflation !== null && inflation > 1.6;
      if ((this.loss.excess > 0.15 && queueGrew) || this.loss.recent > 0.7) this.decrease(sequence, 0.5, 'decreasesOnTimeouts');
      return;
    }
    this.loss.sample(false, outcome.hops);
    this.counters.answers++;
    this.delay.sample(outcome.roundTripMs, outcome.hops);
    const now = this.delay.inflation;
    if (now !== null) {
      if (now > (this.options.delayFactor ?? 2)) {
        this.counters.delaySignals++;
        this.decrease(sequence, 0.8, 'decreasesOnDelay');
        return;
      }
      // Vegas: in flight × (1 − base ÷ actual) of them wait in queues; enough wait already: hold.
      this.queueEstimate = (this.active + 1) * (1 - 1 / now);
      if (this.queueEstimate > (this.options.queueShare ?? 0.25) * this.windowSize) {
        this.counters.queueHolds++;
        return;
      }
    }
    const grown = this.windowSize < this.threshold ? this.windowSize + 1 : this.windowSize + 1 / this.windowSize;
    this.windowSize = clamp(grown, this.options.min, this.options.max);
  }

  private decrease(sequence: number, factor: number, cause: 'decreasesOnBusy' | 'decreasesOnTimeouts' | 'decreasesOnDelay'): void {
    if (sequence < this.decreasedAt) return; // sent before the last cut: same congestion event
    this.counters.decreases++;
    this.counters[cause]++;
    this.windowSize = clamp(this.windowSize * factor, this.options.min, this.options.max);
    this.threshold = Math.max(this.options.min, this.windowSize);
    this.decreasedAt = this.sequence;
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
