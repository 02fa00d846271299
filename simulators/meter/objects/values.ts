// Short constructors for the COSEM data this meter answers with, and the readers for
// what clients send (dates as octet-string(12) or date-time, integers of any width).
import type { CosemData } from '../../../shared/dlms/data.js';
import { asDateTime, dateTimeToUtc, encodeDateTime, type CosemDateTime } from '../../../shared/dlms/datetime.js';
import { obisToBytes, type Obis } from '../../../shared/dlms/obis.js';

export const octets = (value: Uint8Array): CosemData => ({ type: 'octet-string', value });
export const ascii = (text: string): CosemData => octets(new TextEncoder().encode(text));
export const logicalName = (o: Obis): CosemData => octets(obisToBytes(o));
export const bool = (value: boolean): CosemData => ({ type: 'boolean', value });
export const integer = (value: number): CosemData => ({ type: 'integer', value });
export const long = (value: number): CosemData => ({ type: 'long', value });
export const unsigned = (value: number): CosemData => ({ type: 'unsigned', value });
export const longUnsigned = (value: number): CosemData => ({ type: 'long-unsigned', value });
export const doubleLong = (value: number): CosemData => ({ type: 'double-long', value });
export const doubleLongUnsigned = (value: number): CosemData => ({ type: 'double-long-unsigned', value });
export const enumValue = (value: number): CosemData => ({ type: 'enum', value });
export const structure = (...value: CosemData[]): CosemData => ({ type: 'structure', value });
export const array = (value: CosemData[]): CosemData => ({ type: 'array', value });
export const NULL: CosemData = { type: 'null-data' };

/** A date-time the way meters send it: octet-string of 12 bytes. */
export const dateTimeOctets = (dt: CosemDateTime): CosemData => octets(encodeDateTime(dt));

/** The UTC instant of a date-time sent by a client (octet-string(12) or date-time), or null. */
export function instantOf(d: CosemData, assumedDeviation: number): number | null {
  try {
    const dt = asDateTime(d);
    return dt === null ? null : dateTimeToUtc(dt, assumedDeviation);
  } catch {
    return null; // 12 bytes that are not a date-time
  }
}

const INTEGER_TYPES = new Set(['integer', 'long', 'double-long', 'unsigned', 'long-unsigned', 'double-long-unsigned', 'enum']);

/** The number in an integer-typed value, or null. */
export function integerOf(d: CosemData | undefined): number | null {
  if (d === undefined || !INTEGER_TYPES.has(d.type)) return null;
  return (d as { value: number }).value;
}
