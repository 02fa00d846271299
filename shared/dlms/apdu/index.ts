// One entry point for every DLMS/COSEM APDU: decodeApdu dispatches on the first
// byte to a discriminated union named after the standard's CHOICEs, encodeApdu
// writes any member back. Ciphered and signed APDUs are passed through whole as
// { kind: 'Ciphered' }; deciphering is shared/dlms/security's job.
import { ByteReader, ByteWriter } from '../../bytes.js';
import { readAcseApdu, writeAcseApdu, type AcseApdu } from './acse.js';
import { readActionRequest, readActionResponse, writeActionRequest, writeActionResponse, type ActionRequest, type ActionResponse } from './action.js';
import {
  readConfirmedServiceError,
  readExceptionResponse,
  writeConfirmedServiceError,
  writeExceptionResponse,
  type ConfirmedServiceError,
  type ExceptionResponse,
} from './exception.js';
import { readGeneralBlockTransfer, writeGeneralBlockTransfer, type GeneralBlockTransfer } from './general-block-transfer.js';
import { readGetRequest, readGetResponse, writeGetRequest, writeGetResponse, type GetRequest, type GetResponse } from './get.js';
import {
  readInitiateRequest,
  readInitiateResponse,
  writeInitiateRequest,
  writeInitiateResponse,
  type InitiateRequest,
  type InitiateResponse,
} from './initiate.js';
import {
  readDataNotification,
  readEventNotificationRequest,
  writeDataNotification,
  writeEventNotificationRequest,
  type DataNotification,
  type EventNotificationRequest,
} from './notification.js';
import { readSetRequest, readSetResponse, writeSetRequest, writeSetResponse, type SetRequest, type SetResponse } from './set.js';

export * from './acse.js';
export * from './action.js';
export * from './descriptors.js';
export * from './exception.js';
export * from './general-block-transfer.js';
export * from './get.js';
export * from './initiate.js';
export * from './invoke-id.js';
export * from './notification.js';
export * from './results.js';
export * from './selective-access.js';
export * from './set.js';

/** A protected APDU, whole (tag byte included), left for the security layer. */
export interface Ciphered {
  kind: 'Ciphered';
  tag: number;
  bytes: Uint8Array;
}

export type Apdu =
  | AcseApdu
  | InitiateRequest
  | InitiateResponse
  | ConfirmedServiceError
  | GetRequest
  | GetResponse
  | SetRequest
  | SetResponse
  | ActionRequest
  | ActionResponse
  | DataNotification
  | EventNotificationRequest
  | ExceptionResponse
  | GeneralBlockTransfer
  | Ciphered;

export type ApduKind = Apdu['kind'];

/**
 * Service-specific ciphering: glo-/ded- xDLMS (0x21…0x58) and LN services
 * (0xC8…0xD7). Each is tag, length, then security header and ciphertext.
 */
const SERVICE_CIPHERED = new Set([
  0x21, 0x25, 0x26, 0x28, 0x2c, 0x2d, 0x2e, 0x36, 0x38, // glo- xDLMS
  0x41, 0x45, 0x46, 0x48, 0x4c, 0x4d, 0x4e, 0x56, 0x58, // ded- xDLMS
  0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xcf, // glo- get/set/event/action
  0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd7, // ded- get/set/event/action
]);
const GENERAL_GLO_CIPHERING = 0xdb;
const GENERAL_DED_CIPHERING = 0xdc;
/** general-ciphering and general-signing: their many optional fields are the security layer's to parse. */
const GENERAL_OTHER = new Set([0xdd, 0xdf]);

export function isCipheredTag(tag: number): boolean {
  return SERVICE_CIPHERED.has(tag) || tag === GENERAL_GLO_CIPHERING || tag === GENERAL_DED_CIPHERING || GENERAL_OTHER.has(tag);
}

/** Checks the outer framing only (so truncation shows up here, with an offset) and keeps the bytes. */
function readCiphered(r: ByteReader): Ciphered {
  const start = r.pos;
  const tag = r.u8('ciphered APDU tag');
  if (tag === GENERAL_GLO_CIPHERING || tag === GENERAL_DED_CIPHERING) {
    r.take(r.length('system-title length'), 'system-title');
  }
  if (!GENERAL_OTHER.has(tag)) {
    const at = r.pos;
    const n = r.length('ciphered content length');
    if (n !== r.remaining) r.fail(`ciphered content: length ${n} but ${r.remaining} byte(s) follow`, at);
  }
  r.pos = r.bytes.length;
  return { kind: 'Ciphered', tag, bytes: r.bytes.slice(start) };
}

function readOne(r: ByteReader, tag: number): Apdu {
  switch (tag) {
    case 0x01:
      return readInitiateRequest(r);
    case 0x08:
      return readInitiateResponse(r);
    case 0x0e:
      return readConfirmedServiceError(r);
    case 0x0f:
      return readDataNotification(r);
    case 0x60:
    case 0x61:
    case 0x62:
    case 0x63:
      return readAcseApdu(r);
    case 0xc0:
      return readGetRequest(r);
    case 0xc1:
      return readSetRequest(r);
    case 0xc2:
      return readEventNotificationRequest(r);
    case 0xc3:
      return readActionRequest(r);
    case 0xc4:
      return readGetResponse(r);
    case 0xc5:
      return readSetResponse(r);
    case 0xc7:
      return readActionResponse(r);
    case 0xd8:
      return readExceptionResponse(r);
    case 0xe0:
      return readGeneralBlockTransfer(r);
    default:
      if (isCipheredTag(tag)) return readCiphered(r);
      return r.fail(`unsupported APDU tag 0x${tag.toString(16).padStart(2, '0')}`);
  }
}

/**
 * Decodes one complete APDU. Any malformed input, trailing bytes included,
 * throws ProtocolError (layer 'acse' or 'xdlms', or 'axdr'/'obis' from the
 * Data and OBIS codecs) with the offset of the problem.
 */
export function decodeApdu(bytes: Uint8Array): Apdu {
  const tag = bytes.length > 0 ? bytes[0] : -1;
  const r = new ByteReader(bytes, tag >= 0x60 && tag <= 0x63 ? 'acse' : 'xdlms');
  const apdu = readOne(r, r.peek('APDU tag'));
  if (!r.atEnd) r.fail(`${r.remaining} byte(s) after the end of the ${apdu.kind} APDU`);
  return apdu;
}

export function writeApdu(w: ByteWriter, apdu: Apdu): void {
  switch (apdu.kind) {
    case 'AARQ':
    case 'AARE':
    case 'RLRQ':
    case 'RLRE':
      return writeAcseApdu(w, apdu);
    case 'InitiateRequest':
      return writeInitiateRequest(w, apdu);
    case 'InitiateResponse':
      return writeInitiateResponse(w, apdu);
    case 'ConfirmedServiceError':
      return writeConfirmedServiceError(w, apdu);
    case 'GetRequestNormal':
    case 'GetRequestNext':
    case 'GetRequestWithList':
      return writeGetRequest(w, apdu);
    case 'GetResponseNormal':
    case 'GetResponseWithDatablock':
    case 'GetResponseWithList':
      return writeGetResponse(w, apdu);
    case 'SetRequestNormal':
    case 'SetRequestWithFirstDatablock':
    case 'SetRequestWithDatablock':
    case 'SetRequestWithList':
    case 'SetRequestWithListAndFirstDatablock':
      return writeSetRequest(w, apdu);
    case 'SetResponseNormal':
    case 'SetResponseDatablock':
    case 'SetResponseLastDatablock':
    case 'SetResponseLastDatablockWithList':
    case 'SetResponseWithList':
      return writeSetResponse(w, apdu);
    case 'ActionRequestNormal':
    case 'ActionRequestNextPblock':
    case 'ActionRequestWithList':
    case 'ActionRequestWithFirstPblock':
    case 'ActionRequestWithListAndFirstPblock':
    case 'ActionRequestWithPblock':
      return writeActionRequest(w, apdu);
    case 'ActionResponseNormal':
    case 'ActionResponseWithPblock':
    case 'ActionResponseWithList':
    case 'ActionResponseNextPblock':
      return writeActionResponse(w, apdu);
    case 'DataNotification':
      return writeDataNotification(w, apdu);
    case 'EventNotificationRequest':
      return writeEventNotificationRequest(w, apdu);
    case 'ExceptionResponse':
      return writeExceptionResponse(w, apdu);
    case 'GeneralBlockTransfer':
      return writeGeneralBlockTransfer(w, apdu);
    case 'Ciphered':
      if (apdu.bytes[0] !== apdu.tag) throw new TypeError('Ciphered: bytes must start with the tag');
      w.bytes(apdu.bytes);
      return;
  }
}

export function encodeApdu(apdu: Apdu): Uint8Array {
  const w = new ByteWriter();
  writeApdu(w, apdu);
  return w.toBytes();
}
