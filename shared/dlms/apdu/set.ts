// SET-Request [193] and SET-Response [197] (IEC 62056-5-3). A long value goes in
// DataBlock-SA pieces (with-first-datablock, then with-datablock); the server
// acknowledges each block and answers the last with a result.
import type { ByteReader, ByteWriter } from '../../bytes.js';
import type { CosemData } from '../data.js';
import { readData, writeData } from '../axdr.js';
import {
  readAccessDescriptor,
  readAttributeDescriptor,
  readAttributeList,
  readDataList,
  writeAccessDescriptor,
  writeAttributeDescriptor,
  writeAttributeList,
  writeDataList,
  type AttributeWithSelection,
  type CosemAttributeDescriptor,
  type SelectiveAccessDescriptor,
} from './descriptors.js';
import { invokeIdAndPriorityByte, parseInvokeIdAndPriority, type InvokeIdAndPriority } from './invoke-id.js';
import { readDataBlockSA, writeDataBlockSA, type DataBlockSA } from './results.js';
import { readOptional, readSequenceOf, writeOptional, writeSequenceOf } from './xdr.js';

export const SET_REQUEST = 0xc1;
export const SET_RESPONSE = 0xc5;

export interface SetRequestNormal extends InvokeIdAndPriority {
  kind: 'SetRequestNormal';
  attribute: CosemAttributeDescriptor;
  access?: SelectiveAccessDescriptor;
  value: CosemData;
}

export interface SetRequestWithFirstDatablock extends InvokeIdAndPriority, DataBlockSA {
  kind: 'SetRequestWithFirstDatablock';
  attribute: CosemAttributeDescriptor;
  access?: SelectiveAccessDescriptor;
}

export interface SetRequestWithDatablock extends InvokeIdAndPriority, DataBlockSA {
  kind: 'SetRequestWithDatablock';
}

export interface SetRequestWithList extends InvokeIdAndPriority {
  kind: 'SetRequestWithList';
  attributes: AttributeWithSelection[];
  values: CosemData[];
}

export interface SetRequestWithListAndFirstDatablock extends InvokeIdAndPriority, DataBlockSA {
  kind: 'SetRequestWithListAndFirstDatablock';
  attributes: AttributeWithSelection[];
}

export interface SetResponseNormal extends InvokeIdAndPriority {
  kind: 'SetResponseNormal';
  result: number;
}

/** Acknowledges block `blockNumber`, asking for the next. */
export interface SetResponseDatablock extends InvokeIdAndPriority {
  kind: 'SetResponseDatablock';
  blockNumber: number;
}

export interface SetResponseLastDatablock extends InvokeIdAndPriority {
  kind: 'SetResponseLastDatablock';
  result: number;
  blockNumber: number;
}

export interface SetResponseLastDatablockWithList extends InvokeIdAndPriority {
  kind: 'SetResponseLastDatablockWithList';
  results: number[];
  blockNumber: number;
}

export interface SetResponseWithList extends InvokeIdAndPriority {
  kind: 'SetResponseWithList';
  results: number[];
}

export type SetRequest =
  | SetRequestNormal
  | SetRequestWithFirstDatablock
  | SetRequestWithDatablock
  | SetRequestWithList
  | SetRequestWithListAndFirstDatablock;

export type SetResponse =
  | SetResponseNormal
  | SetResponseDatablock
  | SetResponseLastDatablock
  | SetResponseLastDatablockWithList
  | SetResponseWithList;

const readResult = (r: ByteReader): number => r.u8('data-access-result');
const writeResult = (w: ByteWriter, v: number): void => void w.u8(v);

export function readSetRequest(r: ByteReader): SetRequest {
  r.u8('SET-Request tag');
  const at = r.pos;
  const choice = r.u8('SET-Request choice');
  const invoke = parseInvokeIdAndPriority(r.u8('invoke-id-and-priority'));
  switch (choice) {
    case 1: {
      const attribute = readAttributeDescriptor(r);
      const access = readOptional(r, 'access-selection', readAccessDescriptor);
      return { kind: 'SetRequestNormal', ...invoke, attribute, ...(access && { access }), value: readData(r) };
    }
    case 2: {
      const attribute = readAttributeDescriptor(r);
      const access = readOptional(r, 'access-selection', readAccessDescriptor);
      return { kind: 'SetRequestWithFirstDatablock', ...invoke, attribute, ...(access && { access }), ...readDataBlockSA(r) };
    }
    case 3:
      return { kind: 'SetRequestWithDatablock', ...invoke, ...readDataBlockSA(r) };
    case 4: {
      const attributes = readAttributeList(r);
      return { kind: 'SetRequestWithList', ...invoke, attributes, values: readDataList(r, 'value-list') };
    }
    case 5: {
      const attributes = readAttributeList(r);
      return { kind: 'SetRequestWithListAndFirstDatablock', ...invoke, attributes, ...readDataBlockSA(r) };
    }
    default:
      return r.fail(`SET-Request: unknown choice ${choice}`, at);
  }
}

export function writeSetRequest(w: ByteWriter, a: SetRequest): void {
  w.u8(SET_REQUEST);
  switch (a.kind) {
    case 'SetRequestNormal':
      w.u8(1).u8(invokeIdAndPriorityByte(a));
      writeAttributeDescriptor(w, a.attribute);
      writeOptional(w, a.access, writeAccessDescriptor);
      writeData(w, a.value);
      return;
    case 'SetRequestWithFirstDatablock':
      w.u8(2).u8(invokeIdAndPriorityByte(a));
      writeAttributeDescriptor(w, a.attribute);
      writeOptional(w, a.access, writeAccessDescriptor);
      writeDataBlockSA(w, a);
      return;
    case 'SetRequestWithDatablock':
      w.u8(3).u8(invokeIdAndPriorityByte(a));
      writeDataBlockSA(w, a);
      return;
    case 'SetRequestWithList':
      w.u8(4).u8(invokeIdAndPriorityByte(a));
      writeAttributeList(w, a.attributes);
      writeDataList(w, a.values);
      return;
    case 'SetRequestWithListAndFirstDatablock':
      w.u8(5).u8(invokeIdAndPriorityByte(a));
      writeAttributeList(w, a.attributes);
      writeDataBlockSA(w, a);
      return;
  }
}

export function readSetResponse(r: ByteReader): SetResponse {
  r.u8('SET-Response tag');
  const at = r.pos;
  const choice = r.u8('SET-Response choice');
  const invoke = parseInvokeIdAndPriority(r.u8('invoke-id-and-priority'));
  switch (choice) {
    case 1:
      return { kind: 'SetResponseNormal', ...invoke, result: readResult(r) };
    case 2:
      return { kind: 'SetResponseDatablock', ...invoke, blockNumber: r.u32('block-number') };
    case 3: {
      const result = readResult(r);
      return { kind: 'SetResponseLastDatablock', ...invoke, result, blockNumber: r.u32('block-number') };
    }
    case 4: {
      const results = readSequenceOf(r, 'result list', readResult);
      return { kind: 'SetResponseLastDatablockWithList', ...invoke, results, blockNumber: r.u32('block-number') };
    }
    case 5:
      return { kind: 'SetResponseWithList', ...invoke, results: readSequenceOf(r, 'result list', readResult) };
    default:
      return r.fail(`SET-Response: unknown choice ${choice}`, at);
  }
}

export function writeSetResponse(w: ByteWriter, a: SetResponse): void {
  w.u8(SET_RESPONSE);
  switch (a.kind) {
    case 'SetResponseNormal':
      w.u8(1).u8(invokeIdAndPriorityByte(a)).u8(a.result);
      return;
    case 'SetResponseDatablock':
      w.u8(2).u8(invokeIdAndPriorityByte(a)).u32(a.blockNumber);
      return;
    case 'SetResponseLastDatablock':
      w.u8(3).u8(invokeIdAndPriorityByte(a)).u8(a.result).u32(a.blockNumber);
      return;
    case 'SetResponseLastDatablockWithList':
      w.u8(4).u8(invokeIdAndPriorityByte(a));
      writeSequenceOf(w, a.results, writeResult);
      w.u32(a.blockNumber);
      return;
    case 'SetResponseWithList':
      w.u8(5).u8(invokeIdAndPriorityByte(a));
      writeSequenceOf(w, a.results, writeResult);
      return;
  }
}
