import { describe, expect, it } from 'vitest';
import { MAX_MISSING_RANGES, advance, isValidSeq, missingRanges } from '../../../cloud/store/sequence.js';

describe('sequence bookkeeping', () => {
  it('advances over contiguous pending numbers', () => {
    expect(advance(0, [])).toEqual({ upTo: 0, pending: [] });
    expect(advance(0, [1])).toEqual({ upTo: 1, pending: [] });
    expect(advance(1, [3])).toEqual({ upTo: 1, pending: [3] });
    expect(advance(1, [4, 2, 3, 7])).toEqual({ upTo: 4, pending: [7] });
  });

  it('lists the gaps above upTo as inclusive ranges, at most MAX_MISSING_RANGES', () => {
    expect(missingRanges(1, [])).toEqual([]);
    expect(missingRanges(1, [3])).toEqual([[2, 2]]);
    expect(missingRanges(0, [4, 5, 9])).toEqual([[1, 3], [6, 8]]);
    const many = Array.from({ length: 100 }, (_, i) => 2 * (i + 1));
    const ranges = missingRanges(0, many);
    expect(ranges).toHaveLength(MAX_MISSING_RANGES);
    expect(ranges[0]).toEqual([1, 1]);
  });

  it('accepts 1, 2, 3… as sequence numbers', () => {
    expect([1, 2 ** 40].every(isValidSeq)).toBe(true);
    expect([0, -1, 1.5, NaN, '1', null, 2 ** 60].some(isValidSeq)).toBe(false);
  });
});
