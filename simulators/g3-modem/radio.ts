// Carrying one packet between the coordinator and a node over h hops: the channel queue
// (channel.ts), a seeded latency per hop (CSMA back-off, MAC retries, processing: uniform
// in hopLatencyMs) and a seeded loss per hop. Each hop loses the frame with probability
// lossPerHop after the MAC's own retries, so P(delivered) = (1 − p)^h, drawn independently
// for a request and for its answer. A frame lost at hop k still used the channel for hops
// 1..k. Timeline of one packet, in model ms:
//   start      = max(now, channel free)            (queued behind everything before it)
//   hop i ends = start + i·air + L1 + … + Li        (air = one hop's air time, Li its latency)
//   firstHopAt = when hop 1 ends: the sender's MAC knows then whether its neighbour took it
//   arriveAt   = when the last hop ends (or when it was lost)
// The channel is reserved for the hops back to back; the latencies overlap other traffic.
import { type Direction, SharedChannel, type Traffic } from './channel.js';
import type { OnAir } from './air.js';
import { type Draws, Stream } from './seeded.js';

export interface Carried {
  /** 1-based hop where the frame was lost, or null: delivered. */
  lostAtHop: number | null;
  firstHopAt: number;
  arriveAt: number;
}

export interface RadioModel {
  capacityBps: number;
  hopLatencyMs: { min: number; max: number };
  lossPerHop: number;
}

export class Radio {
  readonly channel: SharedChannel;
  lossPerHop: number;

  constructor(readonly model: RadioModel, private readonly draws: Draws) {
    const { min, max } = model.hopLatencyMs;
    if (!(min >= 0 && max >= min)) throw new RangeError(`hop latency range ${min}..${max} ms is not 0 ≤ min ≤ max`);
    this.channel = new SharedChannel(model.capacityBps);
    this.lossPerHop = checkLoss(model.lossPerHop);
  }

  setLossPerHop(p: number): void {
    this.lossPerHop = checkLoss(p);
  }

  /**
   * Puts a packet on the air at model time `now` for node `key` (the draws follow the node).
   * `lossless` for exchanges the model retries below the host's view until they get through.
   */
  carry(now: number, key: number, perHop: OnAir, hops: number, direction: Direction, traffic: Traffic, lossless = false): Carried {
    let lostAtHop: number | null = null;
    if (!lossless) {
      for (let k = 1; k <= hops && lostAtHop === null; k++) if (this.draws.chance(Stream.loss, key, this.lossPerHop)) lostAtHop = k;
    }
    const sent = lostAtHop ?? hops;
    const tx = this.channel.transmit(now, perHop, sent, direction, traffic);
    const { min, max } = this.model.hopLatencyMs;
    let at = tx.start;
    let firstHopAt = 0;
    for (let k = 1; k <= sent; k++) {
      at += tx.hopMs + this.draws.between(Stream.hopLatency, key, min, max);
      if (k === 1) firstHopAt = at;
    }
    return { lostAtHop, firstHopAt, arriveAt: at };
  }
}

function checkLoss(p: number): number {
  if (!(p >= 0 && p < 1)) throw new RangeError(`loss per hop must be in [0, 1), got ${p}`);
  return p;
}
