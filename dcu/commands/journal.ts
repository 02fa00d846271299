// How every command runs, whoever sent it (the local API now; the cloud and the console
// later): journaled under its id before anything acts, the id being the idempotency key.
//
//   acceptCommand  receive → (new id) start → work in the background → finish done|failed
//                  the same id and the same request again: the journaled record, nothing
//                  runs again (while the first run is in flight, `done` waits for it);
//                  the same id with another request: CommandConflictError.
//
// receive and start happen in the same synchronous step, so no other caller can see a new
// command between them; start is a compare-and-set in the store besides.
import type { GatewayClock } from '../clock/gateway-clock.js';
import type { MeterLink } from '../links/bus.js';
import type { LinkConfig, MeterAccess } from '../meters/access.js';
import type { CommandRecord, DcuStore, MeterRecord, NewCommand } from '../store/index.js';
import type { ClockSyncThresholds } from '../tasks/clock-sync.js';

/** Where a meter is reached: the runtime's Bus object, its configuration and the directory entry. */
export interface ResolvedMeter {
  /** An RS485 Bus or a G3 network (dcu/links/bus.ts MeterLink). */
  bus: MeterLink;
  busConfig: LinkConfig;
  meter: MeterRecord;
}

/** A pino-like logger; every method optional in use. */
export interface CommandLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What running commands needs from the runtime (dcu/main.ts injects it). */
export interface CommandDeps {
  store: DcuStore;
  access: MeterAccess;
  /** The runtime wiring: which bus a meter of the directory is on; null if unknown or not reachable. */
  resolveMeter(serial: string): ResolvedMeter | null;
  /** The gateway clock (clock-sync commands). */
  clock: GatewayClock;
  /** config.timeSync (clock-sync commands). */
  timeSync: ClockSyncThresholds;
  log?: CommandLog;
}

/** The same command id was used for another request. */
export class CommandConflictError extends Error {
  override readonly name = 'CommandConflictError';
  constructor(message: string, readonly existing: CommandRecord) {
    super(message);
  }
}

export interface CommandFinish {
  status: 'done' | 'failed';
  outcome: Record<string, unknown>;
}

export interface Accepted {
  /** The journal record as it stands now (running for a new command). */
  record: CommandRecord;
  /** False for a repeated id: nothing new runs. */
  created: boolean;
  /** The record once the command has finished (for a repeated id: the first run's). */
  done: Promise<CommandRecord>;
}

const inFlight = new WeakMap<DcuStore, Map<string, Promise<CommandRecord>>>();

function flights(store: DcuStore): Map<string, Promise<CommandRecord>> {
  let m = inFlight.get(store);
  if (!m) inFlight.set(store, (m = new Map()));
  return m;
}

/** The finished record of a command now running in this process, or undefined if none runs under that id. */
export function commandInFlight(store: DcuStore, id: string): Promise<CommandRecord> | undefined {
  return inFlight.get(store)?.get(id);
}

/** "relay disconnect of meter 123" */
export function describeRequest(kind: string, meter: string | null, params: unknown): string {
  const p = (params ?? {}) as Record<string, unknown>;
  const detail = kind === 'relay' ? ` ${String(p.action)}` : kind === 'clock-sync' && p.force ? ' (forced)' : '';
  return `${kind}${detail}${meter === null ? '' : ` of meter ${meter}`}`;
}

/**
 * Journals `command` and, for a new id, runs `work` with the command started. The outcome
 * (or a thrown error, as { cause, errorKind }) is recorded and flushed to disk before
 * `done` resolves. Throws CommandConflictError for a used id with another request, and
 * StoreError for a request the journal refuses.
 */
export function acceptCommand(store: DcuStore, command: NewCommand, work: () => Promise<CommandFinish>, log?: CommandLog): Accepted {
  const received = store.commands.receive(command);
  const running = flights(store);
  if (!received.created) {
    const first = received.record;
    if (!received.sameRequest) {
      throw new CommandConflictError(
        `command id ${JSON.stringify(command.id)} was already used for ${describeRequest(first.kind, first.meter, first.params)} (${first.status}); ` +
          `this request (${describeRequest(command.kind, command.meter ?? null, command.params)}) needs a new id`,
        first,
      );
    }
    return { record: first, created: false, done: running.get(command.id) ?? Promise.resolve(first) };
  }
  const started = store.commands.start(command.id);
  const done = (async () => {
    let finish: CommandFinish;
    try {
      finish = await work();
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      finish = { status: 'failed', outcome: { cause: error.message, errorKind: error.name } };
    }
    const record = store.commands.finish(command.id, finish.status, finish.outcome);
    store.flush();
    log?.[finish.status === 'done' ? 'info' : 'warn']({ command: command.id, kind: command.kind, meter: command.meter, status: finish.status, outcome: finish.outcome }, 'command finished');
    return record;
  })().finally(() => running.delete(command.id));
  running.set(command.id, done);
  return { record: started, created: true, done };
}

/**
 * After a restart: commands a crash left received or running are failed with the reason,
 * never run again silently (a relay command may or may not have reached the meter: read
 * the relay state, then send a new command). Returns the records changed.
 */
export function failInterruptedCommands(store: DcuStore): CommandRecord[] {
  const out: CommandRecord[] = [];
  for (const c of store.commands.list({ status: 'received', limit: 10_000 })) {
    store.commands.start(c.id);
    out.push(store.commands.finish(c.id, 'failed', { cause: 'the DCU restarted before the command started; nothing was sent to the meter — send it again with a new id', errorKind: 'Interrupted' }));
  }
  for (const c of store.commands.list({ status: 'running', limit: 10_000 })) {
    out.push(store.commands.finish(c.id, 'failed', { cause: 'the DCU restarted while the command was running; the meter may or may not have acted — read its state before sending a new command', errorKind: 'Interrupted' }));
  }
  if (out.length > 0) store.flush();
  return out;
}

/** The error's message and kind, for an outcome. */
export function errorOutcome(e: unknown): { cause: string; errorKind: string } {
  const error = e instanceof Error ? e : new Error(String(e));
  return { cause: error.message, errorKind: error.name };
}
