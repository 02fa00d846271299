// Commands the DCU takes (relay, clock sync, on-demand read, schedule, STS token), whoever sends them: the request schema
// (zod: every field checked, unknown fields refused, messages naming the field) and one
// entry point that journals and starts a request.
import { z } from 'zod';
import { startClockSyncCommand } from './clock-sync.js';
import type { Accepted, CommandDeps } from './journal.js';
import { startConfigCommand } from './config.js';
import { type SealingKeys, startMeterKeysCommand } from './meter-keys.js';
import { startReadCommand } from './read.js';
import { startRelayCommand } from './relay.js';
import { type TokenPolling, normalizeToken, startTokenCommand } from './token.js';

export { CommandConflictError, commandInFlight, failInterruptedCommands, type Accepted, type CommandDeps, type CommandLog, type ResolvedMeter } from './journal.js';
export { runRelayCommand, startRelayCommand, readDisconnectControl, type RelayCommand, type RelayDeps, type RelayAction, type RelayResult, type DisconnectControlState } from './relay.js';
export { runClockSyncCommand, startClockSyncCommand, type ClockSyncCommand } from './clock-sync.js';
export { runReadCommand, startReadCommand, type ReadCommand } from './read.js';
export { CONFIG_VERSION_KEY, startConfigCommand, type ConfigCommand } from './config.js';
export { startMeterKeysCommand, type SealingKeys } from './meter-keys.js';
export { DEFAULT_TOKEN_POLLING, TokenFormatError, normalizeToken, runTokenCommand, startTokenCommand, type TokenCommand, type TokenDeps, type TokenPolling } from './token.js';

const CommandId = z.string().min(1, 'must not be empty').max(128, 'at most 128 characters').regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');
const MeterSerial = z.string().min(1, 'must not be empty').max(64, 'at most 64 characters');

export const RelayRequestSchema = z.strictObject({
  id: CommandId,
  kind: z.literal('relay'),
  meter: MeterSerial,
  action: z.enum(['connect', 'disconnect'], {
    error: (issue) => (issue.input === undefined ? 'required ("connect" or "disconnect")' : `expected "connect" or "disconnect", got ${JSON.stringify(issue.input)}`),
  }),
});

export const ClockSyncRequestSchema = z.strictObject({
  id: CommandId,
  kind: z.literal('clock-sync'),
  meter: MeterSerial,
  force: z.boolean().optional(),
});

export const ReadRequestSchema = z.strictObject({
  id: CommandId,
  kind: z.literal('read'),
  meter: MeterSerial,
  registers: z.array(z.string().regex(/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/, 'an OBIS code such as 1.0.1.8.0.255')).min(1).max(32).optional(),
});

const Task = z.strictObject({
  name: z.string().min(1).max(64),
  type: z.string().min(1),
  items: z.unknown().optional(),
  cron: z.string().nullable().optional(),
  startAt: z.number().int().nullable().optional(),
  endAt: z.number().int().nullable().optional(),
  periodMs: z.number().int().positive().nullable().optional(),
  priority: z.number().int().min(-10).max(10).optional(),
  retries: z.number().int().min(0).max(10).optional(),
  enabled: z.boolean().optional(),
});

/** A schedule pushed from the cloud (tasks upserted by name), applied only if `version` is newer. */
export const ConfigRequestSchema = z.strictObject({
  id: CommandId,
  kind: z.literal('config'),
  version: z.number().int().positive(),
  schedule: z.array(Task).max(100),
});

/** Meter keys sealed by the cloud to this DCU (shared/sync/sealed.ts). */
export const MeterKeysRequestSchema = z.strictObject({
  id: CommandId,
  kind: z.literal('meter-keys'),
  sealed: z.instanceof(Uint8Array, { message: 'expected the sealed bytes' }),
});

/** An STS token to enter into a meter (remote credit); the digits come back normalized (20 digits, nothing else). */
export const TokenRequestSchema = z.strictObject({
  id: CommandId,
  kind: z.literal('token'),
  meter: MeterSerial,
  token: z.string({ error: (issue) => (issue.input === undefined ? 'required (20 decimal digits)' : `expected a string of 20 decimal digits, got ${typeof issue.input}`) }).transform((input, ctx) => {
    try {
      return normalizeToken(input);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  }),
});

export const COMMAND_KINDS = ['relay', 'clock-sync', 'read', 'config', 'meter-keys', 'token'] as const;

export type CommandRequest =
  | z.infer<typeof RelayRequestSchema>
  | z.infer<typeof ClockSyncRequestSchema>
  | z.infer<typeof ReadRequestSchema>
  | z.infer<typeof ConfigRequestSchema>
  | z.infer<typeof MeterKeysRequestSchema>
  | z.infer<typeof TokenRequestSchema>;

export interface RequestIssue {
  /** 'action', 'meter', '(body)'… */
  field: string;
  message: string;
}

/** A request body checked field by field: the request, or the issues each naming its field. */
export function parseCommandRequest(body: unknown): { ok: true; request: CommandRequest } | { ok: false; issues: RequestIssue[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, issues: [{ field: '(body)', message: 'expected a JSON object' }] };
  const kind = (body as { kind?: unknown }).kind;
  if (!COMMAND_KINDS.includes(kind as (typeof COMMAND_KINDS)[number])) {
    return { ok: false, issues: [{ field: 'kind', message: `expected one of ${COMMAND_KINDS.map((k) => `"${k}"`).join(', ')}, got ${kind === undefined ? 'nothing' : JSON.stringify(kind)}` }] };
  }
  const schema = { relay: RelayRequestSchema, 'clock-sync': ClockSyncRequestSchema, read: ReadRequestSchema, config: ConfigRequestSchema, 'meter-keys': MeterKeysRequestSchema, token: TokenRequestSchema }[kind as (typeof COMMAND_KINDS)[number]];
  const result = (schema as z.ZodType<CommandRequest>).safeParse(body);
  if (result.success) return { ok: true, request: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((i) => {
      if (i.code === 'unrecognized_keys') return { field: i.keys.join(', '), message: `unknown field${i.keys.length > 1 ? 's' : ''} for a ${String(kind)} command` };
      if (i.code === 'invalid_type' && / received undefined$/.test(i.message)) return { field: i.path.join('.'), message: `required (${i.expected})` };
      return { field: i.path.join('.') || '(body)', message: i.message };
    }),
  };
}

/** Journals a request and starts it; see acceptCommand for repeated ids. */
export function submitCommand(request: CommandRequest, deps: CommandDeps & { onScheduleChanged?: () => void; sealing?: SealingKeys; tokenPolling?: Partial<TokenPolling> }): Accepted {
  if (request.kind === 'meter-keys') return startMeterKeysCommand({ id: request.id, sealed: request.sealed }, deps);
  if (request.kind === 'config') return startConfigCommand({ id: request.id, version: request.version, schedule: request.schedule }, deps);
  if (request.kind === 'token') return startTokenCommand({ id: request.id, meter: request.meter, token: request.token }, deps);
  if (request.kind === 'relay') return startRelayCommand({ id: request.id, meter: request.meter, action: request.action }, deps);
  if (request.kind === 'read') return startReadCommand({ id: request.id, meter: request.meter, ...(request.registers && { registers: request.registers }) }, deps);
  return startClockSyncCommand({ id: request.id, meter: request.meter, ...(request.force !== undefined && { force: request.force }) }, deps);
}
