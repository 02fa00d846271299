// The CBOR layer under the sync codec: one cbor-x encoder/decoder pair configured for plain,
// deterministic CBOR (no records, no typed-array tags, maps with sorted keys), a
// well-formedness scan that runs before cbor-x sees untrusted bytes, the conversion of free
// values (command params, event details) to and from their wire form, and the field checks
// shared by encoding ('invalid') and decoding ('malformed').
import { Decoder, Encoder } from 'cbor-x';
import { SyncError, type SyncErrorKind } from './errors.js';

/** No sync message may be larger (a 1,000-reading batch is ~4 KB; this bounds what decoding can allocate). */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Nesting limit for a whole message; free values get MAX_VALUE_DEPTH of it. */
export const MAX_DEPTH = 24;
export const MAX_VALUE_DEPTH = 16;
/** Bignums (CBOR tags 2/3) longer than this are refused: 1024 bits is plenty for a meter. */
const MAX_BIGNUM_BYTES = 128;

const encoder = new Encoder({
  useRecords: false,
  tagUint8Array: false, // Uint8Array → plain byte string (major type 2)
  mapsAsObjects: false, // and so no tag 259 on Maps
  variableMapSize: true,
  pack: false,
  structuredClone: false,
});
const decoder = new Decoder({ useRecords: false, mapsAsObjects: false });

export function encodeCbor(value: unknown): Uint8Array {
  // Copy: cbor-x hands out views of a buffer it reuses.
  return new Uint8Array(encoder.encode(value));
}

/**
 * Decodes untrusted bytes. The scan first proves them well-formed with only the features we
 * use: definite lengths that fit in what is left (so no allocation exceeds the input),
 * nesting ≤ MAX_DEPTH (so cbor-x's recursion is bounded), no tags but bignums (cbor-x runs
 * tag handlers, some of which construct objects), no undefined or other simple values.
 */
export function decodeCbor(bytes: Uint8Array): unknown {
  if (!(bytes instanceof Uint8Array)) throw new SyncError('malformed', 'expected bytes', 'message');
  if (bytes.length > MAX_MESSAGE_BYTES) {
    throw new SyncError('too-large', `${bytes.length} bytes, at most ${MAX_MESSAGE_BYTES}`, 'message');
  }
  scan(bytes);
  try {
    return decoder.decode(bytes);
  } catch (e) {
    throw new SyncError('malformed', `CBOR: ${(e as Error).message}`, 'message');
  }
}

function scan(b: Uint8Array): void {
  let pos = 0;
  const fail = (message: string, at: number): never => {
    throw new SyncError('malformed', message, `byte ${at}`);
  };
  const head = (): [major: number, arg: number, at: number] => {
    const at = pos;
    if (pos >= b.length) fail('input ends inside an item', at);
    const ib = b[pos++];
    const ai = ib & 31;
    if (ai < 24) return [ib >> 5, ai, at];
    if (ai > 27) fail(ai === 31 ? 'indefinite lengths are not used' : 'reserved additional info', at);
    const n = 1 << (ai - 24);
    if (pos + n > b.length) fail('input ends inside a head', at);
    let arg = 0;
    for (let i = 0; i < n; i++) arg = arg * 256 + b[pos++]; // up to 2^64: approximate is fine for checks
    return [ib >> 5, arg, at];
  };
  const item = (depth: number): void => {
    if (depth > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH}`, pos);
    const [major, arg, at] = head();
    const left = b.length - pos;
    switch (major) {
      case 0:
      case 1:
        return;
      case 2:
      case 3:
        if (arg > left) fail(`string of ${arg} bytes, ${left} left`, at);
        pos += arg;
        return;
      case 4:
        if (arg > left) fail(`array of ${arg} items, ${left} bytes left`, at);
        for (let i = 0; i < arg; i++) item(depth + 1);
        return;
      case 5:
        if (arg * 2 > left) fail(`map of ${arg} entries, ${left} bytes left`, at);
        for (let i = 0; i < arg * 2; i++) item(depth + 1);
        return;
      case 6: {
        if (arg !== 2 && arg !== 3) fail(`tag ${arg} is not used`, at);
        const [m, len, inner] = head();
        if (m !== 2 || len > MAX_BIGNUM_BYTES || len > b.length - pos) fail('bad bignum', inner);
        pos += len;
        return;
      }
      default: // 7: false, true, null and floats only
        if (![20, 21, 22, 25, 26, 27].includes(b[at] & 31)) fail(`simple value ${arg} is not used`, at);
    }
  };
  item(0);
  if (pos !== b.length) fail(`${b.length - pos} byte(s) after the message`, pos);
}

// Free values ---------------------------------------------------------------------------

const utf8 = new TextEncoder();

/** RFC 8949 §4.2.1 order for text keys: shorter encoding first, then bytewise. */
function keyOrder(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  if (x.length !== y.length) return x.length - y.length;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

function isPlainObject(v: object): v is Record<string, unknown> {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * A free value (params, details, outcome) in its deterministic wire form: plain objects
 * become Maps with sorted keys (cbor-x keeps a Map's order; an object's own order puts
 * integer-like keys first), undefined properties are left out as JSON does. Accepts null,
 * booleans, numbers (-0 travels as 0), bigint, strings, Uint8Array, arrays and plain objects.
 */
export function toWire(v: unknown, where: string, depth = 0): unknown {
  if (depth > MAX_VALUE_DEPTH) throw new SyncError('invalid', `nested deeper than ${MAX_VALUE_DEPTH} (a cycle?)`, where);
  switch (typeof v) {
    case 'boolean':
    case 'number':
    case 'string':
      return v;
    case 'bigint':
      if (v >= 2n ** 1024n || v <= -(2n ** 1024n)) throw new SyncError('invalid', 'bigint beyond 1024 bits', where);
      return v;
    case 'object': {
      if (v === null) return null;
      if (v instanceof Uint8Array) return v;
      if (Array.isArray(v)) return v.map((x, i) => toWire(x, `${where}[${i}]`, depth + 1));
      if (!isPlainObject(v)) throw new SyncError('invalid', `cannot send a ${v.constructor?.name ?? 'object'}`, where);
      const out = new Map<string, unknown>();
      for (const key of Object.keys(v).sort(keyOrder)) {
        if (v[key] !== undefined) out.set(key, toWire(v[key], `${where}.${key}`, depth + 1));
      }
      return out;
    }
    default:
      throw new SyncError('invalid', `cannot send ${typeof v}`, where);
  }
}

/** The inverse of toWire on decoded CBOR: Maps with text keys → plain objects, bytes → Uint8Array. */
export function fromWire(v: unknown, where: string): unknown {
  if (v instanceof Uint8Array) return new Uint8Array(v); // a copy, not a Buffer view of the input
  if (Array.isArray(v)) return v.map((x, i) => fromWire(x, `${where}[${i}]`));
  if (v instanceof Map) {
    const entries: [string, unknown][] = [];
    for (const [k, x] of v) {
      if (typeof k !== 'string') throw new SyncError('malformed', 'map keys must be text', where);
      entries.push([k, fromWire(x, `${where}.${k}`)]);
    }
    return Object.fromEntries(entries); // own properties even for '__proto__'
  }
  return v; // null, boolean, number, bigint, string: the scan let nothing else through
}

// Field checks --------------------------------------------------------------------------

/** Field checks that throw SyncError(kind) naming the field: 'invalid' when encoding, 'malformed' when decoding. */
export class Check {
  constructor(readonly kind: SyncErrorKind) {}

  fail(message: string, where: string): never {
    throw new SyncError(this.kind, message, where);
  }

  str(v: unknown, where: string): string {
    return typeof v === 'string' ? v : this.fail(`expected text, got ${describe(v)}`, where);
  }

  int(v: unknown, where: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) return this.fail(`expected an integer, got ${describe(v)}`, where);
    if (v < min || v > max) return this.fail(`${v} is outside ${min}…${max}`, where);
    return v;
  }

  bytes(v: unknown, where: string, ...lengths: number[]): Uint8Array {
    if (!(v instanceof Uint8Array)) return this.fail(`expected bytes, got ${describe(v)}`, where);
    if (lengths.length > 0 && !lengths.includes(v.length)) this.fail(`expected ${lengths.join(' or ')} bytes, got ${v.length}`, where);
    return v;
  }

  oneOf<T extends string>(v: unknown, allowed: readonly T[], where: string, kind: SyncErrorKind = this.kind): T {
    if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
    throw new SyncError(kind, `expected one of ${allowed.join(', ')}, got ${describe(v)}`, where);
  }

  array(v: unknown, where: string, length?: number): unknown[] {
    if (!Array.isArray(v)) return this.fail(`expected an array, got ${describe(v)}`, where);
    if (length !== undefined && v.length !== length) this.fail(`expected ${length} items, got ${v.length}`, where);
    return v;
  }

  record(v: unknown, where: string): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array || !isPlainObject(v)) {
      return this.fail(`expected a map, got ${describe(v)}`, where);
    }
    return v;
  }
}

export const invalid = new Check('invalid');
export const malformed = new Check('malformed');

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return typeof v;
}
