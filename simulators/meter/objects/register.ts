// IC 3 Register (version 0): attribute 2 value, attribute 3 scaler_unit
// structure { integer scaler, enum unit }; method 1 reset (not allowed on this meter:
// billing registers are never reset remotely).
import type { AccessContext } from '../../../shared/dlms/association/server-objects.js';
import type { CosemData } from '../../../shared/dlms/data.js';
import type { Obis } from '../../../shared/dlms/obis.js';
import { type CosemObject, ok, readOnly } from './object.js';
import { enumValue, integer, structure } from './values.js';

/** Blue Book physical units (enum), the ones this meter uses. */
export const Unit = {
  W: 27,
  VA: 28,
  var: 29,
  Wh: 30,
  VAh: 31,
  varh: 32,
  A: 33,
  V: 35,
  Hz: 44,
  count: 255,
} as const;

export class RegisterObject implements CosemObject {
  readonly classId = 3;
  readonly version = 0;
  readonly attributeCount = 3;
  readonly methodCount = 1;

  constructor(
    readonly logicalName: Obis,
    readonly scaler: number,
    readonly unit: number,
    private readonly value: (ctx: AccessContext) => CosemData,
  ) {}

  get(attributeId: number, _access: unknown, ctx: AccessContext) {
    return attributeId === 2 ? ok(this.value(ctx)) : ok(structure(integer(this.scaler), enumValue(this.unit)));
  }

  set = readOnly.set;
  action = readOnly.action;
}
