// Who may do what. Three client roles, each with its client SAP and the authentication
// its association must have used (the association layer enforces that with policy()):
//
//   public      SAP 16  no security  reads a small set: logical device name, serial number,
//                                    clock, association LN, invocation counter
//   reader      SAP 17  LLS password reads every attribute except secrets; writes nothing
//   management  SAP 1   HLS-GMAC     reads everything but secrets, writes what is writable
//                                    (clock, relay mode, limiter…), invokes the methods
//
// The invocation counter is in the public view because clients (Gurux among them) read it
// through the public association to pick their own counter before they open an HLS one.
//
// Answers (Data-Access-Result / Action-Result): no right → read-write-denied (3); an object
// the meter does not have → object-undefined (4); a known logical name with another class
// → object-class-inconsistent (9); an attribute or method the class does not define →
// read-write-denied (3), as Gurux servers answer: such an attribute has no access right in
// the object list, and the Green Book gives no more specific code for it.
import type { Authentication } from '../../shared/dlms/association/settings.js';

export type Role = 'public' | 'reader' | 'management';

export const DEFAULT_CLIENT_SAPS: Readonly<Record<Role, number>> = { public: 16, reader: 17, management: 1 };

export const ROLE_AUTHENTICATION: Readonly<Record<Role, Authentication>> = {
  public: 'none',
  reader: 'low',
  management: 'high-gmac',
};

/** Per object: what goes beyond "readers read every attribute". */
export interface ObjectAccess {
  /** In the public client's view (read-only). */
  public?: boolean;
  /** Attributes the management client may write. */
  writable?: readonly number[];
  /** Methods the management client may invoke. */
  methods?: readonly number[];
  /** Attributes nobody may read (secrets). */
  unreadable?: readonly number[];
}

/** IC 15 attribute access_mode (versions 0..2). */
export const AttributeAccessMode = { noAccess: 0, readOnly: 1, writeOnly: 2, readAndWrite: 3 } as const;
/** IC 15 method access_mode (version 1+). */
export const MethodAccessMode = { noAccess: 0, access: 1, authenticatedAccess: 2 } as const;

/** The role of an association, or undefined if its SAP or authentication fits none. */
export function roleOf(clientSap: number, authentication: Authentication, saps: Readonly<Record<Role, number>>): Role | undefined {
  for (const role of Object.keys(saps) as Role[]) {
    if (saps[role] === clientSap) return ROLE_AUTHENTICATION[role] === authentication ? role : undefined;
  }
  return undefined;
}

export function isVisible(role: Role, access: ObjectAccess): boolean {
  return role !== 'public' || access.public === true;
}

export function attributeAccess(role: Role, access: ObjectAccess, attributeId: number): number {
  if (!isVisible(role, access)) return AttributeAccessMode.noAccess;
  const read = !(access.unreadable ?? []).includes(attributeId);
  const write = role === 'management' && (access.writable ?? []).includes(attributeId);
  return (read ? AttributeAccessMode.readOnly : 0) | (write ? AttributeAccessMode.writeOnly : 0);
}

export function methodAccess(role: Role, access: ObjectAccess, methodId: number): number {
  return role === 'management' && (access.methods ?? []).includes(methodId) ? MethodAccessMode.access : MethodAccessMode.noAccess;
}

export const canRead = (mode: number): boolean => (mode & AttributeAccessMode.readOnly) !== 0;
export const canWrite = (mode: number): boolean => (mode & AttributeAccessMode.writeOnly) !== 0;
