// The PLC medium of one PAN: ONE channel of `capacityBps` effective bits/s that every
// transmission shares. A packet of B bytes (on air, per hop: see air.ts) relayed over h hops
// occupies the channel h·B·8/capacity seconds; transmissions queue on it first come, first
// served (each reserves its hops back to back), so the more traffic in flight, the longer
// every packet waits — the congestion a data concentrator's adaptive limit must notice.
// Busy time and bytes are counted per direction and per kind of traffic, in model ms.
import { airtimeMs } from './air.js';

export type Direction = 'down' | 'up';
export type Traffic = 'data' | 'alarm' | 'bootstrap' | 'routing' | 'management';

export interface AirCount {
  /** MAC frames put on the channel, each hop counted. */
  frames: number;
  /** Bytes on air, each hop counted. */
  bytes: number;
  /** Channel time, model ms. */
  busyMs: number;
}

export interface Transmission {
  /** When the first frame starts (after the queue), model ms. */
  start: number;
  /** Air time of one hop, model ms. */
  hopMs: number;
  /** When the last transmitted hop ends, model ms. */
  end: number;
}

const zero = (): AirCount => ({ frames: 0, bytes: 0, busyMs: 0 });

export class SharedChannel {
  private busyUntil = 0;
  readonly total: AirCount = zero();
  readonly byDirection: Record<Direction, AirCount> = { down: zero(), up: zero() };
  readonly byTraffic: Record<Traffic, AirCount> = { data: zero(), alarm: zero(), bootstrap: zero(), routing: zero(), management: zero() };

  constructor(readonly capacityBps: number) {
    if (!(capacityBps > 0)) throw new RangeError(`channel capacity must be > 0 bits/s, got ${capacityBps}`);
  }

  /**
   * Queues a transmission of `hops` hops of `frames` frames / `bytes` bytes each, at model
   * time `now`; returns when it starts and ends.
   */
  transmit(now: number, perHop: { frames: number; bytes: number }, hops: number, direction: Direction, traffic: Traffic): Transmission {
    const hopMs = airtimeMs(perHop.bytes, this.capacityBps);
    const start = Math.max(now, this.busyUntil);
    const busy = hopMs * hops;
    this.busyUntil = start + busy;
    for (const c of [this.total, this.byDirection[direction], this.byTraffic[traffic]]) {
      c.frames += perHop.frames * hops;
      c.bytes += perHop.bytes * hops;
      c.busyMs += busy;
    }
    return { start, hopMs, end: start + busy };
  }

  /** How long a transmission queued now would wait before it starts, model ms. */
  backlogMs(now: number): number {
    return Math.max(0, this.busyUntil - now);
  }
}
