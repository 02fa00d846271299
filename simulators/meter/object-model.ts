// The meter's CosemServerObjects: finds the object, checks class, attribute/method number
// and the access rights of the association's role (access.ts), then lets the object answer.
// It also builds each association's object_list from the same rights, so what a client is
// shown and what it may do can never disagree.
import type { AccessContext, CosemServerObjects, GetResult } from '../../shared/dlms/association/server-objects.js';
import type { CosemAttributeDescriptor, CosemMethodDescriptor, SelectiveAccessDescriptor } from '../../shared/dlms/apdu/descriptors.js';
import { ActionResult, DataAccessResult } from '../../shared/dlms/apdu/results.js';
import type { CosemData } from '../../shared/dlms/data.js';
import type { Obis } from '../../shared/dlms/obis.js';
import { AccessError } from '../../shared/errors.js';
import { type ObjectAccess, type Role, attributeAccess, canRead, canWrite, isVisible, methodAccess, roleOf } from './access.js';
import type { ActionReply, CosemObject } from './objects/object.js';
import { array, enumValue, integer, logicalName, longUnsigned, NULL, structure, unsigned } from './objects/values.js';

export interface CatalogEntry {
  object: CosemObject;
  access: ObjectAccess;
}

type Found = { entry: CatalogEntry; role: Role } | { error: number };

export class ObjectModel implements CosemServerObjects {
  private readonly byName = new Map<Obis, CatalogEntry>();
  private readonly entries: CatalogEntry[] = [];

  constructor(private readonly saps: Readonly<Record<Role, number>>) {}

  add(entry: CatalogEntry): void {
    if (this.byName.has(entry.object.logicalName)) throw new Error(`duplicate object ${entry.object.logicalName}`);
    this.byName.set(entry.object.logicalName, entry);
    this.entries.push(entry);
  }

  role(ctx: AccessContext): Role | undefined {
    return roleOf(ctx.clientSap, ctx.authentication, this.saps);
  }

  private find(instanceId: Obis, classId: number, ctx: AccessContext): Found {
    const entry = this.byName.get(instanceId);
    if (entry === undefined) return { error: DataAccessResult['object-undefined'] };
    if (entry.object.classId !== classId) return { error: DataAccessResult['object-class-inconsistent'] };
    const role = this.role(ctx);
    if (role === undefined) return { error: DataAccessResult['read-write-denied'] };
    return { entry, role };
  }

  get(d: CosemAttributeDescriptor, access: SelectiveAccessDescriptor | undefined, ctx: AccessContext): GetResult {
    const found = this.find(d.instanceId, d.classId, ctx);
    if ('error' in found) return found;
    const { entry, role } = found;
    const o = entry.object;
    if (d.attributeId < 1 || d.attributeId > o.attributeCount || !canRead(attributeAccess(role, entry.access, d.attributeId))) {
      return { error: DataAccessResult['read-write-denied'] };
    }
    if (access !== undefined && o.selectors?.[d.attributeId] === undefined) {
      return { error: DataAccessResult['scope-of-access-violated'] };
    }
    if (d.attributeId === 1) return { data: logicalName(o.logicalName) };
    return guard(() => o.get(d.attributeId, access, ctx), (code) => ({ error: code }));
  }

  set(d: CosemAttributeDescriptor, value: CosemData, access: SelectiveAccessDescriptor | undefined, ctx: AccessContext): number {
    const found = this.find(d.instanceId, d.classId, ctx);
    if ('error' in found) return found.error;
    const { entry, role } = found;
    if (d.attributeId < 1 || d.attributeId > entry.object.attributeCount || !canWrite(attributeAccess(role, entry.access, d.attributeId))) {
      return DataAccessResult['read-write-denied'];
    }
    if (access !== undefined) return DataAccessResult['scope-of-access-violated'];
    return guard(() => entry.object.set(d.attributeId, value, ctx), (code) => code);
  }

  action(m: CosemMethodDescriptor, parameters: CosemData | undefined, ctx: AccessContext): ActionReply {
    const found = this.find(m.instanceId, m.classId, ctx);
    if ('error' in found) return { result: found.error }; // the codes agree for these three
    const { entry, role } = found;
    if (m.methodId < 1 || m.methodId > entry.object.methodCount || methodAccess(role, entry.access, m.methodId) === 0) {
      return { result: ActionResult['read-write-denied'] };
    }
    return guard(() => entry.object.action(m.methodId, parameters, ctx), (code) => ({ result: code }));
  }

  /** IC 15 object_list for the association of `ctx`. */
  objectList(ctx: AccessContext): CosemData {
    const role = this.role(ctx);
    if (role === undefined) return array([]);
    return array(this.entries.filter((e) => isVisible(role, e.access)).map((e) => this.listEntry(e, role)));
  }

  private listEntry(e: CatalogEntry, role: Role): CosemData {
    const o = e.object;
    const attributes: CosemData[] = [];
    for (let a = 1; a <= o.attributeCount; a++) {
      const mode = attributeAccess(role, e.access, a);
      const selectors = o.selectors?.[a];
      const sel = selectors !== undefined && canRead(mode) ? array(selectors.map(integer)) : NULL;
      attributes.push(structure(integer(a), enumValue(mode), sel));
    }
    const methods: CosemData[] = [];
    for (let m = 1; m <= o.methodCount; m++) methods.push(structure(integer(m), enumValue(methodAccess(role, e.access, m))));
    return structure(longUnsigned(o.classId), unsigned(o.version), logicalName(o.logicalName), structure(array(attributes), array(methods)));
  }
}

// A malformed request is answered with a code; an unexpected exception is a bug in the
// simulator, reported to the client as other-reason rather than crashing the server.
function guard<T>(run: () => T, code: (c: number) => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof AccessError) return code(e.code);
    return code(DataAccessResult['other-reason']);
  }
}
