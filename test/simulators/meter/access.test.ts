import { describe, expect, it } from 'vitest';
import { ActionResult, DataAccessResult } from '../../../shared/dlms/apdu/results.js';
import type { CosemData } from '../../../shared/dlms/data.js';
import { obisFromBytes, Obis } from '../../../shared/dlms/obis.js';
import { AttributeAccessMode, MethodAccessMode } from '../../../simulators/meter/access.js';
import { DAY, MANAGEMENT, PUBLIC, READER, START, act, get, items, makeMeter, read, set, valueOf } from './helpers.js';

const NOW = START + DAY;
const denied = { error: DataAccessResult['read-write-denied'] };

interface Listed {
  classId: number;
  version: number;
  ln: string;
  attributes: { id: number; mode: number; selectors: CosemData }[];
  methods: { id: number; mode: number }[];
}

function objectList(d: CosemData): Listed[] {
  return items(d).map((entry) => {
    const [classId, version, ln, rights] = items(entry);
    const [attributes, methods] = items(rights);
    if (ln.type !== 'octet-string') throw new Error('logical name');
    return {
      classId: valueOf(classId),
      version: valueOf(version),
      ln: obisFromBytes(ln.value),
      attributes: items(attributes).map((a) => ({ id: valueOf(items(a)[0]), mode: valueOf(items(a)[1]), selectors: items(a)[2] })),
      methods: items(methods).map((m) => ({ id: valueOf(items(m)[0]), mode: valueOf(items(m)[1]) })),
    };
  });
}

describe('access rights per association', () => {
  const m = makeMeter();

  it('public client 16 reads a small set and nothing else', () => {
    expect(valueOf(read(m, 8, Obis.clock, 3, PUBLIC(NOW)))).toBe(0);
    expect(get(m, 3, Obis.activeEnergyImport, 2, PUBLIC(NOW))).toEqual(denied);
    expect(get(m, 7, Obis.loadProfile, 2, PUBLIC(NOW))).toEqual(denied);
    expect(set(m, 8, Obis.clock, 2, read(m, 8, Obis.clock, 2, PUBLIC(NOW)), PUBLIC(NOW))).toBe(DataAccessResult['read-write-denied']);
    expect(act(m, 70, Obis.disconnectControl, 1, { type: 'integer', value: 0 }, PUBLIC(NOW)).result).toBe(ActionResult['read-write-denied']);
    const list = objectList(read(m, 15, Obis.associationLn, 2, PUBLIC(NOW)));
    expect(list.map((o) => o.ln).sort()).toEqual(['0.0.1.0.0.255', '0.0.40.0.0.255', '0.0.42.0.0.255', '0.0.43.1.0.255', '0.0.96.1.0.255']);
    for (const o of list) {
      for (const a of o.attributes) expect([AttributeAccessMode.noAccess, AttributeAccessMode.readOnly]).toContain(a.mode);
      for (const x of o.methods) expect(x.mode).toBe(MethodAccessMode.noAccess);
    }
  });

  it('reader client 17 reads everything but secrets and writes nothing', () => {
    const list = objectList(read(m, 15, Obis.associationLn, 2, READER(NOW)));
    expect(list.length).toBeGreaterThan(30);
    for (const o of list) {
      for (const a of o.attributes) {
        const secret = o.classId === 15 && a.id === 7;
        expect(a.mode).toBe(secret ? AttributeAccessMode.noAccess : AttributeAccessMode.readOnly);
        if (a.mode === AttributeAccessMode.readOnly) expect('error' in get(m, o.classId, o.ln, a.id, READER(NOW))).toBe(false);
        else expect(get(m, o.classId, o.ln, a.id, READER(NOW))).toEqual(denied);
      }
      for (const x of o.methods) expect(x.mode).toBe(MethodAccessMode.noAccess);
    }
    const profile = list.find((o) => o.ln === Obis.loadProfile);
    expect(profile?.attributes[1].selectors).toEqual({ type: 'array', value: [{ type: 'integer', value: 1 }, { type: 'integer', value: 2 }] });
    expect(profile?.version).toBe(1);
    expect(set(m, 71, '0.0.17.0.0.255', 4, { type: 'double-long-unsigned', value: 1 }, READER(NOW))).toBe(DataAccessResult['read-write-denied']);
  });

  it('management client 1 may write the clock, relay mode and limiter, and invoke methods', () => {
    const list = objectList(read(m, 15, Obis.associationLn, 2, MANAGEMENT(NOW)));
    const rights = (ln: string) => list.find((o) => o.ln === ln);
    expect(rights(Obis.clock)?.attributes[1].mode).toBe(AttributeAccessMode.readAndWrite);
    expect(rights(Obis.clock)?.methods.map((x) => x.mode)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(rights(Obis.disconnectControl)?.methods.map((x) => x.mode)).toEqual([1, 1]);
    expect(rights(Obis.disconnectControl)?.attributes.map((x) => x.mode)).toEqual([1, 1, 1, 3]);
    expect(set(m, 71, '0.0.17.0.0.255', 4, { type: 'double-long-unsigned', value: 9000 }, MANAGEMENT(NOW))).toBe(0);
    expect(valueOf(read(m, 71, '0.0.17.0.0.255', 3, READER(NOW)))).toBe(9000);
    expect(m.events(NOW).map((e) => e.code)).toContain(66);
    // Every object the list names answers every readable attribute, and the answers encode.
    for (const o of list) {
      for (const a of o.attributes) if (a.mode & 1) expect('data' in get(m, o.classId, o.ln, a.id, MANAGEMENT(NOW))).toBe(true);
    }
  });

  it('unknown object, wrong class, unknown attribute or method, wrong authentication', () => {
    expect(get(m, 3, '1.0.99.99.0.255', 2, READER(NOW))).toEqual({ error: DataAccessResult['object-undefined'] });
    expect(get(m, 1, Obis.activeEnergyImport, 2, READER(NOW))).toEqual({ error: DataAccessResult['object-class-inconsistent'] });
    expect(get(m, 3, Obis.activeEnergyImport, 4, READER(NOW))).toEqual(denied);
    expect(get(m, 3, Obis.activeEnergyImport, 0, READER(NOW))).toEqual(denied);
    expect(act(m, 8, Obis.clock, 7, undefined, MANAGEMENT(NOW)).result).toBe(ActionResult['read-write-denied']);
    expect(act(m, 9, Obis.clock, 1, undefined, MANAGEMENT(NOW)).result).toBe(ActionResult['object-class-inconsistent']);
    expect(get(m, 3, Obis.activeEnergyImport, 2, { clientSap: 1, authentication: 'low', now: NOW })).toEqual(denied);
    expect(get(m, 8, Obis.clock, 2, { clientSap: 99, authentication: 'none', now: NOW })).toEqual(denied);
    expect(get(m, 3, Obis.activeEnergyImport, 2, READER(NOW), { selector: 1, parameters: { type: 'null-data' } }))
      .toEqual({ error: DataAccessResult['scope-of-access-violated'] });
  });

  it('association LN describes the current association', () => {
    expect(read(m, 15, Obis.associationLn, 3, READER(NOW))).toEqual({ type: 'structure', value: [{ type: 'integer', value: 17 }, { type: 'long-unsigned', value: 1 }] });
    expect(read(m, 15, Obis.associationLn, 6, MANAGEMENT(NOW))).toEqual({ type: 'octet-string', value: Uint8Array.from([0x60, 0x85, 0x74, 5, 8, 2, 5]) });
    expect(read(m, 15, Obis.associationLn, 6, READER(NOW))).toEqual({ type: 'octet-string', value: Uint8Array.from([0x60, 0x85, 0x74, 5, 8, 2, 1]) });
    expect(read(m, 15, Obis.associationLn, 4, MANAGEMENT(NOW))).toEqual({ type: 'octet-string', value: Uint8Array.from([0x60, 0x85, 0x74, 5, 8, 1, 3]) });
    expect(read(m, 15, Obis.associationLn, 8, PUBLIC(NOW))).toEqual({ type: 'enum', value: 2 });
    expect(items(read(m, 15, Obis.associationLn, 5, PUBLIC(NOW)))).toHaveLength(6);
    expect(get(m, 15, Obis.associationLn, 7, MANAGEMENT(NOW))).toEqual(denied);
  });

  it('policy() gives each SAP its authentication and secrets', () => {
    expect(m.policy(16)).toEqual({ authentication: 'none' });
    expect(m.policy(17)).toEqual({ authentication: 'low', password: new TextEncoder().encode('12345678') });
    expect(m.policy(1)?.authentication).toBe('high-gmac');
    expect(m.policy(1)?.keys?.blockCipherKey).toHaveLength(16);
    expect(m.policy(2)).toBeUndefined();
    const custom = makeMeter({ clientSaps: { reader: 32 }, readerPassword: new TextEncoder().encode('secret') });
    expect(custom.policy(17)).toBeUndefined();
    expect(custom.policy(32)?.password).toEqual(new TextEncoder().encode('secret'));
    expect(valueOf(read(custom, 3, Obis.activeEnergyImport, 2, { clientSap: 32, authentication: 'low', now: NOW }))).toBeGreaterThan(0);
  });
});
