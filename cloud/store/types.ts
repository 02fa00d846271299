// The cloud store: one interface, two implementations with the same behaviour (SQLite by
// default, PostgreSQL when DATABASE_URL is set). Everything the ingest writes goes through
// here; every write is one transaction.
// Sequences, pending batches, rejected items and events are kept per DCU *epoch* (its
// database, shared/sync/messages.ts): a DCU with a new database numbers batches and events
// from 1 again, and none of that may be taken for what the old database sent. Readings keep
// their natural key without the epoch: a reading read again is the same reading.
import type {
  EventsBatch,
  ReadingsBatch,
  ResultMessage,
  StatusMessage,
  Stream,
  SyncEvent,
  SyncReading,
} from '../../shared/sync/messages.js';

export type UplinkBatch = ReadingsBatch | EventsBatch;

/** Where a DCU's stream (in one epoch) stands: every seq ≤ upTo is stored; `missing` are the gaps above it. */
export interface SequenceState {
  stream: Stream;
  /** Highest contiguous stored sequence number (0 before the first batch). */
  upTo: number;
  /** Inclusive ranges of sequence numbers above upTo not stored yet, oldest first (at most MAX_MISSING_RANGES). */
  missing: [number, number][];
}

export interface BatchOutcome extends SequenceState {
  /** The batch was stored before (or is at or below upTo): nothing was written. */
  duplicate: boolean;
  /** Rows actually inserted (rows already present under the natural key are ignored). */
  inserted: number;
  /** Items that could not be rows, kept aside with their reason (rejectedItems). */
  rejected: number;
  /** Set when this batch is the first the cloud saw of a new epoch of a DCU it knew under another one. */
  epochChange?: EpochChange;
}

/** A DCU that the cloud knew under one epoch showed up with another: a new database, numbered from 1 again. */
export interface EpochChange {
  dcu: string;
  epoch: string;
  previous: string;
  at: number;
}

/** One database a DCU had (DcuRecord.epoch is the newest). */
export interface EpochRecord {
  epoch: string;
  /** When the cloud first heard of it (received time of the batch or status that named it). */
  firstSeen: number;
}

export interface RejectedItemRecord {
  dcu: string;
  epoch: string;
  stream: Stream;
  seq: number;
  index: number;
  reason: string;
  item: string;
  receivedAt: number;
}

export interface DcuRecord {
  id: string;
  firstSeen: number;
  lastSeen: number;
  /** From the newest status message (by its `at`), null before the first one. */
  status: 'online' | 'offline' | null;
  statusAt: number | null;
  lastStatus: StatusMessage | null;
  /**
   * The newest epoch (database) the cloud has seen of this DCU, '' for one from before epochs;
   * null until a batch or status named one (a command result names none).
   */
  epoch: string | null;
  /** When the cloud first saw that epoch. */
  epochSince: number | null;
}

export interface StoredReading extends SyncReading {
  dcu: string;
  /** The batch that brought it. */
  seq: number;
  receivedAt: number;
}

export interface StoredEvent extends SyncEvent {
  dcu: string;
  /** The DCU database that numbered it: ids repeat across epochs. */
  epoch: string;
  seq: number;
  receivedAt: number;
}

export interface CommandResultRecord {
  dcu: string;
  id: string;
  status: ResultMessage['status'];
  at: number;
  outcome: Record<string, unknown>;
  receivedAt: number;
}

export interface ReadingFilter {
  dcu?: string;
  meter?: string;
}

/** Count and an order-independent checksum of stored readings (see checksum.ts). */
export interface ReadingsSummary {
  count: number;
  /** 16 hex digits: the sum mod 2^64 of readingDigest() over the rows. */
  checksum: string;
}

export interface CloudStore {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * Writes the batch's rows (insert-or-ignore on the natural key) and its sequence number in
   * one transaction. A batch seen before is a no-op. Resolves after the commit with where the
   * stream stands. Items that cannot be rows are kept aside (rejectedItems) and the batch counts
   * as stored. Sequence numbers count per (dcu, epoch, stream); an epoch not seen before for a
   * DCU becomes its current one (epochChange says so when it replaces another). Throws
   * CloudStoreError('invalid') for a batch it cannot place at all (no usable DCU, epoch, seq or
   * item list; nothing written).
   */
  storeBatch(batch: UplinkBatch, receivedAt?: number): Promise<BatchOutcome>;
  /** A DCU's items that could not be stored, by stream, epoch (oldest first) and batch. */
  rejectedItems(dcu: string): Promise<RejectedItemRecord[]>;
  /**
   * Records a status message (an older `at` than the one stored only touches last_seen). Its
   * epoch counts as seen like a batch's; the change is returned when it replaces another.
   */
  recordStatus(message: StatusMessage, receivedAt?: number): Promise<EpochChange | null>;
  /** Records a command result (a repeat of the same id keeps the newest by `at`). */
  recordResult(message: ResultMessage, receivedAt?: number): Promise<void>;

  /** The stream in `epoch` (default: the DCU's current epoch, or '' for a DCU not seen). */
  sequence(dcu: string, stream: Stream, epoch?: string): Promise<SequenceState>;
  dcu(id: string): Promise<DcuRecord | null>;
  dcus(): Promise<DcuRecord[]>;
  /** Every epoch seen of a DCU, oldest first. */
  epochs(dcu: string): Promise<EpochRecord[]>;
  /** Readings ordered by (dcu, meter, obis, attribute, ts). */
  readings(filter?: ReadingFilter & { limit?: number }): Promise<StoredReading[]>;
  /** Events of a DCU by epoch (oldest first), then id. */
  events(dcu: string): Promise<StoredEvent[]>;
  result(dcu: string, id: string): Promise<CommandResultRecord | null>;
  countReadings(filter?: ReadingFilter): Promise<number>;
  countEvents(dcu?: string): Promise<number>;
  /** Count and checksum computed in JS over the stored columns (streamed, any size). */
  summarizeReadings(filter?: ReadingFilter): Promise<ReadingsSummary>;
  close(): Promise<void>;
}
