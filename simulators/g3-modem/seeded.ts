// Deterministic draws for the PLC network: every random choice is a pure function of the
// seed, a stream (what is being decided), a node and a per-node counter, so a run with
// the same seed and the same host behaviour makes the same choices (join times, latencies,
// losses), whatever the wall clock did in between.
import { unitFrom } from '../meter/hash.js';

/** What a draw decides; each gets its own stream so adding draws of one kind does not shift the others. */
export const Stream = {
  topology: 1,
  joinTime: 2,
  hopLatency: 3,
  loss: 4,
  processing: 5,
  linkCost: 6,
  alarmTime: 7,
  alarmBit: 8,
  retry: 9,
  lqi: 10,
  parent: 11,
} as const;
export type StreamId = (typeof Stream)[keyof typeof Stream];

export class Draws {
  private readonly counters = new Map<string, number>();

  constructor(readonly seed: number) {}

  /** A uniform number in [0, 1) fixed by (seed, stream, key, index): the same on every call. */
  fixed(stream: StreamId, key: number, index = 0): number {
    return unitFrom(this.seed, stream, key, index);
  }

  /** The next uniform number in [0, 1) of the sequence (stream, key). */
  next(stream: StreamId, key: number): number {
    const name = `${stream}:${key}`;
    const n = this.counters.get(name) ?? 0;
    this.counters.set(name, n + 1);
    return unitFrom(this.seed, stream, key, n, 0x5eed);
  }

  /** Uniform in [min, max]. */
  between(stream: StreamId, key: number, min: number, max: number): number {
    return min + (max - min) * this.next(stream, key);
  }

  /** True with probability p. */
  chance(stream: StreamId, key: number, p: number): boolean {
    return p > 0 && this.next(stream, key) < p;
  }
}
