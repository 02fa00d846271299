import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CaptureTimeline } from '../../../simulators/meter/timeline.js';

describe('CaptureTimeline', () => {
  it('counts, finds and lists captured slots as brute force does (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 40 })), { maxLength: 5 }),
        fc.integer({ min: 0, max: 250 }), fc.integer({ min: 0, max: 250 }),
        (gaps, a, len) => {
          const period = 10;
          const tl = new CaptureTimeline(period, 3, gaps.map(([f, l]) => ({ from: f * 7, to: f * 7 + l * 7 })));
          const b = a + len;
          const brute: number[] = [];
          for (let s = a; s <= b; s++) {
            const t = s * period + 3;
            if (!gaps.some(([f, l]) => t >= f * 7 && t < f * 7 + l * 7)) brute.push(s);
          }
          expect(tl.slots(a, b)).toEqual(brute);
          expect(tl.count(a, b)).toBe(brute.length);
          brute.forEach((s, k) => expect(tl.nth(a, k + 1, b)).toBe(s));
          for (let s = a; s <= b; s++) expect(tl.captured(s)).toBe(brute.includes(s));
        },
      ),
    );
  });

  it('maps times to slots at the period and phase', () => {
    const tl = new CaptureTimeline(900_000, 0, []);
    expect(tl.firstAtOrAfter(900_000)).toBe(1);
    expect(tl.firstAtOrAfter(900_001)).toBe(2);
    expect(tl.lastAtOrBefore(1_799_999)).toBe(1);
    expect(tl.timeOf(3)).toBe(2_700_000);
  });
});
