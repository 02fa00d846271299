// The adaptive limit of requests in flight: slow start and additive increase while answers
// come back, one multiplicative decrease per burst of losses, a gentler one when the round
// trip per hop grows, no growth while queues build (Vegas), a base that follows a slower
// channel, bounds kept, priority order in the queue — and, on a simulated
// channel of fixed capacity, a limit that settles near what the channel carries.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AdaptiveLimiter, type Slot } from '../../../../dcu/links/g3/limiter.js';

async function take(l: AdaptiveLimiter, n: number, priority = 0): Promise<Slot[]> {
  return Promise.all(Array.from({ length: n }, () => l.acquire(priority)));
}

describe('AdaptiveLimiter', () => {
  it('grows while answers come in time: +1 per answer up to the threshold, then about +1 per window', async () => {
    const l = new AdaptiveLimiter({ min: 1, max: 64, initial: 2 });
    for (const s of await take(l, 2)) s.release({ kind: 'answer', roundTripMs: 100, hops: 1 });
    expect(l.limit).toBe(4);
    // The modem's no-buffers sets the threshold; beyond it growth is additive.
    (await l.acquire()).release({ kind: 'congestion', cause: 'no-buffers' });
    expect(l.limit).toBe(2);
    for (let i = 0; i < 2; i++) for (const s of await take(l, l.limit)) s.release({ kind: 'answer', roundTripMs: 100, hops: 1 });
    expect(l.limit).toBe(3);
  });

  it('a burst of timeouts from one window (most exchanges lost: a collapsing channel) halves the limit once, not once per loss', async () => {
    const l = new AdaptiveLimiter({ min: 1, max: 64, initial: 32 });
    const slots = await take(l, 32);
    for (const s of slots) s.release({ kind: 'congestion', cause: 'timeout', hops: 1 });
    expect(l.limit).toBe(16);
    expect(l.stats()).toMatchObject({ congestion: 32, decreases: 1, decreasesOnTimeouts: 1 });
    // A request sent after the cut that fails again cuts again.
    (await l.acquire()).release({ kind: 'congestion', cause: 'no-buffers' });
    expect(l.limit).toBe(8);
  });

  it('backs off when smoothed round trips grow well above their hop class\'s base, before any loss', async () => {
    const l = new AdaptiveLimiter({ min: 1, max: 64, initial: 10 });
    // Noisy per-hop times (one PLC hop varies several-fold) around 100 ms: no signal.
    for (let i = 0; i < 64; i++) (await l.acquire()).release({ kind: 'answer', roundTripMs: 3 * (i % 2 === 0 ? 30 : 170), hops: 3 });
    expect(l.stats().delaySignals).toBe(0);
    const before = l.limit;
    // Queues grow: 400 ms per hop.
    for (let i = 0; i < 32; i++) (await l.acquire()).release({ kind: 'answer', roundTripMs: 1200, hops: 3 });
    expect(l.stats().delaySignals).toBeGreaterThan(0);
    expect(l.limit).toBeLessThan(before);
  });

  it('stops growing while queues build (Vegas: in flight × (1 − base ÷ round trip) above a quarter of the window), without cutting', async () => {
    // The whole window in flight each round, 2 hops; the same answers, one channel with and one without a queue.
    const round = async (l: AdaptiveLimiter, perHopMs: number) => {
      for (const s of await take(l, l.limit)) s.release({ kind: 'answer', roundTripMs: 2 * perHopMs, hops: 2 });
    };
    const free = new AdaptiveLimiter({ min: 1, max: 1000, initial: 20 });
    const queued = new AdaptiveLimiter({ min: 1, max: 1000, initial: 20 });
    for (let i = 0; i < 2; i++) {
      await round(free, 100);
      await round(queued, 100);
    }
    expect(queued.limit).toBe(free.limit);
    // Now one channel queues: 170 ms per hop, below the delay signal (2 ×), well above the base.
    for (let i = 0; i < 3; i++) {
      await round(free, 100);
      await round(queued, 170);
    }
    expect(queued.stats()).toMatchObject({ decreases: 0, delaySignals: 0 });
    expect(queued.stats().queueHolds).toBeGreaterThan(0);
    expect(free.stats().queueHolds).toBe(0);
    expect(queued.limit).toBeLessThan(free.limit);
  });

  it('learns a slower base again: when every round trip per hop stays higher for good (longer frames), growth resumes', async () => {
    const l = new AdaptiveLimiter({ min: 1, max: 48, initial: 48 });
    const answers = async (n: number, perHopMs: number) => {
      for (let done = 0; done < n; ) {
        const slots = await take(l, l.limit);
        for (const s of slots) s.release({ kind: 'answer', roundTripMs: perHopMs, hops: 1 });
        done += slots.length;
      }
    };
    await answers(600, 100);
    // The work changes: 160 ms per hop from now on, no queue behind it. At first it looks like one.
    await answers(200, 160);
    const held = l.stats().queueHolds;
    expect(held).toBeGreaterThan(0);
    // After two windows of the minimum (≤ 1024 answers) the base is 160 ms: no more holds.
    await answers(1100, 160);
    const settled = l.stats().queueHolds;
    await answers(300, 160);
    expect(l.stats().queueHolds).toBe(settled);
    expect(l.stats().decreases).toBe(0);
  });

  it('steady random loss does not shrink the limit, nor more loss without queues; losses with growing round trips do', async () => {
    const l = new AdaptiveLimiter({ min: 1, max: 64, initial: 4, delayFactor: 100 });
    for (let i = 0; i < 600; i++) (await l.acquire()).release(i % 20 === 19 ? { kind: 'congestion', cause: 'timeout', hops: 1 } : { kind: 'answer', roundTripMs: 100, hops: 1 });
    expect(l.limit).toBe(64);
    // A noisier line: every other request lost, round trips as before.
    for (let i = 0; i < 32; i++) (await l.acquire()).release(i % 2 === 0 ? { kind: 'congestion', cause: 'timeout', hops: 1 } : { kind: 'answer', roundTripMs: 100, hops: 1 });
    expect(l.limit).toBe(64);
    // Congestion: round trips grow, and losses come with them.
    for (let i = 0; i < 32; i++) (await l.acquire()).release(i % 2 === 0 ? { kind: 'congestion', cause: 'timeout', hops: 1 } : { kind: 'answer', roundTripMs: 300, hops: 1 });
    expect(l.limit).toBeLessThan(64);
  });

  it('far meters losing more than near ones is no congestion: while queues stand, losses at each hop class\'s own rate never cut', async () => {
    // Round trips 1.8 × their base all along (a standing queue, below the delay signal); 1 hop
    // loses 4 %, 8 hops 30 %; first near meters only, then far ones only.
    const l = new AdaptiveLimiter({ min: 1, max: 64, initial: 64, delayFactor: 100 });
    const exchanges = async (hops: number, lossEvery: number, perHopMs: number, n: number) => {
      for (let i = 0; i < n; i++) {
        const s = await l.acquire();
        if (i % lossEvery === lossEvery - 1) s.release({ kind: 'congestion', cause: 'timeout', hops });
        else s.release({ kind: 'answer', roundTripMs: hops * perHopMs, hops });
      }
    };
    await exchanges(1, 25, 100, 64);
    await exchanges(8, 3, 100, 64);
    await exchanges(1, 25, 180, 400);
    await exchanges(8, 3, 180, 400);
    expect(l.stats().decreases).toBe(0);
    expect(l.limit).toBe(64);
    // Near meters losing every other exchange while queues stand: congestion.
    await exchanges(1, 2, 180, 64);
    expect(l.stats().decreasesOnTimeouts).toBeGreaterThan(0);
    expect(l.limit).toBeLessThan(64);
  });

  it('never leaves its bounds and never lets more than the limit go at once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ min: fc.integer({ min: 1, max: 4 }), span: fc.integer({ min: 0, max: 20 }) }),
        fc.array(fc.oneof(fc.constant('answer' as const), fc.constant('timeout' as const), fc.constant('busy' as const), fc.constant('slow' as const)), { maxLength: 200 }),
        async ({ min, span }, outcomes) => {
          const l = new AdaptiveLimiter({ min, max: min + span, initial: min });
          for (const o of outcomes) {
            const s = await l.acquire();
            expect(l.stats().inFlight).toBeLessThanOrEqual(l.limit);
            if (o === 'answer') s.release({ kind: 'answer', roundTripMs: 100, hops: 2 });
            else if (o === 'slow') s.release({ kind: 'answer', roundTripMs: 5000, hops: 2 });
            else if (o === 'timeout') s.release({ kind: 'congestion', cause: o, hops: 2 });
            else s.release({ kind: 'congestion', cause: o });
            expect(l.limit).toBeGreaterThanOrEqual(min);
            expect(l.limit).toBeLessThanOrEqual(min + span);
          }
        },
      ),
    );
  });

  it('serves waiting requests by priority (commands before reads), then in order', async () => {
    const l = new AdaptiveLimiter({ min: 1, max: 1, initial: 1 });
    const first = await l.acquire(0);
    const order: string[] = [];
    const served = (name: string) => (s: Slot) => {
      order.push(name);
      s.release({ kind: 'neutral' });
    };
    const waits = [l.acquire(0).then(served('read-1')), l.acquire(0).then(served('read-2')), l.acquire(2).then(served('relay'))];
    first.release({ kind: 'neutral' });
    await Promise.all(waits);
    expect(order).toEqual(['relay', 'read-1', 'read-2']);
  });

  it('on a channel that carries 12 requests at a time settles near 12 and does not collapse', async () => {
    // Requests beyond the channel's capacity queue in it; beyond twice the capacity they are lost.
    const capacity = 12;
    const l = new AdaptiveLimiter({ min: 1, max: 100, initial: 1 });
    const limits: number[] = [];
    let answered = 0;
    for (let round = 0; round < 300; round++) {
      const slots = await take(l, l.limit);
      slots.forEach((s, i) => {
        if (i >= 2 * capacity) s.release({ kind: 'congestion', cause: 'timeout', hops: 1 });
        else {
          answered++;
          s.release({ kind: 'answer', roundTripMs: 100 * Math.max(1, (i + 1) / capacity), hops: 1 });
        }
      });
      limits.push(l.limit);
    }
    const late = limits.slice(100);
    const mean = late.reduce((a, b) => a + b, 0) / late.length;
    expect(mean).toBeGreaterThan(capacity / 2);
    expect(mean).toBeLessThan(3 * capacity);
    expect(Math.min(...late)).toBeGreaterThanOrEqual(2);
    expect(answered).toBeGreaterThan(300 * capacity * 0.5);
  });
});
