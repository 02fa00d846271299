// The IEC 62056-47 wrapper over UDP for one meter (port 4059 by default), as a G3-PLC or
// cellular meter answers: one datagram, one PDU; the answer goes back to the sender. UDP
// has no connection, so associations are kept per (peer address and port, client SAP) and
// forgotten after a quiet period; a repeated request (the client's retry after a lost
// answer) gets the same answer again instead of being served twice.
import dgram from 'node:dgram';
import { DLMS_PORT, decodeWrapper } from '../../../shared/wrapper/wrapper.js';
import { WrapperMeterEndpoint } from './meter-endpoint.js';
import { LateTimers, type WrapperHooks, type WrapperMeter, sendAnswer } from './wrapper-meter.js';

export interface WrapperUdpOptions extends WrapperHooks {
  /** UDP port: default 4059; 0 picks a free one (see `port`). */
  port?: number;
  host?: string;
  meter: WrapperMeter;
  /** Forget a peer's associations after this much silence, ms (default 120 s). */
  sessionTimeout?: number;
  /** Answer a repeated request from the same peer within this many ms from a cache (default 10 s). */
  repeatWindow?: number;
}

interface PeerSession {
  endpoint: WrapperMeterEndpoint;
  lastAt: number;
}

export class WrapperUdpServer {
  readonly stats = { bytesIn: 0, bytesOut: 0, pdusIn: 0, pdusOut: 0, badDatagrams: 0 };
  private readonly sessions = new Map<string, PeerSession>();
  private readonly late = new LateTimers();

  private constructor(private readonly socket: dgram.Socket, readonly options: WrapperUdpOptions) {}

  static listen(options: WrapperUdpOptions): Promise<WrapperUdpServer> {
    const host = options.host ?? '127.0.0.1';
    const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const me = new WrapperUdpServer(socket, options);
    socket.on('message', (msg, rinfo) => me.onDatagram(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), rinfo));
    const port = options.port ?? DLMS_PORT;
    return new Promise((resolve, reject) => {
      socket.once('error', (e) => reject(new Error(`cannot listen for the wrapper over UDP on port ${port}: ${e.message}`)));
      socket.bind(port, host, () => {
        socket.on('error', (e) => options.onEvent?.(options.meter, { kind: 'error', message: e.message }, 'udp'));
        resolve(me);
      });
    });
  }

  get port(): number {
    return this.socket.address().port;
  }

  async close(): Promise<void> {
    this.late.cancel();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  /** A power cycle: every peer's associations are gone. */
  reboot(): void {
    this.sessions.clear();
    this.options.onEvent?.(this.options.meter, { kind: 'rebooted' }, 'udp');
  }

  private onDatagram(bytes: Uint8Array, rinfo: dgram.RemoteInfo): void {
    const o = this.options;
    const peer = `${rinfo.address}:${rinfo.port}`;
    const now = (o.clock ?? Date.now)();
    this.stats.bytesIn += bytes.length;
    let pdu;
    try {
      pdu = decodeWrapper(bytes);
    } catch {
      this.stats.badDatagrams++; // not a wrapper PDU: a meter ignores it
      return;
    }
    this.stats.pdusIn++;
    this.expire(now);
    let session = this.sessions.get(peer);
    if (!session) {
      const endpoint = new WrapperMeterEndpoint({ server: o.meter.server, repeatWindow: o.repeatWindow ?? 10_000, ...(o.meter.logical !== undefined && { logical: o.meter.logical }) });
      session = { endpoint, lastAt: now };
      this.sessions.set(peer, session);
    }
    session.lastAt = now;
    const { answer, events } = session.endpoint.receive(pdu, now);
    for (const e of events) o.onEvent?.(o.meter, e, peer);
    if (!answer) return;
    this.stats.pdusOut++;
    const send = (out: Uint8Array) => {
      this.stats.bytesOut += out.length;
      this.socket.send(out, rinfo.port, rinfo.address);
    };
    sendAnswer(o.meter, o, answer, send, () => this.reboot(), this.late);
  }

  private expire(now: number): void {
    const limit = this.options.sessionTimeout ?? 120_000;
    for (const [peer, s] of this.sessions) if (now - s.lastAt > limit) this.sessions.delete(peer);
  }
}
