// The IEC 62056-47 wrapper over TCP for one meter (port 4059 by default): the length
// field delimits PDUs in the stream; one connection holds one ServerAssociation per client
// SAP. A PDU with a wrong version cannot be resynchronised, so that connection is closed,
// as the standard's TCP transport layer does with an invalid header.
import net from 'node:net';
import { DLMS_PORT, WrapperStream } from '../../../shared/wrapper/wrapper.js';
import { WrapperMeterEndpoint } from './meter-endpoint.js';
import { LateTimers, type WrapperHooks, type WrapperMeter, sendAnswer } from './wrapper-meter.js';

export interface WrapperTcpOptions extends WrapperHooks {
  /** TCP port: default 4059; 0 picks a free one (see `port`). */
  port?: number;
  host?: string;
  meter: WrapperMeter;
  /** Drop a connection silent for this long, ms (0 = never). */
  inactivityTimeout?: number;
  onConnection?: (peer: string, open: boolean) => void;
}

export class WrapperTcpServer {
  readonly stats = { bytesIn: 0, bytesOut: 0, pdusIn: 0, pdusOut: 0 };
  private readonly sockets = new Set<net.Socket>();
  private readonly late = new LateTimers();

  private constructor(private readonly server: net.Server, readonly options: WrapperTcpOptions) {}

  static listen(options: WrapperTcpOptions): Promise<WrapperTcpServer> {
    const server = net.createServer();
    const me = new WrapperTcpServer(server, options);
    server.on('connection', (socket) => me.accept(socket));
    const port = options.port ?? DLMS_PORT;
    return new Promise((resolve, reject) => {
      server.once('error', (e) => reject(new Error(`cannot listen for the wrapper over TCP on port ${port}: ${e.message}`)));
      server.listen(port, options.host ?? '127.0.0.1', () => resolve(me));
    });
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    this.late.cancel();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    const o = this.options;
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    const endpoint = new WrapperMeterEndpoint({ server: o.meter.server, ...(o.meter.logical !== undefined && { logical: o.meter.logical }) });
    const stream = new WrapperStream();
    const clock = o.clock ?? Date.now;
    this.sockets.add(socket);
    socket.setNoDelay(true);
    if (o.inactivityTimeout) socket.setTimeout(o.inactivityTimeout, () => socket.destroy());
    o.onConnection?.(peer, true);
    const send = (bytes: Uint8Array) => {
      if (socket.destroyed) return;
      this.stats.bytesOut += bytes.length;
      socket.write(bytes);
    };
    // A power cycle takes the TCP connection down with the associations.
    const reboot = () => {
      o.onEvent?.(o.meter, endpoint.reboot(), peer);
      socket.destroy();
    };
    socket.on('data', (chunk) => {
      this.stats.bytesIn += chunk.length;
      let pdus;
      try {
        pdus = stream.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      } catch (e) {
        o.onEvent?.(o.meter, { kind: 'error', message: `${peer}: ${(e as Error).message}; closing the connection` }, peer);
        socket.destroy();
        return;
      }
      for (const pdu of pdus) {
        this.stats.pdusIn++;
        const { answer, events } = endpoint.receive(pdu, clock());
        for (const e of events) o.onEvent?.(o.meter, e, peer);
        if (!answer || socket.destroyed) continue;
        this.stats.pdusOut++;
        sendAnswer(o.meter, o, answer, send, reboot, this.late);
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.sockets.delete(socket);
      o.onConnection?.(peer, false);
    });
  }
}
