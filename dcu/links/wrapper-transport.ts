// DLMS over the IEC 62056-47 wrapper on TCP or UDP (port 4059 by default). The wrapper
// has no link layer of its own: one request, one answer, matched by wPorts, with a
// response timeout and a number of repeats (UDP loses datagrams; TCP does not).
import dgram from 'node:dgram';
import { LinkTimeout, ProtocolError } from '../../shared/errors.js';
import { DLMS_PORT, WrapperStream, decodeWrapper, encodeWrapper, type WrapperPdu } from '../../shared/wrapper/wrapper.js';
import { TcpChannel } from './channel.js';
import type { ApduTransport } from './transport.js';

export interface WrapperOptions {
  host: string;
  port?: number;
  /** Client SAP = source wPort. */
  client: number;
  /** Server logical device = destination wPort. */
  logicalDevice?: number;
  responseTimeout?: number;
  /** Repeats on UDP after a timeout. */
  maxRetries?: number;
}

abstract class WrapperTransport implements ApduTransport {
  protected pending: { resolve: (apdu: Uint8Array) => void; reject: (e: Error) => void; accept?: (apdu: Uint8Array) => boolean } | null = null;

  /** Answers dropped as late copies of an answer already taken. */
  lateAnswers = 0;

  constructor(readonly options: WrapperOptions) {}

  abstract readonly description: string;
  abstract readonly isOpen: boolean;
  abstract open(): Promise<void>;
  abstract close(): Promise<void>;

  dispose(): Promise<void> {
    return this.close();
  }
  protected abstract sendBytes(bytes: Uint8Array): Promise<void>;
  protected abstract readonly retries: number;

  async request(apdu: Uint8Array, accept?: (answer: Uint8Array) => boolean): Promise<Uint8Array> {
    if (this.pending) throw new Error('wrapper request while another is outstanding');
    const bytes = encodeWrapper({ source: this.options.client, destination: this.options.logicalDevice ?? 1, apdu });
    const timeout = this.options.responseTimeout ?? 5000;
    for (let attempt = 0; ; attempt++) {
      const answer = new Promise<Uint8Array>((resolve, reject) => (this.pending = { resolve, reject, ...(accept && { accept }) }));
      const timer = setTimeout(() => this.fail(new LinkTimeout(`no answer from ${this.description} within ${timeout} ms`, timeout)), timeout);
      try {
        await this.sendBytes(bytes);
        return await answer;
      } catch (e) {
        if (!(e instanceof LinkTimeout) || attempt >= this.retries) throw e;
      } finally {
        clearTimeout(timer);
        this.pending = null;
      }
    }
  }

  /** An incoming PDU: only the answer from our server to our client SAP, to the request out now, counts. */
  protected onPdu(pdu: WrapperPdu): void {
    if (pdu.destination !== this.options.client || pdu.source !== (this.options.logicalDevice ?? 1)) return;
    if (this.pending?.accept && !this.pending.accept(pdu.apdu)) {
      this.lateAnswers++;
      return;
    }
    this.pending?.resolve(pdu.apdu);
  }

  protected fail(e: Error): void {
    this.pending?.reject(e);
  }
}

export class WrapperTcpTransport extends WrapperTransport {
  private channel: TcpChannel | null = null;
  private stream = new WrapperStream();
  protected readonly retries = 0;

  get description(): string {
    return `wrapper tcp:${this.options.host}:${this.options.port ?? DLMS_PORT} client ${this.options.client}`;
  }

  get isOpen(): boolean {
    return this.channel !== null;
  }

  async open(): Promise<void> {
    this.stream = new WrapperStream();
    this.channel = await TcpChannel.open(this.options.host, this.options.port ?? DLMS_PORT);
    this.channel.onData((bytes) => {
      try {
        for (const pdu of this.stream.push(bytes)) this.onPdu(pdu);
      } catch (e) {
        this.fail(e as ProtocolError);
      }
    });
  }

  protected sendBytes(bytes: Uint8Array): Promise<void> {
    if (!this.channel) return Promise.reject(new ProtocolError('wrapper TCP connection is not open', 0, 'wrapper'));
    return this.channel.write(bytes);
  }

  async close(): Promise<void> {
    await this.channel?.close();
    this.channel = null;
  }
}

export class WrapperUdpTransport extends WrapperTransport {
  private socket: dgram.Socket | null = null;

  get description(): string {
    return `wrapper udp:${this.options.host}:${this.options.port ?? DLMS_PORT} client ${this.options.client}`;
  }

  protected get retries(): number {
    return this.options.maxRetries ?? 3;
  }

  get isOpen(): boolean {
    return this.socket !== null;
  }

  open(): Promise<void> {
    const socket = dgram.createSocket(this.options.host.includes(':') ? 'udp6' : 'udp4');
    socket.on('message', (msg) => {
      try {
        this.onPdu(decodeWrapper(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength)));
      } catch {
        // A malformed datagram is dropped; the request times out and is repeated.
      }
    });
    return new Promise((resolve, reject) => {
      socket.once('error', (e) => reject(new Error(`cannot open UDP socket: ${e.message}`)));
      socket.bind(0, () => {
        this.socket = socket;
        resolve();
      });
    });
  }

  protected sendBytes(bytes: Uint8Array): Promise<void> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new ProtocolError('wrapper UDP socket is not open', 0, 'wrapper'));
    return new Promise((resolve, reject) => socket.send(bytes, this.options.port ?? DLMS_PORT, this.options.host, (e) => (e ? reject(e) : resolve())));
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
