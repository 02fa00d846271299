// xDLMS InitiateRequest [1] and InitiateResponse [8] (carried in the AARQ/AARE
// user-information), and the Conformance block that both negotiate.
//
// Conformance is a BER BIT STRING [APPLICATION 31] of 24 bits inside A-XDR:
// 5F 1F 04 00 b0 b1 b2. We keep it as a 24-bit number (0x401E5D), which is how
// it is written on the wire and in most tools; bit n of the standard is
// 1 << (23 - n) of that number.
import type { ByteReader, ByteWriter } from '../../bytes.js';
import { readOctetString, readOptional, writeOctetString, writeOptional } from './xdr.js';

export const INITIATE_REQUEST = 0x01;
export const INITIATE_RESPONSE = 0x08;

/** Conformance bit numbers (Green Book, xDLMS Conformance ::= [APPLICATION 31] IMPLICIT BIT STRING). */
export const ConformanceBit = {
  'reserved-zero': 0,
  'general-protection': 1,
  'general-block-transfer': 2,
  read: 3,
  write: 4,
  'unconfirmed-write': 5,
  'delta-value-encoding': 6,
  'reserved-seven': 7,
  'attribute0-supported-with-set': 8,
  'priority-mgmt-supported': 9,
  'attribute0-supported-with-get': 10,
  'block-transfer-with-get-or-read': 11,
  'block-transfer-with-set-or-write': 12,
  'block-transfer-with-action': 13,
  'multiple-references': 14,
  'information-report': 15,
  'data-notification': 16,
  access: 17,
  'parameterized-access': 18,
  get: 19,
  set: 20,
  'selective-access': 21,
  'event-notification': 22,
  action: 23,
} as const;
export type ConformanceName = keyof typeof ConformanceBit;

export function conformanceMask(name: ConformanceName): number {
  return 1 << (23 - ConformanceBit[name]);
}

export function conformanceFromNames(names: Iterable<ConformanceName>): number {
  let v = 0;
  for (const n of names) v |= conformanceMask(n);
  return v;
}

export function conformanceNames(value: number): ConformanceName[] {
  return (Object.keys(ConformanceBit) as ConformanceName[]).filter((n) => (value & conformanceMask(n)) !== 0);
}

export function hasConformance(value: number, name: ConformanceName): boolean {
  return (value & conformanceMask(name)) !== 0;
}

export function readConformance(r: ByteReader): number {
  const at = r.pos;
  if (r.u8('conformance tag') !== 0x5f || r.u8('conformance tag') !== 0x1f) {
    r.fail('conformance: expected tag 5F 1F ([APPLICATION 31])', at);
  }
  const lengthAt = r.pos;
  if (r.u8('conformance length') !== 4) r.fail('conformance: expected length 4', lengthAt);
  const unusedAt = r.pos;
  if (r.u8('conformance unused bits') !== 0) r.fail('conformance: expected 0 unused bits', unusedAt);
  return (r.u8('conformance') << 16) | (r.u8('conformance') << 8) | r.u8('conformance');
}

export function writeConformance(w: ByteWriter, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffff) throw new RangeError(`conformance ${value} is not 24 bits`);
  w.u8(0x5f).u8(0x1f).u8(4).u8(0).u8(value >> 16).u8(value >> 8).u8(value);
}

export interface InitiateRequest {
  kind: 'InitiateRequest';
  /** Dedicated key for ded-ciphering, sent only inside a ciphered InitiateRequest. */
  dedicatedKey?: Uint8Array;
  /** DEFAULT TRUE; false asks the server not to answer (unconfirmed services only). */
  responseAllowed: boolean;
  proposedQualityOfService?: number;
  /** 6 for DLMS UA "version 6". */
  proposedDlmsVersionNumber: number;
  proposedConformance: number;
  clientMaxReceivePduSize: number;
}

export interface InitiateResponse {
  kind: 'InitiateResponse';
  negotiatedQualityOfService?: number;
  negotiatedDlmsVersionNumber: number;
  negotiatedConformance: number;
  serverMaxReceivePduSize: number;
  /** 0x0007 with LN referencing; with SN the base name of the association object (0xFA00), hence read unsigned. */
  vaaName: number;
}

export function readInitiateRequest(r: ByteReader): InitiateRequest {
  r.u8('InitiateRequest tag');
  const dedicatedKey = readOptional(r, 'dedicated-key', (x) => readOctetString(x, 'dedicated-key'));
  // A DEFAULT component: flag 0 means "the default", flag 1 is followed by the value.
  const responseAllowed = readOptional(r, 'response-allowed', (x) => x.u8('response-allowed') !== 0) ?? true;
  const proposedQualityOfService = readOptional(r, 'proposed-quality-of-service', (x) => x.i8('quality-of-service'));
  const proposedDlmsVersionNumber = r.u8('proposed-dlms-version-number');
  const proposedConformance = readConformance(r);
  const clientMaxReceivePduSize = r.u16('client-max-receive-pdu-size');
  return {
    kind: 'InitiateRequest',
    ...(dedicatedKey && { dedicatedKey }),
    responseAllowed,
    ...(proposedQualityOfService !== undefined && { proposedQualityOfService }),
    proposedDlmsVersionNumber,
    proposedConformance,
    clientMaxReceivePduSize,
  };
}

export function writeInitiateRequest(w: ByteWriter, a: InitiateRequest): void {
  w.u8(INITIATE_REQUEST);
  writeOptional(w, a.dedicatedKey, writeOctetString);
  writeOptional(w, a.responseAllowed === false ? false : undefined, (x, v) => void x.u8(v ? 1 : 0));
  writeOptional(w, a.proposedQualityOfService, (x, v) => void x.i8(v));
  w.u8(a.proposedDlmsVersionNumber);
  writeConformance(w, a.proposedConformance);
  w.u16(a.clientMaxReceivePduSize);
}

export function readInitiateResponse(r: ByteReader): InitiateResponse {
  r.u8('InitiateResponse tag');
  const negotiatedQualityOfService = readOptional(r, 'negotiated-quality-of-service', (x) => x.i8('quality-of-service'));
  const negotiatedDlmsVersionNumber = r.u8('negotiated-dlms-version-number');
  const negotiatedConformance = readConformance(r);
  const serverMaxReceivePduSize = r.u16('server-max-receive-pdu-size');
  const vaaName = r.u16('vaa-name');
  return {
    kind: 'InitiateResponse',
    ...(negotiatedQualityOfService !== undefined && { negotiatedQualityOfService }),
    negotiatedDlmsVersionNumber,
    negotiatedConformance,
    serverMaxReceivePduSize,
    vaaName,
  };
}

export function writeInitiateResponse(w: ByteWriter, a: InitiateResponse): void {
  w.u8(INITIATE_RESPONSE);
  writeOptional(w, a.negotiatedQualityOfService, (x, v) => void x.i8(v));
  w.u8(a.negotiatedDlmsVersionNumber);
  writeConformance(w, a.negotiatedConformance);
  w.u16(a.serverMaxReceivePduSize);
  w.u16(a.vaaName);
}
