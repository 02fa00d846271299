// Result codes and the result-carrying components shared by GET, SET and ACTION:
// Data-Access-Result, Action-Result, Get-Data-Result and the two data-block forms
// (DataBlock-G for GET responses, DataBlock-SA for SET/ACTION blocks).
import type { ByteReader, ByteWriter } from '../../bytes.js';
import { readData, writeData } from '../axdr.js';
import type { CosemData } from '../data.js';
import { readBoolean, readOctetString, writeBoolean, writeOctetString } from './xdr.js';

/** The codes Data-Access-Result and Action-Result share (IEC 62056-5-3); they differ from 15 on. */
const COMMON_RESULTS = {
  success: 0,
  'hardware-fault': 1,
  'temporary-failure': 2,
  'read-write-denied': 3,
  'object-undefined': 4,
  'object-class-inconsistent': 9,
  'object-unavailable': 11,
  'type-unmatched': 12,
  'scope-of-access-violated': 13,
  'data-block-unavailable': 14,
  'other-reason': 250,
} as const;

export const DataAccessResult = {
  ...COMMON_RESULTS,
  'long-get-aborted': 15,
  'no-long-get-in-progress': 16,
  'long-set-aborted': 17,
  'no-long-set-in-progress': 18,
  'data-block-number-invalid': 19,
} as const;
export type DataAccessResultName = keyof typeof DataAccessResult;

export const ActionResult = {
  ...COMMON_RESULTS,
  'long-action-aborted': 15,
  'no-long-action-in-progress': 16,
} as const;
export type ActionResultName = keyof typeof ActionResult;

/** The name of a code in one of the tables above; unknown codes stay visible as 'unknown(n)'. */
export function nameOf(table: Readonly<Record<string, number>>, code: number): string {
  for (const [name, value] of Object.entries(table)) if (value === code) return name;
  return `unknown(${code})`;
}

export const dataAccessResultName = (code: number): string => nameOf(DataAccessResult, code);
export const actionResultName = (code: number): string => nameOf(ActionResult, code);

/** Get-Data-Result CHOICE: data [0] or data-access-result [1]. */
export type GetDataResult =
  | { kind: 'data'; data: CosemData }
  | { kind: 'data-access-result'; dataAccessResult: number };

export function readGetDataResult(r: ByteReader): GetDataResult {
  const at = r.pos;
  const choice = r.u8('Get-Data-Result choice');
  if (choice === 0) return { kind: 'data', data: readData(r) };
  if (choice === 1) return { kind: 'data-access-result', dataAccessResult: r.u8('data-access-result') };
  return r.fail(`Get-Data-Result: unknown choice ${choice}`, at);
}

export function writeGetDataResult(w: ByteWriter, g: GetDataResult): void {
  if (g.kind === 'data') {
    w.u8(0);
    writeData(w, g.data);
  } else {
    w.u8(1).u8(g.dataAccessResult);
  }
}

/** DataBlock-G result CHOICE: raw-data [0] (a slice of the encoded value) or data-access-result [1]. */
export type BlockResult =
  | { kind: 'raw-data'; rawData: Uint8Array }
  | { kind: 'data-access-result'; dataAccessResult: number };

export interface DataBlockG {
  lastBlock: boolean;
  blockNumber: number;
  result: BlockResult;
}

export function readDataBlockG(r: ByteReader): DataBlockG {
  const lastBlock = readBoolean(r, 'last-block');
  const blockNumber = r.u32('block-number');
  const at = r.pos;
  const choice = r.u8('DataBlock-G result choice');
  let result: BlockResult;
  if (choice === 0) result = { kind: 'raw-data', rawData: readOctetString(r, 'raw-data') };
  else if (choice === 1) result = { kind: 'data-access-result', dataAccessResult: r.u8('data-access-result') };
  else return r.fail(`DataBlock-G: unknown result choice ${choice}`, at);
  return { lastBlock, blockNumber, result };
}

export function writeDataBlockG(w: ByteWriter, b: DataBlockG): void {
  writeBoolean(w, b.lastBlock);
  w.u32(b.blockNumber);
  if (b.result.kind === 'raw-data') {
    w.u8(0);
    writeOctetString(w, b.result.rawData);
  } else {
    w.u8(1).u8(b.result.dataAccessResult);
  }
}

/** DataBlock-SA: a block of a long SET value or ACTION parameters/return value. */
export interface DataBlockSA {
  lastBlock: boolean;
  blockNumber: number;
  rawData: Uint8Array;
}

export function readDataBlockSA(r: ByteReader): DataBlockSA {
  const lastBlock = readBoolean(r, 'last-block');
  const blockNumber = r.u32('block-number');
  return { lastBlock, blockNumber, rawData: readOctetString(r, 'raw-data') };
}

export function writeDataBlockSA(w: ByteWriter, b: DataBlockSA): void {
  writeBoolean(w, b.lastBlock);
  w.u32(b.blockNumber);
  writeOctetString(w, b.rawData);
}
