// HDLC over TCP: each TCP connection is one HDLC line with the configured meters on it,
// as a serial-to-Ethernet converter in front of an RS485 segment presents it. The meters'
// object models, counters and fault triggers are shared by all connections; HDLC link and
// association state belong to each connection.
import net from 'node:net';
import type { FaultKind, FaultsByMeter } from './faults.js';
import { HdlcLine, type LineMeter, type LineStats, attachFaults } from './hdlc-line.js';
import type { EndpointEvent } from './meter-endpoint.js';

export interface TcpHdlcOptions {
  /** TCP port; 0 picks a free one (see `port` after listen). */
  port: number;
  host?: string;
  meters: LineMeter[];
  faults?: FaultsByMeter;
  seed?: number;
  /** Pace as a serial line of this speed behind the converter; default: no pacing. */
  baud?: number;
  turnaround?: number;
  clock?: () => number;
  inactivityTimeout?: number;
  onEvent?: (meter: LineMeter, event: EndpointEvent, peer: string) => void;
  onFault?: (meter: LineMeter, kinds: FaultKind[]) => void;
  onConnection?: (peer: string, open: boolean) => void;
}

export class TcpHdlcServer {
  readonly meters: LineMeter[];
  private readonly totals: LineStats = { bytesFromClient: 0, bytesToClient: 0, framesToClient: 0 };
  private readonly lines = new Map<net.Socket, HdlcLine>();

  private constructor(
    private readonly server: net.Server,
    readonly options: TcpHdlcOptions,
    meters: LineMeter[],
  ) {
    this.meters = meters;
  }

  static listen(options: TcpHdlcOptions): Promise<TcpHdlcServer> {
    const meters = attachFaults(options.meters, options.faults, options.seed);
    const server = net.createServer();
    const me = new TcpHdlcServer(server, options, meters);
    server.on('connection', (socket) => me.accept(socket));
    return new Promise((resolve, reject) => {
      server.once('error', (e) => reject(new Error(`cannot listen for HDLC over TCP on port ${options.port}: ${e.message}`)));
      server.listen(options.port, options.host ?? '127.0.0.1', () => resolve(me));
    });
  }

  /** The bound port (the chosen one when listening on port 0). */
  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Bytes over all connections, closed ones included. */
  get stats(): LineStats {
    const s = { ...this.totals };
    for (const line of this.lines.values()) {
      s.bytesFromClient += line.stats.bytesFromClient;
      s.bytesToClient += line.stats.bytesToClient;
      s.framesToClient += line.stats.framesToClient;
    }
    return s;
  }

  async close(): Promise<void> {
    for (const socket of this.lines.keys()) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    const o = this.options;
    socket.setNoDelay(true);
    const line = new HdlcLine(this.meters, {
      write: (bytes) => {
        if (!socket.destroyed) socket.write(bytes);
      },
      turnaround: o.turnaround ?? 0,
      ...(o.baud !== undefined && { baud: o.baud }),
      ...(o.clock && { clock: o.clock }),
      ...(o.inactivityTimeout !== undefined && { inactivityTimeout: o.inactivityTimeout }),
      ...(o.onEvent && { onEvent: (m: LineMeter, e: EndpointEvent) => o.onEvent!(m, e, peer) }),
      ...(o.onFault && { onFault: o.onFault }),
    });
    this.lines.set(socket, line);
    o.onConnection?.(peer, true);
    socket.on('data', (chunk) => line.input(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      line.close();
      this.totals.bytesFromClient += line.stats.bytesFromClient;
      this.totals.bytesToClient += line.stats.bytesToClient;
      this.totals.framesToClient += line.stats.framesToClient;
      this.lines.delete(socket);
      o.onConnection?.(peer, false);
    });
  }
}
