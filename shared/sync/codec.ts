// Every sync message as CBOR: an array that starts with the version and a kind number, then
// the fields in a fixed order (positional: smaller than maps, and deterministic, which the
// signatures of commands and acks need). Readings go column-wise (columns.ts). Decoding
// answers any bytes with a message or a SyncError.
//
// Version 2 puts the epoch right after `dcu` in batches, status and acks, and a signature at
// the end of an ack. Version 1 is the same without both, and has no other difference: the
// cloud decodes v1 uplink messages (epoch LEGACY_EPOCH) and answers them with v1 acks, so DCUs
// can be upgraded one by one. A DCU decodes only v2 (decodeDownlink); commands are v2 only.
import { Check, decodeCbor, encodeCbor, fromWire, invalid, malformed, toWire } from './cbor.js';
import { decodeReadings, encodeReadings, READING_FIELDS } from './columns.js';
import { SyncError } from './errors.js';
import {
  COMMAND_KINDS, LEGACY_EPOCH, LEGACY_SYNC_VERSION, MAX_BATCH_ITEMS, STREAMS, SYNC_VERSION, isEpoch, type AckMessage, type AckSignature,
  type CommandBody, type DownlinkMessage, type EventsBatch, type ReadingsBatch, type ResultMessage, type SignedCommand, type StatusMessage,
  type SyncEvent, type SyncVersion, type UplinkMessage,
} from './messages.js';

/** The kind number after the version. 7–10 are not messages of their own but start the same way. */
export const Kind = {
  readings: 1, events: 2, status: 3, result: 4, ack: 5, command: 6, commandBody: 7, sealedKeys: 8, meterKeys: 9, ackBody: 10,
} as const;

const UPLINK: readonly number[] = [Kind.readings, Kind.events, Kind.status, Kind.result];
const DOWNLINK: readonly number[] = [Kind.ack, Kind.command];
const ANY_VERSION: readonly number[] = [SYNC_VERSION, LEGACY_SYNC_VERSION];
const CURRENT: readonly number[] = [SYNC_VERSION];

/** Fields after [version, kind], per version; a kind missing from a version does not exist in it. */
const FIELDS: Record<SyncVersion, Record<number, number>> = {
  2: { [Kind.readings]: 3 + READING_FIELDS, [Kind.events]: 4, [Kind.status]: 6, [Kind.result]: 5, [Kind.ack]: 7, [Kind.command]: 3 },
  1: { [Kind.readings]: 2 + READING_FIELDS, [Kind.events]: 3, [Kind.status]: 5, [Kind.result]: 5, [Kind.ack]: 4 },
};

export function encodeMessage(msg: UplinkMessage | DownlinkMessage): Uint8Array {
  return encodeCbor(toFields(msg));
}

/** Any message, of either version (commands v2 only); see decodeUplink / decodeDownlink to accept one direction only. */
export function decodeMessage(bytes: Uint8Array): UplinkMessage | DownlinkMessage {
  return decodeFrom(bytes, [...UPLINK, ...DOWNLINK], ANY_VERSION);
}

/** What the cloud accepts from `dcu/+/up/#`: v2, and v1 from DCUs not yet upgraded. */
export function decodeUplink(bytes: Uint8Array): UplinkMessage {
  return decodeFrom(bytes, UPLINK, ANY_VERSION) as UplinkMessage;
}

/** What a DCU accepts from `dcu/{id}/down/#`: v2 only. */
export function decodeDownlink(bytes: Uint8Array): DownlinkMessage {
  return decodeFrom(bytes, DOWNLINK, CURRENT) as DownlinkMessage;
}

/** The bytes a command signature covers: deterministic, and exactly what the signed command carries. */
export function encodeCommandBody(body: CommandBody): Uint8Array {
  return encodeCbor(bodyFields(body));
}

/** The bytes an ack signature covers: [2, 10, dcu, epoch, stream, upTo, resend] — the ack without its signature. */
export function encodeAckBody(ack: AckMessage): Uint8Array {
  if (ack.v !== SYNC_VERSION) invalid.fail(`only a version ${SYNC_VERSION} ack is signed, this is version ${String(ack.v)}`, 'v');
  return encodeCbor([SYNC_VERSION, Kind.ackBody, ...ackFields(ack)]);
}

/**
 * Decodes the frame [version, kind, ...fields] of a version-2-only sync structure (sealed.ts)
 * and checks its kind and field count.
 */
export function decodeFrame(bytes: Uint8Array, kinds: readonly number[], fieldCounts: Record<number, number>): [number, unknown[]] {
  const [, kind, fields] = readFrame(bytes, kinds, CURRENT, (_v, k) => fieldCounts[k]);
  return [kind, fields];
}

/**
 * An unknown version is recognised before the rest is even scanned, so a newer (or, where
 * only v2 is taken, an older) peer gets 'unknown-version', not 'malformed'.
 */
function readFrame(bytes: Uint8Array, kinds: readonly number[], versions: readonly number[], count: (v: SyncVersion, kind: number) => number | undefined): [SyncVersion, number, unknown[]] {
  const speaks = `this code takes ${versions.join(' or ')}`;
  const peeked = peekVersion(bytes);
  if (peeked !== undefined && !versions.includes(peeked)) throw new SyncError('unknown-version', `version ${peeked}, ${speaks}`, 'v');
  const top = decodeCbor(bytes);
  if (!Array.isArray(top) || top.length < 2) return malformed.fail('expected [version, kind, …]', 'message');
  const v = top[0] as SyncVersion;
  if (!versions.includes(v)) throw new SyncError('unknown-version', `version ${String(top[0])}, ${speaks}`, 'v');
  const kind = top[1];
  if (typeof kind !== 'number' || !kinds.includes(kind)) {
    throw new SyncError('unknown-kind', `kind ${String(kind)} is not one of ${kinds.join(', ')} here`, 'kind');
  }
  const n = count(v, kind);
  if (n === undefined) throw new SyncError('unknown-version', `version ${v} has no message of kind ${kind}`, 'v');
  if (top.length !== 2 + n) malformed.fail(`expected ${n} fields, got ${top.length - 2}`, 'message');
  return [v, kind, top.slice(2)];
}

function peekVersion(b: Uint8Array): number | undefined {
  if (!(b instanceof Uint8Array) || b.length < 2 || b[0] >> 5 !== 4) return undefined;
  const ai = b[0] & 31; // the array's head: 1, 2, 3, 5 or 9 bytes
  const at = ai < 24 ? 1 : ai <= 27 ? 1 + (1 << (ai - 24)) : b.length;
  if (at >= b.length) return undefined;
  const ib = b[at];
  if (ib < 24) return ib;
  return ib === 24 && at + 1 < b.length ? b[at + 1] : undefined;
}

/** '' or 32 lowercase hex digits; the message says which rule the value breaks. */
function epochOf(c: Check, x: unknown, where = 'epoch'): string {
  if (isEpoch(x)) return x;
  if (typeof x !== 'string') return c.fail(`expected text, got ${x === null ? 'null' : typeof x}`, where);
  if (x.length !== 32) return c.fail(`expected '' or 32 hex digits, got ${x.length} characters`, where);
  return c.fail('expected lowercase hex digits (0-9, a-f) only', where);
}

function version(x: unknown, where = 'v'): SyncVersion {
  if (x === SYNC_VERSION || x === LEGACY_SYNC_VERSION) return x;
  return invalid.fail(`version ${String(x)}`, where);
}

/** [v, kind, dcu] and, from version 2, the epoch; a version 1 message can only be of the legacy epoch. */
function head(v: SyncVersion, kind: number, msg: { dcu: unknown; epoch?: unknown }): unknown[] {
  const dcu = invalid.str(msg.dcu, 'dcu');
  if (v === SYNC_VERSION) return [v, kind, dcu, epochOf(invalid, msg.epoch)];
  if (msg.epoch !== LEGACY_EPOCH) invalid.fail(`a version 1 message has no epoch, so it must be ${JSON.stringify(LEGACY_EPOCH)}`, 'epoch');
  return [v, kind, dcu];
}

function ackFields(a: AckMessage): unknown[] {
  return [invalid.str(a.dcu, 'dcu'), epochOf(invalid, a.epoch), invalid.oneOf(a.stream, STREAMS, 'stream'), invalid.int(a.upTo, 'upTo', 0),
    a.resend === undefined ? null : ranges(invalid, a.resend)];
}

function toFields(msg: UplinkMessage | DownlinkMessage): unknown[] {
  if ('body' in msg) {
    return [SYNC_VERSION, Kind.command, invalid.str(msg.keyId, 'keyId'), invalid.bytes(msg.signature, 'signature', 64), bodyFields(msg.body)];
  }
  const v = version(msg.v);
  switch (msg.kind) {
    case 'readings':
      return [...head(v, Kind.readings, msg), invalid.int(msg.seq, 'seq', 0), ...encodeReadings(msg.readings)];
    case 'events':
      if (msg.events.length > MAX_BATCH_ITEMS) invalid.fail(`${msg.events.length} events, at most ${MAX_BATCH_ITEMS}`, 'events');
      return [...head(v, Kind.events, msg), invalid.int(msg.seq, 'seq', 0), msg.events.map((e, i) => {
        const w = `events[${i}]`;
        return [invalid.int(e.id, `${w}.id`), invalid.int(e.ts, `${w}.ts`), e.meter === null ? null : invalid.str(e.meter, `${w}.meter`),
          invalid.str(e.kind, `${w}.kind`), invalid.str(e.severity, `${w}.severity`), toWire(invalid.record(e.details, `${w}.details`), `${w}.details`)];
      })];
    case 'status':
      return [...head(v, Kind.status, msg), invalid.oneOf(msg.state, ['online', 'offline'], 'state'), invalid.int(msg.at, 'at'),
        msg.backlog === undefined ? null : toWire(backlog(invalid, msg.backlog), 'backlog'),
        msg.software === undefined ? null : invalid.str(msg.software, 'software')];
    case 'result':
      return [v, Kind.result, invalid.str(msg.dcu, 'dcu'), invalid.str(msg.id, 'id'), invalid.oneOf(msg.status, ['done', 'failed', 'refused'], 'status'),
        invalid.int(msg.at, 'at'), toWire(invalid.record(msg.outcome, 'outcome'), 'outcome')];
    case 'ack': {
      const rest = ackFields(msg).slice(2);
      if (v === LEGACY_SYNC_VERSION) {
        if (msg.signature !== undefined) invalid.fail('a version 1 ack is never signed', 'signature');
        return [...head(v, Kind.ack, msg), ...rest];
      }
      const s = msg.signature;
      return [...head(v, Kind.ack, msg), ...rest, s === undefined ? null : invalid.str(s.keyId, 'signature.keyId'),
        s === undefined ? null : invalid.bytes(s.bytes, 'signature.bytes', 64)];
    }
    default:
      return invalid.fail(`unknown kind ${String((msg as { kind?: unknown }).kind)}`, 'kind');
  }
}

function decodeFrom(bytes: Uint8Array, kinds: readonly number[], versions: readonly number[]): UplinkMessage | DownlinkMessage {
  const [v, kind, f] = readFrame(bytes, kinds, versions, (version, k) => FIELDS[version][k]);
  const m = malformed;
  if (kind === Kind.command) {
    const signed: SignedCommand = { body: decodeBody(f[2]), keyId: m.str(f[0], 'keyId'), signature: new Uint8Array(m.bytes(f[1], 'signature', 64)) };
    return signed;
  }
  const dcu = m.str(f[0], 'dcu');
  // From here on both versions have the same fields: `r` is what follows dcu (and the epoch).
  const hasEpoch = v === SYNC_VERSION && kind !== Kind.result;
  const epoch = hasEpoch ? epochOf(m, f[1]) : LEGACY_EPOCH;
  const r = f.slice(hasEpoch ? 2 : 1);
  switch (kind) {
    case Kind.readings: {
      const batch: ReadingsBatch = { v, kind: 'readings', dcu, epoch, seq: m.int(r[0], 'seq', 0), readings: decodeReadings(r.slice(1)) };
      return batch;
    }
    case Kind.events: {
      const list = m.array(r[1], 'events');
      if (list.length > MAX_BATCH_ITEMS) throw new SyncError('too-large', `${list.length} events, at most ${MAX_BATCH_ITEMS}`, 'events');
      const events = list.map((x, i): SyncEvent => {
        const w = `events[${i}]`;
        const e = m.array(x, w, 6);
        return { id: m.int(e[0], `${w}.id`), ts: m.int(e[1], `${w}.ts`), meter: e[2] === null ? null : m.str(e[2], `${w}.meter`),
          kind: m.str(e[3], `${w}.kind`), severity: m.str(e[4], `${w}.severity`), details: m.record(fromWire(e[5], `${w}.details`), `${w}.details`) };
      });
      const batch: EventsBatch = { v, kind: 'events', dcu, epoch, seq: m.int(r[0], 'seq', 0), events };
      return batch;
    }
    case Kind.status: {
      const status: StatusMessage = { v, kind: 'status', dcu, epoch, state: m.oneOf(r[0], ['online', 'offline'], 'state'), at: m.int(r[1], 'at') };
      if (r[2] !== null) status.backlog = backlog(m, fromWire(r[2], 'backlog'));
      if (r[3] !== null) status.software = m.str(r[3], 'software');
      return status;
    }
    case Kind.result: {
      const result: ResultMessage = { v, kind: 'result', dcu, id: m.str(r[0], 'id'), status: m.oneOf(r[1], ['done', 'failed', 'refused'], 'status'),
        at: m.int(r[2], 'at'), outcome: m.record(fromWire(r[3], 'outcome'), 'outcome') };
      return result;
    }
    default: {
      const ack: AckMessage = { v, kind: 'ack', dcu, epoch, stream: m.oneOf(r[0], STREAMS, 'stream'), upTo: m.int(r[1], 'upTo', 0) };
      if (r[2] !== null) ack.resend = ranges(m, r[2]);
      if (v === SYNC_VERSION && (r[3] !== null || r[4] !== null)) {
        const signature: AckSignature = { keyId: m.str(r[3], 'signature.keyId'), bytes: new Uint8Array(m.bytes(r[4], 'signature.bytes', 64)) };
        ack.signature = signature;
      }
      return ack;
    }
  }
}

function bodyFields(b: CommandBody): unknown[] {
  if (b.v !== SYNC_VERSION) invalid.fail(`version ${String(b.v)}`, 'body.v');
  if (b.kind !== 'command') invalid.fail(`kind ${String(b.kind)}`, 'body.kind');
  return [SYNC_VERSION, Kind.commandBody, invalid.str(b.id, 'body.id'), invalid.str(b.dcu, 'body.dcu'), invalid.int(b.seq, 'body.seq', 0),
    invalid.int(b.issuedAt, 'body.issuedAt'), invalid.int(b.notAfter, 'body.notAfter'), invalid.oneOf(b.command, COMMAND_KINDS, 'body.command'),
    toWire(invalid.record(b.params, 'body.params'), 'body.params')];
}

function decodeBody(x: unknown): CommandBody {
  const m = malformed;
  const f = m.array(x, 'body', 9);
  if (f[0] !== SYNC_VERSION) throw new SyncError('unknown-version', `version ${String(f[0])}`, 'body.v');
  if (f[1] !== Kind.commandBody) m.fail(`kind ${String(f[1])}`, 'body.kind');
  return { v: SYNC_VERSION, kind: 'command', id: m.str(f[2], 'body.id'), dcu: m.str(f[3], 'body.dcu'), seq: m.int(f[4], 'body.seq', 0),
    issuedAt: m.int(f[5], 'body.issuedAt'), notAfter: m.int(f[6], 'body.notAfter'),
    // a newer cloud's command kind: 'unknown-kind', so the DCU can tell it from garbage
    command: m.oneOf(f[7], COMMAND_KINDS, 'body.command', 'unknown-kind'), params: m.record(fromWire(f[8], 'body.params'), 'body.params') };
}

function backlog(c: Check, x: unknown): Partial<Record<(typeof STREAMS)[number], number>> {
  const r = c.record(x, 'backlog');
  const out: Partial<Record<(typeof STREAMS)[number], number>> = {};
  for (const [k, n] of Object.entries(r)) {
    if (n !== undefined) out[c.oneOf(k, STREAMS, 'backlog')] = c.int(n, `backlog.${k}`, 0);
  }
  return out;
}

function ranges(c: Check, x: unknown): [number, number][] {
  return c.array(x, 'resend').map((r, i): [number, number] => {
    const [from, to] = c.array(r, `resend[${i}]`, 2);
    const a = c.int(from, `resend[${i}]`, 0);
    return [a, c.int(to, `resend[${i}]`, a)];
  });
}
