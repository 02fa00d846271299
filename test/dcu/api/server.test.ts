// The local API over fastify's inject and one real HTTP request, on simulated meters on a
// real pty bus and a real SQLite store: commands journaled and run, repeated ids answered
// from the journal, bad requests answered with the field named, the directory served.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApiServer, startApiServer } from '../../../dcu/api/server.js';
import type { CommandRecord } from '../../../dcu/store/index.js';
import { EventCode } from '../../../simulators/meter/events.js';
import { type MeterBus, openMeterBus } from '../fixtures/meter-bus.js';

let mb: MeterBus;
let app: FastifyInstance;
const THRESHOLDS = { ignoreBelowS: 10, shiftUpToS: 60, correctUpToS: 600 };

beforeAll(async () => {
  mb = await openMeterBus([{ controlMode: 2 }, { clock: { offsetMs: 300_000 } }, {}], { firstSerial: 70000001 });
  app = buildApiServer({ store: mb.store, access: mb.access, resolveMeter: mb.resolveMeter, clock: mb.clock, timeSync: THRESHOLDS });
  await app.ready();
}, 30_000);
afterAll(async () => {
  await app?.close();
  await mb?.close();
});

const post = (body: unknown) => app.inject({ method: 'POST', url: '/commands', payload: body as object });
const waitFor = async (id: string): Promise<CommandRecord> => {
  const r = await app.inject({ method: 'GET', url: `/commands/${id}?waitMs=30000` });
  expect(r.statusCode).toBe(200);
  return r.json();
};

describe('local API', () => {
  it('takes a relay command: 202 with the journal record, then done with the confirmed state', async () => {
    const m = mb.meters[0];
    const r = await post({ id: 'api-1', kind: 'relay', meter: m.serial, action: 'disconnect' });
    expect(r.statusCode).toBe(202);
    expect(r.headers.location).toBe('/commands/api-1');
    expect(r.json()).toMatchObject({ id: 'api-1', kind: 'relay', meter: m.serial, status: 'running', params: { action: 'disconnect' } });
    const done = await waitFor('api-1');
    expect(done).toMatchObject({ status: 'done', outcome: { result: 'disconnected', after: { outputState: false } } });
    expect(m.meter.state.relay.controlState).toBe(0);
  }, 30_000);

  it('answers a repeated id with 200 and the record, without acting; another request under it gets 409', async () => {
    const m = mb.meters[0];
    const before = m.meter.events(Date.now()).filter((e) => e.code === EventCode.remoteDisconnection).length;
    const r = await post({ id: 'api-1', kind: 'relay', meter: m.serial, action: 'disconnect' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual(await waitFor('api-1'));
    expect(m.meter.events(Date.now()).filter((e) => e.code === EventCode.remoteDisconnection).length).toBe(before);

    const conflict = await post({ id: 'api-1', kind: 'relay', meter: m.serial, action: 'connect' });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json()).toMatchObject({ error: 'id-conflict', existing: { id: 'api-1', params: { action: 'disconnect' } } });
    expect(conflict.json().message).toMatch(/already used for relay disconnect of meter 70000001/);
  }, 30_000);

  it('takes a clock-sync command: a meter 5 min ahead is set', async () => {
    const m = mb.meters[1];
    const r = await post({ id: 'sync-1', kind: 'clock-sync', meter: m.serial });
    expect(r.statusCode).toBe(202);
    expect(r.json().params).toEqual({ force: false });
    const done = await waitFor('sync-1');
    expect(done).toMatchObject({ status: 'done', kind: 'clock-sync', outcome: { action: 'set', forced: false } });
    expect(Math.abs((done.outcome as { residualMs: number }).residualMs)).toBeLessThan(500);
    expect(Math.abs(mb.offsetOf(m))).toBeLessThan(500);
    // force: false and force omitted are the same request
    expect((await post({ id: 'sync-1', kind: 'clock-sync', meter: m.serial, force: false })).statusCode).toBe(200);
  }, 30_000);

  it('fails a clock-sync while the gateway clock is not synchronised, reading nothing', async () => {
    mb.clock.isSynchronised = false;
    try {
      const frames = mb.framesToClient();
      await post({ id: 'sync-2', kind: 'clock-sync', meter: mb.meters[2].serial });
      const done = await waitFor('sync-2');
      expect(done).toMatchObject({ status: 'failed', outcome: { action: 'not-synchronised', errorKind: 'NotSynchronised' } });
      expect(mb.framesToClient()).toBe(frames);
    } finally {
      mb.clock.isSynchronised = true;
    }
  });

  it.each([
    [{ id: 'x', kind: 'relay', meter: '1' }, 'action', /required/],
    [{ id: 'x', kind: 'relay', meter: '1', action: 'open' }, 'action', /expected "connect" or "disconnect"/],
    [{ id: 'x', kind: 'reboot', meter: '1' }, 'kind', /expected one of "relay", "clock-sync", "read", "config", "meter-keys", "token", got "reboot"/],
    [{ id: 'x', kind: 'token', meter: '1', token: '1234 5678 9012 3456 789' }, 'token', /must be 20 decimal digits, got '1234567890123456789'/],
    [{ kind: 'relay', meter: '1', action: 'connect' }, 'id', /required/],
    [{ id: '', kind: 'relay', meter: '1', action: 'connect' }, 'id', /must not be empty/],
    [{ id: 'x', kind: 'clock-sync', meter: '1', forced: true }, 'forced', /unknown field/],
    [{ id: 'x', kind: 'clock-sync', meter: '1', force: 'yes' }, 'force', /expected boolean/],
    [[1, 2], '(body)', /JSON object/],
  ])('answers %j with 400 naming %s', async (body, field, message) => {
    const r = await post(body);
    expect(r.statusCode).toBe(400);
    const json = r.json();
    expect(json.error).toBe('invalid-request');
    expect(json.issues).toEqual(expect.arrayContaining([expect.objectContaining({ field, message: expect.stringMatching(message) })]));
    expect(json.message).toContain(`${field}: `);
    expect(mb.store.commands.get('x')).toBeUndefined();
  });

  it('answers malformed JSON and a body that is not JSON clearly', async () => {
    const bad = await app.inject({ method: 'POST', url: '/commands', payload: '{"id": ', headers: { 'content-type': 'application/json' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toBe('invalid-request');
    const text = await app.inject({ method: 'POST', url: '/commands', payload: 'id=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(text.statusCode).toBe(415);
    expect(text.json().message).toMatch(/JSON/);
  });

  it('serves commands, the directory and single meters; 404 for what does not exist', async () => {
    expect((await app.inject({ method: 'GET', url: '/commands/none' })).statusCode).toBe(404);
    const list = await app.inject({ method: 'GET', url: '/commands?status=done' });
    expect(list.json().map((c: CommandRecord) => c.id)).toEqual(expect.arrayContaining(['api-1', 'sync-1']));
    expect((await app.inject({ method: 'GET', url: '/commands?status=lost' })).statusCode).toBe(400);

    const meters = await app.inject({ method: 'GET', url: '/meters' });
    expect(meters.statusCode).toBe(200);
    expect(meters.json().map((m: { serial: string }) => m.serial)).toEqual(mb.meters.map((m) => m.serial));
    const one = await app.inject({ method: 'GET', url: `/meters/${mb.meters[1].serial}` });
    expect(one.json()).toMatchObject({ serial: mb.meters[1].serial, physicalAddress: 18, link: 'rs485-1', status: 'active' });
    const none = await app.inject({ method: 'GET', url: '/meters/00000000' });
    expect(none.statusCode).toBe(404);
    expect(none.json().message).toMatch(/no meter with serial "00000000"/);
    expect((await app.inject({ method: 'GET', url: '/nowhere' })).statusCode).toBe(404);
  });

  it('works over real HTTP on 127.0.0.1', async () => {
    const api = await startApiServer({ store: mb.store, access: mb.access, resolveMeter: mb.resolveMeter, clock: mb.clock, timeSync: THRESHOLDS }, { host: '127.0.0.1', port: 0 });
    try {
      expect(api.url).toBe(`http://127.0.0.1:${api.port}`);
      const m = mb.meters[0];
      const posted = await fetch(`${api.url}/commands`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'http-1', kind: 'relay', meter: m.serial, action: 'connect' }) });
      expect(posted.status).toBe(202);
      const done = (await (await fetch(`${api.url}/commands/http-1?waitMs=30000`)).json()) as CommandRecord;
      expect(done).toMatchObject({ status: 'done', outcome: { result: 'connected', after: { outputState: true } } });
      expect((await fetch(`${api.url}/meters/${m.serial}`)).status).toBe(200);
    } finally {
      await api.close();
    }
  }, 30_000);
});
