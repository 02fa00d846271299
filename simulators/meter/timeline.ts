// When a periodic profile captures: slot s is the instant s × period + phase, and a slot
// that falls inside an outage is missing. Counting and finding the n-th captured slot
// work on the gaps, so a buffer of years is addressed without listing its entries.
import { type TimeRange, mergeRanges, rangeAt } from './ranges.js';

export class CaptureTimeline {
  /** Missing slots as merged half-open slot ranges [from, to). */
  private readonly gaps: TimeRange[];

  constructor(readonly periodMs: number, readonly phaseMs: number, outages: readonly TimeRange[]) {
    this.gaps = mergeRanges(outages.map((o) => ({ from: this.firstAtOrAfter(o.from), to: this.firstAtOrAfter(o.to) })));
  }

  timeOf(slot: number): number {
    return slot * this.periodMs + this.phaseMs;
  }

  firstAtOrAfter(t: number): number {
    return t === Infinity ? Infinity : Math.ceil((t - this.phaseMs) / this.periodMs);
  }

  lastAtOrBefore(t: number): number {
    return Math.floor((t - this.phaseMs) / this.periodMs);
  }

  captured(slot: number): boolean {
    return rangeAt(this.gaps, slot) === undefined;
  }

  /** The first captured slot at or after `slot`. */
  next(slot: number): number {
    return rangeAt(this.gaps, slot)?.to ?? slot;
  }

  /** Captured slots in [a, b]. */
  count(a: number, b: number): number {
    if (b < a) return 0;
    let n = b - a + 1;
    for (const g of this.gaps) {
      if (g.from > b) break;
      n -= Math.max(0, Math.min(g.to, b + 1) - Math.max(g.from, a));
    }
    return n;
  }

  /** The n-th (1-based) captured slot from `a` on, known to lie at or before `hi`. */
  nth(a: number, n: number, hi: number): number {
    let lo = a;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.count(a, mid) >= n) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Captured slots in [a, b], in order, at most `limit`. */
  slots(a: number, b: number, limit = Infinity): number[] {
    const out: number[] = [];
    for (let s = this.next(a); s <= b && out.length < limit; s = this.next(s + 1)) out.push(s);
    return out;
  }
}
