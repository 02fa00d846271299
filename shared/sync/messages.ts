// The uplink/downlink contract between a DCU and the cloud (ARCHITECTURE.md "Uplink
// contract"): topics, and the versioned messages that travel as CBOR. Everything essential
// is in the payload, so the protocol works the same on MQTT 3.1.1 and MQTT 5.
// The codec (CBOR, column-wise readings) is in codec.ts; signatures in signing.ts; sealed
// key transfer in sealed.ts.

export const SYNC_VERSION = 1;

export type Stream = 'readings' | 'events';

export const Topics = {
  readings: (dcu: string) => `dcu/${dcu}/up/readings`,
  events: (dcu: string) => `dcu/${dcu}/up/events`,
  status: (dcu: string) => `dcu/${dcu}/up/status`,
  results: (dcu: string) => `dcu/${dcu}/up/results`,
  commands: (dcu: string) => `dcu/${dcu}/down/commands`,
  acks: (dcu: string) => `dcu/${dcu}/down/acks`,
  /** What a cloud instance subscribes to; `$share/cloud/` in front splits the load on MQTT 5 brokers. */
  allUplink: 'dcu/+/up/#',
  sharedUplink: '$share/cloud/dcu/+/up/#',
} as const;

/** One reading as it travels (ARCHITECTURE.md "Values that cross layers"). */
export interface SyncReading {
  /** UTC ms. */
  ts: number;
  /** Meter serial number: the identity the cloud knows. */
  meter: string;
  /** OBIS code, 'A.B.C.D.E.F'. */
  obis: string;
  attribute: number;
  /** As read, unscaled: apply `scaler` (value × 10^scaler). Bytes for octet-strings. */
  value: number | bigint | string | Uint8Array | null;
  unit: number | null;
  scaler: number | null;
  status: number;
  source: 'scheduled' | 'recollected' | 'on-demand' | 'pushed';
}

/**
 * A batch of one stream. `seq` increases by one per batch and per stream for a DCU, never
 * repeats (even across restarts) and is what the cloud acknowledges.
 */
export interface ReadingsBatch {
  v: typeof SYNC_VERSION;
  kind: 'readings';
  dcu: string;
  seq: number;
  readings: SyncReading[];
}

export interface SyncEvent {
  /** The DCU's event id (unique per DCU). */
  id: number;
  ts: number;
  meter: string | null;
  kind: string;
  severity: string;
  details: Record<string, unknown>;
}

export interface EventsBatch {
  v: typeof SYNC_VERSION;
  kind: 'events';
  dcu: string;
  seq: number;
  events: SyncEvent[];
}

/** Retained on up/status; the last will says 'offline'. */
export interface StatusMessage {
  v: typeof SYNC_VERSION;
  kind: 'status';
  dcu: string;
  state: 'online' | 'offline';
  at: number;
  /** Batches not yet acknowledged, per stream. */
  backlog?: Partial<Record<Stream, number>>;
  software?: string;
}

/** Cloud → DCU: the highest contiguous sequence stored, and what to send again. */
export interface AckMessage {
  v: typeof SYNC_VERSION;
  kind: 'ack';
  dcu: string;
  stream: Stream;
  /** Every batch with seq ≤ upTo is stored. */
  upTo: number;
  /** Sequence ranges the cloud misses above upTo (inclusive), oldest first. */
  resend?: [number, number][];
}

export type CommandKind = 'relay' | 'clock-sync' | 'read' | 'config' | 'meter-keys';

/** A command before signing. */
export interface CommandBody {
  v: typeof SYNC_VERSION;
  kind: 'command';
  /** Unique id (the DCU refuses an id it has seen). */
  id: string;
  /** The DCU this command is for. */
  dcu: string;
  /** Per-DCU, strictly increasing: a replayed or reordered old command is refused. */
  seq: number;
  issuedAt: number;
  /** UTC ms after which the DCU must not act. */
  notAfter: number;
  command: CommandKind;
  params: Record<string, unknown>;
}

/** A signed command: Ed25519 over the CBOR encoding of `body`. */
export interface SignedCommand {
  body: CommandBody;
  /** Which cloud signing key (the DCU may trust several during a key rollover). */
  keyId: string;
  signature: Uint8Array;
}

/** DCU → cloud: what became of a command (also for refused ones, with the reason). */
export interface ResultMessage {
  v: typeof SYNC_VERSION;
  kind: 'result';
  dcu: string;
  id: string;
  status: 'done' | 'failed' | 'refused';
  at: number;
  outcome: Record<string, unknown>;
}

export type UplinkMessage = ReadingsBatch | EventsBatch | StatusMessage | ResultMessage;
export type DownlinkMessage = AckMessage | SignedCommand;
