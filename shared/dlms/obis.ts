// OBIS codes (IEC 62056-6-1): six value groups A..F, each 0..255. One representation
// everywhere: the canonical dotted string '1.0.1.8.0.255', branded so that only parsed or
// decoded codes get in. A string compares by value with ===, works as a Map key and
// reads well in logs, CBOR and SQL, which a Uint8Array does not.
//
// parseObis accepts (decimal groups, surrounding whitespace ignored):
//   'A.B.C.D.E.F'   canonical, as the Blue Book writes logical names
//   'A-B:C.D.E*F'   IEC 62056-6-1 notation (also 'A-B:C.D.E.F')
//   'A-B:C.D.E'     and 'A.B.C.D.E': F omitted means 255 ("not used"), the usual F of
//                   current values; a missing A or B is never guessed (reduced forms such
//                   as '1.8.0' are refused, as they are ambiguous).
import { ProtocolError } from '../errors.js';

declare const obisBrand: unique symbol;
/** An OBIS code in canonical form 'A.B.C.D.E.F'. Compare with === or obisEquals. */
export type Obis = string & { readonly [obisBrand]: true };

export type ObisGroups = [a: number, b: number, c: number, d: number, e: number, f: number];

const G = '(\\d{1,3})';
const DOTTED = new RegExp(`^${G}\\.${G}\\.${G}\\.${G}\\.${G}(?:\\.${G})?$`);
const IEC = new RegExp(`^${G}-${G}:${G}\\.${G}\\.${G}(?:[*.]${G})?$`);

function fromGroups(g: ArrayLike<number>): Obis {
  return `${g[0]}.${g[1]}.${g[2]}.${g[3]}.${g[4]}.${g[5]}` as Obis;
}

/** Parses an OBIS code, or returns null if `text` is not one. */
export function tryParseObis(text: string): Obis | null {
  const t = text.trim();
  const m = DOTTED.exec(t) ?? IEC.exec(t);
  if (m === null) return null;
  const g: number[] = [];
  for (let i = 1; i <= 6; i++) {
    const v = m[i] === undefined ? 255 : Number(m[i]);
    if (v > 255) return null;
    g.push(v);
  }
  return fromGroups(g);
}

/** Parses an OBIS code in any accepted form; throws an Error naming the text otherwise. */
export function parseObis(text: string): Obis {
  const o = tryParseObis(text);
  if (o === null) {
    throw new Error(`not an OBIS code: ${JSON.stringify(text)} (expected e.g. '1.0.1.8.0.255' or '1-0:1.8.0*255')`);
  }
  return o;
}

export function obisGroups(o: Obis): ObisGroups {
  const p = o.split('.');
  return [Number(p[0]), Number(p[1]), Number(p[2]), Number(p[3]), Number(p[4]), Number(p[5])];
}

/** 'dotted' = '1.0.1.8.0.255' (the Obis value itself), 'iec' = '1-0:1.8.0*255'. */
export function formatObis(o: Obis, form: 'dotted' | 'iec' = 'dotted'): string {
  if (form === 'dotted') return o;
  const [a, b, c, d, e, f] = obisGroups(o);
  return `${a}-${b}:${c}.${d}.${e}*${f}`;
}

/**
 * An OBIS code from its 6-byte logical-name form. Without an offset `bytes` must be
 * exactly 6 long (an octet-string's contents); with one, 6 bytes are read there.
 */
export function obisFromBytes(bytes: Uint8Array, offset?: number): Obis {
  const at = offset ?? 0;
  if (!Number.isInteger(at) || at < 0 || at > bytes.length) {
    throw new RangeError(`offset ${at} is outside the ${bytes.length}-byte input`);
  }
  const left = bytes.length - at;
  if (offset === undefined ? left !== 6 : left < 6) {
    throw new ProtocolError(`logical name needs 6 bytes, got ${left}`, at, 'obis');
  }
  return fromGroups(bytes.subarray(at, at + 6));
}

export function obisToBytes(o: Obis): Uint8Array {
  return Uint8Array.from(obisGroups(o));
}

export function obisEquals(a: Obis, b: Obis): boolean {
  return a === b;
}

/** Well-known codes used across the system (see ARCHITECTURE.md, "Key OBIS codes"). */
export const Obis = {
  clock: fromGroups([0, 0, 1, 0, 0, 255]),
  logicalDeviceName: fromGroups([0, 0, 42, 0, 0, 255]),
  serialNumber: fromGroups([0, 0, 96, 1, 0, 255]),
  activeEnergyImport: fromGroups([1, 0, 1, 8, 0, 255]),
  activeEnergyImportTariff1: fromGroups([1, 0, 1, 8, 1, 255]),
  activeEnergyImportTariff2: fromGroups([1, 0, 1, 8, 2, 255]),
  activeEnergyImportTariff3: fromGroups([1, 0, 1, 8, 3, 255]),
  activeEnergyImportTariff4: fromGroups([1, 0, 1, 8, 4, 255]),
  activeEnergyExport: fromGroups([1, 0, 2, 8, 0, 255]),
  loadProfile: fromGroups([1, 0, 99, 1, 0, 255]),
  dailyBilling: fromGroups([1, 0, 98, 1, 0, 255]),
  standardEventLog: fromGroups([0, 0, 99, 98, 0, 255]),
  disconnectControl: fromGroups([0, 0, 96, 3, 10, 255]),
  associationLn: fromGroups([0, 0, 40, 0, 0, 255]),
  imageTransfer: fromGroups([0, 0, 44, 0, 0, 255]),
  pushSetup: fromGroups([0, 0, 25, 9, 0, 255]),
} as const;
