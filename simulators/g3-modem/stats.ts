// What the simulated PAN counts, for tests and benchmarks. Air time and bytes are model
// (unscaled) quantities, each hop counted, so `airtimeLowerBoundMs` — bytes on air × 8 ÷
// capacity — is the channel time a set of exchanges needs at the very least, however well
// a data concentrator schedules them (the lower bound of a daily reading cycle).
import type { AirCount, Direction, SharedChannel, Traffic } from './channel.js';

export interface DataCounts {
  /** ADPD-DATA.requests the modem took in (accepted or not). */
  requests: number;
  /** …refused at once: no buffers (0xB4). */
  noBuffers: number;
  /** …refused: not started, bad IPv6 packet, unknown destination. */
  refused: number;
  /** Confirms with route error (0xA5): broken or unknown route. */
  routeErrors: number;
  /** Confirms with NO_ACK (0xE9): lost on the first hop. */
  noAck: number;
  /** Requests delivered to the meter. */
  delivered: number;
  /** Requests lost on the way (first hop included). */
  lost: number;
  /** Requests equal to the previous one to the same meter: the host's retransmissions. */
  retransmittedByHost: number;
  /** Answers the meters sent; those that reached the coordinator; those lost on the way. */
  answers: number;
  answersDelivered: number;
  answersLost: number;
  /** Answers that reached the coordinator but are too long for one USI frame: dropped by the modem. */
  answersTooLong: number;
  /** Requests the meter did not answer (closed port, not for its wPort, bad wrapper). */
  unanswered: number;
}

export interface G3Stats {
  capacityBps: number;
  /** Model ms since the simulator started. */
  elapsedMs: number;
  /** Everything on the channel, each hop counted. */
  onAir: AirCount;
  /** Channel time of `onAir.bytes` at the capacity, model ms (= onAir.busyMs). */
  airtimeLowerBoundMs: number;
  byDirection: Record<Direction, AirCount>;
  byTraffic: Record<Traffic, AirCount>;
  data: DataCounts;
  joins: { requests: number; completed: number; retries: number };
  leaves: number;
  alarms: { pushed: number; delivered: number; lost: number };
  routeDiscoveries: number;
  pathDiscoveries: number;
  /** USI frames from the host that were bad (CRC, length…) or of another protocol. */
  badFrames: number;
  /** Times the modem forgot its network and what was in flight: reset(), hang(), each ADP-INITIALIZE. */
  initializations: number;
}

export function newDataCounts(): DataCounts {
  return {
    requests: 0, noBuffers: 0, refused: 0, routeErrors: 0, noAck: 0, delivered: 0, lost: 0, retransmittedByHost: 0,
    answers: 0, answersDelivered: 0, answersLost: 0, answersTooLong: 0, unanswered: 0,
  };
}

export class Counters {
  readonly data = newDataCounts();
  readonly joins = { requests: 0, completed: 0, retries: 0 };
  readonly alarms = { pushed: 0, delivered: 0, lost: 0 };
  leaves = 0;
  routeDiscoveries = 0;
  pathDiscoveries = 0;
  badFrames = 0;
  initializations = 0;

  snapshot(channel: SharedChannel, elapsedMs: number): G3Stats {
    const copy = (c: AirCount): AirCount => ({ ...c });
    return {
      capacityBps: channel.capacityBps,
      elapsedMs,
      onAir: copy(channel.total),
      airtimeLowerBoundMs: (channel.total.bytes * 8 * 1000) / channel.capacityBps,
      byDirection: { down: copy(channel.byDirection.down), up: copy(channel.byDirection.up) },
      byTraffic: Object.fromEntries(Object.entries(channel.byTraffic).map(([k, v]) => [k, copy(v)])) as Record<Traffic, AirCount>,
      data: { ...this.data },
      joins: { ...this.joins },
      leaves: this.leaves,
      alarms: { ...this.alarms },
      routeDiscoveries: this.routeDiscoveries,
      pathDiscoveries: this.pathDiscoveries,
      badFrames: this.badFrames,
      initializations: this.initializations,
    };
  }
}
