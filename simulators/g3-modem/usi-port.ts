// The modem's UART: USI frames in and out of a serial device (a real port or one end of a
// socat pty pair), with the npm serialport package as the meter simulator's serial bus.
// Frames of protocol 0x25 go to the modem; bad frames and other protocols are dropped
// (and counted), as a modem drops what it cannot use.
import { SerialPort } from 'serialport';
import { type AdpMessage, encodeAdp } from '../../shared/g3/adp.js';
import { G3_ADP_PROTOCOL, UsiDeframer, encodeUsiFrame } from '../../shared/g3/usi.js';

export interface UsiPortOptions {
  path: string;
  baudRate?: number;
  /** A protocol 0x25 payload from the host. */
  onPayload: (payload: Uint8Array) => void;
  /** A bad frame, or a frame of another protocol. */
  onBadFrame?: (why: string) => void;
  onError?: (error: Error) => void;
}

export const DEFAULT_BAUD_RATE = 230400;

export class UsiPort {
  private readonly deframer = new UsiDeframer();

  private constructor(private readonly port: SerialPort, private readonly options: UsiPortOptions) {}

  static open(options: UsiPortOptions): Promise<UsiPort> {
    const port = new SerialPort({ path: options.path, baudRate: options.baudRate ?? DEFAULT_BAUD_RATE, dataBits: 8, parity: 'none', stopBits: 1, autoOpen: false });
    const me = new UsiPort(port, options);
    return new Promise((resolve, reject) => {
      port.open((error) => {
        if (error) return reject(new Error(`cannot open serial port ${options.path}: ${error.message}`));
        port.on('data', (chunk: Buffer) => me.input(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
        port.on('error', (e: Error) => options.onError?.(e));
        resolve(me);
      });
    });
  }

  /** Sends one ADP message; throws RangeError when it does not fit one USI frame. */
  send(message: AdpMessage): void {
    const frame = encodeUsiFrame(G3_ADP_PROTOCOL, encodeAdp(message));
    if (!this.port.isOpen) return;
    this.port.write(Buffer.from(frame), (e) => e && this.options.onError?.(e));
  }

  async close(): Promise<void> {
    if (!this.port.isOpen) return;
    await new Promise<void>((resolve) => this.port.close(() => resolve()));
  }

  private input(bytes: Uint8Array): void {
    for (const e of this.deframer.push(bytes)) {
      if (e.kind === 'error') this.options.onBadFrame?.(e.error.message);
      else if (e.protocolId !== G3_ADP_PROTOCOL) this.options.onBadFrame?.(`USI protocol 0x${e.protocolId.toString(16)} is not G3 ADP (0x25)`);
      else this.options.onPayload(e.payload);
    }
  }
}
