// DcuStore: the DCU's one SQLite database, opened once per process. Each part of the schema
// has its module (meters, schedule, readings, marks, events, commands, config, outbox,
// retention); this facade opens the file, builds them on one connection and adds what spans
// several of them: a collected chunk stored with its mark in one transaction, reaction to a
// full database, and caller-defined transactions.
import type { Obis } from '../../shared/dlms/obis.js';
import { UplinkBatches } from './batches.js';
import { CloudCommands } from './cloud-commands.js';
import { CommandJournal } from './commands.js';
import { ConfigStore } from './config.js';
import { RowCounts } from './counts.js';
import { closeDatabase, openDatabase, type Db, type OpenOptions, type Transaction } from './database.js';
import { sqliteCode } from './errors.js';
import { EventLog } from './events.js';
import { CollectionMarks, type CollectionMark } from './marks.js';
import { MeterDirectory } from './meters.js';
import { Outbox } from './outbox.js';
import { ReadingBuffer, type InsertResult, type Reading } from './readings.js';
import { Retention, type RetentionPolicy, type RetentionReport } from './retention.js';
import { Schedule } from './schedule.js';

export { quarantineDatabase, type OpenOptions } from './database.js';
export { StoreError, type StoreErrorKind } from './errors.js';
export { APPLICATION_ID, MIGRATIONS, schemaVersion } from './migrations.js';
export { READING_SOURCES, packObis, unpackObis } from './codec.js';
export type { DataClass } from './counts.js';
export type * from './batches.js';
export type * from './cloud-commands.js';
export type * from './commands.js';
export type * from './config.js';
export type * from './events.js';
export type * from './marks.js';
export type * from './meters.js';
export type * from './outbox.js';
export type * from './readings.js';
export type * from './schedule.js';
export { DEFAULT_BYTES_PER_ROW, DATABASE_QUOTA_ORDER } from './retention.js';
export type { ClassPolicy, ClassReport, DatabaseSize, RetentionPolicy, RetentionReport } from './retention.js';

export interface DcuStoreOptions extends OpenOptions {
  /** The gateway clock (UTC ms) for timestamps the caller does not give. Default Date.now. */
  clock?: () => number;
  /** The policy enforceRetention() applies when given none. */
  retention?: RetentionPolicy;
  /**
   * Hard ceiling on the database size (PRAGMA max_page_count). Reaching it makes a write fail
   * with SQLITE_FULL, which insertReadings/storeChunk answer by dropping old data by policy
   * and retrying once. Set it below the free space of the disk, so SQLite never meets a full disk.
   */
  hardLimitBytes?: number;
  /** Rows makeRoom drops when the hard limit is hit (default 50,000). */
  roomRows?: number;
}

/** Rows of one collected chunk (e.g. ≤ 24 h of a load profile) and the mark they move. */
export interface Chunk {
  meter: number;
  /** The profile (or register group) the mark is kept for. */
  profile: Obis | string;
  readings: readonly Reading[];
  /** UTC ms the mark moves to; defaults to the latest ts among the readings. */
  upto?: number;
}

export interface ChunkResult extends InsertResult {
  /** The mark after the chunk (unchanged/undefined if the chunk had no rows and no upto). */
  mark: CollectionMark | undefined;
}

export class DcuStore {
  readonly meters: MeterDirectory;
  readonly schedule: Schedule;
  readonly readings: ReadingBuffer;
  readonly marks: CollectionMarks;
  readonly events: EventLog;
  readonly commands: CommandJournal;
  readonly config: ConfigStore;
  readonly outbox: Outbox;
  /** Uplink batch numbering (dcu/uplink). */
  readonly batches: UplinkBatches;
  /** Commands from the cloud: sequence, redelivery digest, result until published (dcu/uplink). */
  readonly cloudCommands: CloudCommands;
  readonly retention: Retention;
  readonly counts: RowCounts;
  readonly clock: () => number;

  private readonly chunkTx: Transaction<(chunk: Chunk) => ChunkResult>;

  private constructor(
    readonly db: Db,
    readonly file: string,
    private readonly options: DcuStoreOptions,
  ) {
    const clock = (this.clock = options.clock ?? Date.now);
    this.counts = new RowCounts(db);
    this.events = new EventLog(db, this.counts, clock);
    this.outbox = new Outbox(db, clock);
    this.batches = new UplinkBatches(db, this.outbox, this.events, clock);
    this.cloudCommands = new CloudCommands(db, clock);
    this.meters = new MeterDirectory(db, this.events, clock);
    this.schedule = new Schedule(db, this.counts, clock);
    this.readings = new ReadingBuffer(db, this.counts, this.outbox);
    this.marks = new CollectionMarks(db, clock);
    this.commands = new CommandJournal(db, clock);
    this.config = new ConfigStore(db, clock);
    this.retention = new Retention(db, this.counts, this.outbox, this.events, clock);
    this.chunkTx = db.transaction((chunk: Chunk) => {
      const inserted = this.readings.insert(chunk.readings);
      let upto = chunk.upto;
      if (upto === undefined) for (const r of chunk.readings) upto = upto === undefined || r.ts > upto ? r.ts : upto;
      const mark = upto === undefined ? this.marks.get(chunk.meter, chunk.profile) : this.marks.advance(chunk.meter, chunk.profile, upto);
      return { ...inserted, mark };
    });
  }

  /**
   * Opens the database file (created if missing), migrates it and closes task runs a crash
   * left open. Throws StoreError for a damaged, foreign or newer file — without changing it.
   */
  static open(file: string, options: DcuStoreOptions = {}): DcuStore {
    const db = openDatabase(file, options);
    try {
      if (options.hardLimitBytes !== undefined) {
        const pageSize = db.pragma('page_size', { simple: true }) as number;
        db.pragma(`max_page_count = ${Math.max(1, Math.floor(options.hardLimitBytes / pageSize))}`);
      }
      const store = new DcuStore(db, file, options);
      store.schedule.interruptOpenRuns();
      return store;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Stores a chunk's rows and moves its collection mark in one transaction: both or neither. */
  storeChunk(chunk: Chunk): ChunkResult {
    return this.whenFull(() => this.chunkTx.immediate(chunk));
  }

  /** Bulk insert (one transaction), making room by policy if the database is at its hard limit. */
  insertReadings(rows: readonly Reading[]): InsertResult {
    return this.whenFull(() => this.readings.insert(rows));
  }

  /** Runs `fn` in one IMMEDIATE transaction (a savepoint when nested); a throw rolls everything back. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** Applies the retention policy (the one given at open if none). */
  enforceRetention(policy: RetentionPolicy = this.options.retention ?? {}, now: number = this.clock()): RetentionReport {
    return this.retention.enforce(policy, now);
  }

  /**
   * Makes everything committed so far durable on disk (a WAL checkpoint syncs the WAL first).
   * With synchronous=NORMAL a power cut can undo the last commits; call this before telling
   * anyone outside (the cloud, a command issuer) about rows or results.
   */
  flush(): void {
    this.db.pragma('wal_checkpoint(PASSIVE)');
  }

  close(): void {
    closeDatabase(this.db);
  }

  private whenFull<T>(write: () => T): T {
    try {
      return write();
    } catch (error) {
      if (sqliteCode(error) !== 'SQLITE_FULL' || this.db.inTransaction) throw error;
      this.retention.makeRoom(this.options.roomRows ?? 50_000);
      return write();
    }
  }
}
