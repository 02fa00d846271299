// The client end of a pty pair, opened with the real serialport package, as a ByteIo.
import { SerialPort } from 'serialport';
import type { ByteIo } from './hdlc-client.js';

export interface SerialIo extends ByteIo {
  /** Bytes read from the port so far. */
  readonly received: number;
  close(): Promise<void>;
}

export function openSerialIo(path: string, baudRate = 9600): Promise<SerialIo> {
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  return new Promise((resolve, reject) => {
    port.open((error) => {
      if (error) return reject(error);
      let received = 0;
      port.on('data', (chunk: Buffer) => (received += chunk.length));
      resolve({
        get received() {
          return received;
        },
        write: (bytes) => void port.write(Buffer.from(bytes)),
        onData: (listener) => void port.on('data', (chunk: Buffer) => listener(new Uint8Array(chunk))),
        close: () => new Promise<void>((done) => (port.isOpen ? port.close(() => done()) : done())),
      });
    });
  });
}
