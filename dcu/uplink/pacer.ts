// The publish rate cap of the outbox: at most `perSecond` batches a second, evenly spaced
// (no burst), so that a backlog after an outage drains at a rate the link and the cloud can
// take instead of all at once.
export class Pacer {
  private readonly intervalMs: number;
  private nextAt = -Infinity;

  constructor(
    perSecond: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.intervalMs = 1000 / perSecond;
  }

  /** 0 if a batch may go now, else how long to wait (ms). */
  waitMs(): number {
    return Math.max(0, Math.ceil(this.nextAt - this.clock()));
  }

  /** Takes a slot (call when a batch goes out). */
  take(): void {
    this.nextAt = Math.max(this.clock(), this.nextAt) + this.intervalMs;
  }
}
