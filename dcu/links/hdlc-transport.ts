// Runs the sans-I/O HDLC client link over a byte channel: writes what it says to
// transmit, arms one timer for its next wake-up, feeds received bytes and the monotonic
// time back in, and turns deliver/fail actions into a resolved or rejected request.
import { performance } from 'node:perf_hooks';
import { LinkTimeout, ProtocolError } from '../../shared/errors.js';
import { type HdlcAddress, formatAddress } from '../../shared/hdlc/address.js';
import { HdlcClientLink, type HdlcClientConfig } from '../../shared/hdlc/client-link.js';
import type { LinkAction } from '../../shared/hdlc/link.js';
import type { HdlcParameters } from '../../shared/hdlc/parameters.js';
import type { ByteChannel } from './channel.js';
import type { ApduTransport } from './transport.js';

export interface HdlcTransportOptions {
  client: number;
  server: HdlcAddress;
  proposal?: HdlcParameters;
  responseTimeout?: number;
  interFrameTimeout?: number;
  maxRetries?: number;
}

type Waiter = { resolve: (v: unknown) => void; reject: (e: Error) => void; what: 'open' | 'request' | 'close' };

export class HdlcTransport implements ApduTransport {
  private link: HdlcClientLink;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private waiter: Waiter | null = null;
  /** Serialises writes so frames leave in the order the link produced them. */
  private writing: Promise<void> = Promise.resolve();
  negotiated: HdlcParameters | null = null;

  constructor(private readonly channel: ByteChannel, readonly options: HdlcTransportOptions) {
    this.link = new HdlcClientLink(options satisfies HdlcClientConfig);
  }

  get description(): string {
    return `HDLC ${this.channel.name} client ${this.options.client} → server ${formatAddress(this.options.server)}`;
  }

  get isOpen(): boolean {
    return this.link.state === 'connected';
  }

  async open(): Promise<void> {
    try {
      await this.connect(this.options.proposal);
    } catch (e) {
      // Some meters answer DM to an SNRM that proposes more than the defaults instead of
      // negotiating down (IEC 62056-46 says they should negotiate); try once with none.
      if (!(e instanceof ProtocolError) || !this.options.proposal || !/DM/.test(e.message)) throw e;
      await this.connect(undefined);
    }
  }

  private connect(proposal: HdlcParameters | undefined): Promise<void> {
    this.link = new HdlcClientLink({ ...this.options, proposal });
    this.unsubscribe ??= this.channel.onData((bytes) => this.run(this.link.received(bytes, performance.now())));
    return this.wait('open', () => this.link.open(performance.now())) as Promise<void>;
  }

  request(apdu: Uint8Array): Promise<Uint8Array> {
    if (!this.isOpen) return Promise.reject(new ProtocolError('HDLC link is not connected', 0, 'hdlc'));
    return this.wait('request', () => this.link.send(apdu, performance.now())) as Promise<Uint8Array>;
  }

  async close(): Promise<void> {
    if (this.link.state === 'connected') {
      await this.wait('close', () => this.link.close(performance.now())).catch(() => undefined);
    }
    this.stop();
  }

  async dispose(): Promise<void> {
    await this.close();
    await this.channel.close();
  }

  /** Stops listening without a DISC (the bus is handed to another session). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private wait(what: Waiter['what'], start: () => LinkAction[]): Promise<unknown> {
    if (this.waiter) return Promise.reject(new Error(`HDLC ${what} while a ${this.waiter.what} is in progress`));
    const promise = new Promise((resolve, reject) => (this.waiter = { resolve, reject, what }));
    this.run(start());
    return promise;
  }

  private run(actions: LinkAction[]): void {
    for (const a of actions) {
      switch (a.kind) {
        case 'transmit':
          this.writing = this.writing.then(() => this.channel.write(a.bytes)).catch((e: Error) => this.settle(new LinkTimeout(`write to ${this.channel.name} failed: ${e.message}`, 0)));
          break;
        case 'wake':
          if (this.timer) clearTimeout(this.timer);
          this.timer = setTimeout(() => {
            this.timer = null;
            this.run(this.link.tick(performance.now()));
          }, Math.max(0, a.at - performance.now()));
          break;
        case 'connected':
          this.negotiated = a.parameters;
          if (this.waiter?.what === 'open') this.settle(null, undefined);
          break;
        case 'deliver':
          if (this.waiter?.what === 'request') this.settle(null, a.apdu);
          break;
        case 'disconnected':
          if (this.waiter?.what === 'close') this.settle(null, undefined);
          break;
        case 'fail':
          this.settle(a.error);
          break;
      }
    }
  }

  private settle(error: Error | null, value?: unknown): void {
    const w = this.waiter;
    if (!w) return;
    this.waiter = null;
    if (error) w.reject(error);
    else w.resolve(value);
  }
}
