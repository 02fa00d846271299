// The command journal. Every command (relay connect/disconnect, on-demand read, clock set…)
// is journaled under its id before anything acts on it, and the id is the idempotency key:
// receiving an id again returns the record already there — the command runs once, and the
// second requester gets the first one's status and outcome. received → running → done | failed;
// start() is a compare-and-set, so two workers can never both run one command.
import type { Db, Statement } from './database.js';
import { fromJson, num, numOrNull, toJson } from './codec.js';
import { StoreError } from './errors.js';

export type CommandStatus = 'received' | 'running' | 'done' | 'failed';

export interface NewCommand {
  /** Unique id given by the issuer (the cloud, the console, the local API). */
  id: string;
  kind: string;
  /** Serial number of the target meter, as the command names it (null: the DCU itself). */
  meter?: string | null;
  params?: unknown;
}

export interface CommandRecord {
  id: string;
  kind: string;
  meter: string | null;
  params: unknown;
  status: CommandStatus;
  outcome: unknown;
  receivedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  updatedAt: number;
}

export interface ReceiveResult {
  record: CommandRecord;
  /** False when the id was journaled before: nothing new was stored. */
  created: boolean;
  /** For a repeated id: whether kind, meter and params are those of the first request. */
  sameRequest: boolean;
}

interface Row {
  [column: string]: unknown;
}

const fromRow = (r: Row): CommandRecord => ({
  id: r.id as string,
  kind: r.kind as string,
  meter: r.meter as string | null,
  params: fromJson(r.params as string),
  status: r.status as CommandStatus,
  outcome: fromJson(r.outcome as string | null),
  receivedAt: num(r.received_at),
  startedAt: numOrNull(r.started_at),
  finishedAt: numOrNull(r.finished_at),
  updatedAt: num(r.updated_at),
});

export class CommandJournal {
  private readonly insertStmt: Statement;
  private readonly getStmt: Statement;
  private readonly startStmt: Statement;
  private readonly finishStmt: Statement;
  private readonly listStmt: Statement;
  private readonly listAllStmt: Statement;
  private readonly tx: <T>(fn: () => T) => T;

  constructor(
    db: Db,
    private readonly clock: () => number,
  ) {
    this.insertStmt = db.prepare(
      `INSERT INTO commands (id, kind, meter, params, status, received_at, updated_at) VALUES (?, ?, ?, ?, 'received', ?, ?)
       ON CONFLICT (id) DO NOTHING`,
    );
    this.getStmt = db.prepare('SELECT * FROM commands WHERE id = ?');
    this.startStmt = db.prepare(
      `UPDATE commands SET status = 'running', started_at = ?, updated_at = ? WHERE id = ? AND status = 'received' RETURNING *`,
    );
    this.finishStmt = db.prepare(
      `UPDATE commands SET status = ?, outcome = ?, finished_at = ?, updated_at = ? WHERE id = ? AND status = 'running' RETURNING *`,
    );
    this.listStmt = db.prepare('SELECT * FROM commands WHERE status = ? ORDER BY received_at DESC LIMIT ?');
    this.listAllStmt = db.prepare('SELECT * FROM commands ORDER BY received_at DESC LIMIT ?');
    this.tx = <T>(fn: () => T): T => db.transaction(fn).immediate();
  }

  /** Journals a command; for an id seen before, returns the existing record unchanged. */
  receive(command: NewCommand, now: number = this.clock()): ReceiveResult {
    if (typeof command.id !== 'string' || command.id === '') throw new StoreError('a command needs an id', 'invalid');
    if (typeof command.kind !== 'string' || command.kind === '') throw new StoreError(`command ${command.id}: a command needs a kind`, 'invalid');
    const params = toJson(command.params ?? {});
    return this.tx(() => {
      const created = this.insertStmt.run(command.id, command.kind, command.meter ?? null, params, now, now).changes === 1;
      const row = this.getStmt.get(command.id) as Row;
      const sameRequest = row.kind === command.kind && row.meter === (command.meter ?? null) && row.params === params;
      return { record: fromRow(row), created, sameRequest };
    });
  }

  get(id: string): CommandRecord | undefined {
    const r = this.getStmt.get(id) as Row | undefined;
    return r === undefined ? undefined : fromRow(r);
  }

  /** received → running. Throws StoreError('conflict') if the command is not waiting (already started or finished). */
  start(id: string, now: number = this.clock()): CommandRecord {
    const r = this.startStmt.get(now, now, id) as Row | undefined;
    if (r === undefined) throw this.cannot(id, 'start');
    return fromRow(r);
  }

  /** running → done | failed, with the outcome (JSON: the read-back state, the error…). */
  finish(id: string, status: 'done' | 'failed', outcome: unknown, now: number = this.clock()): CommandRecord {
    const r = this.finishStmt.get(status, toJson(outcome), now, now, id) as Row | undefined;
    if (r === undefined) throw this.cannot(id, 'finish');
    return fromRow(r);
  }

  /** Newest first; e.g. list({ status: 'running' }) after a restart finds commands a crash interrupted. */
  list(filter: { status?: CommandStatus; limit?: number } = {}): CommandRecord[] {
    const limit = filter.limit ?? 100;
    const rows = filter.status === undefined ? this.listAllStmt.all(limit) : this.listStmt.all(filter.status, limit);
    return (rows as Row[]).map(fromRow);
  }

  private cannot(id: string, what: string): StoreError {
    const existing = this.get(id);
    return existing === undefined
      ? new StoreError(`no command with id ${JSON.stringify(id)}`, 'not-found')
      : new StoreError(`cannot ${what} command ${JSON.stringify(id)}: it is ${existing.status}`, 'conflict');
  }
}
