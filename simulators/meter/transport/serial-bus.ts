// A multi-drop RS485 bus on a serial device: ONE port, N meters, each answering only the
// frames for its own HDLC physical address. All the line behaviour (baud pacing both ways,
// turnaround, half duplex, faults) is HdlcLine's; this file only opens the port and counts.
// On a pty (socat) the kernel moves bytes instantly, so the pacing here is what makes the
// timing that of a real line.
import { SerialPort } from 'serialport';
import type { FaultKind, FaultsByMeter } from './faults.js';
import { HdlcLine, type LineMeter, type LineStats, attachFaults } from './hdlc-line.js';
import type { EndpointEvent } from './meter-endpoint.js';

export interface SerialBusOptions {
  /** Serial device, e.g. /dev/ttyUSB0 or one end of a socat pty pair. */
  path: string;
  baud?: number;
  dataBits?: 7 | 8;
  parity?: 'none' | 'even' | 'odd';
  stopBits?: 1 | 2;
  /** Pause after a request before a meter answers, ms (default 20). */
  turnaround?: number;
  meters: LineMeter[];
  /** Faults by meter (physical address, label or '*'), for meters without their own injector. */
  faults?: FaultsByMeter;
  seed?: number;
  clock?: () => number;
  inactivityTimeout?: number;
  onEvent?: (meter: LineMeter, event: EndpointEvent) => void;
  onFault?: (meter: LineMeter, kinds: FaultKind[]) => void;
  onError?: (error: Error) => void;
}

export class SerialBus {
  private constructor(
    private readonly port: SerialPort,
    readonly line: HdlcLine,
    readonly options: SerialBusOptions,
    readonly meters: LineMeter[],
  ) {}

  /** Opens the port and starts answering; rejects with a message naming the device. */
  static open(options: SerialBusOptions): Promise<SerialBus> {
    const baud = options.baud ?? 9600;
    const meters = attachFaults(options.meters, options.faults, options.seed);
    const physicals = new Set<number>();
    for (const m of meters) {
      if (physicals.has(m.physical)) throw new Error(`two meters with HDLC physical address ${m.physical} on one bus`);
      physicals.add(m.physical);
    }
    const port = new SerialPort({ path: options.path, baudRate: baud, dataBits: options.dataBits ?? 8, parity: options.parity ?? 'none', stopBits: options.stopBits ?? 1, autoOpen: false });
    const line = new HdlcLine(meters, {
      write: (bytes) => {
        port.write(Buffer.from(bytes), (e) => e && options.onError?.(e));
      },
      baud,
      turnaround: options.turnaround ?? 20,
      ...(options.clock && { clock: options.clock }),
      ...(options.inactivityTimeout !== undefined && { inactivityTimeout: options.inactivityTimeout }),
      ...(options.onEvent && { onEvent: options.onEvent }),
      ...(options.onFault && { onFault: options.onFault }),
    });
    return new Promise((resolve, reject) => {
      port.open((error) => {
        if (error) {
          line.close();
          reject(new Error(`cannot open serial port ${options.path}: ${error.message}`));
          return;
        }
        port.on('data', (chunk: Buffer) => line.input(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
        port.on('error', (e: Error) => options.onError?.(e));
        resolve(new SerialBus(port, line, options, meters));
      });
    });
  }

  get baud(): number {
    return this.options.baud ?? 9600;
  }

  /** Bytes on the line in each direction so far (for bus utilization). */
  get stats(): LineStats {
    return { ...this.line.stats };
  }

  /** Line time of everything that went over the bus so far, ms: (bytes × 10 / baud). */
  get airtimeMs(): number {
    return this.line.airtime(this.line.stats.bytesFromClient + this.line.stats.bytesToClient);
  }

  async close(): Promise<void> {
    this.line.close();
    if (!this.port.isOpen) return;
    await new Promise<void>((resolve) => this.port.close(() => resolve()));
  }
}
