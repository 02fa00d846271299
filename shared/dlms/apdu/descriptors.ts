// COSEM attribute and method descriptors (class-id u16, instance-id = the OBIS
// code as 6 bytes, attribute-id / method-id Integer8) and the raw
// Selective-Access-Descriptor (selector + Data parameters) that may follow an
// attribute descriptor. Typed range/entry parameters live in selective-access.ts.
import type { ByteReader, ByteWriter } from '../../bytes.js';
import { readData, writeData } from '../axdr.js';
import type { CosemData } from '../data.js';
import { obisFromBytes, obisToBytes, type Obis } from '../obis.js';
import { readOptional, readSequenceOf, writeOptional, writeSequenceOf } from './xdr.js';

export interface CosemAttributeDescriptor {
  classId: number;
  instanceId: Obis;
  attributeId: number;
}

export interface CosemMethodDescriptor {
  classId: number;
  instanceId: Obis;
  methodId: number;
}

export interface SelectiveAccessDescriptor {
  /** 1 = range_descriptor, 2 = entry_descriptor for profile generic; others are class specific. */
  selector: number;
  parameters: CosemData;
}

/** Cosem-Attribute-Descriptor-With-Selection, the element of the *-with-list requests. */
export interface AttributeWithSelection {
  attribute: CosemAttributeDescriptor;
  access?: SelectiveAccessDescriptor;
}

function readInstance(r: ByteReader): Obis {
  return obisFromBytes(r.take(6, 'instance-id'));
}

export function readAttributeDescriptor(r: ByteReader): CosemAttributeDescriptor {
  const classId = r.u16('class-id');
  const instanceId = readInstance(r);
  return { classId, instanceId, attributeId: r.i8('attribute-id') };
}

export function writeAttributeDescriptor(w: ByteWriter, d: CosemAttributeDescriptor): void {
  w.u16(d.classId).bytes(obisToBytes(d.instanceId)).i8(d.attributeId);
}

export function readMethodDescriptor(r: ByteReader): CosemMethodDescriptor {
  const classId = r.u16('class-id');
  const instanceId = readInstance(r);
  return { classId, instanceId, methodId: r.i8('method-id') };
}

export function writeMethodDescriptor(w: ByteWriter, d: CosemMethodDescriptor): void {
  w.u16(d.classId).bytes(obisToBytes(d.instanceId)).i8(d.methodId);
}

export function readAccessDescriptor(r: ByteReader): SelectiveAccessDescriptor {
  const selector = r.u8('access-selector');
  return { selector, parameters: readData(r) };
}

export function writeAccessDescriptor(w: ByteWriter, a: SelectiveAccessDescriptor): void {
  w.u8(a.selector);
  writeData(w, a.parameters);
}

/** An attribute descriptor followed by an OPTIONAL access-selection. */
export function readAttributeWithSelection(r: ByteReader): AttributeWithSelection {
  const attribute = readAttributeDescriptor(r);
  const access = readOptional(r, 'access-selection', readAccessDescriptor);
  return access === undefined ? { attribute } : { attribute, access };
}

export function writeAttributeWithSelection(w: ByteWriter, a: AttributeWithSelection): void {
  writeAttributeDescriptor(w, a.attribute);
  writeOptional(w, a.access, writeAccessDescriptor);
}

export function readAttributeList(r: ByteReader): AttributeWithSelection[] {
  return readSequenceOf(r, 'attribute-descriptor-list', readAttributeWithSelection);
}

export function writeAttributeList(w: ByteWriter, list: readonly AttributeWithSelection[]): void {
  writeSequenceOf(w, list, writeAttributeWithSelection);
}

export function readDataList(r: ByteReader, what: string): CosemData[] {
  return readSequenceOf(r, what, readData);
}

export function writeDataList(w: ByteWriter, list: readonly CosemData[]): void {
  writeSequenceOf(w, list, writeData);
}
