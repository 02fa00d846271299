// The vending HTTP API. Two kinds of caller, each with a bearer token:
//   vendors   — `Authorization: Bearer mev_…` (the API key shown once at creation):
//               POST /vending/vends, GET /vending/vends/:requestId,
//               POST /vending/vends/:requestId/reversal, GET /vending/vendor
//   operators — `Authorization: Bearer <CLOUD_OPERATOR_TOKEN>`: tariffs, accounts,
//               engineering tokens, vendors, reports, reconciliation, deliveries.
// Money is always whole minor units (cents). Errors are JSON { error, field? } with the
// status of their kind (cloud/vending/errors.ts).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HTTP_STATUS, VendingError } from '../vending/errors.js';
import type { EngineeringKind, Operations } from '../vending/operations.js';
import { reconcile, salesReport, vatReport, type Granularity } from '../vending/reports.js';
import type { VendingService } from '../vending/service.js';
import type { AccountRecord, VendorRecord } from '../vending/store/index.js';
import { groupDigits } from '../vending/sts-engine.js';

export interface VendingApiDeps {
  service: VendingService;
  operations: Operations;
  /** The operators' bearer token; unset: the operator routes answer 503. */
  operatorToken: string | undefined;
}

const VendBody = z.strictObject({
  requestId: z.string(),
  meter: z.string().min(1).max(64).optional(),
  account: z.string().min(1).max(128).optional(),
  amount: z.number(),
});
const Money = z.number().int().nonnegative();

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = issue.path.join('.') || '(body)';
  throw new VendingError('invalid', `${field}: ${issue.message}`, field);
}

function bearer(request: FastifyRequest): string | undefined {
  const h = request.headers.authorization;
  const m = h ? /^Bearer\s+(\S+)$/i.exec(h) : null;
  return m?.[1];
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** An account as operators see it: the domain state, the meter's key parameters (never key material), the credit read back. */
function accountView(a: AccountRecord) {
  return { ...a.state, sts: a.sts, meterCredit: a.meterCredit, meterCreditAt: a.meterCreditAt, createdAt: a.createdAt, updatedAt: a.updatedAt };
}

function vendorView(v: VendorRecord) {
  return { ...v, available: Math.max(v.creditLimit - v.balanceOwed, 0) };
}

function timeParam(value: unknown, field: string): number {
  if (typeof value !== 'string' || value === '') throw new VendingError('invalid', `${field} is required (ISO date or UTC ms)`, field);
  const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(n)) throw new VendingError('invalid', `${field} must be an ISO date or UTC ms, got '${value}'`, field);
  return n;
}

function reportQuery(q: Record<string, string | undefined>) {
  const granularity = (q.granularity ?? 'day') as Granularity;
  if (granularity !== 'day' && granularity !== 'month') throw new VendingError('invalid', `granularity must be 'day' or 'month'`, 'granularity');
  const timeZoneMinutes = q.tz === undefined ? 0 : Number(q.tz);
  if (!Number.isInteger(timeZoneMinutes) || Math.abs(timeZoneMinutes) > 18 * 60) throw new VendingError('invalid', 'tz must be minutes east of UTC (−1080…1080)', 'tz');
  return { granularity, from: timeParam(q.from, 'from'), to: timeParam(q.to, 'to'), timeZoneMinutes, ...(q.vendor ? { vendor: q.vendor } : {}) };
}

export function registerVendingRoutes(app: FastifyInstance, deps: VendingApiDeps): void {
  const { service, operations } = deps;
  const operatorDigest = deps.operatorToken ? digest(deps.operatorToken) : null;

  void app.register(async (scope) => {
    scope.setErrorHandler((error: Error & { statusCode?: number; validation?: unknown }, _request, reply) => {
      if (error instanceof VendingError) {
        return reply.code(HTTP_STATUS[error.kind]).send({ error: error.message, ...(error.field !== undefined && { field: error.field }) });
      }
      if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return reply.code(error.statusCode).send({ error: error.message });
      scope.log.error(error);
      return reply.code(500).send({ error: 'internal error; nothing was changed unless the answer says so' });
    });

    const vendor = (request: FastifyRequest): Promise<VendorRecord> => service.vendors.authenticate(bearer(request));
    const operator = async (request: FastifyRequest): Promise<void> => {
      if (!operatorDigest) throw new VendingError('unavailable', 'the operator API is disabled: set CLOUD_OPERATOR_TOKEN');
      const given = bearer(request);
      if (!given || !timingSafeEqual(digest(given), operatorDigest)) throw new VendingError('unauthorized', 'the operator token is required (Authorization: Bearer <CLOUD_OPERATOR_TOKEN>)');
    };

    // ---- vendors' API ---------------------------------------------------------------------
    scope.post('/vending/vends', async (request, reply) => {
      const v = await vendor(request);
      const body = parse(VendBody, request.body);
      const result = await service.vend(v, {
        requestId: body.requestId,
        amount: body.amount,
        ...(body.meter !== undefined && { meter: body.meter }),
        ...(body.account !== undefined && { account: body.account }),
      });
      return reply.code(result.replayed ? 200 : 201).header('location', `/vending/vends/${encodeURIComponent(result.requestId)}`).send(result);
    });
    scope.get<{ Params: { requestId: string } }>('/vending/vends/:requestId', async (request) => service.vendByRequest(await vendor(request), request.params.requestId));
    scope.post<{ Params: { requestId: string } }>('/vending/vends/:requestId/reversal', async (request) => {
      const v = await vendor(request);
      const body = parse(z.strictObject({ reason: z.string().max(500).optional() }), request.body);
      return service.reverse(v, request.params.requestId, body.reason ?? '');
    });
    scope.get('/vending/vendor', async (request) => vendorView(await vendor(request)));

    // ---- operators' API -------------------------------------------------------------------
    const op = { preHandler: operator };
    type Id = { Params: { id: string } };

    scope.post('/vending/tariffs', op, async (request, reply) => reply.code(201).send(await operations.addTariff(request.body)));
    scope.get('/vending/tariffs', op, async () => service.store.tariffs());
    scope.get<Id>('/vending/tariffs/:id', op, async (request) => operations.tariffVersions(request.params.id));

    scope.post('/vending/accounts', op, async (request, reply) => {
      const body = (request.body ?? {}) as Parameters<Operations['open']>[0];
      return reply.code(201).send(accountView(await operations.open(body)));
    });
    scope.get('/vending/accounts', op, async () => (await service.store.accounts()).map(accountView));
    scope.get<Id>('/vending/accounts/:id', op, async (request) => accountView(await operations.account(request.params.id)));
    scope.get<Id>('/vending/accounts/:id/events', op, async (request) => (await operations.account(request.params.id), service.store.accountEvents(request.params.id)));
    scope.get<Id>('/vending/accounts/:id/vends', op, async (request) => {
      const a = await operations.account(request.params.id);
      return (await service.store.vendsOfAccount(a.id)).map((v) => ({ ...v, accountBefore: undefined, accountAfter: undefined }));
    });
    scope.post<Id>('/vending/accounts/:id/close', op, async (request) => {
      const { settlement, ...a } = await operations.close(request.params.id);
      return { account: accountView(a), settlement };
    });
    scope.post<Id>('/vending/accounts/:id/mode', op, async (request) => {
      const body = parse(z.strictObject({ mode: z.enum(['prepaid', 'postpaid']) }), request.body);
      return accountView(await operations.switchMode(request.params.id, body.mode));
    });
    scope.put<Id>('/vending/accounts/:id/friendly', op, async (request) => accountView(await operations.setFriendly(request.params.id, request.body)));
    scope.put<Id>('/vending/accounts/:id/delivery', op, async (request) => accountView(await operations.setDelivery(request.params.id, request.body as never)));
    scope.put<Id>('/vending/accounts/:id/tariff', op, async (request) => {
      const body = parse(z.strictObject({ tariffId: z.string().min(1) }), request.body);
      return accountView(await operations.changeTariff(request.params.id, body.tariffId));
    });
    scope.post<Id>('/vending/accounts/:id/emergency-credit', op, async (request) => {
      const body = parse(z.strictObject({ amount: Money.optional() }), request.body);
      return accountView(await operations.emergencyCredit(request.params.id, body.amount));
    });
    scope.post<Id>('/vending/accounts/:id/debt', op, async (request) => {
      const body = parse(z.strictObject({ amount: Money, recoveryBasisPoints: z.number().int().min(0).max(10_000).optional() }), request.body);
      return accountView(await operations.addDebt(request.params.id, body.amount, body.recoveryBasisPoints));
    });
    scope.post<Id>('/vending/accounts/:id/engineering-tokens', op, async (request, reply) => {
      const { kind, ...params } = (request.body ?? {}) as { kind: EngineeringKind } & Record<string, unknown>;
      const t = await operations.engineering(request.params.id, kind, params);
      return reply.code(201).send({ ...t, grouped: t.tokens.map(groupDigits) });
    });

    scope.post('/vending/vendors', op, async (request, reply) => {
      const body = parse(z.strictObject({ name: z.string(), creditLimit: Money }), request.body);
      const { vendor: v, apiKey } = await service.vendors.create(body);
      return reply.code(201).send({ vendor: vendorView(v), apiKey, note: 'the API key is shown only now; the cloud keeps only its hash' });
    });
    scope.get('/vending/vendors', op, async () => (await service.vendors.list()).map(vendorView));
    scope.patch<Id>('/vending/vendors/:id', op, async (request) => {
      const body = parse(z.strictObject({ creditLimit: Money.optional(), status: z.enum(['active', 'suspended']).optional() }), request.body);
      return vendorView(await service.vendors.setTerms(request.params.id, body));
    });
    scope.post<Id>('/vending/vendors/:id/key', op, async (request) => {
      const { vendor: v, apiKey } = await service.vendors.rotateKey(request.params.id);
      return { vendor: vendorView(v), apiKey, note: 'the API key is shown only now; the old key no longer works' };
    });
    scope.post<Id>('/vending/vendors/:id/payments', op, async (request) => {
      const body = parse(z.strictObject({ amount: Money, reference: z.string() }), request.body);
      return vendorView(await service.vendors.recordPayment(request.params.id, body));
    });

    scope.get('/vending/reports/sales', op, async (request) => salesReport(service.store, reportQuery(request.query as Record<string, string>)));
    scope.get('/vending/reports/vat', op, async (request) => {
      const { vendor: _v, ...q } = reportQuery(request.query as Record<string, string>);
      return vatReport(service.store, q);
    });
    scope.get('/vending/reconciliation', op, async () => {
      const discrepancies = await reconcile(service.store);
      return { ok: discrepancies.length === 0, discrepancies };
    });
    scope.get('/vending/deliveries', op, async (request) => {
      const states = String((request.query as { state?: string }).state ?? 'pending,sent,rejected,failed').split(',');
      return (await service.store.allVends()).filter((v) => states.includes(v.delivery)).map(({ accountBefore: _b, accountAfter: _a, ...v }) => v);
    });
  });
}
