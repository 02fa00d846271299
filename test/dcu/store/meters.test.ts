import { describe, expect, it } from 'vitest';
import { StoreError } from '../../../dcu/store/index.js';
import { HOUR, openStore, profileRows, T0, testClock } from './helpers.js';

describe('meter directory', () => {
  it('adds a meter with its identity, address, security references and capabilities', () => {
    const clock = testClock();
    const store = openStore({ clock });
    const r = store.meters.upsert({
      serial: 'LGZ-1001',
      logicalDeviceName: 'LGZ0001001',
      link: 'rs485-1',
      linkKind: 'hdlc-serial',
      physicalAddress: 17,
      logicalDevice: 1,
      clientSap: 32,
      securityProfile: 'hls-gmac-suite0',
      keyRefs: { encryption: 'ek/LGZ-1001', authentication: 'ak/LGZ-1001' },
      capabilities: [{ classId: 8, obis: '0.0.1.0.0.255', version: 0 }, { classId: 7, obis: '1.0.99.1.0.255', version: 1 }],
    });
    expect(r.created).toBe(true);
    expect(r.moved).toBeNull();
    expect(r.meter).toMatchObject({
      serial: 'LGZ-1001',
      physicalAddress: 17,
      clientSap: 32,
      status: 'active',
      firstSeen: T0,
      lastSeen: T0,
      silentCycles: 0,
      keyRefs: { encryption: 'ek/LGZ-1001' },
    });
    expect(r.meter.capabilities).toHaveLength(2);
    expect(store.events.list({ meter: r.meter.id }).map((e) => e.kind)).toEqual(['meter-added']);
    expect(store.meters.byAddress('rs485-1', 17)?.serial).toBe('LGZ-1001');
  });

  it('a meter found at another address keeps its id and history; the move is an event', () => {
    const clock = testClock();
    const store = openStore({ clock });
    const { meter } = store.meters.upsert({ serial: 'SN-1', link: 'rs485-1', linkKind: 'hdlc-serial', physicalAddress: 17, securityProfile: 'lls' });
    store.storeChunk({ meter: meter.id, profile: '1.0.99.1.0.255', readings: profileRows(meter.id, T0, 4) });
    store.meters.recordExchange(meter.id, { ok: true, bytesIn: 300, bytesOut: 40 });

    clock.now = T0 + 5 * HOUR;
    const again = store.meters.upsert({ serial: 'SN-1', link: 'rs485-1', linkKind: 'hdlc-serial', physicalAddress: 42 });
    expect(again.created).toBe(false);
    expect(again.meter.id).toBe(meter.id);
    expect(again.moved).toEqual({
      from: { link: 'rs485-1', linkKind: 'hdlc-serial', physicalAddress: 17, logicalDevice: null, networkAddress: null },
      to: { link: 'rs485-1', linkKind: 'hdlc-serial', physicalAddress: 42, logicalDevice: null, networkAddress: null },
    });
    // What discovery did not say stays as it was; the history stays with the meter.
    expect(again.meter).toMatchObject({ securityProfile: 'lls', firstSeen: T0, lastSeen: T0 + 5 * HOUR, physicalAddress: 42 });
    expect(again.meter.stats).toMatchObject({ attempts: 1, successes: 1, bytesIn: 300, bytesOut: 40 });
    expect(store.readings.range({ meter: meter.id, from: T0, to: T0 + 10 * HOUR })).toHaveLength(8);
    expect(store.marks.get(meter.id, '1.0.99.1.0.255')?.upto).toBe(T0 + 3 * HOUR);
    const moved = store.events.list({ kind: 'meter-moved' });
    expect(moved).toHaveLength(1);
    expect(moved[0]).toMatchObject({ meter: meter.id, severity: 'warning', ts: T0 + 5 * HOUR });
    expect(store.meters.byAddress('rs485-1', 17)).toBeUndefined();
    expect(store.meters.list()).toHaveLength(1);
  });

  it('a meter answering at an address recorded for another meter displaces that record', () => {
    const store = openStore();
    const a = store.meters.upsert({ serial: 'A', link: 'rs485-1', physicalAddress: 17 }).meter;
    const b = store.meters.upsert({ serial: 'B', link: 'rs485-1', physicalAddress: 17 });
    expect(b.displaced).toEqual([a.id]);
    expect(store.meters.get(a.id)?.physicalAddress).toBeNull();
    expect(store.meters.byAddress('rs485-1', 17)?.serial).toBe('B');
    expect(store.events.list({ kind: 'meter-displaced' })[0]?.details).toMatchObject({ serial: 'A', by: 'B' });
  });

  it('refuses key material where a key reference belongs', () => {
    const store = openStore();
    expect(() => store.meters.upsert({ serial: 'X', keyRefs: { encryption: '000102030405060708090a0b0c0d0e0f' } })).toThrow(StoreError);
    expect(() => store.meters.upsert({ serial: 'X', keyRefs: { encryption: '' } })).toThrow(/key store/);
    expect(store.meters.bySerial('X')).toBeUndefined();
  });

  it('silent cycles make a meter unreachable (an event), an answer makes it active again', () => {
    const clock = testClock();
    const store = openStore({ clock });
    const { meter } = store.meters.upsert({ serial: 'S', link: 'rs485-1', physicalAddress: 20 });
    expect(store.meters.silentCycle(meter.id, 3)).toEqual({ silentCycles: 1, becameUnreachable: false });
    expect(store.meters.silentCycle(meter.id, 3)).toEqual({ silentCycles: 2, becameUnreachable: false });
    expect(store.meters.silentCycle(meter.id, 3)).toEqual({ silentCycles: 3, becameUnreachable: true });
    expect(store.meters.silentCycle(meter.id, 3)).toEqual({ silentCycles: 4, becameUnreachable: false });
    expect(store.meters.get(meter.id)?.status).toBe('unreachable');

    store.meters.recordExchange(meter.id, { ok: false, error: 'LinkTimeout: no answer in 2000 ms', bytesOut: 12 });
    let m = store.meters.get(meter.id)!;
    expect(m.status).toBe('unreachable');
    expect(m.stats).toMatchObject({ attempts: 1, failures: 1, lastError: 'LinkTimeout: no answer in 2000 ms', lastErrorAt: T0 });

    clock.now += HOUR;
    m = store.meters.recordExchange(meter.id, { ok: true, bytesIn: 100, bytesOut: 12 });
    expect(m).toMatchObject({ status: 'active', silentCycles: 0, lastSeen: T0 + HOUR });
    expect(m.stats).toMatchObject({ attempts: 2, successes: 1, failures: 1, bytesIn: 100, bytesOut: 24 });
    expect(store.events.list({ meter: meter.id }).map((e) => e.kind)).toEqual(['meter-reachable', 'meter-unreachable', 'meter-added']);

    store.meters.setStatus(meter.id, 'removed', 'replaced by SN-9');
    expect(store.meters.list({ status: 'removed' }).map((x) => x.id)).toEqual([meter.id]);
    expect(store.meters.list({ status: 'active' })).toEqual([]);
  });
});
