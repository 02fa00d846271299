// Per (DCU, epoch, stream) sequence bookkeeping, without I/O: the store keeps the highest contiguous
// stored sequence number (upTo) and the set of stored numbers above it (pending); these
// functions say what a new batch does to them. Both stores use them, so they agree.

/** An ack lists at most this many missing ranges (the rest follows once those arrive). */
export const MAX_MISSING_RANGES = 32;

/** A sequence number the store accepts: 1, 2, 3… (a DCU starts at 1). */
export function isValidSeq(seq: unknown): seq is number {
  return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 1;
}

/**
 * Moves upTo over the pending numbers that continue it. `pending` must hold distinct numbers
 * above upTo (any order). Returns the new upTo and the numbers still pending, ascending.
 */
export function advance(upTo: number, pending: readonly number[]): { upTo: number; pending: number[] } {
  const sorted = [...pending].sort((a, b) => a - b);
  let next = upTo;
  let i = 0;
  while (i < sorted.length && sorted[i] === next + 1) {
    next += 1;
    i += 1;
  }
  return { upTo: next, pending: sorted.slice(i) };
}

/** The gaps between upTo and the pending numbers (ascending, all > upTo) as inclusive ranges. */
export function missingRanges(upTo: number, pending: readonly number[], limit = MAX_MISSING_RANGES): [number, number][] {
  const ranges: [number, number][] = [];
  let last = upTo;
  for (const seq of pending) {
    if (seq > last + 1) {
      if (ranges.length >= limit) break;
      ranges.push([last + 1, seq - 1]);
    }
    last = Math.max(last, seq);
  }
  return ranges;
}
