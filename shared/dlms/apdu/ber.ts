// The small part of BER (X.690) that ACSE needs: tag-length-value with one-byte
// tags, object identifiers, INTEGER and BIT STRING contents. The ACSE APDUs are
// BER while everything inside user-information is A-XDR, so this stays separate
// from the A-XDR helpers.
import { ByteReader, ByteWriter } from '../../bytes.js';
import type { BitString } from '../data.js';

export interface Tlv {
  /** The identifier octet (class, constructed bit and tag number). */
  tag: number;
  /** Offset of the identifier octet, for error messages. */
  at: number;
  /** A reader over exactly the contents, reporting offsets in the outer buffer. */
  content: ByteReader;
}

/**
 * Reads one TLV at r.pos. The content reader shares r's buffer (cut at the end
 * of the value), so any error inside reports an absolute offset.
 */
export function readTlv(r: ByteReader, what: string): Tlv {
  const at = r.pos;
  const tag = r.u8(`${what} tag`);
  // High tag numbers (low five bits all set) never occur in the ACSE APDUs.
  if ((tag & 0x1f) === 0x1f) r.fail(`${what}: multi-byte tag 0x${tag.toString(16)} not expected`, at);
  const lengthAt = r.pos;
  const length = r.length(`${what} length`);
  // ByteReader.length checks only the long form against what is left.
  if (length > r.remaining) r.fail(`${what}: length ${length} exceeds the ${r.remaining} byte(s) left`, lengthAt);
  const end = r.pos + length;
  const content = new ByteReader(r.bytes.subarray(0, end), r.layer, r.pos, r.base);
  r.pos = end;
  return { tag, at, content };
}

export function writeTlv(w: ByteWriter, tag: number, content: Uint8Array): void {
  w.u8(tag).lengthField(content.length).bytes(content);
}

/** Builds the contents with a fresh writer, then wraps them (lengths come first in BER). */
export function tlv(tag: number, fill: (w: ByteWriter) => void): Uint8Array {
  const inner = new ByteWriter();
  fill(inner);
  const outer = new ByteWriter();
  writeTlv(outer, tag, inner.toBytes());
  return outer.toBytes();
}

/** Fails unless the reader has consumed all of its contents. */
export function expectEnd(r: ByteReader, what: string): void {
  if (!r.atEnd) r.fail(`${what}: ${r.remaining} unexpected byte(s)`);
}

// ---- OBJECT IDENTIFIER -------------------------------------------------------

export function readOid(content: ByteReader, what: string): number[] {
  if (content.atEnd) content.fail(`${what}: empty object identifier`);
  const arcs: number[] = [];
  let value = 0;
  let digits = 0;
  while (!content.atEnd) {
    const at = content.pos;
    const b = content.u8(what);
    // A leading 0x80 is a non-minimal encoding; it would make round trips lossy.
    if (digits === 0 && b === 0x80) content.fail(`${what}: non-minimal sub-identifier`, at);
    value = value * 128 + (b & 0x7f);
    digits++;
    if (digits > 4) content.fail(`${what}: sub-identifier too large`, at);
    if ((b & 0x80) === 0) {
      arcs.push(value);
      value = 0;
      digits = 0;
    }
  }
  if (digits !== 0) content.fail(`${what}: truncated sub-identifier`);
  const first = arcs[0];
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)];
}

export function oidBytes(arcs: readonly number[]): Uint8Array {
  if (arcs.length < 2) throw new RangeError('an object identifier needs two arcs');
  const w = new ByteWriter();
  const subs = [arcs[0] * 40 + arcs[1], ...arcs.slice(2)];
  for (const sub of subs) {
    if (!Number.isInteger(sub) || sub < 0 || sub > 0x0fffffff) throw new RangeError(`bad OID arc ${sub}`);
    const septets: number[] = [];
    let v = sub;
    do {
      septets.unshift(v & 0x7f);
      v = Math.floor(v / 128);
    } while (v > 0);
    septets.forEach((s, i) => w.u8(i < septets.length - 1 ? s | 0x80 : s));
  }
  return w.toBytes();
}

// ---- INTEGER -------------------------------------------------------------------

/** INTEGER contents, two's complement, at most 4 bytes (ACSE never needs more). */
export function readInteger(content: ByteReader, what: string): number {
  const n = content.remaining;
  if (n < 1 || n > 4) content.fail(`${what}: INTEGER of ${n} byte(s) not supported`);
  let v = content.i8(what);
  for (let i = 1; i < n; i++) v = v * 256 + content.u8(what);
  return v;
}

export function integerBytes(v: number): Uint8Array {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new RangeError(`INTEGER ${v} out of range`);
  const out: number[] = [];
  let x = v;
  // Minimal two's complement: stop once the remaining sign is carried by the top bit.
  for (;;) {
    const byte = ((x % 256) + 256) % 256;
    out.unshift(byte);
    x = Math.floor(x / 256);
    if ((x === 0 && byte < 0x80) || (x === -1 && byte >= 0x80)) break;
  }
  return Uint8Array.from(out);
}

// ---- BIT STRING ------------------------------------------------------------------

/** BIT STRING contents: an unused-bits count, then the bits most significant first. */
export function readBitString(content: ByteReader, what: string): BitString {
  const at = content.pos;
  const unused = content.u8(`${what} unused bits`);
  const bytes = content.rest();
  if (unused > 7 || (bytes.length === 0 && unused !== 0)) content.fail(`${what}: bad unused-bits count ${unused}`, at);
  return { length: bytes.length * 8 - unused, bytes: bytes.slice() };
}

export function bitStringBytes(b: BitString): Uint8Array {
  const size = Math.ceil(b.length / 8);
  if (b.bytes.length < size) throw new RangeError('bit-string shorter than its length');
  const out = new Uint8Array(1 + size);
  out[0] = size * 8 - b.length;
  out.set(b.bytes.subarray(0, size), 1);
  return out;
}
