// Unsolicited APDUs a meter pushes: DataNotification [15] (push setup, IC 40) and
// EventNotificationRequest [194] (LN event notification of one attribute).
// Time stamps stay the raw 12-byte COSEM date-time; datetime.ts decodes them.
import type { ByteReader, ByteWriter } from '../../bytes.js';
import type { CosemData } from '../data.js';
import { readData, writeData } from '../axdr.js';
import { readAttributeDescriptor, writeAttributeDescriptor, type CosemAttributeDescriptor } from './descriptors.js';
import {
  longInvokeIdAndPriorityValue,
  parseLongInvokeIdAndPriority,
  type LongInvokeIdAndPriority,
} from './invoke-id.js';
import { readOptional, writeOctetString, writeOptional } from './xdr.js';

export const DATA_NOTIFICATION = 0x0f;
export const EVENT_NOTIFICATION_REQUEST = 0xc2;

const DATE_TIME_LENGTH = 12;

export interface DataNotification extends LongInvokeIdAndPriority {
  kind: 'DataNotification';
  /** The 12-byte COSEM date-time, or undefined when the meter sent an empty octet string. */
  dateTime?: Uint8Array;
  body: CosemData;
}

export interface EventNotificationRequest {
  kind: 'EventNotificationRequest';
  time?: Uint8Array;
  attribute: CosemAttributeDescriptor;
  value: CosemData;
}

function readDateTime(r: ByteReader, what: string, allowEmpty: boolean): Uint8Array | undefined {
  const at = r.pos;
  const n = r.length(`${what} length`);
  if (n === 0 && allowEmpty) return undefined;
  if (n !== DATE_TIME_LENGTH) r.fail(`${what}: length ${n}, expected ${allowEmpty ? '0 or ' : ''}12`, at);
  return r.take(n, what).slice();
}

function checkDateTime(bytes: Uint8Array): Uint8Array {
  if (bytes.length !== DATE_TIME_LENGTH) throw new RangeError(`a COSEM date-time has 12 bytes, not ${bytes.length}`);
  return bytes;
}

export function readDataNotification(r: ByteReader): DataNotification {
  r.u8('DataNotification tag');
  const invoke = parseLongInvokeIdAndPriority(r.u32('long-invoke-id-and-priority'));
  const dateTime = readDateTime(r, 'date-time', true);
  const body = readData(r);
  return { kind: 'DataNotification', ...invoke, ...(dateTime && { dateTime }), body };
}

export function writeDataNotification(w: ByteWriter, a: DataNotification): void {
  w.u8(DATA_NOTIFICATION).u32(longInvokeIdAndPriorityValue(a));
  writeOctetString(w, a.dateTime ? checkDateTime(a.dateTime) : new Uint8Array(0));
  writeData(w, a.body);
}

export function readEventNotificationRequest(r: ByteReader): EventNotificationRequest {
  r.u8('EventNotificationRequest tag');
  const time = readOptional(r, 'time', (x) => readDateTime(x, 'time', false));
  const attribute = readAttributeDescriptor(r);
  const value = readData(r);
  return { kind: 'EventNotificationRequest', ...(time && { time }), attribute, value };
}

export function writeEventNotificationRequest(w: ByteWriter, a: EventNotificationRequest): void {
  w.u8(EVENT_NOTIFICATION_REQUEST);
  writeOptional(w, a.time, (x, t) => writeOctetString(x, checkDateTime(t)));
  writeAttributeDescriptor(w, a.attribute);
  writeData(w, a.value);
}
