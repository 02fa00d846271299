// IC 7 Profile generic (version 1): 2 buffer (array of structures, selective access 1
// and 2), 3 capture_objects, 4 capture_period (s, double-long-unsigned), 5 sort_method
// (enum, 1 = fifo), 6 sort_object (none), 7 entries_in_use, 8 profile_entries; method 1
// reset (management), method 2 capture (not offered: captures follow the clock).
import type { AccessContext } from '../../../shared/dlms/association/server-objects.js';
import type { SelectiveAccessDescriptor } from '../../../shared/dlms/apdu/descriptors.js';
import { captureObjectToData } from '../../../shared/dlms/apdu/selective-access.js';
import type { MeterEnv } from '../env.js';
import { ACTION_OK, type CosemObject, actionFail, ok, readOnly } from './object.js';
import type { ProfileSource, Row } from './profile-source.js';
import { select } from './profile-selection.js';
import { array, doubleLongUnsigned, enumValue, integer, longUnsigned, octets, structure } from './values.js';

const FIFO = 1;

export class ProfileGenericObject implements CosemObject {
  readonly classId = 7;
  readonly version = 1;
  readonly attributeCount = 8;
  readonly methodCount = 2;
  readonly selectors = { 2: [1, 2] } as const;

  constructor(private readonly env: MeterEnv, readonly source: ProfileSource) {}

  get logicalName() {
    return this.source.logicalName;
  }

  get(attributeId: number, access: SelectiveAccessDescriptor | undefined, ctx: AccessContext) {
    const s = this.source;
    switch (attributeId) {
      case 2: return this.buffer(access, ctx);
      case 3: return ok(array(s.captureObjects.map(captureObjectToData)));
      case 4: return ok(doubleLongUnsigned(s.capturePeriodSeconds));
      case 5: return ok(enumValue(FIFO));
      case 6: return ok(structure(longUnsigned(0), octets(new Uint8Array(6)), integer(0), longUnsigned(0)));
      case 7: return ok(doubleLongUnsigned(s.view(ctx).entriesInUse));
      default: return ok(doubleLongUnsigned(s.profileEntries));
    }
  }

  private buffer(access: SelectiveAccessDescriptor | undefined, ctx: AccessContext) {
    const view = this.source.view(ctx);
    if (access === undefined) return ok(array(view.byEntry(1, view.entriesInUse).map((r) => structure(...r))));
    const sel = select(view, this.source.captureObjects, access, this.env.clock.deviation);
    if ('error' in sel) return sel;
    const pick = (r: Row) => (sel.columns === null ? r : sel.columns.map((c) => r[c]));
    return ok(array(sel.rows.map((r) => structure(...pick(r)))));
  }

  set = readOnly.set;

  action(methodId: number, _parameters: unknown, ctx: AccessContext) {
    if (methodId !== 1) return actionFail('read-write-denied');
    this.source.reset(ctx);
    return ACTION_OK;
  }
}
