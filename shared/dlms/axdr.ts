// A-XDR codec for COSEM Data (IEC 62056-6-2 / Green Book "Data" CHOICE), including
// compact-array and its TypeDescription. Hostile input gives a ProtocolError (layer
// 'axdr', or 'cosem-time' for an impossible date) with the byte offset, and costs at
// most time and memory in proportion to its length:
//  - nesting (data and type descriptions) is limited to MAX_DEPTH;
//  - an array/structure count above the bytes left is refused before looping (every
//    tagged element takes at least its tag byte);
//  - compact-array contents are read through a reader that ends where they end, and a
//    description with parts that occupy no bytes (null-data, dont-care, empty array or
//    structure) is refused, so untagged elements cannot multiply out of nothing.
import { ByteReader, ByteWriter } from '../bytes.js';
import { DataTag, type CosemData, type DataType, type TypeDescription } from './data.js';
import { readDate, readDateTime, readTime, writeDate, writeDateTime, writeTime } from './datetime.js';

export const MAX_DEPTH = 64;
const LAYER = 'axdr';

/** Tag number -> type name (undefined for tags that are not COSEM data). */
const TYPE_OF_TAG: (DataType | undefined)[] = new Array(256).fill(undefined);
for (const [name, tag] of Object.entries(DataTag)) TYPE_OF_TAG[tag] = name as DataType;

type SimpleData = Exclude<CosemData, { type: 'array' | 'structure' | 'compact-array' }>;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

// ---------------------------------------------------------------- decoding

/** Reads one tagged Data value at r.pos and advances r.pos past it. */
export function readData(r: ByteReader): CosemData {
  // Errors from this module say 'axdr' whatever layer the caller's reader reports.
  const own = r.layer === LAYER ? r : new ByteReader(r.bytes, LAYER, r.pos, r.base);
  const value = readValue(own, 0);
  r.pos = own.pos;
  return value;
}

/** Decodes a buffer that holds exactly one Data value. */
export function decodeData(bytes: Uint8Array): CosemData {
  const r = new ByteReader(bytes, LAYER);
  const value = readValue(r, 0);
  if (!r.atEnd) r.fail(`trailing bytes: ${r.remaining} after the value`);
  return value;
}

function readValue(r: ByteReader, depth: number): CosemData {
  const at = r.pos;
  const tag = r.u8('data tag');
  if (tag === 1 || tag === 2) {
    if (depth >= MAX_DEPTH) r.fail(`data nested deeper than ${MAX_DEPTH} levels`, at);
    const n = count(r, tag === 1 ? 'array length' : 'structure length');
    const value: CosemData[] = [];
    for (let i = 0; i < n; i++) value.push(readValue(r, depth + 1));
    return tag === 1 ? { type: 'array', value } : { type: 'structure', value };
  }
  if (tag === 19) {
    if (depth >= MAX_DEPTH) r.fail(`data nested deeper than ${MAX_DEPTH} levels`, at);
    return readCompactArray(r, depth + 1);
  }
  const simple = readSimple(r, tag);
  if (simple === undefined) r.fail(`unknown data tag ${tag}`, at);
  return simple;
}

/** The untagged body of a simple (not array/structure/compact-array) type; undefined for an unknown tag. */
function readSimple(r: ByteReader, tag: number): SimpleData | undefined {
  switch (tag) {
    case 0: return { type: 'null-data' };
    case 3: return { type: 'boolean', value: r.u8('boolean') !== 0 };
    case 4: {
      const at = r.pos;
      const bits = rawLength(r, 'bit-string length');
      const n = Math.ceil(bits / 8);
      if (n > r.remaining) r.fail(`bit-string of ${bits} bits needs ${n} byte(s), ${r.remaining} left`, at);
      return { type: 'bit-string', value: { length: bits, bytes: r.take(n).slice() } };
    }
    case 5: return { type: 'double-long', value: r.i32('double-long') };
    case 6: return { type: 'double-long-unsigned', value: r.u32('double-long-unsigned') };
    case 9: {
      const n = r.length('octet-string length');
      return { type: 'octet-string', value: r.take(n).slice() };
    }
    case 10: {
      const n = r.length('visible-string length');
      // latin1 is lossless for every byte, so a meter's stray 0x80..0xFF survives a round trip.
      const b = r.take(n);
      return { type: 'visible-string', value: Buffer.from(b.buffer, b.byteOffset, n).toString('latin1') };
    }
    case 12: {
      const at = r.pos;
      const n = r.length('utf8-string length');
      let value: string;
      try {
        value = utf8.decode(r.take(n));
      } catch {
        return r.fail('utf8-string is not valid UTF-8', at);
      }
      return { type: 'utf8-string', value };
    }
    case 13: return { type: 'bcd', value: r.u8('bcd') };
    case 15: return { type: 'integer', value: r.i8('integer') };
    case 16: return { type: 'long', value: r.i16('long') };
    case 17: return { type: 'unsigned', value: r.u8('unsigned') };
    case 18: return { type: 'long-unsigned', value: r.u16('long-unsigned') };
    case 20: return { type: 'long64', value: r.i64('long64') };
    case 21: return { type: 'long64-unsigned', value: r.u64('long64-unsigned') };
    case 22: return { type: 'enum', value: r.u8('enum') };
    case 23: return { type: 'float32', value: r.f32('float32') };
    case 24: return { type: 'float64', value: r.f64('float64') };
    case 25: return { type: 'date-time', value: readDateTime(r) };
    case 26: return { type: 'date', value: readDate(r) };
    case 27: return { type: 'time', value: readTime(r) };
    case 255: return { type: 'dont-care' };
    default: return undefined;
  }
}

/** An element count: every element takes at least one byte, so more than are left is a lie. */
function count(r: ByteReader, what: string): number {
  const at = r.pos;
  const n = r.length(what);
  if (n > r.remaining) r.fail(`${what}: ${n} exceeds the ${r.remaining} byte(s) left`, at);
  return n;
}

/** A-XDR length without ByteReader.length's "fits in the rest" check (a bit count may exceed it). */
function rawLength(r: ByteReader, what: string): number {
  const at = r.pos;
  const first = r.u8(what);
  if (first < 0x80) return first;
  const n = first & 0x7f;
  if (n === 0 || n > 4) r.fail(`${what}: unsupported length form 0x${first.toString(16)}`, at);
  let value = 0;
  for (let i = 0; i < n; i++) value = value * 256 + r.u8(what);
  return value;
}

function readCompactArray(r: ByteReader, depth: number): CosemData {
  const descAt = r.pos;
  const description = readDescription(r, depth);
  if (!allPartsSized(description)) {
    r.fail('compact-array description has a part that occupies no bytes', descAt);
  }
  const n = r.length('compact-array contents length');
  const end = r.pos + n;
  // A reader that stops where the contents stop; offsets stay those of the whole input.
  const inner = new ByteReader(r.bytes.subarray(0, end), LAYER, r.pos, r.base);
  const elements: CosemData[] = [];
  while (inner.pos < end) elements.push(readUntagged(inner, description, depth));
  r.pos = end;
  return { type: 'compact-array', value: { description, elements } };
}

/** Reads a TypeDescription (compact-array contents-description) at r.pos. */
export function readTypeDescription(r: ByteReader): TypeDescription {
  const own = r.layer === LAYER ? r : new ByteReader(r.bytes, LAYER, r.pos, r.base);
  const desc = readDescription(own, 0);
  r.pos = own.pos;
  return desc;
}

function readDescription(r: ByteReader, depth: number): TypeDescription {
  const at = r.pos;
  const tag = r.u8('type description tag');
  if (tag === 1 || tag === 2) {
    if (depth >= MAX_DEPTH) r.fail(`type description nested deeper than ${MAX_DEPTH} levels`, at);
    if (tag === 1) {
      const count = r.u16('array description count');
      return { type: 'array', count, element: readDescription(r, depth + 1) };
    }
    const n = count(r, 'structure description length');
    const fields: TypeDescription[] = [];
    for (let i = 0; i < n; i++) fields.push(readDescription(r, depth + 1));
    return { type: 'structure', fields };
  }
  const type = TYPE_OF_TAG[tag];
  if (type === undefined) r.fail(`unknown type description tag ${tag}`, at);
  if (type === 'compact-array') r.fail('a compact-array cannot describe compact-array elements', at);
  return { type } as TypeDescription;
}

/** Fewest bytes an untagged value of this description can take. */
function minSize(desc: TypeDescription): number {
  switch (desc.type) {
    case 'array': return desc.count === 0 ? 0 : desc.count * minSize(desc.element);
    case 'structure': {
      let sum = 0;
      for (const f of desc.fields) sum += minSize(f);
      return sum;
    }
    default: return SIMPLE_SIZE[DataTag[desc.type]];
  }
}

/** Fixed size per simple tag; variable-length types count their length byte. */
const SIMPLE_SIZE: number[] = new Array(256).fill(0);
for (const [tag, size] of [[3, 1], [4, 1], [5, 4], [6, 4], [9, 1], [10, 1], [12, 1], [13, 1], [15, 1], [16, 2],
  [17, 1], [18, 2], [20, 8], [21, 8], [22, 1], [23, 4], [24, 8], [25, 12], [26, 5], [27, 4]] as const) {
  SIMPLE_SIZE[tag] = size;
}

function allPartsSized(desc: TypeDescription): boolean {
  switch (desc.type) {
    case 'array': return desc.count > 0 && allPartsSized(desc.element);
    case 'structure': return desc.fields.length > 0 && desc.fields.every(allPartsSized);
    default: return SIMPLE_SIZE[DataTag[desc.type]] > 0;
  }
}

/**
 * Reads one untagged value of type `desc` at r.pos (a compact-array element). Descriptions
 * with parts of no size are refused, as in compact-array.
 */
export function readDataOfType(r: ByteReader, desc: TypeDescription): CosemData {
  const own = r.layer === LAYER ? r : new ByteReader(r.bytes, LAYER, r.pos, r.base);
  if (!allPartsSized(desc)) own.fail(`type description has a part that occupies no bytes`);
  const value = readUntagged(own, desc, 0);
  r.pos = own.pos;
  return value;
}

function readUntagged(r: ByteReader, desc: TypeDescription, depth: number): CosemData {
  if (depth >= MAX_DEPTH) r.fail(`data nested deeper than ${MAX_DEPTH} levels`);
  switch (desc.type) {
    case 'array': {
      const need = minSize(desc);
      if (need > r.remaining) r.fail(`array of ${desc.count} needs at least ${need} byte(s), ${r.remaining} left`);
      const value: CosemData[] = [];
      for (let i = 0; i < desc.count; i++) value.push(readUntagged(r, desc.element, depth + 1));
      return { type: 'array', value };
    }
    case 'structure': {
      const value: CosemData[] = [];
      for (const f of desc.fields) value.push(readUntagged(r, f, depth + 1));
      return { type: 'structure', value };
    }
    default: {
      const v = readSimple(r, DataTag[desc.type]);
      if (v === undefined) return r.fail(`type ${desc.type} cannot appear untagged`);
      return v;
    }
  }
}

// ---------------------------------------------------------------- encoding
// Encoders throw RangeError/TypeError for values the types cannot carry: that is a bug in
// the caller, not bad input from a peer.

export function encodeData(d: CosemData): Uint8Array {
  const w = new ByteWriter(256);
  writeValue(w, d, 0);
  return w.toBytes();
}

export function writeData(w: ByteWriter, d: CosemData): void {
  writeValue(w, d, 0);
}

function writeValue(w: ByteWriter, d: CosemData, depth: number): void {
  switch (d.type) {
    case 'array':
    case 'structure':
      if (depth >= MAX_DEPTH) throw new RangeError(`data nested deeper than ${MAX_DEPTH} levels`);
      w.u8(DataTag[d.type]).lengthField(d.value.length);
      for (const item of d.value) writeValue(w, item, depth + 1);
      return;
    case 'compact-array': {
      if (depth >= MAX_DEPTH) throw new RangeError(`data nested deeper than ${MAX_DEPTH} levels`);
      const { description, elements } = d.value;
      if (!allPartsSized(description)) {
        throw new TypeError('compact-array description has a part that occupies no bytes');
      }
      w.u8(19);
      writeDescription(w, description, depth + 1);
      const contents = new ByteWriter(64);
      for (const e of elements) writeUntagged(contents, e, description, depth + 1);
      w.lengthField(contents.length).bytes(contents.toBytes());
      return;
    }
    default:
      w.u8(DataTag[d.type]);
      writeSimple(w, d);
  }
}

export function writeTypeDescription(w: ByteWriter, desc: TypeDescription): void {
  writeDescription(w, desc, 0);
}

function writeDescription(w: ByteWriter, desc: TypeDescription, depth: number): void {
  if (depth >= MAX_DEPTH) throw new RangeError(`type description nested deeper than ${MAX_DEPTH} levels`);
  switch (desc.type) {
    case 'array':
      checkInt(desc.count, 0, 0xffff, 'array description count');
      w.u8(1).u16(desc.count);
      writeDescription(w, desc.element, depth + 1);
      return;
    case 'structure':
      w.u8(2).lengthField(desc.fields.length);
      for (const f of desc.fields) writeDescription(w, f, depth + 1);
      return;
    case 'compact-array':
      throw new TypeError('a compact-array cannot describe compact-array elements');
    default:
      w.u8(DataTag[desc.type]);
  }
}

/** Writes `d` untagged, as an element of type `desc` (compact-array contents). */
export function writeDataOfType(w: ByteWriter, d: CosemData, desc: TypeDescription): void {
  writeUntagged(w, d, desc, 0);
}

function writeUntagged(w: ByteWriter, d: CosemData, desc: TypeDescription, depth: number): void {
  if (depth >= MAX_DEPTH) throw new RangeError(`data nested deeper than ${MAX_DEPTH} levels`);
  if (d.type !== desc.type) throw new TypeError(`a ${d.type} where the description says ${desc.type}`);
  if (d.type === 'array' && desc.type === 'array') {
    if (d.value.length !== desc.count) {
      throw new TypeError(`array of ${d.value.length} where the description says ${desc.count}`);
    }
    for (const item of d.value) writeUntagged(w, item, desc.element, depth + 1);
  } else if (d.type === 'structure' && desc.type === 'structure') {
    if (d.value.length !== desc.fields.length) {
      throw new TypeError(`structure of ${d.value.length} where the description says ${desc.fields.length}`);
    }
    for (let i = 0; i < d.value.length; i++) writeUntagged(w, d.value[i], desc.fields[i], depth + 1);
  } else if (d.type === 'compact-array') {
    throw new TypeError('a compact-array cannot be a compact-array element');
  } else if (d.type !== 'array' && d.type !== 'structure') {
    writeSimple(w, d);
  }
}

function checkInt(v: number, min: number, max: number, type: string): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${type} ${v} is out of range ${min}..${max}`);
}

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const U64_MAX = (1n << 64n) - 1n;

function writeSimple(w: ByteWriter, d: SimpleData): void {
  switch (d.type) {
    case 'null-data':
    case 'dont-care':
      return;
    case 'boolean': w.u8(d.value ? 1 : 0); return;
    case 'bit-string': {
      const { length, bytes } = d.value;
      checkInt(length, 0, 0xffffffff, 'bit-string length');
      if (bytes.length !== Math.ceil(length / 8)) {
        throw new RangeError(`bit-string of ${length} bits needs ${Math.ceil(length / 8)} byte(s), has ${bytes.length}`);
      }
      w.lengthField(length).bytes(bytes);
      return;
    }
    case 'double-long': checkInt(d.value, -0x80000000, 0x7fffffff, d.type); w.i32(d.value); return;
    case 'double-long-unsigned': checkInt(d.value, 0, 0xffffffff, d.type); w.u32(d.value); return;
    case 'octet-string': w.lengthField(d.value.length).bytes(d.value); return;
    case 'visible-string': {
      const s = d.value;
      for (let i = 0; i < s.length; i++) {
        if (s.charCodeAt(i) > 0xff) throw new RangeError(`visible-string has a character above U+00FF at ${i}`);
      }
      w.lengthField(s.length).bytes(Buffer.from(s, 'latin1'));
      return;
    }
    case 'utf8-string': {
      const b = utf8Encoder.encode(d.value);
      w.lengthField(b.length).bytes(b);
      return;
    }
    case 'bcd': checkInt(d.value, 0, 0xff, d.type); w.u8(d.value); return;
    case 'integer': checkInt(d.value, -0x80, 0x7f, d.type); w.i8(d.value); return;
    case 'long': checkInt(d.value, -0x8000, 0x7fff, d.type); w.i16(d.value); return;
    case 'unsigned': checkInt(d.value, 0, 0xff, d.type); w.u8(d.value); return;
    case 'long-unsigned': checkInt(d.value, 0, 0xffff, d.type); w.u16(d.value); return;
    case 'long64':
      if (d.value < I64_MIN || d.value > I64_MAX) throw new RangeError(`long64 ${d.value} is out of range`);
      w.i64(d.value);
      return;
    case 'long64-unsigned':
      if (d.value < 0n || d.value > U64_MAX) throw new RangeError(`long64-unsigned ${d.value} is out of range`);
      w.u64(d.value);
      return;
    case 'enum': checkInt(d.value, 0, 0xff, d.type); w.u8(d.value); return;
    case 'float32': w.f32(d.value); return;
    case 'float64': w.f64(d.value); return;
    case 'date-time': writeDateTime(w, d.value); return;
    case 'date': writeDate(w, d.value); return;
    case 'time': writeTime(w, d.value); return;
    default: {
      const never: never = d;
      throw new TypeError(`not a COSEM data type: ${(never as { type: string }).type}`);
    }
  }
}
