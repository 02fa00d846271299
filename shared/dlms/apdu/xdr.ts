// A-XDR building blocks of the xDLMS APDU components (IEC 61334-6): BOOLEAN,
// OCTET STRING with a length, OPTIONAL presence flags and SEQUENCE OF counts.
// Tagged COSEM Data values are ../axdr.ts; these are the untagged fields around them.
import type { ByteReader, ByteWriter } from '../../bytes.js';

/** BOOLEAN: 0x00 is false, anything else true; we write 0x01 like Gurux does. */
export function readBoolean(r: ByteReader, what: string): boolean {
  return r.u8(what) !== 0;
}

export function writeBoolean(w: ByteWriter, v: boolean): void {
  w.u8(v ? 1 : 0);
}

export function readOctetString(r: ByteReader, what: string): Uint8Array {
  const n = r.length(`${what} length`);
  return r.take(n, what).slice();
}

export function writeOctetString(w: ByteWriter, bytes: Uint8Array): void {
  w.lengthField(bytes.length).bytes(bytes);
}

/**
 * OPTIONAL component: a BOOLEAN presence flag. 0x00 absent; 0x01 (what everyone
 * writes) or any other non-zero value present, as for BOOLEAN.
 */
export function readPresent(r: ByteReader, what: string): boolean {
  return r.u8(`${what} presence flag`) !== 0;
}

export function readOptional<T>(r: ByteReader, what: string, read: (r: ByteReader) => T): T | undefined {
  return readPresent(r, what) ? read(r) : undefined;
}

export function writeOptional<T>(w: ByteWriter, value: T | undefined, write: (w: ByteWriter, v: T) => void): void {
  if (value === undefined) {
    w.u8(0);
  } else {
    w.u8(1);
    write(w, value);
  }
}

/** SEQUENCE OF: a length-coded count, then the elements. Each element takes a byte at least, so the count is bounded by the input. */
export function readSequenceOf<T>(r: ByteReader, what: string, read: (r: ByteReader) => T): T[] {
  const count = r.length(`${what} count`);
  const out: T[] = [];
  for (let i = 0; i < count; i++) out.push(read(r));
  return out;
}

export function writeSequenceOf<T>(w: ByteWriter, items: readonly T[], write: (w: ByteWriter, v: T) => void): void {
  w.lengthField(items.length);
  for (const item of items) write(w, item);
}
