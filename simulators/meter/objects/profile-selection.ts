// Selective access to a Profile generic buffer (Blue Book 4.3.6):
//   selector 1, range_descriptor: entries whose restricting object (here only the clock
//     column) lies in from_value <= x <= to_value, both ends inclusive; selected_values
//     names the columns wanted, in the order wanted (empty = all).
//   selector 2, entry_descriptor: entries from_entry..to_entry (1-based, oldest first;
//     to_entry 0 = the youngest), columns from_selected_value..to_selected_value
//     (1-based; 0 = the last column).
// Answers: a malformed descriptor → type-unmatched; another selector → other-reason (as
// the shared parser reports them); a well-formed request for something this profile does
// not have (another restricting object, a column it does not capture, a column range
// beyond its columns) → scope-of-access-violated. Entry numbers past the buffer are
// clipped (possibly to an empty array), as meters do for readers that ask for "all".
import type { SelectiveAccessDescriptor } from '../../../shared/dlms/apdu/descriptors.js';
import { DataAccessResult } from '../../../shared/dlms/apdu/results.js';
import { type CaptureObjectDefinition, fromAccessDescriptor } from '../../../shared/dlms/apdu/selective-access.js';
import { AccessError } from '../../../shared/errors.js';
import type { ProfileView, Row } from './profile-source.js';
import { instantOf } from './values.js';

export type Selection = { rows: Row[]; columns: number[] | null } | { error: number };

const sameColumn = (a: CaptureObjectDefinition, b: CaptureObjectDefinition): boolean =>
  a.classId === b.classId && a.logicalName === b.logicalName && a.attributeIndex === b.attributeIndex && a.dataIndex === b.dataIndex;

const violated = { error: DataAccessResult['scope-of-access-violated'] };

export function select(
  view: ProfileView,
  columns: readonly CaptureObjectDefinition[],
  access: SelectiveAccessDescriptor,
  deviation: number,
): Selection {
  let parsed;
  try {
    parsed = fromAccessDescriptor(access);
  } catch (e) {
    if (e instanceof AccessError) return { error: e.code };
    throw e;
  }
  if (parsed.selector === 1) {
    const r = parsed.range;
    const clock = columns.findIndex((c) => c.classId === 8 && c.attributeIndex === 2);
    if (clock < 0 || !sameColumn({ ...r.restrictingObject, dataIndex: 0 }, columns[clock])) return violated;
    const from = instantOf(r.from, deviation);
    const to = instantOf(r.to, deviation);
    if (from === null || to === null) return { error: DataAccessResult['type-unmatched'] };
    const wanted = r.selectedValues.map((s) => columns.findIndex((c) => sameColumn(s, c)));
    if (wanted.some((i) => i < 0)) return violated;
    return { rows: view.byTime(from, to), columns: wanted.length === 0 ? null : wanted };
  }
  const e = parsed.entry;
  const last = e.toEntry === 0 ? view.entriesInUse : Math.min(e.toEntry, view.entriesInUse);
  const first = Math.max(1, e.fromEntry);
  const fromColumn = Math.max(1, e.fromSelectedValue);
  const toColumn = e.toSelectedValue === 0 ? columns.length : Math.min(e.toSelectedValue, columns.length);
  if (fromColumn > toColumn) return violated;
  const wanted = Array.from({ length: toColumn - fromColumn + 1 }, (_, i) => fromColumn - 1 + i);
  return { rows: first > last ? [] : view.byEntry(first, last), columns: wanted.length === columns.length ? null : wanted };
}
