// IC 1 Data (version 0): attribute 2 value. The value is computed per request.
import type { AccessContext } from '../../../shared/dlms/association/server-objects.js';
import type { CosemData } from '../../../shared/dlms/data.js';
import type { Obis } from '../../../shared/dlms/obis.js';
import { type CosemObject, ok, readOnly } from './object.js';

export class DataObject implements CosemObject {
  readonly classId = 1;
  readonly version = 0;
  readonly attributeCount = 2;
  readonly methodCount = 0;

  constructor(readonly logicalName: Obis, private readonly value: (ctx: AccessContext) => CosemData) {}

  get(_attributeId: number, _access: unknown, ctx: AccessContext) {
    return ok(this.value(ctx));
  }

  set = readOnly.set;
  action = readOnly.action;
}
