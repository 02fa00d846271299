// Every sync message as CBOR: an array that starts with the version and a kind number, then
// the fields in a fixed order (positional: smaller than maps, and deterministic, which the
// command signature needs). Readings go column-wise (columns.ts). Decoding answers any bytes
// with a message or a SyncError.
import { Check, decodeCbor, encodeCbor, fromWire, invalid, malformed, toWire } from './cbor.js';
import { decodeReadings, encodeReadings, READING_FIELDS } from './columns.js';
import { SyncError } from './errors.js';
import {
  COMMAND_KINDS, MAX_BATCH_ITEMS, STREAMS, SYNC_VERSION, type AckMessage, type CommandBody, type DownlinkMessage, type EventsBatch,
  type ReadingsBatch, type ResultMessage, type SignedCommand, type StatusMessage, type SyncEvent, type UplinkMessage,
} from './messages.js';

/** The kind number after the version. 7–9 are not messages of their own but start the same way. */
export const Kind = {
  readings: 1, events: 2, status: 3, result: 4, ack: 5, command: 6, commandBody: 7, sealedKeys: 8, meterKeys: 9,
} as const;

const UPLINK: readonly number[] = [Kind.readings, Kind.events, Kind.status, Kind.result];
const DOWNLINK: readonly number[] = [Kind.ack, Kind.command];

export function encodeMessage(msg: UplinkMessage | DownlinkMessage): Uint8Array {
  return encodeCbor(toFields(msg));
}

/** Any message; see decodeUplink / decodeDownlink to accept one direction only. */
export function decodeMessage(bytes: Uint8Array): UplinkMessage | DownlinkMessage {
  return decodeFrom(bytes, [...UPLINK, ...DOWNLINK]);
}

/** What the cloud accepts from `dcu/+/up/#`. */
export function decodeUplink(bytes: Uint8Array): UplinkMessage {
  return decodeFrom(bytes, UPLINK) as UplinkMessage;
}

/** What a DCU accepts from `dcu/{id}/down/#`. */
export function decodeDownlink(bytes: Uint8Array): DownlinkMessage {
  return decodeFrom(bytes, DOWNLINK) as DownlinkMessage;
}

/** The bytes a command signature covers: deterministic, and exactly what the signed command carries. */
export function encodeCommandBody(body: CommandBody): Uint8Array {
  return encodeCbor(bodyFields(body));
}

/**
 * Decodes the frame [version, kind, ...fields] of any sync structure and checks its kind
 * and field count. An unknown version is recognised before the rest is even scanned, so a
 * newer peer gets 'unknown-version', not 'malformed'.
 */
export function decodeFrame(bytes: Uint8Array, kinds: readonly number[], fieldCounts: Record<number, number>): [number, unknown[]] {
  const v = peekVersion(bytes);
  if (v !== undefined && v !== SYNC_VERSION) throw new SyncError('unknown-version', `version ${v}, this code speaks ${SYNC_VERSION}`, 'v');
  const top = decodeCbor(bytes);
  if (!Array.isArray(top) || top.length < 2) return malformed.fail('expected [version, kind, …]', 'message');
  if (top[0] !== SYNC_VERSION) throw new SyncError('unknown-version', `version ${String(top[0])}`, 'v');
  const kind = top[1];
  if (typeof kind !== 'number' || !kinds.includes(kind)) {
    throw new SyncError('unknown-kind', `kind ${String(kind)} is not one of ${kinds.join(', ')} here`, 'kind');
  }
  if (top.length !== 2 + fieldCounts[kind]) malformed.fail(`expected ${fieldCounts[kind]} fields, got ${top.length - 2}`, 'message');
  return [kind, top.slice(2)];
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

const FIELDS: Record<number, number> = {
  [Kind.readings]: 2 + READING_FIELDS, [Kind.events]: 3, [Kind.status]: 5, [Kind.result]: 5, [Kind.ack]: 4, [Kind.command]: 3,
};

function toFields(msg: UplinkMessage | DownlinkMessage): unknown[] {
  if ('body' in msg) {
    return [SYNC_VERSION, Kind.command, invalid.str(msg.keyId, 'keyId'), invalid.bytes(msg.signature, 'signature', 64), bodyFields(msg.body)];
  }
  if (msg.v !== SYNC_VERSION) invalid.fail(`version ${String(msg.v)}`, 'v');
  const dcu = invalid.str(msg.dcu, 'dcu');
  switch (msg.kind) {
    case 'readings':
      return [SYNC_VERSION, Kind.readings, dcu, invalid.int(msg.seq, 'seq', 0), ...encodeReadings(msg.readings)];
    case 'events':
      if (msg.events.length > MAX_BATCH_ITEMS) invalid.fail(`${msg.events.length} events, at most ${MAX_BATCH_ITEMS}`, 'events');
      return [SYNC_VERSION, Kind.events, dcu, invalid.int(msg.seq, 'seq', 0), msg.events.map((e, i) => {
        const w = `events[${i}]`;
        return [invalid.int(e.id, `${w}.id`), invalid.int(e.ts, `${w}.ts`), e.meter === null ? null : invalid.str(e.meter, `${w}.meter`),
          invalid.str(e.kind, `${w}.kind`), invalid.str(e.severity, `${w}.severity`), toWire(invalid.record(e.details, `${w}.details`), `${w}.details`)];
      })];
    case 'status':
      return [SYNC_VERSION, Kind.status, dcu, invalid.oneOf(msg.state, ['online', 'offline'], 'state'), invalid.int(msg.at, 'at'),
        msg.backlog === undefined ? null : toWire(backlog(invalid, msg.backlog), 'backlog'),
        msg.software === undefined ? null : invalid.str(msg.software, 'software')];
    case 'result':
      return [SYNC_VERSION, Kind.result, dcu, invalid.str(msg.id, 'id'), invalid.oneOf(msg.status, ['done', 'failed', 'refused'], 'status'),
        invalid.int(msg.at, 'at'), toWire(invalid.record(msg.outcome, 'outcome'), 'outcome')];
    case 'ack':
      return [SYNC_VERSION, Kind.ack, dcu, invalid.oneOf(msg.stream, STREAMS, 'stream'), invalid.int(msg.upTo, 'upTo', 0),
        msg.resend === undefined ? null : ranges(invalid, msg.resend)];
    default:
      return invalid.fail(`unknown kind ${String((msg as { kind?: unknown }).kind)}`, 'kind');
  }
}

function decodeFrom(bytes: Uint8Array, kinds: readonly number[]): UplinkMessage | DownlinkMessage {
  const [kind, f] = decodeFrame(bytes, kinds, FIELDS);
  const m = malformed;
  if (kind === Kind.command) {
    const signed: SignedCommand = { body: decodeBody(f[2]), keyId: m.str(f[0], 'keyId'), signature: new Uint8Array(m.bytes(f[1], 'signature', 64)) };
    return signed;
  }
  const v = SYNC_VERSION;
  const dcu = m.str(f[0], 'dcu');
  switch (kind) {
    case Kind.readings: {
      const batch: ReadingsBatch = { v, kind: 'readings', dcu, seq: m.int(f[1], 'seq', 0), readings: decodeReadings(f.slice(2)) };
      return batch;
    }
    case Kind.events: {
      const list = m.array(f[2], 'events');
      if (list.length > MAX_BATCH_ITEMS) throw new SyncError('too-large', `${list.length} events, at most ${MAX_BATCH_ITEMS}`, 'events');
      const events = list.map((x, i): SyncEvent => {
        const w = `events[${i}]`;
        const e = m.array(x, w, 6);
        return { id: m.int(e[0], `${w}.id`), ts: m.int(e[1], `${w}.ts`), meter: e[2] === null ? null : m.str(e[2], `${w}.meter`),
          kind: m.str(e[3], `${w}.kind`), severity: m.str(e[4], `${w}.severity`), details: m.record(fromWire(e[5], `${w}.details`), `${w}.details`) };
      });
      const batch: EventsBatch = { v, kind: 'events', dcu, seq: m.int(f[1], 'seq', 0), events };
      return batch;
    }
    case Kind.status: {
      const status: StatusMessage = { v, kind: 'status', dcu, state: m.oneOf(f[1], ['online', 'offline'], 'state'), at: m.int(f[2], 'at') };
      if (f[3] !== null) status.backlog = backlog(m, fromWire(f[3], 'backlog'));
      if (f[4] !== null) status.software = m.str(f[4], 'software');
      return status;
    }
    case Kind.result: {
      const result: ResultMessage = { v, kind: 'result', dcu, id: m.str(f[1], 'id'), status: m.oneOf(f[2], ['done', 'failed', 'refused'], 'status'),
        at: m.int(f[3], 'at'), outcome: m.record(fromWire(f[4], 'outcome'), 'outcome') };
      return result;
    }
    default: {
      const ack: AckMessage = { v, kind: 'ack', dcu, stream: m.oneOf(f[1], STREAMS, 'stream'), upTo: m.int(f[2], 'upTo', 0) };
      if (f[3] !== null) ack.resend = ranges(m, f[3]);
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
