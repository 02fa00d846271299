import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../../shared/bytes.js';
import { ProtocolError } from '../../../shared/errors.js';
import { AdpCommand, type AdpMessage, AdpStatus, adpStatusName, decodeAdp, encodeAdp } from '../../../shared/g3/adp.js';
import { USI_MAX_PAYLOAD } from '../../../shared/g3/usi.js';

// One hand-written payload per command, field by field from the table in G3-MODEM.md.
const vectors: [string, AdpMessage][] = [
  ['00 02 63', { type: 'status', status: 2, commandId: 99 }],
  ['0a 00 01', { type: 'initialize', band: 0, isCoordinator: true }],
  ['0b 05 01 00 0003 aabbcc', { type: 'data-request', nsduHandle: 5, discoverRoute: true, qualityOfService: 0, packet: fromHex('aabbcc') }],
  ['0d 781d', { type: 'network-start-request', panId: 0x781d }],
  ['11 0000000c 0002 02 1234', { type: 'set-request', attributeId: 12, index: 2, value: fromHex('1234') }],
  ['12 00000022 0000', { type: 'get-request', attributeId: 0x22, index: 0 }],
  ['14 0005 08', { type: 'route-discovery-request', destination: 5, maxHops: 8 }],
  ['15 0006 01', { type: 'path-discovery-request', destination: 6, metricType: 1 }],
  ['1e a6 05', { type: 'data-confirm', status: AdpStatus.timeout, nsduHandle: 5 }],
  ['1f b0 0002 7e7d', { type: 'data-indication', linkQualityIndicator: 0xb0, packet: fromHex('7e7d') }],
  ['22 00', { type: 'network-start-confirm', status: 0 }],
  ['27 a8 0000000c 0002', { type: 'set-confirm', status: AdpStatus.invalidParameter, attributeId: 12, index: 2 }],
  ['28 00 00000022 0000 01 ff', { type: 'get-confirm', status: 0, attributeId: 0x22, index: 0, value: fromHex('ff') }],
  ['2b 00 0005 0003 0010 02', { type: 'route-discovery-confirm', status: 0, destination: 5, nextHop: 3, routeCost: 16, hopCount: 2 }],
  [
    '2c 00 0005 0000 01 02 01 0003 0a 0005 0b 0000 0c',
    {
      type: 'path-discovery-confirm',
      status: 0,
      destination: 5,
      originator: 0,
      metricType: 1,
      forwardHops: [{ address: 3, linkCost: 10 }, { address: 5, linkCost: 11 }],
      reverseHops: [{ address: 0, linkCost: 12 }],
    },
  ],
  ['41 0007 0011223344556677', { type: 'kick-device', shortAddress: 7, eui64: '0011223344556677' }],
  ['47 a1b2c3d4e5f60718', { type: 'join-request', eui64: 'a1b2c3d4e5f60718' }],
  ['48 a1b2c3d4e5f60718 0007', { type: 'join-complete', eui64: 'a1b2c3d4e5f60718', shortAddress: 7 }],
  ['49 0007', { type: 'leave', shortAddress: 7 }],
];

function decodeError(payload: string): ProtocolError {
  try {
    decodeAdp(fromHex(payload));
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    throw e;
  }
  throw new Error(`decoded ${payload} without error`);
}

describe('ADP codec', () => {
  it('has a vector for every command', () => {
    expect(new Set(vectors.map(([h]) => fromHex(h)[0]))).toEqual(new Set(Object.values(AdpCommand)));
  });

  for (const [bytes, message] of vectors) {
    it(`encodes and decodes ${message.type}`, () => {
      expect(hex(encodeAdp(message))).toBe(hex(fromHex(bytes)));
      expect(decodeAdp(fromHex(bytes))).toEqual(message);
    });
  }

  it('rejects unknown ids and empty payloads', () => {
    expect(decodeError('0c 00').message).toMatch(/unknown ADP command id 12/);
    expect(decodeError('').message).toMatch(/empty/);
  });

  it('rejects short and long payloads naming the command and offset', () => {
    const short = decodeError('48 a1b2c3d4e5f60718 00');
    expect(short.message).toMatch(/join-complete \(command 72\): shortAddress/);
    expect(short.offset).toBe(9);
    expect(short.layer).toBe('g3');
    const long = decodeError('49 0007 00');
    expect(long.message).toMatch(/leave \(command 73\): 1 unexpected byte/);
    expect(long.offset).toBe(3);
  });

  it('rejects length fields that disagree with the bytes', () => {
    const packet = decodeError('0b 05 01 00 0004 aabbcc');
    expect(packet.message).toMatch(/data-request \(command 11\): packet length field says 4 but 3 byte\(s\) follow/);
    expect(packet.offset).toBe(4);
    expect(decodeError('28 00 00000022 0000 00 ff').message).toMatch(/value length field says 0 but 1/);
    const hops = decodeError('2c 00 0005 0000 01 02 01 0003 0a 0005 0b');
    expect(hops.message).toMatch(/hop counts 2 \+ 1 need 9 byte\(s\) but 6 follow/);
    expect(hops.offset).toBe(7);
  });

  it('rejects booleans other than 0/1 and bands other than 0..3', () => {
    expect(decodeError('0a 00 02').message).toMatch(/isCoordinator is 2/);
    expect(decodeError('0a 04 01').message).toMatch(/band 4 is not 0\.\.3/);
    expect(decodeError('0b 05 07 00 0000').message).toMatch(/discoverRoute is 7/);
  });

  it('refuses to encode out-of-range fields', () => {
    expect(() => encodeAdp({ type: 'leave', shortAddress: 0x10000 })).toThrow(RangeError);
    expect(() => encodeAdp({ type: 'join-request', eui64: '0011' })).toThrow(RangeError);
    expect(() => encodeAdp({ type: 'set-request', attributeId: 1, index: 0, value: new Uint8Array(256) })).toThrow(RangeError);
  });

  it('names statuses', () => {
    expect(adpStatusName(0)).toBe('success');
    expect(adpStatusName(0xa5)).toBe('route-error');
    expect(adpStatusName(0xb4)).toBe('no-buffers');
    expect(adpStatusName(0x42)).toBe('unknown-status-0x42');
  });
});

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const eui64 = fc.uint8Array({ minLength: 8, maxLength: 8 }).map(hex);
const packet = fc.uint8Array({ maxLength: USI_MAX_PAYLOAD - 6 });
const value = fc.uint8Array({ maxLength: 255 });
const hop = fc.record({ address: u16, linkCost: u8 });
const hops = fc.array(hop, { maxLength: 20 });
const arbitraryAdp: fc.Arbitrary<AdpMessage> = fc.oneof(
  fc.record({ type: fc.constant('status' as const), status: u8, commandId: u8 }),
  fc.record({ type: fc.constant('initialize' as const), band: fc.integer({ min: 0, max: 3 }), isCoordinator: fc.boolean() }),
  fc.record({ type: fc.constant('data-request' as const), nsduHandle: u8, discoverRoute: fc.boolean(), qualityOfService: u8, packet }),
  fc.record({ type: fc.constant('network-start-request' as const), panId: u16 }),
  fc.record({ type: fc.constant('set-request' as const), attributeId: u32, index: u16, value }),
  fc.record({ type: fc.constant('get-request' as const), attributeId: u32, index: u16 }),
  fc.record({ type: fc.constant('route-discovery-request' as const), destination: u16, maxHops: u8 }),
  fc.record({ type: fc.constant('path-discovery-request' as const), destination: u16, metricType: u8 }),
  fc.record({ type: fc.constant('data-confirm' as const), status: u8, nsduHandle: u8 }),
  fc.record({ type: fc.constant('data-indication' as const), linkQualityIndicator: u8, packet }),
  fc.record({ type: fc.constant('network-start-confirm' as const), status: u8 }),
  fc.record({ type: fc.constant('set-confirm' as const), status: u8, attributeId: u32, index: u16 }),
  fc.record({ type: fc.constant('get-confirm' as const), status: u8, attributeId: u32, index: u16, value }),
  fc.record({ type: fc.constant('route-discovery-confirm' as const), status: u8, destination: u16, nextHop: u16, routeCost: u16, hopCount: u8 }),
  fc.record({
    type: fc.constant('path-discovery-confirm' as const),
    status: u8,
    destination: u16,
    originator: u16,
    metricType: u8,
    forwardHops: hops,
    reverseHops: hops,
  }),
  fc.record({ type: fc.constant('kick-device' as const), shortAddress: u16, eui64 }),
  fc.record({ type: fc.constant('join-request' as const), eui64 }),
  fc.record({ type: fc.constant('join-complete' as const), eui64, shortAddress: u16 }),
  fc.record({ type: fc.constant('leave' as const), shortAddress: u16 }),
);

describe('ADP codec properties', () => {
  it('decodes what it encodes, for arbitrary messages', () => {
    fc.assert(
      fc.property(arbitraryAdp, (m) => {
        expect(decodeAdp(encodeAdp(m))).toEqual(m);
      }),
      { numRuns: 1000 },
    );
  });

  it('answers any bytes with a message or a ProtocolError (layer g3)', () => {
    const firstByte = fc.oneof(fc.constantFrom(...Object.values(AdpCommand)), u8);
    fc.assert(
      fc.property(firstByte, fc.uint8Array({ maxLength: 40 }), (id, rest) => {
        const payload = Uint8Array.of(id, ...rest);
        try {
          const m = decodeAdp(payload);
          expect(hex(encodeAdp(m))).toBe(hex(payload)); // a decoded message is the exact bytes
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
          expect((e as ProtocolError).layer).toBe('g3');
          expect((e as ProtocolError).offset).toBeLessThanOrEqual(payload.length);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
