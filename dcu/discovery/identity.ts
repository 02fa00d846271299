// What discovery makes of a meter's answers: its identity (serial number, logical device
// name) as text, and its capabilities from the association's object list. Pure: COSEM data
// in, values out; anything a meter may send is accepted or refused with a ProtocolError.
import { ProtocolError } from '../../shared/errors.js';
import { hex } from '../../shared/bytes.js';
import type { CosemData } from '../../shared/dlms/data.js';
import { obisFromBytes } from '../../shared/dlms/obis.js';
import type { Capability } from '../store/index.js';

/**
 * An identity value as text: visible- and utf8-strings as they are, octet-strings as ASCII
 * when every byte is printable (the usual form: "KFM1100001234567") and as upper-case hex
 * otherwise (a binary serial is still a stable identity), integers in decimal. Surrounding
 * blanks and NUL padding are dropped; an empty value is null (absent).
 */
export function identityText(d: CosemData): string | null {
  let text: string | null;
  switch (d.type) {
    case 'visible-string':
    case 'utf8-string':
      text = d.value;
      break;
    case 'octet-string': {
      let end = d.value.length;
      while (end > 0 && (d.value[end - 1] === 0 || d.value[end - 1] === 0x20)) end--;
      const bytes = d.value.subarray(0, end);
      text = bytes.every((b) => b >= 0x20 && b <= 0x7e) ? String.fromCharCode(...bytes) : hex(bytes).toUpperCase();
      break;
    }
    case 'unsigned': case 'long-unsigned': case 'double-long-unsigned': case 'bcd':
    case 'integer': case 'long': case 'double-long':
      text = String(d.value);
      break;
    case 'long64': case 'long64-unsigned':
      text = d.value.toString();
      break;
    default:
      text = null;
  }
  if (text === null) return null;
  text = text.replace(/\0+$/, '').trim();
  return text === '' ? null : text;
}

export interface ObjectList {
  capabilities: Capability[];
  /** Entries that were not {class_id, version, logical_name, access_rights} and were left out. */
  skipped: number;
}

/**
 * The object list (IC 15 attribute 2): array of structure { class_id long-unsigned,
 * version unsigned, logical_name octet-string(6), access_rights }. Malformed entries are
 * skipped and counted; anything but an array is a ProtocolError.
 */
export function capabilitiesFrom(list: CosemData): ObjectList {
  if (list.type !== 'array') throw new ProtocolError(`object list is ${list.type}, not an array`, 0, 'cosem');
  const capabilities: Capability[] = [];
  let skipped = 0;
  for (const entry of list.value) {
    const fields = entry.type === 'structure' ? entry.value : [];
    const [classId, version, ln] = fields;
    if (classId?.type === 'long-unsigned' && version?.type === 'unsigned' && ln?.type === 'octet-string' && ln.value.length === 6) {
      capabilities.push({ classId: classId.value, obis: obisFromBytes(ln.value), version: version.value });
    } else {
      skipped++;
    }
  }
  return { capabilities, skipped };
}
