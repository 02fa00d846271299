// How many DLMS requests the DCU keeps in flight on one PLC network at once. The channel
// is slow and shared: too few requests leave it idle, too many fill the modems' buffers,
// collide and time out — and the retries make it worse (congestion collapse). So the limit
// adapts, the way TCP's congestion window does:
//   - slow start, then additive increase (+1 per window's worth of answers) while answers
//     come back in time;
//   - multiplicative decrease (halve) when the modem says busy or no-buffers, and on
//     timeouts when they come more often than usual. PLC loses frames at random (noise, a
//     weak link) at a steady rate: a loss-based window would shrink to ~1/√p for nothing.
//     So a timeout counts as congestion only when the recent loss rate rises clearly above
//     the long-run rate while round trips grow too — by half, or less the further losses
//     rose (a noisier line loses more without any queue: cutting then would only slow the
//     cycle down);
//   - delay-based: the round trip per hop, smoothed over many answers (one PLC hop varies
//     several-fold by itself), well above its smallest smoothed value means queues are
//     growing on the channel: a gentler decrease, before losses start;
//   - queueing delay, Vegas-like: requests in flight × (1 − smallest ÷ current round trip per
//     hop) estimates how many of them wait in the channel's queue rather than travel; above a
//     quarter of the window growth stops (more would only lengthen the queue, not the rate);
//   - at most one decrease per window: requests sent before a decrease do not cut again
//     (one burst of losses is one congestion event, not twenty).
// Requests beyond the limit wait, highest priority first (commands before reads), then in
// order of arrival. No timers, no clock: callers report what happened.

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
  /** Lost to congestion: no answer in time, or the modem said busy / no buffers. */
  | { kind: 'congestion'; cause: 'timeout' | 'busy' | 'no-buffers' }
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
  /** Smoothed round trip per hop (EWMA 1/16) and its smallest value (creeping up slowly). */
  private perHop: number | null = null;
  private perHopSamples = 0;
  private minPerHop = Infinity;
  /** The minimum is kept over two epochs of 512 answers (BBR's windowed min): when the work changes (longer frames), the base follows. */
  private epochMin = Infinity;
  private previousEpochMin = Infinity;
  /** Loss rate of the last ~16 outcomes and of the long run (~256). */
  private recentLoss = 0;
  private usualLoss = 0;
  private queueEstimate = 0;
  private readonly counters = { answers: 0, congestion: 0, delaySignals: 0, decreases: 0, peakInFlight: 0, queueHolds: 0 };

  constructor(readonly options: LimiterOptions) {
    if (!(options.min >= 1 && options.min <= options.max)) throw new RangeError(`limiter bounds ${options.min}..${options.max} are not 1 ≤ min ≤ max`);
    this.windowSize = clamp(options.initial, options.min, options.max);
    this.threshold = options.max;
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
    const { min, max } = this.options;
    if (outcome.kind === 'neutral') return;
    const lost = outcome.kind === 'congestion' && outcome.cause === 'timeout' ? 1 : 0;
    // Queues are growing: round trips (where known) well above their minimum.
    const queueing = this.perHopSamples < 16 || this.perHop! > 1.3 * this.minPerHop;
    if (outcome.kind === 'answer' || lost) {
      this.recentLoss += (lost - this.recentLoss) / 16;
      // The line's own loss rate, learnt while there is no queue (else congestion would become "usual").
      if (!queueing) this.usualLoss += (lost - this.usualLoss) / 256;
    }
    if (outcome.kind === 'congestion') {
      this.counters.congestion++;
      // busy / no-buffers: the modem itself says it is full. A timeout: only when losses are
      // up and queues with them.
      // The more the losses rose, the less queue growth it takes as evidence: a round trip per
      // hop 1.5 × its base with losses a little up, less with losses far up (a collapsing channel).
      const queueGrew = this.perHopSamples < 16 || this.perHop! > (1.5 - Math.max(0, this.recentLoss - 0.2)) * this.minPerHop;
      if (!lost || (this.recentLoss > Math.max(0.1, 1.5 * this.usualLoss + 0.05) && queueGrew)) this.decrease(sequence, 0.5);
      return;
    }
    this.counters.answers++;
    if (outcome.hops !== null) {
      const sample = outcome.roundTripMs / Math.max(1, outcome.hops);
      this.perHop = this.perHop === null ? sample : this.perHop + (sample - this.perHop) / 16;
      // Trusted after 16 samples; the minimum is over the last 512–1024 samples, so a slower base (longer frames, a worse line) is learnt again.
      if (++this.perHopSamples >= 16) {
        this.epochMin = Math.min(this.epochMin, this.perHop);
        if (this.perHopSamples % 512 === 0) [this.previousEpochMin, this.epochMin] = [this.epochMin, Infinity];
        this.minPerHop = Math.min(this.previousEpochMin, this.epochMin);
      }
      if (this.perHop > (this.options.delayFactor ?? 2) * this.minPerHop) {
        this.counters.delaySignals++;
        this.decrease(sequence, 0.8);
        return;
      }
      // Vegas: in flight × (1 − base ÷ actual) of them wait in queues; enough wait already: hold.
      if (this.perHopSamples >= 16) {
        this.queueEstimate = (this.active + 1) * Math.max(0, 1 - this.minPerHop / this.perHop);
        if (this.queueEstimate > (this.options.queueShare ?? 0.25) * this.windowSize) {
          this.counters.queueHolds++;
          return;
        }
      }
    }
    if (this.windowSize < this.threshold) this.windowSize = Math.min(max, this.windowSize + 1);
    else this.windowSize = Math.min(max, this.windowSize + 1 / this.windowSize);
    this.windowSize = Math.max(min, this.windowSize);
  }

  private decrease(sequence: number, factor: number): void {
    if (sequence < this.decreasedAt) return; // sent before the last cut: same congestion event
    this.counters.decreases++;
    this.windowSize = clamp(this.windowSize * factor, this.options.min, this.options.max);
    this.threshold = Math.max(this.options.min, this.windowSize);
    this.decreasedAt = this.sequence;
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
