// How much of a round trip is spent waiting in queues. A G3 exchange's round trip grows with
// its route's hop count (every hop adds its latency, both ways) and with the queue on the
// shared channel, which is one wait per frame whatever the hops. Dividing by hops would make
// the same queue look eight times larger on a one-hop meter than on an eight-hop one; so the
// base round trip is learnt per hop count instead: the smallest smoothed round trip of that
// class over its last 512–1024 answers (a windowed minimum, as in BBR, so that a slower base
// — longer frames, a worse line — is learnt again). The queueing delay is the smoothed excess
// of answers over their own class's base; the inflation is (base + queueing) ÷ base over the
// mix of classes being read: 1 means no queue.

/** Answers a hop class needs before its base is trusted. */
const TRUSTED_AFTER = 16;
/** A windowed minimum's epoch, in answers of the class. */
const EPOCH = 512;

class HopClass {
  private smoothed: number | null = null;
  samples = 0;
  private epochMin = Infinity;
  private previousEpochMin = Infinity;

  add(roundTripMs: number): void {
    // The mean of the first 16, then smoothed over ~16: a lucky first answer (one hop alone
    // varies 0.3–3 s) must not become the base.
    this.samples++;
    this.smoothed = this.smoothed === null ? roundTripMs : this.smoothed + (roundTripMs - this.smoothed) / Math.min(16, this.samples);
    if (this.samples < TRUSTED_AFTER) return;
    this.epochMin = Math.min(this.epochMin, this.smoothed);
    if (this.samples % EPOCH === 0) [this.previousEpochMin, this.epochMin] = [this.epochMin, Infinity];
  }

  get trusted(): boolean {
    return this.samples >= TRUSTED_AFTER;
  }

  /** The class's base round trip, ms. */
  get base(): number {
    return Math.min(this.previousEpochMin, this.epochMin);
  }
}

export class QueueDelay {
  private readonly classes = new Map<number, HopClass>();
  /** Smoothed queueing delay and base round trip of the answers, ms. */
  private excess = 0;
  private base = 0;
  private samples = 0;

  /** One answer's round trip and its meter's hop count (unknown: its own class). */
  sample(roundTripMs: number, hops: number | null): void {
    const key = hops ?? 0;
    let c = this.classes.get(key);
    if (!c) this.classes.set(key, (c = new HopClass()));
    c.add(roundTripMs);
    if (!c.trusted) return;
    this.excess += (roundTripMs - c.base - this.excess) / 16;
    this.base = this.samples++ === 0 ? c.base : this.base + (c.base - this.base) / 16;
  }

  /** Smoothed time answers spent in queues, ms (0 until a base is known). */
  get queueingMs(): number {
    return Math.max(0, this.excess);
  }

  /** (base + queueing) ÷ base over the recent answers, ≥ 1; null until enough are known. */
  get inflation(): number | null {
    if (this.samples < TRUSTED_AFTER || this.base <= 0) return null;
    return Math.max(1, (this.base + this.excess) / this.base);
  }
}
