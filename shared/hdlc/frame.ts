// One HDLC frame of format type A (IEC 62056-46 §6.4; Green Book 8.4.1):
//   7E | A S L(11) | dest | src | control | [HCS | info] | FCS | 7E
// The length counts every byte between the flags. HCS covers format..control and is
// present only when there is an information field.
import { ByteReader } from '../bytes.js';
import { ProtocolError } from '../errors.js';
import { type HdlcAddress, readAddress, writeAddress } from './address.js';
import { checkCrc, putCrc } from './crc.js';
import { type Control, decodeControl, encodeControl } from './control.js';

export const FLAG = 0x7e;
/** The largest value the 11-bit length field can carry. */
export const MAX_FRAME_LENGTH = 0x7ff;

export interface HdlcFrame {
  /** The segmentation bit: more segments of the same information follow. */
  segmented: boolean;
  dest: HdlcAddress;
  src: HdlcAddress;
  control: Control;
  info: Uint8Array;
}

export function encodeFrame(f: HdlcFrame): Uint8Array {
  const header = 2 + f.dest.size + f.src.size + 1;
  const length = header + (f.info.length > 0 ? 2 + f.info.length : 0) + 2;
  if (length > MAX_FRAME_LENGTH) throw new RangeError(`HDLC frame of ${length} bytes exceeds the 11-bit length field`);
  const out = new Uint8Array(length + 2);
  out[0] = FLAG;
  out[1] = 0xa0 | (f.segmented ? 0x08 : 0) | (length >> 8);
  out[2] = length & 0xff;
  let at = writeAddress(f.dest, out, 3);
  at = writeAddress(f.src, out, at);
  out[at++] = encodeControl(f.control);
  if (f.info.length > 0) {
    putCrc(out, 1, at);
    at += 2;
    out.set(f.info, at);
    at += f.info.length;
  }
  putCrc(out, 1, at);
  out[at + 2] = FLAG;
  return out;
}

/**
 * Decodes one complete frame, flags included. `base` is added to error offsets when the
 * frame sits inside a larger stream. The info field is a copy, independent of `bytes`.
 */
export function decodeFrame(bytes: Uint8Array, base = 0): HdlcFrame {
  const f = decodeFrameView(bytes, base);
  if (f.info.length > 0) f.info = f.info.slice();
  return f;
}

/** A frame without information field shares this (empty) one instead of allocating its own. */
const NO_INFO = new Uint8Array(0);

/**
 * As decodeFrame, but the info field is a view into `bytes` (no copy): for callers that
 * own `bytes` and never change it, like the deframer, which copies each frame out of
 * its buffer once. Allocating small typed arrays is what costs most per frame.
 */
export function decodeFrameView(bytes: Uint8Array, base = 0): HdlcFrame {
  const r = new ByteReader(bytes, 'hdlc', 0, base);
  if (r.u8('opening flag') !== FLAG) r.fail('frame does not start with the 7E flag', 0);
  const format = r.u16('frame format');
  if (format >> 12 !== 0xa) r.fail(`frame format type 0x${(format >> 12).toString(16)} is not type A (0xA)`, 1);
  const length = format & MAX_FRAME_LENGTH;
  if (length + 2 !== bytes.length) r.fail(`length field says ${length} but ${bytes.length - 2} bytes lie between the flags`, 1);
  if (bytes[bytes.length - 1] !== FLAG) r.fail('frame does not end with the 7E flag', bytes.length - 1);
  if (!checkCrc(bytes, 1, bytes.length - 3)) r.fail('frame check sequence (FCS) mismatch', bytes.length - 3);
  const dest = readAddress(r, 'destination address');
  const src = readAddress(r, 'source address');
  const controlAt = r.pos;
  const control = decodeControl(r.u8('control field'));
  if (!control) return r.fail(`control field 0x${bytes[controlAt].toString(16)} is not one DLMS uses`, controlAt);
  const fcsAt = bytes.length - 3;
  let info: Uint8Array = NO_INFO;
  if (r.pos < fcsAt) {
    if (r.pos + 2 > fcsAt) r.fail('one stray byte where the HCS should be', r.pos);
    if (!checkCrc(bytes, 1, r.pos)) r.fail('header check sequence (HCS) mismatch', r.pos);
    info = bytes.subarray(r.pos + 2, fcsAt);
  }
  return { segmented: (format & 0x0800) !== 0, dest, src, control, info };
}

export function isProtocolError(e: unknown): e is ProtocolError {
  return e instanceof ProtocolError;
}
