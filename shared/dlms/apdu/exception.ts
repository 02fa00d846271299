// The two error APDUs of xDLMS: ExceptionResponse [216] (the server could not
// even dispatch the request: wrong state, unknown service, deciphering failed…)
// and ConfirmedServiceError [14] (an InitiateRequest refused, or an SN
// read/write that failed at the service level).
import type { ByteReader, ByteWriter } from '../../bytes.js';

export const EXCEPTION_RESPONSE = 0xd8;
export const CONFIRMED_SERVICE_ERROR = 0x0e;

export const StateError = { 'service-not-allowed': 1, 'service-unknown': 2 } as const;

export const ServiceError = {
  'operation-not-possible': 1,
  'service-not-supported': 2,
  'other-reason': 3,
  'pdu-too-long': 4,
  'deciphering-error': 5,
  'invocation-counter-error': 6,
} as const;

export interface ExceptionResponse {
  kind: 'ExceptionResponse';
  stateError: number;
  serviceError: number;
  /** Only with invocation-counter-error: the lowest counter the server would accept. */
  invocationCounter?: number;
}

export function readExceptionResponse(r: ByteReader): ExceptionResponse {
  r.u8('ExceptionResponse tag');
  const stateError = r.u8('state-error');
  const serviceError = r.u8('service-error');
  if (serviceError === ServiceError['invocation-counter-error']) {
    return { kind: 'ExceptionResponse', stateError, serviceError, invocationCounter: r.u32('invocation-counter') };
  }
  return { kind: 'ExceptionResponse', stateError, serviceError };
}

export function writeExceptionResponse(w: ByteWriter, a: ExceptionResponse): void {
  w.u8(EXCEPTION_RESPONSE).u8(a.stateError).u8(a.serviceError);
  if (a.serviceError === ServiceError['invocation-counter-error']) {
    if (a.invocationCounter === undefined) throw new TypeError('invocation-counter-error needs invocationCounter');
    w.u32(a.invocationCounter);
  }
}

/** ConfirmedServiceError CHOICE: which service failed. */
export const ConfirmedService = {
  initiateError: 1,
  getStatus: 2,
  getNameList: 3,
  getVariableAttribute: 4,
  read: 5,
  write: 6,
  getDataSetAttribute: 7,
  getTIAttribute: 8,
  changeScope: 9,
  start: 10,
  stop: 11,
  resume: 12,
  makeUsable: 13,
  initiateLoad: 14,
  loadSegment: 15,
  terminateLoad: 16,
  initiateUpLoad: 17,
  upLoadSegment: 18,
  terminateUpLoad: 19,
} as const;

/** ServiceError CHOICE: the class of the error; each has its own ENUMERATED values. */
export const ServiceErrorType = {
  'application-reference': 0,
  'hardware-resource': 1,
  'vde-state-error': 2,
  service: 3,
  definition: 4,
  access: 5,
  initiate: 6,
  'load-data-set': 7,
  'change-scope': 8,
  task: 9,
  other: 10,
} as const;

/** Values of the `initiate` error type, the one an AARE carries when the InitiateRequest is refused. */
export const InitiateError = {
  other: 0,
  'dlms-version-too-low': 1,
  'incompatible-conformance': 2,
  'pdu-size-too-short': 3,
  'refused-by-the-VDE-Handler': 4,
} as const;

export interface ConfirmedServiceError {
  kind: 'ConfirmedServiceError';
  service: number;
  errorType: number;
  value: number;
}

export function readConfirmedServiceError(r: ByteReader): ConfirmedServiceError {
  r.u8('ConfirmedServiceError tag');
  const serviceAt = r.pos;
  const service = r.u8('ConfirmedServiceError choice');
  if (service < 1 || service > 19) r.fail(`ConfirmedServiceError: unknown service ${service}`, serviceAt);
  const typeAt = r.pos;
  const errorType = r.u8('ServiceError choice');
  if (errorType > 10) r.fail(`ServiceError: unknown choice ${errorType}`, typeAt);
  return { kind: 'ConfirmedServiceError', service, errorType, value: r.u8('ServiceError value') };
}

export function writeConfirmedServiceError(w: ByteWriter, a: ConfirmedServiceError): void {
  w.u8(CONFIRMED_SERVICE_ERROR).u8(a.service).u8(a.errorType).u8(a.value);
}
