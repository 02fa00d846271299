// The two selective-access forms of Profile generic (IC 7) attribute 2, built
// from and parsed into the access-parameters Data they travel as:
//   selector 1, range_descriptor: structure { restricting_object (a capture
//     object definition), from_value, to_value, selected_values (array of
//     capture object definitions, empty = all columns) }
//   selector 2, entry_descriptor: structure { from_entry u32, to_entry u32,
//     from_selected_value u16, to_selected_value u16 (0 = up to the last) }
// A capture object definition is structure { class_id u16, logical_name
// octet-string(6), attribute_index i8, data_index u16 }.
import { AccessError } from '../../errors.js';
import type { CosemData } from '../data.js';
import { obisFromBytes, obisToBytes, type Obis } from '../obis.js';
import type { SelectiveAccessDescriptor } from './descriptors.js';
import { DataAccessResult } from './results.js';

export interface CaptureObjectDefinition {
  classId: number;
  logicalName: Obis;
  attributeIndex: number;
  /** 0 = the whole attribute, n = the n-th element of it. */
  dataIndex: number;
}

export interface RangeDescriptor {
  /** Usually the clock's time (class 8, 0.0.1.0.0.255, attribute 2). */
  restrictingObject: CaptureObjectDefinition;
  from: CosemData;
  to: CosemData;
  /** Empty means all captured columns. */
  selectedValues: CaptureObjectDefinition[];
}

export interface EntryDescriptor {
  /** 1-based; entries are numbered oldest first. */
  fromEntry: number;
  /** 0 = up to the youngest entry. */
  toEntry: number;
  fromSelectedValue: number;
  /** 0 = up to the last column. */
  toSelectedValue: number;
}

export type SelectiveAccess = { selector: 1; range: RangeDescriptor } | { selector: 2; entry: EntryDescriptor };

export function captureObjectToData(c: CaptureObjectDefinition): CosemData {
  return {
    type: 'structure',
    value: [
      { type: 'long-unsigned', value: c.classId },
      { type: 'octet-string', value: obisToBytes(c.logicalName) },
      { type: 'integer', value: c.attributeIndex },
      { type: 'long-unsigned', value: c.dataIndex },
    ],
  };
}

export function toAccessDescriptor(a: SelectiveAccess): SelectiveAccessDescriptor {
  if (a.selector === 1) {
    const r = a.range;
    return {
      selector: 1,
      parameters: {
        type: 'structure',
        value: [
          captureObjectToData(r.restrictingObject),
          r.from,
          r.to,
          { type: 'array', value: r.selectedValues.map(captureObjectToData) },
        ],
      },
    };
  }
  const e = a.entry;
  return {
    selector: 2,
    parameters: {
      type: 'structure',
      value: [
        { type: 'double-long-unsigned', value: e.fromEntry },
        { type: 'double-long-unsigned', value: e.toEntry },
        { type: 'long-unsigned', value: e.fromSelectedValue },
        { type: 'long-unsigned', value: e.toSelectedValue },
      ],
    },
  };
}

// Parsing answers a server's question "what does this client want?", so a bad
// shape is the client's type-unmatched, reported the way the server will answer.
function mismatch(what: string): never {
  throw new AccessError(`selective access: ${what}`, 'type-unmatched', DataAccessResult['type-unmatched']);
}

function fields(d: CosemData, count: number, what: string): CosemData[] {
  if (d.type !== 'structure' || d.value.length !== count) mismatch(`${what} is not a structure of ${count}`);
  return d.value;
}

const INTEGER_TYPES = new Set(['integer', 'long', 'double-long', 'unsigned', 'long-unsigned', 'double-long-unsigned']);

/** Any integer type is accepted: meters and head-ends disagree on widths here. */
function integer(d: CosemData, what: string): number {
  if (!INTEGER_TYPES.has(d.type) || !('value' in d) || typeof d.value !== 'number') mismatch(`${what} is not an integer`);
  return d.value as number;
}

export function captureObjectFromData(d: CosemData): CaptureObjectDefinition {
  const [classId, logicalName, attributeIndex, dataIndex] = fields(d, 4, 'capture object definition');
  if (logicalName.type !== 'octet-string' || logicalName.value.length !== 6) mismatch('logical_name is not an octet-string(6)');
  return {
    classId: integer(classId, 'class_id'),
    logicalName: obisFromBytes(logicalName.value),
    attributeIndex: integer(attributeIndex, 'attribute_index'),
    dataIndex: integer(dataIndex, 'data_index'),
  };
}

/**
 * The typed form of selector 1 or 2. Throws AccessError ('type-unmatched') for
 * a malformed structure and ('other-reason') for another selector, which is a
 * class-specific one this helper does not know.
 */
export function fromAccessDescriptor(a: SelectiveAccessDescriptor): SelectiveAccess {
  if (a.selector === 1) {
    const [restricting, from, to, selected] = fields(a.parameters, 4, 'range_descriptor');
    if (selected.type !== 'array') mismatch('selected_values is not an array');
    return {
      selector: 1,
      range: {
        restrictingObject: captureObjectFromData(restricting),
        from,
        to,
        selectedValues: selected.value.map(captureObjectFromData),
      },
    };
  }
  if (a.selector === 2) {
    const [fromEntry, toEntry, fromValue, toValue] = fields(a.parameters, 4, 'entry_descriptor');
    return {
      selector: 2,
      entry: {
        fromEntry: integer(fromEntry, 'from_entry'),
        toEntry: integer(toEntry, 'to_entry'),
        fromSelectedValue: integer(fromValue, 'from_selected_value'),
        toSelectedValue: integer(toValue, 'to_selected_value'),
      },
    };
  }
  throw new AccessError(`selective access: selector ${a.selector} not supported`, 'other-reason', DataAccessResult['other-reason']);
}
