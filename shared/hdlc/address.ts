// HDLC addresses (IEC 62056-46 §6.4.2.2; Green Book 8.4.2.2). Each address byte carries
// 7 address bits and, in its low bit, "this is the last byte". A client address is always
// one byte (the client SAP). A server address is 1, 2 or 4 bytes: the upper HDLC address
// (logical device) and, in the 2- and 4-byte forms, the lower one (physical device).
import { ByteReader } from '../bytes.js';

export interface HdlcAddress {
  /** Upper HDLC address: logical device, or the client SAP for a client address. */
  logical: number;
  /** Lower HDLC address (physical device); null in the 1-byte form. */
  physical: number | null;
  size: 1 | 2 | 4;
}

export function clientAddress(sap: number): HdlcAddress {
  if (!Number.isInteger(sap) || sap < 0 || sap > 0x7f) throw new RangeError(`client SAP ${sap} is outside 0..127`);
  return { logical: sap, physical: null, size: 1 };
}

/**
 * A server address. Without a physical address the 1-byte form is used; with one, the
 * smallest form that holds both parts (2 bytes up to 127, otherwise 4 bytes).
 */
export function serverAddress(logical: number, physical: number | null = null, size?: 1 | 2 | 4): HdlcAddress {
  const chosen = size ?? (physical === null ? 1 : logical <= 0x7f && physical <= 0x7f ? 2 : 4);
  const limit = chosen === 4 ? 0x3fff : 0x7f;
  if (!Number.isInteger(logical) || logical < 0 || logical > limit) {
    throw new RangeError(`logical device ${logical} does not fit a ${chosen}-byte HDLC address`);
  }
  if (chosen === 1 && physical !== null) throw new RangeError('a 1-byte HDLC address has no physical part');
  if (chosen !== 1 && (physical === null || !Number.isInteger(physical) || physical < 0 || physical > limit)) {
    throw new RangeError(`physical address ${physical} does not fit a ${chosen}-byte HDLC address`);
  }
  return { logical, physical: chosen === 1 ? null : physical, size: chosen };
}

export function addressLength(a: HdlcAddress): number {
  return a.size;
}

/** Writes the address into out at `at`, returns the next offset. */
export function writeAddress(a: HdlcAddress, out: Uint8Array, at: number): number {
  if (a.size === 1) {
    out[at] = ((a.logical << 1) | 1) & 0xff;
    return at + 1;
  }
  const physical = a.physical ?? 0;
  if (a.size === 2) {
    out[at] = (a.logical << 1) & 0xfe;
    out[at + 1] = ((physical << 1) | 1) & 0xff;
    return at + 2;
  }
  out[at] = ((a.logical >> 7) << 1) & 0xfe;
  out[at + 1] = (a.logical << 1) & 0xfe;
  out[at + 2] = ((physical >> 7) << 1) & 0xfe;
  out[at + 3] = ((physical << 1) | 1) & 0xff;
  return at + 4;
}

/** Reads an address (1, 2 or 4 bytes, ended by a byte with the low bit set). */
export function readAddress(r: ByteReader, what: string): HdlcAddress {
  const start = r.pos;
  const parts: number[] = [];
  for (;;) {
    const b = r.u8(what);
    parts.push(b >> 1);
    if (b & 1) break;
    if (parts.length === 4) r.fail(`${what}: no end bit within 4 bytes`, start);
  }
  switch (parts.length) {
    case 1:
      return { logical: parts[0], physical: null, size: 1 };
    case 2:
      return { logical: parts[0], physical: parts[1], size: 2 };
    case 4:
      return { logical: (parts[0] << 7) | parts[1], physical: (parts[2] << 7) | parts[3], size: 4 };
    default:
      return r.fail(`${what}: a 3-byte address is not allowed`, start);
  }
}

export function sameAddress(a: HdlcAddress, b: HdlcAddress): boolean {
  return a.logical === b.logical && (a.physical ?? -1) === (b.physical ?? -1) && a.size === b.size;
}

export function formatAddress(a: HdlcAddress): string {
  return a.physical === null ? `${a.logical}` : `${a.logical}/${a.physical}`;
}
