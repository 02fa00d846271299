// GET, SET and ACTION as a server answers them (IEC 62056-5-3 §6.?; Green Book 9.3):
// the object model gives values and result codes, this file turns them into responses,
// with block transfer when an answer does not fit the client's max receive PDU size and
// reassembly when a request comes in blocks.
import { ByteWriter, concat } from '../../bytes.js';
import { ProtocolError } from '../../errors.js';
import { decodeData, encodeData } from '../axdr.js';
import type { CosemData } from '../data.js';
import {
  type ActionRequestWithFirstPblock,
  type Apdu,
  type GetDataResult,
  type InvokeIdAndPriority,
  type SetRequestWithFirstDatablock,
  ActionResult,
  DataAccessResult,
  encodeApdu,
  writeGetDataResult,
} from '../apdu/index.js';
import type { AccessContext, CosemServerObjects } from './server-objects.js';

/** Blocks in flight for one association. */
export interface BlockState {
  /** A long answer being sent block by block (GET data or ACTION return). */
  outgoing: Uint8Array[];
  outgoingKind: 'get' | 'action' | null;
  sent: number;
  /** A long SET value or ACTION parameters being received. */
  incoming: Uint8Array[];
  head: SetRequestWithFirstDatablock | ActionRequestWithFirstPblock | null;
}

export function newBlockState(): BlockState {
  return { outgoing: [], outgoingKind: null, sent: 0, incoming: [], head: null };
}

export function serveRequest(apdu: Apdu, objects: CosemServerObjects, ctx: AccessContext, blocks: BlockState, maxPdu: number): Uint8Array | null {
  const invoke = invokeOf(apdu);
  switch (apdu.kind) {
    case 'GetRequestNormal': {
      const got = objects.get(apdu.attribute, apdu.access, ctx);
      const result: GetDataResult = 'data' in got ? { kind: 'data', data: got.data } : { kind: 'data-access-result', dataAccessResult: got.error };
      const whole = encodeApdu({ kind: 'GetResponseNormal', ...invoke, result });
      if (whole.length <= maxPdu || result.kind !== 'data') return whole;
      return startBlocks(blocks, 'get', encodeData(result.data), maxPdu, invoke);
    }
    case 'GetRequestWithList': {
      const results = apdu.attributes.map(({ attribute, access }): GetDataResult => {
        const got = objects.get(attribute, access, ctx);
        return 'data' in got ? { kind: 'data', data: got.data } : { kind: 'data-access-result', dataAccessResult: got.error };
      });
      const whole = encodeApdu({ kind: 'GetResponseWithList', ...invoke, results });
      if (whole.length <= maxPdu) return whole;
      const w = new ByteWriter().lengthField(results.length);
      for (const r of results) writeGetDataResult(w, r);
      return startBlocks(blocks, 'get', w.toBytes(), maxPdu, invoke);
    }
    case 'GetRequestNext': {
      if (blocks.outgoingKind !== 'get') return getBlockError(invoke, apdu.blockNumber, DataAccessResult['no-long-get-in-progress']);
      if (apdu.blockNumber !== blocks.sent) return getBlockError(invoke, apdu.blockNumber, DataAccessResult['data-block-number-invalid']);
      return nextBlock(blocks, invoke);
    }
    case 'SetRequestNormal':
      return encodeApdu({ kind: 'SetResponseNormal', ...invoke, result: objects.set(apdu.attribute, apdu.value, apdu.access, ctx) });
    case 'SetRequestWithList':
      return encodeApdu({ kind: 'SetResponseWithList', ...invoke, results: apdu.attributes.map((a, i) => objects.set(a.attribute, apdu.values[i] ?? { type: 'null-data' }, a.access, ctx)) });
    case 'SetRequestWithFirstDatablock':
    case 'ActionRequestWithFirstPblock':
      blocks.head = apdu;
      blocks.incoming = [];
      return takeBlock(apdu, objects, ctx, blocks, invoke);
    case 'SetRequestWithDatablock':
    case 'ActionRequestWithPblock':
      return takeBlock(apdu, objects, ctx, blocks, invoke);
    case 'ActionRequestNormal':
      return actionResponse(objects.action(apdu.method, apdu.parameters, ctx), invoke, blocks, maxPdu);
    case 'ActionRequestNextPblock':
      if (blocks.outgoingKind !== 'action' || apdu.blockNumber !== blocks.sent) {
        return encodeApdu({ kind: 'ActionResponseNormal', ...invoke, result: ActionResult['long-action-aborted'] });
      }
      return nextBlock(blocks, invoke);
    default:
      return null;
  }
}

function takeBlock(
  apdu: SetRequestWithFirstDatablock | ActionRequestWithFirstPblock | Extract<Apdu, { kind: 'SetRequestWithDatablock' | 'ActionRequestWithPblock' }>,
  objects: CosemServerObjects,
  ctx: AccessContext,
  blocks: BlockState,
  invoke: InvokeIdAndPriority,
): Uint8Array {
  const head = blocks.head;
  const isSet = apdu.kind.startsWith('Set');
  const aborted = (): Uint8Array => {
    blocks.head = null;
    blocks.incoming = [];
    return isSet
      ? encodeApdu({ kind: 'SetResponseLastDatablock', ...invoke, result: DataAccessResult['no-long-set-in-progress'], blockNumber: apdu.blockNumber })
      : encodeApdu({ kind: 'ActionResponseNormal', ...invoke, result: ActionResult['no-long-action-in-progress'] });
  };
  if (!head || head.kind.startsWith('Set') !== isSet || apdu.blockNumber !== blocks.incoming.length + 1) return aborted();
  blocks.incoming.push(apdu.rawData);
  if (!apdu.lastBlock) {
    return isSet
      ? encodeApdu({ kind: 'SetResponseDatablock', ...invoke, blockNumber: apdu.blockNumber })
      : encodeApdu({ kind: 'ActionResponseNextPblock', ...invoke, blockNumber: apdu.blockNumber });
  }
  const raw = concat(blocks.incoming);
  blocks.head = null;
  blocks.incoming = [];
  let value: CosemData;
  try {
    value = decodeData(raw);
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    return isSet
      ? encodeApdu({ kind: 'SetResponseLastDatablock', ...invoke, result: DataAccessResult['type-unmatched'], blockNumber: apdu.blockNumber })
      : encodeApdu({ kind: 'ActionResponseNormal', ...invoke, result: ActionResult['type-unmatched'] });
  }
  if (head.kind === 'SetRequestWithFirstDatablock') {
    const result = objects.set(head.attribute, value, head.access, ctx);
    return encodeApdu({ kind: 'SetResponseLastDatablock', ...invoke, result, blockNumber: apdu.blockNumber });
  }
  return actionResponse(objects.action(head.method, value, ctx), invoke, blocks, Infinity);
}

function actionResponse(done: { result: number; returned?: CosemData }, invoke: InvokeIdAndPriority, blocks: BlockState, maxPdu: number): Uint8Array {
  const returnParameters: GetDataResult | undefined = done.returned ? { kind: 'data', data: done.returned } : undefined;
  const whole = encodeApdu({ kind: 'ActionResponseNormal', ...invoke, result: done.result, ...(returnParameters && { returnParameters }) });
  if (whole.length <= maxPdu) return whole;
  // The pblocks carry Action-Response-With-Optional-Data: result, then the optional Get-Data-Result.
  const w = new ByteWriter().u8(done.result).u8(1);
  writeGetDataResult(w, returnParameters!);
  return startBlocks(blocks, 'action', w.toBytes(), maxPdu, invoke);
}

function startBlocks(blocks: BlockState, kind: 'get' | 'action', raw: Uint8Array, maxPdu: number, invoke: InvokeIdAndPriority): Uint8Array {
  const size = Math.max(16, maxPdu - 16);
  blocks.outgoing = [];
  for (let at = 0; at < raw.length; at += size) blocks.outgoing.push(raw.subarray(at, at + size));
  blocks.outgoingKind = kind;
  blocks.sent = 0;
  return nextBlock(blocks, invoke);
}

function nextBlock(blocks: BlockState, invoke: InvokeIdAndPriority): Uint8Array {
  const index = blocks.sent++;
  const lastBlock = index === blocks.outgoing.length - 1;
  const rawData = blocks.outgoing[index];
  const kind = blocks.outgoingKind;
  if (lastBlock) {
    blocks.outgoing = [];
    blocks.outgoingKind = null;
  }
  return kind === 'get'
    ? encodeApdu({ kind: 'GetResponseWithDatablock', ...invoke, lastBlock, blockNumber: index + 1, result: { kind: 'raw-data', rawData } })
    : encodeApdu({ kind: 'ActionResponseWithPblock', ...invoke, lastBlock, blockNumber: index + 1, rawData });
}

function getBlockError(invoke: InvokeIdAndPriority, blockNumber: number, code: number): Uint8Array {
  return encodeApdu({ kind: 'GetResponseWithDatablock', ...invoke, lastBlock: true, blockNumber, result: { kind: 'data-access-result', dataAccessResult: code } });
}

function invokeOf(apdu: Apdu): InvokeIdAndPriority {
  return 'invokeId' in apdu && 'serviceClass' in apdu
    ? { invokeId: apdu.invokeId, serviceClass: apdu.serviceClass, priority: apdu.priority }
    : { invokeId: 0, serviceClass: 'confirmed', priority: 'high' };
}
