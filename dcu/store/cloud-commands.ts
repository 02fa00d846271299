// Commands from the cloud that passed the signature and target checks (dcu/uplink/commands.ts):
// the per-DCU command sequence they carry (a new command must be above the highest acted
// upon, so an old one replayed by the broker or anyone else is refused; refused commands do
// not move it), a digest of the signed
// message (the same command delivered again is a redelivery, not a new command), and the
// result message until the broker has taken it (published_at). Forged commands are never
// recorded: they must not be able to use up ids or sequence numbers.
import type { Db, Statement } from './database.js';
import { fromJson, num, numOrNull, toJson } from './codec.js';
import { StoreError } from './errors.js';

export type CloudCommandStatus = 'accepted' | 'refused';

export interface NewCloudCommand {
  id: string;
  seq: number;
  /** Hex digest of the signed message as received. */
  digest: string;
  kind: string;
  status: CloudCommandStatus;
  /** The result message (JSON), when already known (refusals). */
  result?: unknown;
}

export interface CloudCommandRecord {
  id: string;
  seq: number;
  digest: string;
  kind: string;
  status: CloudCommandStatus;
  /** The result message once the command has an outcome; null while it runs. */
  result: unknown;
  receivedAt: number;
  /** When the broker took the result (PUBACK); null until then. */
  publishedAt: number | null;
}

interface Row {
  [column: string]: unknown;
}

const fromRow = (r: Row): CloudCommandRecord => ({
  id: r.id as string,
  seq: num(r.seq),
  digest: r.digest as string,
  kind: r.kind as string,
  status: r.status as CloudCommandStatus,
  result: fromJson(r.result as string | null),
  receivedAt: num(r.received_at),
  publishedAt: numOrNull(r.published_at),
});

export class CloudCommands {
  private readonly insertStmt: Statement;
  private readonly getStmt: Statement;
  private readonly lastSeqStmt: Statement;
  private readonly resultStmt: Statement;
  private readonly publishedStmt: Statement;
  private readonly unpublishedStmt: Statement;
  private readonly awaitingStmt: Statement;

  constructor(
    db: Db,
    private readonly clock: () => number,
  ) {
    this.insertStmt = db.prepare(
      `INSERT INTO cloud_commands (id, seq, digest, kind, status, result, received_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    );
    this.getStmt = db.prepare('SELECT * FROM cloud_commands WHERE id = ?');
    this.lastSeqStmt = db.prepare(`SELECT max(seq) FROM cloud_commands WHERE status = 'accepted'`).pluck();
    this.resultStmt = db.prepare('UPDATE cloud_commands SET result = ?, published_at = NULL WHERE id = ?');
    this.publishedStmt = db.prepare('UPDATE cloud_commands SET published_at = ? WHERE id = ? AND result IS NOT NULL');
    this.unpublishedStmt = db.prepare('SELECT * FROM cloud_commands WHERE published_at IS NULL AND result IS NOT NULL ORDER BY received_at, seq LIMIT ?');
    this.awaitingStmt = db.prepare(`SELECT * FROM cloud_commands WHERE status = 'accepted' AND result IS NULL ORDER BY received_at, seq LIMIT ?`);
  }

  get(id: string): CloudCommandRecord | undefined {
    const r = this.getStmt.get(id) as Row | undefined;
    return r === undefined ? undefined : fromRow(r);
  }

  /** The highest sequence of a command acted upon (null before the first): a new command must be above it. */
  lastSeq(): number | null {
    return numOrNull(this.lastSeqStmt.get());
  }

  /** Records a command; false (and nothing changed) if its id was recorded before. */
  record(command: NewCloudCommand, now: number = this.clock()): boolean {
    if (typeof command.id !== 'string' || command.id === '') throw new StoreError('a cloud command needs an id', 'invalid');
    if (!Number.isSafeInteger(command.seq)) throw new StoreError(`cloud command ${command.id}: seq must be an integer, got ${command.seq}`, 'invalid');
    const result = command.result === undefined ? null : toJson(command.result);
    return this.insertStmt.run(command.id, command.seq, command.digest, command.kind, command.status, result, now).changes === 1;
  }

  /** The result message of a command (it then waits to be published). */
  setResult(id: string, result: unknown): void {
    if (this.resultStmt.run(toJson(result), id).changes !== 1) throw new StoreError(`no cloud command with id ${JSON.stringify(id)}`, 'not-found');
  }

  /** The broker took the result. */
  markPublished(id: string, now: number = this.clock()): void {
    this.publishedStmt.run(now, id);
  }

  /** Results not yet taken by the broker, oldest first. */
  unpublished(limit = 100): CloudCommandRecord[] {
    return (this.unpublishedStmt.all(limit) as Row[]).map(fromRow);
  }

  /** Accepted commands without a result yet (running, or interrupted by a restart). */
  awaitingResult(limit = 1000): CloudCommandRecord[] {
    return (this.awaitingStmt.all(limit) as Row[]).map(fromRow);
  }
}
