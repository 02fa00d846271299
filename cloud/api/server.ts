// The cloud's HTTP API for operators (minimal now): send a signed command to a DCU and
// follow its result; list the DCUs the cloud has heard from, one DCU with every epoch (database)
// it has had — a new one means its database was replaced — and the items of their batches the
// store could not take (kept aside with the reason).
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { COMMAND_KINDS } from '../../shared/sync/messages.js';
import type { CommandService } from '../commands/service.js';
import type { CloudStore } from '../store/index.js';
import { registerVendingRoutes, type VendingApiDeps } from './vending-routes.js';

const SendCommand = z.strictObject({
  dcu: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a DCU id'),
  command: z.enum(COMMAND_KINDS),
  params: z.record(z.string(), z.unknown()).default({}),
  ttlMs: z.number().int().min(1000).max(7 * 86_400_000).optional(),
  id: z.string().min(1).max(100).optional(),
});

export function buildCloudApi(deps: { store: CloudStore; commands: CommandService; vending?: VendingApiDeps }): FastifyInstance {
  const app = Fastify({ logger: false });
  if (deps.vending) registerVendingRoutes(app, deps.vending);
  app.post('/commands', async (request, reply) => {
    const parsed = SendCommand.safeParse(request.body);
    if (!parsed.success) {
      return reply.code(400).send({ error: 'invalid command', issues: parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })) });
    }
    const issued = await deps.commands.send(parsed.data);
    return reply.code(202).header('location', `/commands/${issued.dcu}/${issued.id}`).send(issued);
  });
  app.get<{ Params: { dcu: string; id: string } }>('/commands/:dcu/:id', async (request, reply) => {
    const status = await deps.commands.status(request.params.dcu, request.params.id);
    if (!status.issued && !status.result) return reply.code(404).send({ error: `no command ${request.params.id} for DCU ${request.params.dcu}` });
    return status;
  });
  app.get('/dcus', async () => deps.store.dcus());
  app.get<{ Params: { dcu: string } }>('/dcus/:dcu', async (request, reply) => {
    const dcu = await deps.store.dcu(request.params.dcu);
    if (dcu === null) return reply.code(404).send({ error: `no DCU ${request.params.dcu}` });
    return { ...dcu, epochs: await deps.store.epochs(dcu.id) };
  });
  app.get<{ Params: { dcu: string } }>('/dcus/:dcu/rejected', async (request) => deps.store.rejectedItems(request.params.dcu));
  return app;
}
