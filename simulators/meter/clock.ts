// The meter's clock: an offset (and optional drift) from the real time the I/O loop
// passes in. Setting the clock changes the offset, never a timer. Configured clock jumps
// (a fault) add a step at a given real time without an event, as a faulty RTC would.
import { dateTimeFromUtc, type CosemDateTime } from '../../shared/dlms/datetime.js';
import type { ClockState } from './state.js';

export interface ClockJump {
  /** Real time (UTC ms, the `now` of the I/O loop) at which the jump happens. */
  at: number;
  /** How far the meter clock jumps (negative = back). */
  byMs: number;
}

export class MeterClock {
  constructor(
    private readonly state: ClockState,
    private readonly jumps: readonly ClockJump[],
    /** Blue Book deviation (UTC = local + deviation; CET = -60). */
    readonly deviation: number,
  ) {}

  private jumped(now: number): number {
    let sum = 0;
    for (const j of this.jumps) if (j.at <= now) sum += j.byMs;
    return sum;
  }

  /** The meter's time (UTC ms) at real time `now`. */
  time(now: number): number {
    const drift = Math.trunc(((now - this.state.driftReferenceMs) * this.state.driftPpm) / 1e6);
    return now + this.state.offsetMs + drift + this.jumped(now);
  }

  /** Sets the meter time to `target` at real time `now`; drift restarts from here. */
  set(now: number, target: number): void {
    this.state.driftReferenceMs = now;
    this.state.offsetMs = target - now - this.jumped(now);
  }

  /** A jump at run time (fault injection): no event, like an RTC glitch. */
  jump(byMs: number): void {
    this.state.offsetMs += byMs;
  }

  /** The meter's local date-time for a meter-time instant, as the clock shows it. */
  dateTime(meterTime: number, clockStatus = 0): CosemDateTime {
    return dateTimeFromUtc(meterTime, this.deviation, clockStatus);
  }
}
