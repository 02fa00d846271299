// Command intake from the cloud (down/commands). The broker is not trusted: a command acts
// only when verifyCommand (shared/sync/signing.ts) says it is signed by a trusted cloud key,
// addressed to this DCU, not expired, with an id never seen and a sequence above the highest
// recorded. Then it runs through the DCU's own command path (the same journal, relay and
// clock-sync code as the local API) and its result is published on up/results.
//
//   refused        → a ResultMessage 'refused' with the reason, and a 'command-refused' event
//   accepted       → recorded (cloud_commands: id, seq, digest) before the broker gets its
//                    PUBACK, run, and its result (done | failed) published once the command ends
//   delivered again (the same signed command: a QoS 1 redelivery, or someone replaying it)
//                  → not run again, no second result; a 'command-repeated' event. A result the
//                    broker never took (a restart in between) is published then.
//
// Only authentic commands for this DCU are recorded, so a forger cannot use up ids or
// sequence numbers. Results wait in the store until the broker takes them (PUBACK) and go
// out again after a reconnection.
import { createHash } from 'node:crypto';
import { decodeDownlink, encodeMessage } from '../../shared/sync/codec.js';
import { SYNC_VERSION, type ResultMessage, type SignedCommand } from '../../shared/sync/messages.js';
import { type Accepted, CommandConflictError, commandInFlight, parseCommandRequest, type CommandRequest } from '../commands/index.js';
import type { CommandRecord, DcuStore } from '../store/index.js';
import type { UplinkLog } from './log.js';
import { checkCommand, isForgery, type CommandCheck, type TrustedKeys } from './verify.js';

/** Runs a command request through the DCU's command path (dcu/commands submitCommand). */
export type CommandExecutor = (request: CommandRequest) => Accepted;

export interface CommandIntakeOptions {
  store: DcuStore;
  dcuId: string;
  trustedKeys: TrustedKeys;
  execute: CommandExecutor;
  /** Publishes a result (QoS 1); resolves on the broker's PUBACK. */
  publish(payload: Uint8Array): Promise<void>;
  log: UplinkLog;
  clock?: () => number;
}

/** Kinds of the cloud contract that this DCU does not carry out yet. */
const NOT_YET: Record<string, string> = {
};

export class CommandIntake {
  private readonly clock: () => number;
  private readonly publishing = new Set<string>();
  private online = false;

  constructor(private readonly options: CommandIntakeOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /**
   * After a restart: accepted commands without a result get the journal's outcome (the
   * runtime fails interrupted ones first); one never journaled failed before it started.
   */
  resume(): void {
    const { store } = this.options;
    for (const c of store.cloudCommands.awaitingResult()) {
      const running = commandInFlight(store, c.id);
      if (running) {
        this.whenDone(c.id, running);
        continue;
      }
      const record = store.commands.get(c.id);
      if (record && (record.status === 'done' || record.status === 'failed')) {
        store.cloudCommands.setResult(c.id, this.resultOf(record));
      } else if (!record) {
        const outcome = { cause: 'the DCU restarted before the command started; nothing was sent to the meter — send it again with a new id', errorKind: 'Interrupted' };
        store.cloudCommands.setResult(c.id, this.result(c.id, 'failed', outcome));
      }
    }
    store.flush();
  }

  /** The link is up: results the broker has not taken go out (oldest first). */
  connected(): void {
    this.online = true;
    this.publishing.clear();
    this.publishPending();
  }

  disconnected(): void {
    this.online = false;
  }

  /** One message from down/commands. Resolves once it is recorded (the PUBACK goes after). */
  async handle(payload: Uint8Array): Promise<void> {
    const { store, log } = this.options;
    let message: ReturnType<typeof decodeDownlink>;
    try {
      message = decodeDownlink(payload);
    } catch (e) {
      log.warn({ error: (e as Error).message }, 'undecodable message on the command topic dropped');
      store.events.append({ kind: 'command-refused', severity: 'warning', details: { reason: 'malformed', message: (e as Error).message } });
      return;
    }
    if (!('body' in message)) {
      log.warn({ kind: (message as { kind?: unknown }).kind }, 'a message that is not a command on the command topic was dropped');
      return;
    }
    const signed = message;
    const body = signed.body;
    const now = this.clock();
    const digest = createHash('sha256').update(signed.signature).digest('hex');
    const check = checkCommand(signed, {
      trustedKeys: this.options.trustedKeys,
      dcuId: this.options.dcuId,
      now,
      lastSeq: store.cloudCommands.lastSeq(),
      seen: (id) => store.cloudCommands.get(id) !== undefined,
    });
    if (!check.ok) {
      const known = typeof body?.id === 'string' ? store.cloudCommands.get(body.id) : undefined;
      if (known && known.digest === digest) return this.repeated(signed, check);
      return this.refuse(signed, check, digest);
    }
    const kind = body.command;
    if (NOT_YET[kind] !== undefined) return this.refuse(signed, { ok: false, reason: 'unsupported', message: NOT_YET[kind], authentic: true }, digest);
    const parsed = parseCommandRequest({ ...body.params, id: body.id, kind });
    if (!parsed.ok) {
      const message = parsed.issues.map((i) => `${i.field}: ${i.message}`).join('; ');
      return this.refuse(signed, { ok: false, reason: 'invalid', message: `${kind} command: ${message}`, authentic: true }, digest);
    }
    let accepted: Accepted;
    try {
      accepted = this.options.execute(parsed.request);
    } catch (e) {
      const reason = e instanceof CommandConflictError ? 'id-conflict' : 'invalid';
      return this.refuse(signed, { ok: false, reason, message: (e as Error).message, authentic: true }, digest);
    }
    store.cloudCommands.record({ id: body.id, seq: body.seq, digest, kind, status: 'accepted' }, now);
    store.flush();
    log.info({ command: body.id, kind, seq: body.seq, keyId: signed.keyId, params: body.params, created: accepted.created }, 'cloud command accepted');
    this.whenDone(body.id, accepted.done);
  }

  private whenDone(id: string, done: Promise<CommandRecord>): void {
    const { store, log } = this.options;
    done.then(
      (record) => {
        store.cloudCommands.setResult(id, this.resultOf(record));
        store.flush();
        this.publishResult(id);
      },
      (e: unknown) => log.error({ command: id, error: (e as Error).message }, 'cloud command: outcome could not be recorded'),
    );
  }

  private refuse(signed: SignedCommand, check: Exclude<CommandCheck, { ok: true }>, digest: string): void {
    const { store, log } = this.options;
    const body = signed.body as Partial<SignedCommand['body']> | undefined;
    const id = typeof body?.id === 'string' && body.id !== '' ? body.id : null;
    const details = { command: id, kind: body?.command ?? null, seq: body?.seq ?? null, keyId: signed.keyId, reason: check.reason, message: check.message };
    const forged = isForgery(check.reason);
    store.events.append({ kind: 'command-refused', severity: forged ? 'error' : 'warning', details });
    log.warn(details, 'cloud command refused');
    if (id === null) return;
    const result = this.result(id, 'refused', { reason: check.reason, message: check.message });
    // Recorded (and its sequence counted) only when it is authentic and for this DCU.
    if (check.authentic && body?.dcu === this.options.dcuId && typeof body.seq === 'number' && store.cloudCommands.get(id) === undefined) {
      store.cloudCommands.record({ id, seq: body.seq, digest, kind: String(body.command), status: 'refused', result }, this.clock());
      store.flush();
      this.publishResult(id);
      return;
    }
    if (this.online) this.options.publish(encodeMessage(result)).catch(() => undefined);
  }

  private repeated(signed: SignedCommand, check: Exclude<CommandCheck, { ok: true }>): void {
    const { store, log } = this.options;
    const id = signed.body.id;
    const details = { command: id, kind: signed.body.command, reason: check.reason, message: 'the same command again: not run again' };
    log.info(details, 'cloud command delivered again');
    store.events.append({ kind: 'command-repeated', severity: 'info', details });
    this.publishResult(id);
  }

  /** Publishes the stored result of `id` if it has one the broker has not taken. */
  private publishResult(id: string): void {
    const { store, log } = this.options;
    if (!this.online || this.publishing.has(id)) return;
    const c = store.cloudCommands.get(id);
    if (!c || c.result === null || c.publishedAt !== null) return;
    this.publishing.add(id);
    this.options.publish(encodeMessage(c.result as ResultMessage)).then(
      () => {
        store.cloudCommands.markPublished(id, this.clock());
        this.publishing.delete(id);
        log.info({ command: id, status: (c.result as ResultMessage).status }, 'command result published');
      },
      () => this.publishing.delete(id),
    );
  }

  private publishPending(): void {
    for (const c of this.options.store.cloudCommands.unpublished(1000)) this.publishResult(c.id);
  }

  private resultOf(record: CommandRecord): ResultMessage {
    const status = record.status === 'done' ? 'done' : 'failed';
    return this.result(record.id, status, (record.outcome ?? {}) as Record<string, unknown>);
  }

  private result(id: string, status: ResultMessage['status'], outcome: Record<string, unknown>): ResultMessage {
    return { v: SYNC_VERSION, kind: 'result', dcu: this.options.dcuId, id, status, at: this.clock(), outcome };
  }
}
