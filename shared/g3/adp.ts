// The ADP commands of the USI G3 protocol (0x25) we speak: the table in
// /work/shared/G3-MODEM.md. Payload byte 0 is the command id; multi-byte fields are
// big-endian; packets and values are preceded by their length. Decoding is exact: an
// unknown id, a missing or extra byte, or a length field that disagrees with the bytes
// is a ProtocolError (layer 'g3') naming the command and the offset.
import { ByteReader, ByteWriter } from '../bytes.js';
import { ProtocolError } from '../errors.js';

export const AdpStatus = {
  success: 0x00,
  invalidRequest: 0xa1,
  failed: 0xa2,
  routeError: 0xa5,
  timeout: 0xa6,
  invalidParameter: 0xa8,
  busy: 0xb3,
  noBuffers: 0xb4,
} as const;

/** The codes of the STATUS message (command 0): why the modem refused a command. */
export const UsiStatusCode = { notAllowed: 1, unknownCommand: 2, invalidParameter: 3 } as const;

export const AdpCommand = {
  status: 0,
  initialize: 10,
  dataRequest: 11,
  networkStartRequest: 13,
  setRequest: 17,
  getRequest: 18,
  routeDiscoveryRequest: 20,
  pathDiscoveryRequest: 21,
  dataConfirm: 30,
  dataIndication: 31,
  networkStartConfirm: 34,
  setConfirm: 39,
  getConfirm: 40,
  routeDiscoveryConfirm: 43,
  pathDiscoveryConfirm: 44,
  kickDevice: 65,
  joinRequest: 71,
  joinComplete: 72,
  leave: 73,
} as const;

/** PLC bands of ADP-INITIALIZE. */
export const G3Band = { cenelecA: 0, cenelecB: 1, fcc: 2, arib: 3 } as const;

/** EUI-64 as 16 lowercase hex digits. Short addresses, PAN ids: numbers 0..0xFFFF. */
export type Eui64 = string;
export interface PathHop {
  address: number;
  linkCost: number;
}

export type AdpMessage =
  | { type: 'status'; status: number; commandId: number }
  | { type: 'initialize'; band: number; isCoordinator: boolean }
  | { type: 'data-request'; nsduHandle: number; discoverRoute: boolean; qualityOfService: number; packet: Uint8Array }
  | { type: 'network-start-request'; panId: number }
  | { type: 'set-request'; attributeId: number; index: number; value: Uint8Array }
  | { type: 'get-request'; attributeId: number; index: number }
  | { type: 'route-discovery-request'; destination: number; maxHops: number }
  | { type: 'path-discovery-request'; destination: number; metricType: number }
  | { type: 'data-confirm'; status: number; nsduHandle: number }
  | { type: 'data-indication'; linkQualityIndicator: number; packet: Uint8Array }
  | { type: 'network-start-confirm'; status: number }
  | { type: 'set-confirm'; status: number; attributeId: number; index: number }
  | { type: 'get-confirm'; status: number; attributeId: number; index: number; value: Uint8Array }
  | { type: 'route-discovery-confirm'; status: number; destination: number; nextHop: number; routeCost: number; hopCount: number }
  | {
      type: 'path-discovery-confirm';
      status: number;
      destination: number;
      originator: number;
      metricType: number;
      forwardHops: PathHop[];
      reverseHops: PathHop[];
    }
  | { type: 'kick-device'; shortAddress: number; eui64: Eui64 }
  | { type: 'join-request'; eui64: Eui64 }
  | { type: 'join-complete'; eui64: Eui64; shortAddress: number }
  | { type: 'leave'; shortAddress: number };

export type AdpMessageType = AdpMessage['type'];

const COMMAND_OF: Record<AdpMessageType, number> = {
  status: AdpCommand.status,
  initialize: AdpCommand.initialize,
  'data-request': AdpCommand.dataRequest,
  'network-start-request': AdpCommand.networkStartRequest,
  'set-request': AdpCommand.setRequest,
  'get-request': AdpCommand.getRequest,
  'route-discovery-request': AdpCommand.routeDiscoveryRequest,
  'path-discovery-request': AdpCommand.pathDiscoveryRequest,
  'data-confirm': AdpCommand.dataConfirm,
  'data-indication': AdpCommand.dataIndication,
  'network-start-confirm': AdpCommand.networkStartConfirm,
  'set-confirm': AdpCommand.setConfirm,
  'get-confirm': AdpCommand.getConfirm,
  'route-discovery-confirm': AdpCommand.routeDiscoveryConfirm,
  'path-discovery-confirm': AdpCommand.pathDiscoveryConfirm,
  'kick-device': AdpCommand.kickDevice,
  'join-request': AdpCommand.joinRequest,
  'join-complete': AdpCommand.joinComplete,
  leave: AdpCommand.leave,
};
const TYPE_OF = new Map<number, AdpMessageType>(
  Object.entries(COMMAND_OF).map(([type, id]) => [id, type as AdpMessageType]),
);

/** The command id of a message type. */
export function adpCommandId(type: AdpMessageType): number {
  return COMMAND_OF[type];
}

const STATUS_NAMES = new Map<number, string>([
  [AdpStatus.success, 'success'],
  [AdpStatus.invalidRequest, 'invalid-request'],
  [AdpStatus.failed, 'failed'],
  [AdpStatus.routeError, 'route-error'],
  [AdpStatus.timeout, 'timeout'],
  [AdpStatus.invalidParameter, 'invalid-parameter'],
  [AdpStatus.busy, 'busy'],
  [AdpStatus.noBuffers, 'no-buffers'],
]);

export function adpStatusName(status: number): string {
  return STATUS_NAMES.get(status) ?? `unknown-status-0x${status.toString(16).padStart(2, '0')}`;
}

// ---- encoding -------------------------------------------------------------------

function check(value: number, max: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`${what} ${value} is outside 0..${max}`);
  return value;
}

/** Writes range-checked big-endian fields. */
class Fields {
  readonly w = new ByteWriter(16);
  u8(v: number, what: string): this {
    this.w.u8(check(v, 0xff, what));
    return this;
  }
  u16(v: number, what: string): this {
    this.w.u16(check(v, 0xffff, what));
    return this;
  }
  u32(v: number, what: string): this {
    this.w.u32(check(v, 0xffffffff, what));
    return this;
  }
  bool(v: boolean): this {
    this.w.u8(v ? 1 : 0);
    return this;
  }
  eui64(v: Eui64): this {
    if (!/^[0-9a-fA-F]{16}$/.test(v)) throw new RangeError(`EUI-64 "${v}" is not 16 hex digits`);
    for (let i = 0; i < 16; i += 2) this.w.u8(parseInt(v.slice(i, i + 2), 16));
    return this;
  }
  /** A length (2 or 1 bytes) then the bytes. */
  block(bytes: Uint8Array, lengthBytes: 1 | 2, what: string): this {
    if (lengthBytes === 2) this.u16(bytes.length, `${what} length`);
    else this.u8(bytes.length, `${what} length`);
    this.w.bytes(bytes);
    return this;
  }
  hops(hops: PathHop[]): this {
    for (const h of hops) this.u16(h.address, 'hop address').u8(h.linkCost, 'hop link cost');
    return this;
  }
}

/** The USI payload of a message, command id first. */
export function encodeAdp(m: AdpMessage): Uint8Array {
  const f = new Fields().u8(COMMAND_OF[m.type], 'command id');
  switch (m.type) {
    case 'status':
      f.u8(m.status, 'status').u8(m.commandId, 'command id');
      break;
    case 'initialize':
      f.u8(check(m.band, 3, 'band'), 'band').bool(m.isCoordinator);
      break;
    case 'data-request':
      f.u8(m.nsduHandle, 'nsduHandle').bool(m.discoverRoute).u8(m.qualityOfService, 'qualityOfService').block(m.packet, 2, 'packet');
      break;
    case 'network-start-request':
      f.u16(m.panId, 'panId');
      break;
    case 'set-request':
      f.u32(m.attributeId, 'attributeId').u16(m.index, 'index').block(m.value, 1, 'value');
      break;
    case 'get-request':
      f.u32(m.attributeId, 'attributeId').u16(m.index, 'index');
      break;
    case 'route-discovery-request':
      f.u16(m.destination, 'destination').u8(m.maxHops, 'maxHops');
      break;
    case 'path-discovery-request':
      f.u16(m.destination, 'destination').u8(m.metricType, 'metricType');
      break;
    case 'data-confirm':
      f.u8(m.status, 'status').u8(m.nsduHandle, 'nsduHandle');
      break;
    case 'data-indication':
      f.u8(m.linkQualityIndicator, 'linkQualityIndicator').block(m.packet, 2, 'packet');
      break;
    case 'network-start-confirm':
      f.u8(m.status, 'status');
      break;
    case 'set-confirm':
      f.u8(m.status, 'status').u32(m.attributeId, 'attributeId').u16(m.index, 'index');
      break;
    case 'get-confirm':
      f.u8(m.status, 'status').u32(m.attributeId, 'attributeId').u16(m.index, 'index').block(m.value, 1, 'value');
      break;
    case 'route-discovery-confirm':
      f.u8(m.status, 'status').u16(m.destination, 'destination').u16(m.nextHop, 'nextHop');
      f.u16(m.routeCost, 'routeCost').u8(m.hopCount, 'hopCount');
      break;
    case 'path-discovery-confirm':
      f.u8(m.status, 'status').u16(m.destination, 'destination').u16(m.originator, 'originator').u8(m.metricType, 'metricType');
      f.u8(m.forwardHops.length, 'forward hop count').u8(m.reverseHops.length, 'reverse hop count');
      f.hops(m.forwardHops).hops(m.reverseHops);
      break;
    case 'kick-device':
      f.u16(m.shortAddress, 'shortAddress').eui64(m.eui64);
      break;
    case 'join-request':
      f.eui64(m.eui64);
      break;
    case 'join-complete':
      f.eui64(m.eui64).u16(m.shortAddress, 'shortAddress');
      break;
    case 'leave':
      f.u16(m.shortAddress, 'shortAddress');
      break;
  }
  return f.w.toBytes();
}

// ---- decoding -------------------------------------------------------------------

/** A ByteReader whose errors name the command, with the field kinds of this table. */
class AdpReader extends ByteReader {
  constructor(payload: Uint8Array, private readonly command: string) {
    super(payload, 'g3', 1);
  }

  override fail(message: string, at = this.pos): never {
    return super.fail(`${this.command}: ${message}`, at);
  }

  bool(what: string): boolean {
    const at = this.pos;
    const v = this.u8(what);
    if (v > 1) this.fail(`${what} is ${v}, not 0 or 1`, at);
    return v === 1;
  }

  eui64(): Eui64 {
    return Array.from(this.take(8, 'EUI-64'), (b) => b.toString(16).padStart(2, '0')).join('');
  }

  /** A length field (1 or 2 bytes) then exactly that many bytes, which end the message. */
  block(lengthBytes: 1 | 2, what: string): Uint8Array {
    const at = this.pos;
    const n = lengthBytes === 2 ? this.u16(`${what} length`) : this.u8(`${what} length`);
    if (n !== this.remaining) this.fail(`${what} length field says ${n} but ${this.remaining} byte(s) follow`, at);
    return this.take(n, what).slice();
  }
}

/** Decodes a USI payload of protocol 0x25. Throws ProtocolError (layer 'g3'). */
export function decodeAdp(payload: Uint8Array): AdpMessage {
  if (payload.length === 0) throw new ProtocolError('empty ADP payload: no command id', 0, 'g3');
  const id = payload[0];
  const type = TYPE_OF.get(id);
  if (type === undefined) throw new ProtocolError(`unknown ADP command id ${id}`, 0, 'g3');
  const r = new AdpReader(payload, `${type} (command ${id})`);
  const m = decodeFields(type, r);
  if (!r.atEnd) r.fail(`${r.remaining} unexpected byte(s) after the message`);
  return m;
}

function decodeFields(type: AdpMessageType, r: AdpReader): AdpMessage {
  switch (type) {
    case 'status':
      return { type, status: r.u8('status'), commandId: r.u8('command id') };
    case 'initialize': {
      const at = r.pos;
      const band = r.u8('band');
      if (band > 3) r.fail(`band ${band} is not 0..3`, at);
      return { type, band, isCoordinator: r.bool('isCoordinator') };
    }
    case 'data-request': {
      const nsduHandle = r.u8('nsduHandle');
      const discoverRoute = r.bool('discoverRoute');
      const qualityOfService = r.u8('qualityOfService');
      return { type, nsduHandle, discoverRoute, qualityOfService, packet: r.block(2, 'packet') };
    }
    case 'network-start-request':
      return { type, panId: r.u16('panId') };
    case 'set-request': {
      const attributeId = r.u32('attributeId');
      const index = r.u16('index');
      return { type, attributeId, index, value: r.block(1, 'value') };
    }
    case 'get-request':
      return { type, attributeId: r.u32('attributeId'), index: r.u16('index') };
    case 'route-discovery-request':
      return { type, destination: r.u16('destination'), maxHops: r.u8('maxHops') };
    case 'path-discovery-request':
      return { type, destination: r.u16('destination'), metricType: r.u8('metricType') };
    case 'data-confirm':
      return { type, status: r.u8('status'), nsduHandle: r.u8('nsduHandle') };
    case 'data-indication': {
      const linkQualityIndicator = r.u8('linkQualityIndicator');
      return { type, linkQualityIndicator, packet: r.block(2, 'packet') };
    }
    case 'network-start-confirm':
      return { type, status: r.u8('status') };
    case 'set-confirm':
      return { type, status: r.u8('status'), attributeId: r.u32('attributeId'), index: r.u16('index') };
    case 'get-confirm': {
      const status = r.u8('status');
      const attributeId = r.u32('attributeId');
      const index = r.u16('index');
      return { type, status, attributeId, index, value: r.block(1, 'value') };
    }
    case 'route-discovery-confirm':
      return {
        type,
        status: r.u8('status'),
        destination: r.u16('destination'),
        nextHop: r.u16('nextHop'),
        routeCost: r.u16('routeCost'),
        hopCount: r.u8('hopCount'),
      };
    case 'path-discovery-confirm': {
      const status = r.u8('status');
      const destination = r.u16('destination');
      const originator = r.u16('originator');
      const metricType = r.u8('metricType');
      const countAt = r.pos;
      const forward = r.u8('forward hop count');
      const reverse = r.u8('reverse hop count');
      if ((forward + reverse) * 3 !== r.remaining) {
        r.fail(`hop counts ${forward} + ${reverse} need ${(forward + reverse) * 3} byte(s) but ${r.remaining} follow`, countAt);
      }
      const hops = (n: number): PathHop[] =>
        Array.from({ length: n }, () => ({ address: r.u16('hop address'), linkCost: r.u8('hop link cost') }));
      const forwardHops = hops(forward);
      return { type, status, destination, originator, metricType, forwardHops, reverseHops: hops(reverse) };
    }
    case 'kick-device':
      return { type, shortAddress: r.u16('shortAddress'), eui64: r.eui64() };
    case 'join-request':
      return { type, eui64: r.eui64() };
    case 'join-complete':
      return { type, eui64: r.eui64(), shortAddress: r.u16('shortAddress') };
    case 'leave':
      return { type, shortAddress: r.u16('shortAddress') };
  }
}
