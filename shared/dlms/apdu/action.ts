// ACTION-Request [195] and ACTION-Response [199] (IEC 62056-5-3): method calls,
// with long parameters or return values carried in DataBlock-SA "pblocks".
import type { ByteReader, ByteWriter } from '../../bytes.js';
import type { CosemData } from '../data.js';
import { readData, writeData } from '../axdr.js';
import {
  readDataList,
  readMethodDescriptor,
  writeDataList,
  writeMethodDescriptor,
  type CosemMethodDescriptor,
} from './descriptors.js';
import { invokeIdAndPriorityByte, parseInvokeIdAndPriority, type InvokeIdAndPriority } from './invoke-id.js';
import {
  readDataBlockSA,
  readGetDataResult,
  writeDataBlockSA,
  writeGetDataResult,
  type DataBlockSA,
  type GetDataResult,
} from './results.js';
import { readOptional, readSequenceOf, writeOptional, writeSequenceOf } from './xdr.js';

export const ACTION_REQUEST = 0xc3;
export const ACTION_RESPONSE = 0xc7;

export interface ActionRequestNormal extends InvokeIdAndPriority {
  kind: 'ActionRequestNormal';
  method: CosemMethodDescriptor;
  parameters?: CosemData;
}

/** Acknowledges pblock `blockNumber` of a long return value, asking for the next. */
export interface ActionRequestNextPblock extends InvokeIdAndPriority {
  kind: 'ActionRequestNextPblock';
  blockNumber: number;
}

export interface ActionRequestWithList extends InvokeIdAndPriority {
  kind: 'ActionRequestWithList';
  methods: CosemMethodDescriptor[];
  parameters: CosemData[];
}

export interface ActionRequestWithFirstPblock extends InvokeIdAndPriority, DataBlockSA {
  kind: 'ActionRequestWithFirstPblock';
  method: CosemMethodDescriptor;
}

export interface ActionRequestWithListAndFirstPblock extends InvokeIdAndPriority, DataBlockSA {
  kind: 'ActionRequestWithListAndFirstPblock';
  methods: CosemMethodDescriptor[];
}

export interface ActionRequestWithPblock extends InvokeIdAndPriority, DataBlockSA {
  kind: 'ActionRequestWithPblock';
}

/** Action-Response-With-Optional-Data. */
export interface ActionResponseItem {
  result: number;
  returnParameters?: GetDataResult;
}

export interface ActionResponseNormal extends InvokeIdAndPriority, ActionResponseItem {
  kind: 'ActionResponseNormal';
}

export interface ActionResponseWithPblock extends InvokeIdAndPriority, DataBlockSA {
  kind: 'ActionResponseWithPblock';
}

export interface ActionResponseWithList extends InvokeIdAndPriority {
  kind: 'ActionResponseWithList';
  responses: ActionResponseItem[];
}

/** Acknowledges pblock `blockNumber` of long parameters, asking for the next. */
export interface ActionResponseNextPblock extends InvokeIdAndPriority {
  kind: 'ActionResponseNextPblock';
  blockNumber: number;
}

export type ActionRequest =
  | ActionRequestNormal
  | ActionRequestNextPblock
  | ActionRequestWithList
  | ActionRequestWithFirstPblock
  | ActionRequestWithListAndFirstPblock
  | ActionRequestWithPblock;

export type ActionResponse =
  | ActionResponseNormal
  | ActionResponseWithPblock
  | ActionResponseWithList
  | ActionResponseNextPblock;

const readMethods = (r: ByteReader) => readSequenceOf(r, 'cosem-method-descriptor-list', readMethodDescriptor);

export function readActionRequest(r: ByteReader): ActionRequest {
  r.u8('ACTION-Request tag');
  const at = r.pos;
  const choice = r.u8('ACTION-Request choice');
  const invoke = parseInvokeIdAndPriority(r.u8('invoke-id-and-priority'));
  switch (choice) {
    case 1: {
      const method = readMethodDescriptor(r);
      const parameters = readOptional(r, 'method-invocation-parameters', readData);
      return { kind: 'ActionRequestNormal', ...invoke, method, ...(parameters && { parameters }) };
    }
    case 2:
      return { kind: 'ActionRequestNextPblock', ...invoke, blockNumber: r.u32('block-number') };
    case 3: {
      const methods = readMethods(r);
      return { kind: 'ActionRequestWithList', ...invoke, methods, parameters: readDataList(r, 'method-invocation-parameters') };
    }
    case 4: {
      const method = readMethodDescriptor(r);
      return { kind: 'ActionRequestWithFirstPblock', ...invoke, method, ...readDataBlockSA(r) };
    }
    case 5: {
      const methods = readMethods(r);
      return { kind: 'ActionRequestWithListAndFirstPblock', ...invoke, methods, ...readDataBlockSA(r) };
    }
    case 6:
      return { kind: 'ActionRequestWithPblock', ...invoke, ...readDataBlockSA(r) };
    default:
      return r.fail(`ACTION-Request: unknown choice ${choice}`, at);
  }
}

export function writeActionRequest(w: ByteWriter, a: ActionRequest): void {
  w.u8(ACTION_REQUEST);
  switch (a.kind) {
    case 'ActionRequestNormal':
      w.u8(1).u8(invokeIdAndPriorityByte(a));
      writeMethodDescriptor(w, a.method);
      writeOptional(w, a.parameters, writeData);
      return;
    case 'ActionRequestNextPblock':
      w.u8(2).u8(invokeIdAndPriorityByte(a)).u32(a.blockNumber);
      return;
    case 'ActionRequestWithList':
      w.u8(3).u8(invokeIdAndPriorityByte(a));
      writeSequenceOf(w, a.methods, writeMethodDescriptor);
      writeDataList(w, a.parameters);
      return;
    case 'ActionRequestWithFirstPblock':
      w.u8(4).u8(invokeIdAndPriorityByte(a));
      writeMethodDescriptor(w, a.method);
      writeDataBlockSA(w, a);
      return;
    case 'ActionRequestWithListAndFirstPblock':
      w.u8(5).u8(invokeIdAndPriorityByte(a));
      writeSequenceOf(w, a.methods, writeMethodDescriptor);
      writeDataBlockSA(w, a);
      return;
    case 'ActionRequestWithPblock':
      w.u8(6).u8(invokeIdAndPriorityByte(a));
      writeDataBlockSA(w, a);
      return;
  }
}

function readResponseItem(r: ByteReader): ActionResponseItem {
  const result = r.u8('action-result');
  const returnParameters = readOptional(r, 'return-parameters', readGetDataResult);
  return returnParameters ? { result, returnParameters } : { result };
}

function writeResponseItem(w: ByteWriter, item: ActionResponseItem): void {
  w.u8(item.result);
  writeOptional(w, item.returnParameters, writeGetDataResult);
}

export function readActionResponse(r: ByteReader): ActionResponse {
  r.u8('ACTION-Response tag');
  const at = r.pos;
  const choice = r.u8('ACTION-Response choice');
  const invoke = parseInvokeIdAndPriority(r.u8('invoke-id-and-priority'));
  switch (choice) {
    case 1:
      return { kind: 'ActionResponseNormal', ...invoke, ...readResponseItem(r) };
    case 2:
      return { kind: 'ActionResponseWithPblock', ...invoke, ...readDataBlockSA(r) };
    case 3:
      return { kind: 'ActionResponseWithList', ...invoke, responses: readSequenceOf(r, 'list-of-responses', readResponseItem) };
    case 4:
      return { kind: 'ActionResponseNextPblock', ...invoke, blockNumber: r.u32('block-number') };
    default:
      return r.fail(`ACTION-Response: unknown choice ${choice}`, at);
  }
}

export function writeActionResponse(w: ByteWriter, a: ActionResponse): void {
  w.u8(ACTION_RESPONSE);
  switch (a.kind) {
    case 'ActionResponseNormal':
      w.u8(1).u8(invokeIdAndPriorityByte(a));
      writeResponseItem(w, a);
      return;
    case 'ActionResponseWithPblock':
      w.u8(2).u8(invokeIdAndPriorityByte(a));
      writeDataBlockSA(w, a);
      return;
    case 'ActionResponseWithList':
      w.u8(3).u8(invokeIdAndPriorityByte(a));
      writeSequenceOf(w, a.responses, writeResponseItem);
      return;
    case 'ActionResponseNextPblock':
      w.u8(4).u8(invokeIdAndPriorityByte(a)).u32(a.blockNumber);
      return;
  }
}
