// Half-open time ranges [from, to) in UTC ms of the meter's own clock: outages (no power,
// no capture, no energy) and periods with the relay open (no energy).

export interface TimeRange {
  from: number;
  /** Exclusive; Infinity for a range that has not ended. */
  to: number;
}

/** Sorted, non-overlapping, non-empty ranges (touching ones joined). */
export function mergeRanges(ranges: readonly TimeRange[]): TimeRange[] {
  const sorted = ranges.filter((r) => r.to > r.from).map((r) => ({ from: r.from, to: r.to }));
  sorted.sort((x, y) => x.from - y.from);
  const out: TimeRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && r.from <= last.to) last.to = Math.max(last.to, r.to);
    else out.push(r);
  }
  return out;
}

/** The range of `merged` that holds `t`, if any (binary search). */
export function rangeAt(merged: readonly TimeRange[], t: number): TimeRange | undefined {
  let lo = 0;
  let hi = merged.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = merged[mid];
    if (t < r.from) hi = mid - 1;
    else if (t >= r.to) lo = mid + 1;
    else return r;
  }
  return undefined;
}

export function checkRanges(ranges: readonly TimeRange[], what: string): void {
  for (const r of ranges) {
    if (!Number.isFinite(r.from) || Number.isNaN(r.to) || r.to < r.from) {
      throw new RangeError(`${what}: [${r.from}, ${r.to}) is not a time range`);
    }
  }
}
