// A byte channel is what a link drives: a serial port, a TCP socket. It only moves bytes;
// framing and timing decisions belong to the sans-I/O link state machines in shared/.
import net from 'node:net';
import { SerialPort } from 'serialport';

export interface ByteChannel {
  readonly name: string;
  write(bytes: Uint8Array): Promise<void>;
  /** Subscribes to incoming bytes; returns the unsubscribe function. */
  onData(listener: (bytes: Uint8Array) => void): () => void;
  /** Bytes written and received so far (bus accounting). */
  readonly counters: { written: number; received: number };
  close(): Promise<void>;
}

abstract class ListenerSet implements Pick<ByteChannel, 'onData' | 'counters'> {
  readonly counters = { written: 0, received: 0 };
  private listeners = new Set<(bytes: Uint8Array) => void>();

  onData(listener: (bytes: Uint8Array) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  protected emit(bytes: Uint8Array): void {
    this.counters.received += bytes.length;
    for (const l of this.listeners) l(bytes);
  }
}

export interface SerialSettings {
  path: string;
  baudRate?: number;
  dataBits?: 7 | 8;
  parity?: 'none' | 'even' | 'odd';
  stopBits?: 1 | 2;
}

export class SerialChannel extends ListenerSet implements ByteChannel {
  private constructor(private readonly port: SerialPort, readonly name: string) {
    super();
    port.on('data', (chunk: Buffer) => this.emit(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
  }

  /** Opens the port; a missing device or a busy port gives an error that names it. */
  static open(s: SerialSettings): Promise<SerialChannel> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path: s.path, baudRate: s.baudRate ?? 9600, dataBits: s.dataBits ?? 8, parity: s.parity ?? 'none', stopBits: s.stopBits ?? 1, autoOpen: false });
      port.open((error) => {
        if (error) reject(new Error(`cannot open serial port ${s.path}: ${error.message}`));
        else resolve(new SerialChannel(port, `serial:${s.path}`));
      });
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    this.counters.written += bytes.length;
    return new Promise((resolve, reject) => {
      this.port.write(Buffer.from(bytes), (error) => (error ? reject(error) : this.port.drain((e) => (e ? reject(e) : resolve()))));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.port.isOpen) return resolve();
      this.port.close(() => resolve());
    });
  }
}

export class TcpChannel extends ListenerSet implements ByteChannel {
  private constructor(private readonly socket: net.Socket, readonly name: string) {
    super();
    socket.on('data', (chunk: Buffer) => this.emit(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
    socket.on('error', () => {}); // surfaced as timeouts by the link; a closed socket is reopened by the session
  }

  static open(host: string, port: number, timeoutMs = 5000): Promise<TcpChannel> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no TCP connection to ${host}:${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        resolve(new TcpChannel(socket, `tcp:${host}:${port}`));
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`cannot connect to ${host}:${port}: ${e.message}`));
      });
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    this.counters.written += bytes.length;
    return new Promise((resolve, reject) => this.socket.write(bytes, (e) => (e ? reject(e) : resolve())));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.end(() => resolve()));
  }
}
