// The DCU's local HTTP API (fastify), for technicians on site and the cloud bridge. It binds
// to config.api (127.0.0.1 by default) and has no authentication of its own: expose it
// beyond localhost only behind something that authenticates.
//
//   POST /commands          {id, kind: 'relay', meter, action: 'connect'|'disconnect'}
//                           {id, kind: 'clock-sync', meter, force?}
//                           {id, kind: 'read', meter, registers?}
//                           {id, kind: 'token', meter, token: '20 digits'} (STS remote credit)
//                           202 + journal record (the command runs in the background;
//                           Location: /commands/{id}); 200 + the existing record for a
//                           repeated id with the same request (nothing runs again);
//                           409 for a used id with another request; 400 naming the field.
//   GET  /commands/:id      the record; ?waitMs=N (≤ 60000) waits for a running command
//   GET  /commands          ?status=received|running|done|failed &limit=N, newest first
//   GET  /meters            the directory; ?status=active|unreachable|removed &link=NAME
//   GET  /meters/:serial    one meter
//
// Errors are JSON { error: kind, message, issues? } with a message a technician can act on.
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { type CommandDeps, CommandConflictError, type ResolvedMeter, commandInFlight, parseCommandRequest, submitCommand } from '../commands/index.js';
import type { DcuConfig } from '../config.js';
import { StoreError } from '../store/index.js';

export interface ApiDeps extends CommandDeps {
  /** A pino logger for requests; default none. */
  logger?: FastifyBaseLogger;
}

export interface ApiListen {
  host: string;
  port: number;
}

const MAX_WAIT_MS = 60_000;

const CommandQuery = z.strictObject({
  waitMs: z.coerce.number().int('must be a whole number of ms').min(0).max(MAX_WAIT_MS).optional(),
});
const CommandListQuery = z.strictObject({
  status: z.enum(['received', 'running', 'done', 'failed']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
const MeterListQuery = z.strictObject({
  status: z.enum(['active', 'unreachable', 'removed']).optional(),
  link: z.string().min(1).optional(),
});

class BadRequest extends Error {
  constructor(readonly issues: { field: string; message: string }[]) {
    super(issues.map((i) => `${i.field}: ${i.message}`).join('; '));
  }
}

function query<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  throw new BadRequest(r.error.issues.map((i) => ({ field: i.code === 'unrecognized_keys' ? i.keys.join(', ') : i.path.join('.') || '(query)', message: i.code === 'unrecognized_keys' ? 'unknown query parameter' : i.message })));
}

/** The API on `deps`; not listening yet (inject() works, or call listen / startApiServer). */
export function buildApiServer(deps: ApiDeps): FastifyInstance {
  const app = Fastify({ ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }), bodyLimit: 64 * 1024 });
  const { store } = deps;

  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    if (error instanceof BadRequest) return reply.code(400).send({ error: 'invalid-request', message: error.message, issues: error.issues });
    const status = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status === 415) return reply.code(415).send({ error: 'unsupported-media-type', message: 'send the command as JSON (Content-Type: application/json)' });
    if (status >= 400 && status < 500) return reply.code(status).send({ error: 'invalid-request', message: error.message });
    request.log.error({ err: error }, 'API request failed');
    return reply.code(500).send({ error: 'internal', message: error.message });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: 'not-found', message: `no route ${request.method} ${request.url}` }));

  app.post('/commands', async (request, reply) => {
    const parsed = parseCommandRequest(request.body);
    if (!parsed.ok) throw new BadRequest(parsed.issues);
    let accepted;
    try {
      accepted = submitCommand(parsed.request, deps);
    } catch (e) {
      if (e instanceof CommandConflictError) return reply.code(409).send({ error: 'id-conflict', message: e.message, existing: e.existing });
      if (e instanceof StoreError && e.kind === 'invalid') throw new BadRequest([{ field: '(body)', message: e.message }]);
      throw e;
    }
    const id = parsed.request.id;
    if (accepted.created) accepted.done.catch((e: unknown) => request.log.error({ err: e, command: id }, 'command could not be recorded'));
    return reply
      .code(accepted.created ? 202 : 200)
      .header('location', `/commands/${encodeURIComponent(id)}`)
      .send(accepted.record);
  });

  app.get<{ Params: { id: string } }>('/commands/:id', async (request, reply) => {
    const { waitMs } = query(CommandQuery, request.query);
    const id = request.params.id;
    const running = commandInFlight(store, id);
    if (running && waitMs) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([running.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, waitMs)))]).finally(() => clearTimeout(timer));
    }
    const record = store.commands.get(id);
    if (!record) return reply.code(404).send({ error: 'not-found', message: `no command with id ${JSON.stringify(id)}` });
    return record;
  });

  app.get('/commands', async (request) => {
    const q = query(CommandListQuery, request.query);
    return store.commands.list({ ...(q.status && { status: q.status }), ...(q.limit && { limit: q.limit }) });
  });

  app.get('/meters', async (request) => {
    const q = query(MeterListQuery, request.query);
    return store.meters.list({ ...(q.status && { status: q.status }), ...(q.link && { link: q.link }) });
  });

  app.get<{ Params: { serial: string } }>('/meters/:serial', async (request, reply) => {
    const meter = store.meters.bySerial(request.params.serial);
    if (!meter) return reply.code(404).send({ error: 'not-found', message: `no meter with serial ${JSON.stringify(request.params.serial)} in the directory` });
    return meter;
  });

  return app;
}

export interface RunningApi {
  app: FastifyInstance;
  /** http://host:port actually bound (port 0 in the config picks a free one). */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Builds the API and listens on `listen` (config.api). */
export async function startApiServer(deps: ApiDeps, listen: ApiListen): Promise<RunningApi> {
  const app = buildApiServer(deps);
  await app.listen({ host: listen.host, port: listen.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : listen.port;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return { app, url: `http://${host}:${port}`, port, close: () => app.close() };
}

/** What the API takes from the DCU runtime (dcu/runtime.ts fits it). */
export interface ApiRuntime {
  store: CommandDeps['store'];
  access: CommandDeps['access'];
  clock: CommandDeps['clock'];
  config: Pick<DcuConfig, 'timeSync' | 'api'>;
  log?: FastifyBaseLogger;
  resolveMeter(serial: string): ResolvedMeter | null;
}

/** The API on the runtime's store, buses and clock, listening on config.api (or `listen`). */
export async function startApi(o: { runtime: ApiRuntime; listen?: ApiListen }): Promise<RunningApi> {
  const { runtime } = o;
  return startApiServer(
    {
      store: runtime.store,
      access: runtime.access,
      clock: runtime.clock,
      timeSync: runtime.config.timeSync,
      resolveMeter: (serial) => runtime.resolveMeter(serial),
      ...(runtime.log && { logger: runtime.log.child({ component: 'api' }), log: runtime.log.child({ component: 'commands' }) }),
    },
    o.listen ?? runtime.config.api,
  );
}
