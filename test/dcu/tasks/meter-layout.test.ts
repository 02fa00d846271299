// A meter's scalers and profile layouts kept between sessions (dcu/tasks/meter-layout.ts),
// and a profile's capture objects read with its buffer in one GET-with-list — against a real
// simulated meter over the wrapper on UDP, into a real SQLite store. Requests are counted on
// the session (a pass-through: every request still goes to the meter).
import { afterEach, describe, expect, it } from 'vitest';
import { WrapperUdpTransport } from '../../../dcu/links/wrapper-transport.js';
import { readProfile } from '../../../dcu/session/readers.js';
import { DlmsSession } from '../../../dcu/session/session.js';
import type { DcuStore } from '../../../dcu/store/index.js';
import { collectProfile } from '../../../dcu/tasks/collect.js';
import { MeterLayout } from '../../../dcu/tasks/meter-layout.js';
import { conformanceFromNames } from '../../../shared/dlms/apdu/index.js';
import { CLIENT_CONFORMANCE } from '../../../shared/dlms/association/settings.js';
import { Obis } from '../../../shared/dlms/obis.js';
import { createMeterSet } from '../../../simulators/meter/transport/meter-set.js';
import { WrapperUdpServer } from '../../../simulators/meter/transport/wrapper-udp.js';
import { openStore } from '../store/helpers.js';
import { clientSettings } from '../../simulators/transport/fake-meter.js';

const LIFE = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;
const now = LIFE + 10 * DAY;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

interface Counted {
  session: DlmsSession;
  /** Each request: 'get <obis>:<attr>' or 'list <obis>:<attr>,…'. */
  requests: string[];
}

async function meterSession(o: { conformance?: number } = {}): Promise<Counted & { serial: string }> {
  const [running] = createMeterSet({ count: 1, firstAddress: 17, seed: 3, firstSerial: 70000003, startOfLife: LIFE });
  const server = await WrapperUdpServer.listen({ port: 0, meter: { server: running.server, label: running.serial }, clock: () => now });
  const transport = new WrapperUdpTransport({ host: '127.0.0.1', port: server.port, client: 17, responseTimeout: 2000, maxRetries: 2 });
  const session = new DlmsSession({ meter: running.serial, transport, association: { ...clientSettings(17), ...(o.conformance !== undefined && { conformance: o.conformance }) } });
  const requests: string[] = [];
  const get = session.get.bind(session);
  const getList = session.getList.bind(session);
  session.get = (classId, obis, attr, access) => {
    requests.push(`get ${obis}:${attr}`);
    return get(classId, obis, attr, access);
  };
  session.getList = (items) => {
    if (items.length > 1) requests.push(`list ${items.map((i) => `${i.instanceId}:${i.attributeId}`).join(',')}`);
    return getList(items);
  };
  cleanups.push(async () => {
    await session.close();
    await server.close();
  });
  await session.connect();
  return { session, requests, serial: running.serial };
}

/** One session's billing read of the last day, as the billing task does it, with the layout the store remembers. */
async function billingSession(store: DcuStore, meterId: number, maxAgeDays: number, at = now) {
  const s = await meterSession();
  const meter = store.meters.get(meterId)!;
  const layout = MeterLayout.load(store, meterId, at, maxAgeDays);
  const job = { session: s.session, store, meter, now: at, backfillDays: 1, scalers: layout.scalers, layout };
  await collectProfile(job, Obis.dailyBilling);
  layout.save(store);
  const scalerReads = s.requests.filter((r) => r.startsWith('list') && r.includes(':3') && !r.includes(`${Obis.dailyBilling}:3`));
  return { requests: s.requests, scalerReads: scalerReads.length, units: store.readings.range({ from: 0, to: at + 1, meter: meterId }).map((r) => [r.obis, r.scaler, r.unit]) };
}

/** The next session reads the same day again. */
function forgetReadings(store: DcuStore): void {
  store.db.exec('DELETE FROM readings; DELETE FROM collection_marks');
}

function newMeter(store: DcuStore): number {
  return store.meters.upsert({ serial: '70000003', link: 'plc-1', linkKind: 'g3', networkAddress: '1', physicalAddress: 0 }).meter.id;
}

describe('reading a profile', () => {
  it('asks for its capture objects and its buffer in one GET-with-list where the meter takes several attributes at once', async () => {
    const { session, requests } = await meterSession();
    const p = await readProfile(session, Obis.loadProfile, { kind: 'range', from: now - DAY, to: now - 15 * 60_000 });
    expect(requests).toEqual([`list ${Obis.loadProfile}:3,${Obis.loadProfile}:2`]);
    expect(p.rows).toHaveLength(96);
    expect(p.columns[0]).toMatchObject({ classId: 8, logicalName: Obis.clock });
  });

  it('with two GETs when the meter did not negotiate multiple-references — the same columns and rows', async () => {
    const withList = await meterSession();
    const conformance = CLIENT_CONFORMANCE & ~conformanceFromNames(['multiple-references']);
    const without = await meterSession({ conformance });
    const range = { kind: 'range', from: now - DAY, to: now - 15 * 60_000 } as const;
    const a = await readProfile(withList.session, Obis.loadProfile, range);
    const b = await readProfile(without.session, Obis.loadProfile, range);
    expect(without.requests).toEqual([`get ${Obis.loadProfile}:3`, `get ${Obis.loadProfile}:2`]);
    expect(b).toEqual(a);
  });
});

describe('a meter\'s layout kept between sessions', () => {
  it('reads the scalers in the first session only; later sessions store the same units and scalers without asking', async () => {
    const store = openStore();
    const id = newMeter(store);
    const first = await billingSession(store, id, 7);
    expect(first.scalerReads).toBe(1);
    expect(first.units.length).toBeGreaterThan(0);
    expect(first.units.every(([, scaler, unit]) => scaler !== null && unit !== null)).toBe(true);
    forgetReadings(store);
    const second = await billingSession(store, id, 7);
    expect(second.scalerReads).toBe(0);
    // Nothing but the profile itself (a request per chunk), capture objects with each buffer.
    expect(new Set(second.requests)).toEqual(new Set([`list ${Obis.dailyBilling}:3,${Obis.dailyBilling}:2`]));
    expect(second.units).toEqual(first.units);
  });

  it('reads them again when the profile\'s capture objects are not the ones remembered (a reconfigured meter), and when they are too old', async () => {
    const store = openStore();
    const id = newMeter(store);
    const first = await billingSession(store, id, 7);
    // What the DCU remembers no longer matches the meter: another layout, a wrong scaler.
    const key = `layout.${id}`;
    const saved = store.config.value<{ readAt: number; profiles: Record<string, string>; scalers: Record<string, [number, number]> }>(key, { readAt: 0, profiles: {}, scalers: {} });
    const [obis] = Object.keys(saved.scalers);
    store.config.set(key, { ...saved, profiles: { [Obis.dailyBilling]: '[]' }, scalers: { ...saved.scalers, [obis]: [5, 0] } });
    forgetReadings(store);
    const changed = await billingSession(store, id, 7);
    expect(changed.scalerReads).toBe(1);
    expect(changed.units).toEqual(first.units);
    // Eight days later, a week's cache is stale: read again; with caching off, always.
    forgetReadings(store);
    expect((await billingSession(store, id, 7, now + 8 * DAY)).scalerReads).toBe(1);
    forgetReadings(store);
    expect((await billingSession(store, id, 0)).scalerReads).toBe(1);
  });
});
