// A tiny G3 host for the simulator tests: the other end of the pty pair opened with the
// real serialport package, USI frames both ways with shared/g3, every message the modem
// sends kept in order so a test can wait for the one it expects.
import { SerialPort } from 'serialport';
import { type AdpMessage, decodeAdp, encodeAdp } from '../../../shared/g3/adp.js';
import { G3_ADP_PROTOCOL, UsiDeframer, encodeUsiFrame } from '../../../shared/g3/usi.js';

export class TestHost {
  /** Every message received, in order. */
  readonly received: AdpMessage[] = [];
  readonly errors: string[] = [];
  private readonly deframer = new UsiDeframer();
  private waiters: { match: (m: AdpMessage) => boolean; resolve: (m: AdpMessage) => void }[] = [];
  private readonly taken = new Set<number>();

  private constructor(private readonly port: SerialPort) {}

  static open(path: string): Promise<TestHost> {
    const port = new SerialPort({ path, baudRate: 230400, autoOpen: false });
    const host = new TestHost(port);
    return new Promise((resolve, reject) => {
      port.open((e) => {
        if (e) return reject(e);
        port.on('data', (chunk: Buffer) => host.input(new Uint8Array(chunk)));
        resolve(host);
      });
    });
  }

  send(m: AdpMessage): void {
    this.raw(encodeUsiFrame(G3_ADP_PROTOCOL, encodeAdp(m)));
  }

  raw(bytes: Uint8Array): void {
    this.port.write(Buffer.from(bytes));
  }

  /**
   * The first message not yet taken by an earlier next() that matches (already here or
   * still to come); rejects after `ms` of wall time.
   */
  next<T extends AdpMessage['type']>(type: T, match: (m: Extract<AdpMessage, { type: T }>) => boolean = () => true, ms = 10_000): Promise<Extract<AdpMessage, { type: T }>> {
    type M = Extract<AdpMessage, { type: T }>;
    const pred = (m: AdpMessage) => m.type === type && match(m as M);
    const i = this.received.findIndex((m, k) => !this.taken.has(k) && pred(m));
    if (i >= 0) {
      this.taken.add(i);
      return Promise.resolve(this.received[i] as M);
    }
    return new Promise((resolve, reject) => {
      const w = { match: pred, resolve: (m: AdpMessage) => resolve(m as M) };
      this.waiters.push(w);
      setTimeout(() => {
        if (!this.waiters.includes(w)) return;
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`no matching ${type} within ${ms} ms; received: ${this.received.map((m) => m.type).join(', ')}`));
      }, ms);
    });
  }

  /** Waits until `count` messages of this type have arrived in total (not consuming them). */
  async count(type: AdpMessage['type'], count: number, ms = 10_000): Promise<AdpMessage[]> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.received.filter((m) => m.type === type);
      if (found.length >= count) return found;
      if (Date.now() > deadline) throw new Error(`only ${found.length} of ${count} ${type} within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Lets pending bytes arrive, then says whether anything came after message index `from`. */
  async quietSince(from: number, ms: number): Promise<AdpMessage[]> {
    await new Promise((r) => setTimeout(r, ms));
    return this.received.slice(from);
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.port.isOpen ? this.port.close(() => resolve()) : resolve()));
  }

  private input(bytes: Uint8Array): void {
    for (const e of this.deframer.push(bytes)) {
      if (e.kind === 'error') {
        this.errors.push(e.error.message);
        continue;
      }
      let m: AdpMessage;
      try {
        m = decodeAdp(e.payload);
      } catch (err) {
        this.errors.push((err as Error).message);
        continue;
      }
      const index = this.received.length;
      this.received.push(m);
      const w = this.waiters.find((x) => x.match(m));
      if (w) {
        this.waiters = this.waiters.filter((x) => x !== w);
        this.taken.add(index);
        w.resolve(m);
      }
    }
  }
}
