// The vending HTTP API: vendors with their API keys, operators with the operator token,
// errors as JSON { error, field? } with the status of their kind — on SQLite and PostgreSQL.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerVendingRoutes } from '../../../cloud/api/vending-routes.js';
import { acceptToken } from '../../../shared/sts/index.js';
import { accountInput, BACKENDS, type Harness, NO_FRIENDLY, openHarness, T0, TARIFF } from './service-fixtures.js';

const OPERATOR = 'operator-secret-token';
let h: Harness;
let app: FastifyInstance;
const op = { authorization: `Bearer ${OPERATOR}` };


async function setUp(creditLimit = 5000): Promise<string> {
  expect((await app.inject({ method: 'POST', url: '/vending/tariffs', headers: op, payload: TARIFF })).statusCode).toBe(201);
  expect((await app.inject({ method: 'POST', url: '/vending/accounts', headers: op, payload: accountInput(1) })).statusCode).toBe(201);
  const created = await app.inject({ method: 'POST', url: '/vending/vendors', headers: op, payload: { name: 'Shop', creditLimit } });
  expect(created.statusCode).toBe(201);
  return created.json().apiKey as string;
}

describe.each(BACKENDS)('vending API (%s)', (backend) => {
  beforeEach(async () => {
    h = await openHarness(backend);
    app = Fastify();
    registerVendingRoutes(app, { service: h.vending.service, operations: h.vending.operations, operatorToken: OPERATOR });
  });
  afterEach(async () => {
    await app.close();
    await h.close();
  });


  it('vends over HTTP: 201 once, then the same answer (200) for every retry', async () => {
    const key = await setUp();
    const vend = { requestId: 'pos-42', meter: 'MTR00000001', amount: 1100 };
    const first = await app.inject({ method: 'POST', url: '/vending/vends', headers: { authorization: `Bearer ${key}` }, payload: vend });
    expect(first.statusCode).toBe(201);
    const body = first.json();
    expect(body).toMatchObject({ units: 500, kWh: 50, breakdown: { vat: 184, energyMoney: 1000 }, replayed: false });
    expect(body.token).toMatch(/^\d{20}$/);
    expect(body.tokenGrouped).toMatch(/^\d{4} \d{4} \d{4} \d{4} \d{4}$/);
    expect(first.headers.location).toBe('/vending/vends/pos-42');
    for (let i = 0; i < 5; i++) {
      const again = await app.inject({ method: 'POST', url: '/vending/vends', headers: { authorization: `Bearer ${key}` }, payload: vend });
      expect(again.statusCode).toBe(200);
      expect(again.json()).toMatchObject({ token: body.token, vendId: body.vendId, replayed: true });
    }
    expect((await app.inject({ url: '/vending/vends/pos-42', headers: { authorization: `Bearer ${key}` } })).json()).toMatchObject({ token: body.token });
    expect((await app.inject({ url: '/vending/vendor', headers: { authorization: `Bearer ${key}` } })).json()).toMatchObject({ balanceOwed: 1100, creditLimit: 5000, available: 3900 });
    expect(acceptToken(await h.meterOf('ACC-1'), body.token, T0).result).toBe('Accept');

    const conflict = await app.inject({ method: 'POST', url: '/vending/vends', headers: { authorization: `Bearer ${key}` }, payload: { ...vend, amount: 1200 } });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json()).toMatchObject({ field: 'requestId', error: expect.stringContaining('already used') });

    const reversal = await app.inject({ method: 'POST', url: '/vending/vends/pos-42/reversal', headers: { authorization: `Bearer ${key}` }, payload: { reason: 'wrong meter' } });
    expect(reversal.statusCode).toBe(200);
    expect(reversal.json()).toMatchObject({ status: 'reversed', token: body.token });
    const reconciliation = await app.inject({ url: '/vending/reconciliation', headers: op });
    expect(reconciliation.json()).toEqual({ ok: true, discrepancies: [] });
  });

  it('answers bad requests with the status and field that say what was wrong', async () => {
    const key = await setUp(1000);
    const auth = { authorization: `Bearer ${key}` };
    const cases: [unknown, number, string | undefined][] = [
      [{ requestId: 'a', meter: 'MTR00000001', amount: '10' }, 400, 'amount'],
      [{ requestId: 'a', meter: 'MTR00000001', amount: 10.5 }, 400, 'amount'],
      [{ requestId: 'a', meter: 'MTR00000001', amount: 100, extra: 1 }, 400, '(body)'],
      [{ requestId: 'a', meter: 'NOPE', amount: 500 }, 404, 'meter'],
      [{ requestId: 'a', meter: 'MTR00000001', amount: 1001 }, 402, 'amount'],
      [{ requestId: 'a', meter: 'MTR00000001', amount: 50 }, 422, 'amount'],
    ];
    for (const [payload, status, field] of cases) {
      const r = await app.inject({ method: 'POST', url: '/vending/vends', headers: auth, payload: payload as object });
      expect([r.statusCode, r.json().field], JSON.stringify(payload)).toEqual([status, field]);
      expect(typeof r.json().error).toBe('string');
    }
    const broken = await app.inject({ method: 'POST', url: '/vending/vends', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"requestId":' });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error).toMatch(/JSON/i);
    expect((await app.inject({ method: 'POST', url: '/vending/vends', payload: {} })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/vending/vends', headers: { authorization: 'Bearer mev_nothing' }, payload: {} })).statusCode).toBe(401);
    expect((await app.inject({ url: '/vending/vends/none', headers: auth })).statusCode).toBe(404);
    // Vendors cannot use operator routes, nor the other way round.
    expect((await app.inject({ url: '/vending/vendors', headers: auth })).statusCode).toBe(401);
    expect((await app.inject({ url: '/vending/vendor', headers: op })).statusCode).toBe(401);
    expect(await h.vending.service.store.allVends()).toHaveLength(0);
  });

  it('lets operators manage tariffs, accounts and vendors, and read the reports', async () => {
    const key = await setUp();
    const v2 = await app.inject({ method: 'POST', url: '/vending/tariffs', headers: op, payload: { ...TARIFF, validFrom: Date.UTC(2026, 5, 1) } });
    expect(v2.json()).toMatchObject({ id: 'flat-eur', version: 2 });
    expect((await app.inject({ method: 'POST', url: '/vending/tariffs', headers: op, payload: { ...TARIFF, vat: { rateBasisPoints: 20_000, pricesIncludeVat: true } } })).json()).toMatchObject({ field: 'vat.rateBasisPoints' });
    expect((await app.inject({ url: '/vending/tariffs/flat-eur', headers: op })).json()).toHaveLength(2);

    const account = (await app.inject({ url: '/vending/accounts/ACC-1', headers: op })).json();
    expect(account).toMatchObject({ id: 'ACC-1', status: 'open', mode: 'prepaid', sts: { supplyGroupCode: '123456', keyRevisionNumber: 1, baseDate: 2014 } });
    expect(JSON.stringify(account)).not.toMatch(/abababab|decoderKey|vendingKey/i);
    const friendly = { ...NO_FRIENDLY, daily: [{ from: '18:00', to: '07:00' }], weekdays: [6, 7] };
    expect((await app.inject({ method: 'PUT', url: '/vending/accounts/ACC-1/friendly', headers: op, payload: friendly })).json().friendly).toMatchObject({ weekdays: [6, 7] });
    expect((await app.inject({ method: 'PUT', url: '/vending/accounts/ACC-1/friendly', headers: op, payload: { ...friendly, weekdays: [8] } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'PUT', url: '/vending/accounts/ACC-1/delivery', headers: op, payload: { kind: 'remote', dcuId: 'dcu-7' } })).json().delivery).toEqual({ kind: 'remote', dcuId: 'dcu-7' });
    expect((await app.inject({ method: 'POST', url: '/vending/accounts/ACC-1/mode', headers: op, payload: { mode: 'postpaid' } })).json().mode).toBe('postpaid');
    expect((await app.inject({ method: 'POST', url: '/vending/accounts/ACC-1/mode', headers: op, payload: { mode: 'prepaid' } })).json().mode).toBe('prepaid');
    const token = await app.inject({ method: 'POST', url: '/vending/accounts/ACC-1/engineering-tokens', headers: op, payload: { kind: 'clear-tamper' } });
    expect(token.statusCode).toBe(201);
    expect(token.json().tokens[0]).toMatch(/^\d{20}$/);

    const sold = await app.inject({ method: 'POST', url: '/vending/vends', headers: { authorization: `Bearer ${key}` }, payload: { requestId: 'r1', account: 'ACC-1', amount: 1100 } });
    // Remote delivery with no command service running: the vend waits in the deliveries list, token in hand.
    expect(sold.json()).toMatchObject({ delivery: 'pending' });
    expect((await app.inject({ url: '/vending/deliveries', headers: op })).json()).toEqual([expect.objectContaining({ requestId: 'r1', delivery: 'pending', token: sold.json().token })]);
    const vendors = (await app.inject({ url: '/vending/vendors', headers: op })).json();
    expect(vendors).toEqual([expect.objectContaining({ name: 'Shop', balanceOwed: 1100 })]);
    expect(JSON.stringify(vendors)).not.toContain(key.split('_')[2]);
    const paid = await app.inject({ method: 'POST', url: `/vending/vendors/${vendors[0].id}/payments`, headers: op, payload: { amount: 1100, reference: 'EFT-1' } });
    expect(paid.json()).toMatchObject({ balanceOwed: 0 });
    const sales = await app.inject({ url: '/vending/reports/sales?granularity=month&from=2026-03-01&to=2026-04-01', headers: op });
    expect(sales.json()).toEqual([expect.objectContaining({ period: '2026-03', vendorName: 'Shop', count: 1, amount: 1100, vat: 184 }), expect.objectContaining({ vendor: null, amount: 1100 })]);
    expect((await app.inject({ url: '/vending/reports/vat?granularity=month&from=2026-03-01&to=2026-04-01', headers: op })).json()).toEqual([{ period: '2026-03', rateBasisPoints: 2000, gross: 1100, vat: 184, net: 916 }]);
    expect((await app.inject({ url: '/vending/reports/sales?granularity=week&from=2026-03-01&to=2026-04-01', headers: op })).json()).toMatchObject({ field: 'granularity' });
    const rotated = (await app.inject({ method: 'POST', url: `/vending/vendors/${vendors[0].id}/key`, headers: op })).json();
    expect((await app.inject({ url: '/vending/vendor', headers: { authorization: `Bearer ${key}` } })).statusCode).toBe(401);
    expect((await app.inject({ url: '/vending/vendor', headers: { authorization: `Bearer ${rotated.apiKey}` } })).statusCode).toBe(200);
    const closed = await app.inject({ method: 'POST', url: '/vending/accounts/ACC-1/close', headers: op });
    expect(closed.json()).toMatchObject({ account: { status: 'closed' }, settlement: { refund: 0 } });
    expect((await app.inject({ url: '/vending/reconciliation', headers: op })).json()).toEqual({ ok: true, discrepancies: [] });
  });

  it('keeps the operator routes shut without a configured token', async () => {
    const closed = Fastify();
    registerVendingRoutes(closed, { service: h.vending.service, operations: h.vending.operations, operatorToken: undefined });
    const r = await closed.inject({ url: '/vending/vendors', headers: op });
    expect(r.statusCode).toBe(503);
    expect(r.json().error).toContain('CLOUD_OPERATOR_TOKEN');
    expect((await app.inject({ url: '/vending/vendors', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
    await closed.close();
  });
});
