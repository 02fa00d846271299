// The uplink/downlink contract between a DCU and the cloud (ARCHITECTURE.md "Uplink
// contract"): topics, and the versioned messages that travel as CBOR. Everything essential
// is in the payload, so the protocol works the same on MQTT 3.1.1 and MQTT 5.
// The codec is codec.ts (readings column-wise in columns.ts, the safe CBOR layer in cbor.ts,
// its one error type in errors.ts); signatures in signing.ts; sealed key transfer in sealed.ts.
//
// Version 2 adds the epoch: a random id each DCU database gets when it is created. Batch
// numbers count within (DCU, epoch, stream), so a DCU whose database was replaced (re-flashed,
// SD card swapped, deleted after corruption) and numbers from 1 again is not taken for a replay
// of what the old database sent. Acks name the epoch they answer and are signed by the cloud.

export const SYNC_VERSION = 2;
/**
 * The version before epochs. The cloud still takes uplink messages in it (their epoch is
 * LEGACY_EPOCH) and acknowledges them in it, so a fleet is upgraded one DCU at a time. A DCU
 * speaks only SYNC_VERSION.
 */
export const LEGACY_SYNC_VERSION = 1;
export type SyncVersion = typeof SYNC_VERSION | typeof LEGACY_SYNC_VERSION;

/**
 * The epoch of a v1 DCU, and of a DCU database that numbered batches before epochs existed
 * (it keeps numbering where it was, so it keeps the epoch the cloud filed those batches under).
 */
export const LEGACY_EPOCH = '';

/** An epoch: LEGACY_EPOCH, or 16 random bytes as 32 lowercase hex digits. */
export function isEpoch(value: unknown): value is string {
  return value === LEGACY_EPOCH || (typeof value === 'string' && /^[0-9a-f]{32}$/.test(value));
}

/** Most readings (or events) in one batch; decoders refuse more ('too-large'). */
export const MAX_BATCH_ITEMS = 100_000;

export const STREAMS = ['readings', 'events'] as const;
export type Stream = (typeof STREAMS)[number];

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

export type TopicName = 'readings' | 'events' | 'status' | 'results' | 'commands' | 'acks';
const TOPIC_NAMES: Record<string, TopicName | undefined> = {
  'up/readings': 'readings', 'up/events': 'events', 'up/status': 'status', 'up/results': 'results',
  'down/commands': 'commands', 'down/acks': 'acks',
};

/**
 * The DCU and message name of a topic (a `$share/group/` prefix is ignored), or null when it
 * is not one of ours. A consumer compares `dcu` with the payload's: the topic is what the
 * broker's ACL checked, the payload is what the DCU wrote.
 */
export function parseTopic(topic: string): { dcu: string; name: TopicName } | null {
  const t = topic.startsWith('$share/') ? topic.split('/').slice(2).join('/') : topic;
  const m = /^dcu\/([^/+#]+)\/((?:up|down)\/[a-z]+)$/.exec(t);
  const name = m === null ? undefined : TOPIC_NAMES[m[2]];
  return m === null || name === undefined ? null : { dcu: m[1], name };
}

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
 * A batch of one stream. `seq` increases by one per batch and per stream within a DCU's
 * epoch, never repeats there (even across restarts) and is what the cloud acknowledges.
 */
export interface ReadingsBatch {
  v: SyncVersion;
  kind: 'readings';
  dcu: string;
  /** The DCU database that numbered the batch (LEGACY_EPOCH in a v1 message). */
  epoch: string;
  seq: number;
  readings: SyncReading[];
}

export interface SyncEvent {
  /** The DCU's event id (unique per DCU epoch: a new database counts from 1 again). */
  id: number;
  ts: number;
  meter: string | null;
  kind: string;
  severity: string;
  details: Record<string, unknown>;
}

export interface EventsBatch {
  v: SyncVersion;
  kind: 'events';
  dcu: string;
  epoch: string;
  seq: number;
  events: SyncEvent[];
}

/** Retained on up/status; the last will says 'offline'. */
export interface StatusMessage {
  v: SyncVersion;
  kind: 'status';
  dcu: string;
  /** The DCU's current epoch (LEGACY_EPOCH in a v1 message). */
  epoch: string;
  state: 'online' | 'offline';
  at: number;
  /** Batches not yet acknowledged, per stream. */
  backlog?: Partial<Record<Stream, number>>;
  software?: string;
}

/**
 * Cloud → DCU: the highest contiguous sequence stored, and what to send again. The answer to a
 * v1 batch is a v1 ack (epoch LEGACY_EPOCH, never signed): a v1 DCU reads nothing else.
 */
export interface AckMessage {
  v: SyncVersion;
  kind: 'ack';
  dcu: string;
  /** The epoch of the batches acknowledged: a DCU applies only an ack of its own epoch. */
  epoch: string;
  stream: Stream;
  /** Every batch with seq ≤ upTo is stored. */
  upTo: number;
  /** Sequence ranges the cloud misses above upTo (inclusive), oldest first. */
  resend?: [number, number][];
  /**
   * Ed25519 by a cloud signing key over the deterministic CBOR of everything above
   * (codec.ts encodeAckBody): the broker is not trusted to say what the cloud stored.
   */
  signature?: AckSignature;
}

export interface AckSignature {
  /** Which cloud signing key (the same keys as for commands). */
  keyId: string;
  /** 64 bytes. */
  bytes: Uint8Array;
}

export const COMMAND_KINDS = ['relay', 'clock-sync', 'read', 'config', 'meter-keys', 'token'] as const;
export type CommandKind = (typeof COMMAND_KINDS)[number];

/**
 * Params of a `token` command: enter an STS token into a meter remotely (token gateway,
 * IC 115 `0.0.19.40.0.255`, method 1 enter), then read the verdict and the credit back.
 */
export interface TokenCommandParams {
  /** Meter serial number. */
  meter: string;
  /** 20 decimal digits; spaces and dashes between them are allowed and dropped. */
  token: string;
}

/** IC 115 token_status.status_code (Blue Book): 8 = received, not yet processed. */
export const TOKEN_STATUS_NAMES = [
  'format-ok', 'authentication-ok', 'validation-ok', 'execution-ok',
  'format-failure', 'authentication-failure', 'validation-failure', 'execution-failure', 'received',
] as const;

/**
 * The outcome of a finished `token` command (status 'done'): the meter's verdict, right or
 * wrong — a refused token (USED, OLD, CRC…) is a done command with accepted false. A
 * command that could not reach a verdict is 'failed' with { cause, errorKind }.
 */
export interface TokenCommandResult {
  /** token_status.status_code; 3 = execution OK (the token took effect). */
  tokenStatus: number;
  tokenStatusName: string;
  /** token_status.status_code is 3 (execution OK). */
  accepted: boolean;
  /** token_description (IC 115 attribute 4) as text: the STS verdict, e.g. "Accept" or "Used". */
  tokenDescription: string[];
  /**
   * IC 112 current_credit_amount read after the token, in the account's currency
   * (IC 111 currency: value = amount × 10^scaler unit); null if the meter did not give it.
   */
  credit: { amount: number; scaler: number; unit: string; value: number } | null;
  /** IC 70 output_state / control_state after the token, when the meter has a disconnector. */
  relay?: { outputState: boolean; controlState: number };
  /** One line for people. */
  message: string;
}

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

/** A signed command: Ed25519 over the deterministic CBOR encoding of `body` (codec.ts encodeCommandBody). */
export interface SignedCommand {
  body: CommandBody;
  /** Which cloud signing key (the DCU may trust several during a key rollover). */
  keyId: string;
  signature: Uint8Array;
}

/** DCU → cloud: what became of a command (also for refused ones, with the reason). The same in v1. */
export interface ResultMessage {
  v: SyncVersion;
  kind: 'result';
  dcu: string;
  id: string;
  status: 'done' | 'failed' | 'refused';
  at: number;
  outcome: Record<string, unknown>;
}

export type UplinkMessage = ReadingsBatch | EventsBatch | StatusMessage | ResultMessage;
export type DownlinkMessage = AckMessage | SignedCommand;
