// The DLMS/COSEM transport layer for IP networks (IEC 62056-47; Green Book 7.3.3):
// an 8-byte header — version 0x0001, source wPort, destination wPort, APDU length, each
// a big-endian u16 — then the APDU. Over UDP one datagram carries one PDU; over TCP the
// length field delimits PDUs in the stream. The IANA port for DLMS/COSEM is 4059.
import { ByteReader } from '../bytes.js';
import { ProtocolError } from '../errors.js';

export const WRAPPER_VERSION = 0x0001;
export const WRAPPER_HEADER_LENGTH = 8;
export const DLMS_PORT = 4059;

export interface WrapperPdu {
  /** wPort of the sender: the client SAP, or the server's logical device. */
  source: number;
  destination: number;
  apdu: Uint8Array;
}

export function encodeWrapper(pdu: WrapperPdu): Uint8Array {
  if (pdu.apdu.length > 0xffff) throw new RangeError(`APDU of ${pdu.apdu.length} bytes does not fit the 16-bit wrapper length`);
  const out = new Uint8Array(WRAPPER_HEADER_LENGTH + pdu.apdu.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, WRAPPER_VERSION);
  view.setUint16(2, pdu.source);
  view.setUint16(4, pdu.destination);
  view.setUint16(6, pdu.apdu.length);
  out.set(pdu.apdu, WRAPPER_HEADER_LENGTH);
  return out;
}

/** Decodes one whole PDU (a UDP datagram); the length must match exactly. */
export function decodeWrapper(bytes: Uint8Array, base = 0): WrapperPdu {
  const r = new ByteReader(bytes, 'wrapper', 0, base);
  const version = r.u16('version');
  if (version !== WRAPPER_VERSION) r.fail(`version ${version} is not 1`, 0);
  const source = r.u16('source wPort');
  const destination = r.u16('destination wPort');
  const length = r.u16('length');
  if (length !== r.remaining) r.fail(`length field says ${length} but ${r.remaining} byte(s) follow the header`, 6);
  return { source, destination, apdu: r.take(length, 'APDU').slice() };
}

/** Reassembles wrapper PDUs from a TCP byte stream split or joined anywhere. */
export class WrapperStream {
  private buf: Uint8Array = new Uint8Array(0);
  private consumed = 0;

  get pending(): number {
    return this.buf.length;
  }

  reset(): void {
    this.consumed += this.buf.length;
    this.buf = new Uint8Array(0);
  }

  /**
   * Returns the complete PDUs. A header with a wrong version cannot be resynchronised
   * (the stream has no flags), so it throws ProtocolError and the connection should close.
   */
  push(chunk: Uint8Array): WrapperPdu[] {
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf);
    joined.set(chunk, this.buf.length);
    const out: WrapperPdu[] = [];
    let at = 0;
    while (joined.length - at >= WRAPPER_HEADER_LENGTH) {
      const view = new DataView(joined.buffer, joined.byteOffset + at);
      if (view.getUint16(0) !== WRAPPER_VERSION) {
        throw new ProtocolError(`version ${view.getUint16(0)} is not 1`, this.consumed + at, 'wrapper');
      }
      const length = view.getUint16(6);
      if (joined.length - at < WRAPPER_HEADER_LENGTH + length) break;
      out.push(decodeWrapper(joined.subarray(at, at + WRAPPER_HEADER_LENGTH + length), this.consumed + at));
      at += WRAPPER_HEADER_LENGTH + length;
    }
    this.consumed += at;
    this.buf = joined.slice(at);
    return out;
  }
}
