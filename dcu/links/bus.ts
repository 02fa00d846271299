// An RS485 bus is half duplex and shared: one DLMS session at a time. A Bus owns the
// serial channel and hands it to one session after another, in the order asked (callers
// with a higher priority go first among those waiting).
import type { ByteChannel } from './channel.js';

interface Waiting {
  priority: number;
  order: number;
  start: () => void;
}

export class Bus implements MeterLink {
  /** Half duplex: one session at a time. */
  readonly concurrency = 1;
  private busy = false;
  private waiting: Waiting[] = [];
  private order = 0;

  constructor(readonly name: string, readonly channel: ByteChannel) {}

  /** Runs `work` with the bus to itself; releases it when `work` settles. */
  async exclusive<T>(work: (channel: ByteChannel) => Promise<T>, priority = 0): Promise<T> {
    await this.acquire(priority);
    try {
      return await work(this.channel);
    } finally {
      this.release();
    }
  }

  get queued(): number {
    return this.waiting.length;
  }

  private acquire(priority: number): Promise<void> {
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve();
    }
    return new Promise((start) => {
      this.waiting.push({ priority, order: this.order++, start });
      this.waiting.sort((a, b) => b.priority - a.priority || a.order - b.order);
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next.start();
    else this.busy = false;
  }
}

/**
 * What sessions run on: an RS485 Bus (one session at a time) or a G3-PLC network (many at
 * once, dcu/links/g3/network.ts). `exclusive` runs one session's work at the given priority.
 */
export interface MeterLink {
  readonly name: string;
  readonly channel: ByteChannel;
  /** Sessions that may run at once (1 on a bus). */
  readonly concurrency: number;
  exclusive<T>(work: (channel: ByteChannel) => Promise<T>, priority?: number): Promise<T>;
}
