// How many exchanges a PLC network loses by itself, and whether recent losses stand clearly
// above that. PLC loses frames at random (noise, weak links) at a steady rate that grows
// with the hops: a one-hop meter may lose 4 % of its round trips, an eight-hop one 30 %. A
// window that shrank on every loss would shrink for nothing; a rule that compared recent
// losses with one network-wide rate would fire whenever the meters being read happen to be
// far ones. So the usual loss is learnt per hop class (the mean of its first answers, then
// slowly), every outcome is compared with its own class's rate, and congestion shows as the
// excess: losses above what their classes lose anyway. A class whose rate is not known yet
// adds nothing to the excess (a network-wide rate would misjudge far meters read first).

/** Outcomes a hop class needs before its usual rate is known: before, its losses say nothing of congestion. */
const OWN_RATE_AFTER = 32;
/** How slowly a class's usual rate follows (outcomes). */
const USUAL_SPAN = 512;
/** The excess is smoothed over about this many outcomes; the recent loss over a shorter span. */
const EXCESS_SPAN = 32;
const RECENT_SPAN = 16;

class ClassRate {
  samples = 0;
  rate = 0;

  add(lost: number): void {
    this.samples++;
    this.rate += (lost - this.rate) / Math.min(this.samples, USUAL_SPAN);
  }
}

export class LineLoss {
  private readonly classes = new Map<number, ClassRate>();
  private excessLoss = 0;
  private recentLoss = 0;

  /** One exchange's outcome: lost (no answer in time) or answered, and its meter's hop count (unknown: null). */
  sample(lost: boolean, hops: number | null): void {
    const key = hops ?? 0;
    let c = this.classes.get(key);
    if (!c) this.classes.set(key, (c = new ClassRate()));
    const x = lost ? 1 : 0;
    if (c.samples >= OWN_RATE_AFTER) this.excessLoss += (x - c.rate - this.excessLoss) / EXCESS_SPAN;
    this.recentLoss += (x - this.recentLoss) / RECENT_SPAN;
    c.add(x);
  }

  /** Smoothed share of recent exchanges lost beyond what their hop classes usually lose (≈ 0 on a quiet line). */
  get excess(): number {
    return this.excessLoss;
  }

  /** Smoothed share of the last ~16 exchanges lost, whatever their classes. */
  get recent(): number {
    return this.recentLoss;
  }
}
