// Queueing delay against each hop class's own base round trip: the same queue reads the same
// on a near meter and a far one, and a mix of near and far meters with no queue reads as none.
import { describe, expect, it } from 'vitest';
import { QueueDelay } from '../../../../dcu/links/g3/queue-delay.js';

/** Unloaded round trip of an h-hop exchange: 2h hops of 1650 ms and 400 ms in the meter. */
const base = (h: number) => 2 * h * 1650 + 400;

describe('QueueDelay', () => {
  it('a mix of near and far meters with no queue: no queueing, inflation 1', () => {
    const q = new QueueDelay();
    expect(q.inflation).toBeNull();
    for (let i = 0; i < 400; i++) q.sample(base(i % 3 === 0 ? 8 : 1) * (i % 2 === 0 ? 0.95 : 1.05), i % 3 === 0 ? 8 : 1);
    // Only near meters now (the end of a cycle): still no queue.
    for (let i = 0; i < 100; i++) q.sample(base(1) * (i % 2 === 0 ? 0.95 : 1.05), 1);
    expect(q.queueingMs).toBeLessThan(0.1 * base(1));
    expect(q.inflation!).toBeLessThan(1.15);
  });

  it('a lucky first answer does not become the base: the same round trips later read as no queue', () => {
    const q = new QueueDelay();
    // One hop varies several-fold: the first answer came in a fifth of the usual time.
    q.sample(base(1) / 5, 1);
    for (let i = 0; i < 300; i++) q.sample(base(1) * (i % 2 === 0 ? 0.9 : 1.1), 1);
    expect(q.inflation!).toBeLessThan(1.2);
  });

  it('the same queue reads as the same delay whether near or far meters answer', () => {
    const loaded = (hops: number) => {
      const q = new QueueDelay();
      for (let i = 0; i < 64; i++) q.sample(base(hops), hops);
      for (let i = 0; i < 200; i++) q.sample(base(hops) + 2000, hops);
      return q.queueingMs;
    };
    expect(loaded(1)).toBeCloseTo(2000, -1);
    expect(loaded(8)).toBeCloseTo(2000, -1);
  });

  it('inflation follows Vegas: a 2 s queue is a large share of a near meter\'s round trip, a small one of a far meter\'s', () => {
    const q = new QueueDelay();
    for (let i = 0; i < 64; i++) q.sample(base(1), 1);
    for (let i = 0; i < 200; i++) q.sample(base(1) + 2000, 1);
    expect(q.inflation!).toBeCloseTo((base(1) + 2000) / base(1), 1);
  });
});
