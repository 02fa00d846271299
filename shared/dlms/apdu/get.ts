// GET-Request [192] and GET-Response [196] (IEC 62056-5-3): normal [1], next [2] /
// with-datablock [2], with-list [3]. Readers start at the APDU tag.
import type { ByteReader, ByteWriter } from '../../bytes.js';
import {
  readAttributeDescriptor,
  readAttributeList,
  readAccessDescriptor,
  writeAccessDescriptor,
  writeAttributeDescriptor,
  writeAttributeList,
  type AttributeWithSelection,
  type CosemAttributeDescriptor,
  type SelectiveAccessDescriptor,
} from './descriptors.js';
import { invokeIdAndPriorityByte, parseInvokeIdAndPriority, type InvokeIdAndPriority } from './invoke-id.js';
import {
  readDataBlockG,
  readGetDataResult,
  writeDataBlockG,
  writeGetDataResult,
  type DataBlockG,
  type GetDataResult,
} from './results.js';
import { readOptional, readSequenceOf, writeOptional, writeSequenceOf } from './xdr.js';

export const GET_REQUEST = 0xc0;
export const GET_RESPONSE = 0xc4;

export interface GetRequestNormal extends InvokeIdAndPriority {
  kind: 'GetRequestNormal';
  attribute: CosemAttributeDescriptor;
  access?: SelectiveAccessDescriptor;
}

/** Asks for the block after `blockNumber` (the number of the last block received). */
export interface GetRequestNext extends InvokeIdAndPriority {
  kind: 'GetRequestNext';
  blockNumber: number;
}

export interface GetRequestWithList extends InvokeIdAndPriority {
  kind: 'GetRequestWithList';
  attributes: AttributeWithSelection[];
}

export interface GetResponseNormal extends InvokeIdAndPriority {
  kind: 'GetResponseNormal';
  result: GetDataResult;
}

export interface GetResponseWithDatablock extends InvokeIdAndPriority, DataBlockG {
  kind: 'GetResponseWithDatablock';
}

export interface GetResponseWithList extends InvokeIdAndPriority {
  kind: 'GetResponseWithList';
  results: GetDataResult[];
}

export type GetRequest = GetRequestNormal | GetRequestNext | GetRequestWithList;
export type GetResponse = GetResponseNormal | GetResponseWithDatablock | GetResponseWithList;

export function readGetRequest(r: ByteReader): GetRequest {
  r.u8('GET-Request tag');
  const at = r.pos;
  const choice = r.u8('GET-Request choice');
  const invoke = parseInvokeIdAndPriority(r.u8('invoke-id-and-priority'));
  switch (choice) {
    case 1: {
      const attribute = readAttributeDescriptor(r);
      const access = readOptional(r, 'access-selection', readAccessDescriptor);
      return { kind: 'GetRequestNormal', ...invoke, attribute, ...(access && { access }) };
    }
    case 2:
      return { kind: 'GetRequestNext', ...invoke, blockNumber: r.u32('block-number') };
    case 3:
      return { kind: 'GetRequestWithList', ...invoke, attributes: readAttributeList(r) };
    default:
      return r.fail(`GET-Request: unknown choice ${choice}`, at);
  }
}

export function writeGetRequest(w: ByteWriter, a: GetRequest): void {
  w.u8(GET_REQUEST);
  switch (a.kind) {
    case 'GetRequestNormal':
      w.u8(1).u8(invokeIdAndPriorityByte(a));
      writeAttributeDescriptor(w, a.attribute);
      writeOptional(w, a.access, writeAccessDescriptor);
      return;
    case 'GetRequestNext':
      w.u8(2).u8(invokeIdAndPriorityByte(a)).u32(a.blockNumber);
      return;
    case 'GetRequestWithList':
      w.u8(3).u8(invokeIdAndPriorityByte(a));
      writeAttributeList(w, a.attributes);
      return;
  }
}

export function readGetResponse(r: ByteReader): GetResponse {
  r.u8('GET-Response tag');
  const at = r.pos;
  const choice = r.u8('GET-Response choice');
  const invoke = parseInvokeIdAndPriority(r.u8('invoke-id-and-priority'));
  switch (choice) {
    case 1:
      return { kind: 'GetResponseNormal', ...invoke, result: readGetDataResult(r) };
    case 2:
      return { kind: 'GetResponseWithDatablock', ...invoke, ...readDataBlockG(r) };
    case 3:
      return { kind: 'GetResponseWithList', ...invoke, results: readSequenceOf(r, 'result list', readGetDataResult) };
    default:
      return r.fail(`GET-Response: unknown choice ${choice}`, at);
  }
}

export function writeGetResponse(w: ByteWriter, a: GetResponse): void {
  w.u8(GET_RESPONSE);
  switch (a.kind) {
    case 'GetResponseNormal':
      w.u8(1).u8(invokeIdAndPriorityByte(a));
      writeGetDataResult(w, a.result);
      return;
    case 'GetResponseWithDatablock':
      w.u8(2).u8(invokeIdAndPriorityByte(a));
      writeDataBlockG(w, a);
      return;
    case 'GetResponseWithList':
      w.u8(3).u8(invokeIdAndPriorityByte(a));
      writeSequenceOf(w, a.results, writeGetDataResult);
      return;
  }
}
