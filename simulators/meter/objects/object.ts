// What every COSEM object of the simulated meter implements. The object model
// (object-model.ts) has already checked the class, the attribute/method number and the
// access rights when these are called, and answers attribute 1 (logical_name) itself.
import type { AccessContext, GetResult } from '../../../shared/dlms/association/server-objects.js';
import type { SelectiveAccessDescriptor } from '../../../shared/dlms/apdu/descriptors.js';
import { ActionResult, DataAccessResult } from '../../../shared/dlms/apdu/results.js';
import type { CosemData } from '../../../shared/dlms/data.js';
import type { Obis } from '../../../shared/dlms/obis.js';

export interface ActionReply {
  result: number;
  returned?: CosemData;
}

export interface CosemObject {
  readonly classId: number;
  readonly version: number;
  readonly logicalName: Obis;
  readonly attributeCount: number;
  readonly methodCount: number;
  /** Selective access selectors per attribute, as the object list announces them. */
  readonly selectors?: Readonly<Record<number, readonly number[]>>;
  /** Attributes 2..attributeCount. */
  get(attributeId: number, access: SelectiveAccessDescriptor | undefined, ctx: AccessContext): GetResult;
  set(attributeId: number, value: CosemData, ctx: AccessContext): number;
  action(methodId: number, parameters: CosemData | undefined, ctx: AccessContext): ActionReply;
}

export const fail = (name: keyof typeof DataAccessResult): GetResult => ({ error: DataAccessResult[name] });
export const ok = (data: CosemData): GetResult => ({ data });
export const actionFail = (name: keyof typeof ActionResult): ActionReply => ({ result: ActionResult[name] });
export const ACTION_OK: ActionReply = { result: ActionResult.success };

/** For objects without writable attributes or methods: the access check never lets these through. */
export const readOnly = {
  set: (): number => DataAccessResult['read-write-denied'],
  action: (): ActionReply => actionFail('read-write-denied'),
};
