// The one shape of COSEM data that crosses every layer (IEC 62056-6-2 / Green Book
// "Data" CHOICE). Tag numbers are the A-XDR choice tags; 64-bit integers are bigint.
// The A-XDR codec for it lives in axdr.ts.
import type { CosemDate, CosemDateTime, CosemTime } from './datetime.js';

export const DataTag = {
  'null-data': 0,
  array: 1,
  structure: 2,
  boolean: 3,
  'bit-string': 4,
  'double-long': 5,
  'double-long-unsigned': 6,
  'octet-string': 9,
  'visible-string': 10,
  'utf8-string': 12,
  bcd: 13,
  integer: 15,
  long: 16,
  unsigned: 17,
  'long-unsigned': 18,
  'compact-array': 19,
  long64: 20,
  'long64-unsigned': 21,
  enum: 22,
  float32: 23,
  float64: 24,
  'date-time': 25,
  date: 26,
  time: 27,
  'dont-care': 255,
} as const;

export type DataType = keyof typeof DataTag;

/** A bit-string: `length` bits, packed most significant bit first into `bytes`. */
export interface BitString {
  length: number;
  bytes: Uint8Array;
}

/** The type description used by compact-array (contents-description). */
export type TypeDescription =
  | { type: 'array'; count: number; element: TypeDescription }
  | { type: 'structure'; fields: TypeDescription[] }
  | { type: Exclude<DataType, 'array' | 'structure'> };

export type CosemData =
  | { type: 'null-data' }
  | { type: 'dont-care' }
  | { type: 'array'; value: CosemData[] }
  | { type: 'structure'; value: CosemData[] }
  | { type: 'boolean'; value: boolean }
  | { type: 'bit-string'; value: BitString }
  | { type: 'double-long'; value: number }
  | { type: 'double-long-unsigned'; value: number }
  | { type: 'octet-string'; value: Uint8Array }
  | { type: 'visible-string'; value: string }
  | { type: 'utf8-string'; value: string }
  | { type: 'bcd'; value: number }
  | { type: 'integer'; value: number }
  | { type: 'long'; value: number }
  | { type: 'unsigned'; value: number }
  | { type: 'long-unsigned'; value: number }
  | { type: 'compact-array'; value: { description: TypeDescription; elements: CosemData[] } }
  | { type: 'long64'; value: bigint }
  | { type: 'long64-unsigned'; value: bigint }
  | { type: 'enum'; value: number }
  | { type: 'float32'; value: number }
  | { type: 'float64'; value: number }
  | { type: 'date-time'; value: CosemDateTime }
  | { type: 'date'; value: CosemDate }
  | { type: 'time'; value: CosemTime };
