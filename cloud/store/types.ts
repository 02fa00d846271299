// The cloud store: one interface, two implementations with the same behaviour (SQLite by
// default, PostgreSQL when DATABASE_URL is set). Everything the ingest writes goes through
// here; every write is one transaction.
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

/** Where a DCU's stream stands: every seq ≤ upTo is stored; `missing` are the gaps above it. */
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
}

export interface RejectedItemRecord {
  dcu: string;
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
}

export interface StoredReading extends SyncReading {
  dcu: string;
  /** The batch that brought it. */
  seq: number;
  receivedAt: number;
}

export interface StoredEvent extends SyncEvent {
  dcu: string;
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
   * as stored. Throws CloudStoreError('invalid') for a batch it cannot place at all (no usable
   * DCU, seq or item list; nothing written).
   */
  storeBatch(batch: UplinkBatch, receivedAt?: number): Promise<BatchOutcome>;
  /** A DCU's items that could not be stored, oldest batch first. */
  rejectedItems(dcu: string): Promise<RejectedItemRecord[]>;
  /** Records a status message (an older `at` than the one stored only touches last_seen). */
  recordStatus(message: StatusMessage, receivedAt?: number): Promise<void>;
  /** Records a command result (a repeat of the same id keeps the newest by `at`). */
  recordResult(message: ResultMessage, receivedAt?: number): Promise<void>;

  sequence(dcu: string, stream: Stream): Promise<SequenceState>;
  dcu(id: string): Promise<DcuRecord | null>;
  dcus(): Promise<DcuRecord[]>;
  /** Readings ordered by (dcu, meter, obis, attribute, ts). */
  readings(filter?: ReadingFilter & { limit?: number }): Promise<StoredReading[]>;
  /** Events of a DCU ordered by id. */
  events(dcu: string): Promise<StoredEvent[]>;
  result(dcu: string, id: string): Promise<CommandResultRecord | null>;
  countReadings(filter?: ReadingFilter): Promise<number>;
  countEvents(dcu?: string): Promise<number>;
  /** Count and checksum computed in JS over the stored columns (streamed, any size). */
  summarizeReadings(filter?: ReadingFilter): Promise<ReadingsSummary>;
  close(): Promise<void>;
}
