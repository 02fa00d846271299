import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../../shared/bytes.js';
import { ProtocolError } from '../../../shared/errors.js';
import { decodeUdpPacket, encodeUdpPacket, formatIpv6, linkLocalAddress, parseLinkLocal } from '../../../shared/g3/ipv6.js';

// Built field by field with python3 struct in a scratch shell, UDP checksum summed there
// over the RFC 8200 §8.1 pseudo-header: fe80::781d:ff:fe00:0 → fe80::781d:ff:fe00:1,
// 4059 → 4059, hop limit 64, a 21-byte payload (odd: the sum pads with a zero byte).
const PACKET = fromHex(
  '6000 0000 001d 11 40' +
    'fe80 0000 0000 0000 781d 00ff fe00 0000' +
    'fe80 0000 0000 0000 781d 00ff fe00 0001' +
    '0fdb 0fdb 001d 6c9b' +
    '0001 0010 0001 000d c001c100080000010000ff0200',
);
// A payload chosen (in python3) so that the checksum computes to 0, which is sent as FFFF.
const ZERO_SUM_PACKET = fromHex(
  '6000 0000 000c 11 40' +
    'fe80 0000 0000 0000 781d 00ff fe00 0000' +
    'fe80 0000 0000 0000 781d 00ff fe00 0005' +
    '0fdb 0fdb 000c ffff 0102 f3dc',
);

// Odd length with a non-zero last byte (the pad goes after it: 0c00, not 000c), hop limit 1.
const ODD_PACKET = fromHex(
  '6000 0000 000b 11 01' +
    'fe80 0000 0000 0000 781d 00ff fe00 0000' +
    'fe80 0000 0000 0000 781d 00ff fe00 0002' +
    '04d2 0fdb 000b e9e1 0a0b0c',
);

function decodeError(bytes: Uint8Array): ProtocolError {
  try {
    decodeUdpPacket(bytes);
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    throw e;
  }
  throw new Error('decoded without error');
}

describe('link-local addresses', () => {
  it('builds fe80::{panId}:00ff:fe00:{short}', () => {
    expect(hex(linkLocalAddress(0x781d, 0x0001))).toBe('fe80000000000000781d00fffe000001');
    expect(formatIpv6(linkLocalAddress(0x781d, 0))).toBe('fe80::781d:ff:fe00:0');
  });
  it('parses them back and refuses other addresses', () => {
    expect(parseLinkLocal(fromHex('fe80000000000000781d00fffe00abcd'))).toEqual({ panId: 0x781d, shortAddress: 0xabcd });
    expect(parseLinkLocal(fromHex('fe80000000000001781d00fffe00abcd'))).toBeNull();
    expect(parseLinkLocal(fromHex('fe80000000000000781d02fffe00abcd'))).toBeNull();
    expect(parseLinkLocal(fromHex('20010db8000000000000000000000001'))).toBeNull();
    expect(parseLinkLocal(new Uint8Array(4))).toBeNull();
  });
  it('round-trips any PAN id and short address (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), (panId, shortAddress) => {
        expect(parseLinkLocal(linkLocalAddress(panId, shortAddress))).toEqual({ panId, shortAddress });
      }),
    );
  });
});

describe('formatIpv6 (RFC 5952 examples)', () => {
  const cases: [string, string][] = [
    ['20010db8000000000000000000000001', '2001:db8::1'], // §4.1 leading zeros, §4.2.1 longest run
    ['20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1'], // §4.2.2 one zero group stays
    ['20010000000000010000000000000001', '2001:0:0:1::1'], // §4.2.3 the longest run
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'], // §4.2.3 the first of equal runs
    ['20010db8000000000000000000aaaaaa', '2001:db8::aa:aaaa'],
    ['00000000000000000000000000000000', '::'],
    ['00000000000000000000000000000001', '::1'],
    ['00000000000000000000ffffc0000280', '::ffff:192.0.2.128'], // §5 IPv4-mapped
    ['20010DB8ABCD00120000000000000000', '2001:db8:abcd:12::'], // §4.3 lowercase
  ];
  for (const [bytes, text] of cases) it(`formats ${text}`, () => expect(formatIpv6(fromHex(bytes))).toBe(text));
});

describe('IPv6 + UDP', () => {
  const message = {
    source: linkLocalAddress(0x781d, 0),
    destination: linkLocalAddress(0x781d, 1),
    sourcePort: 4059,
    destinationPort: 4059,
    payload: fromHex('0001 0010 0001 000d c001c100080000010000ff0200'),
  };

  it('encodes the independently built packet, checksum included, with hop limit 64 by default', () => {
    expect(hex(encodeUdpPacket(message))).toBe(hex(PACKET));
  });

  it('decodes it', () => {
    expect(decodeUdpPacket(PACKET)).toEqual({ ...message, hopLimit: 64 });
  });

  it('pads an odd datagram with a zero byte after the last one', () => {
    const p = { ...message, destination: linkLocalAddress(0x781d, 2), sourcePort: 1234, payload: fromHex('0a0b0c'), hopLimit: 1 };
    expect(hex(encodeUdpPacket(p))).toBe(hex(ODD_PACKET));
    expect(decodeUdpPacket(ODD_PACKET)).toEqual(p);
  });

  it('sends a computed checksum of 0 as FFFF and accepts it', () => {
    const p = { ...message, destination: linkLocalAddress(0x781d, 5), payload: fromHex('0102f3dc') };
    expect(hex(encodeUdpPacket(p))).toBe(hex(ZERO_SUM_PACKET));
    expect(decodeUdpPacket(ZERO_SUM_PACKET).payload).toEqual(p.payload);
  });

  it('rejects a wrong checksum, a zero checksum, and a bit flipped anywhere', () => {
    const bad = PACKET.slice();
    bad[47] ^= 0x01;
    const e = decodeError(bad);
    expect(e.layer).toBe('udp');
    expect(e.offset).toBe(46);
    expect(e.message).toMatch(/checksum 0x6c9a is wrong, expected 0x6c9b/);
    const zero = PACKET.slice();
    zero[46] = zero[47] = 0;
    expect(decodeError(zero).message).toMatch(/checksum 0 \(none\) is not allowed/);
    for (const at of [9, 30, 41, 50, 68]) {
      const flipped = PACKET.slice();
      flipped[at] ^= 0x40;
      expect(decodeError(flipped)).toBeInstanceOf(ProtocolError);
    }
  });

  it('rejects a wrong version, next header, and lengths', () => {
    const v4 = PACKET.slice();
    v4[0] = 0x40;
    expect(decodeError(v4).message).toMatch(/version 4 is not 6/);
    const tcp = PACKET.slice();
    tcp[6] = 6;
    expect(decodeError(tcp)).toMatchObject({ offset: 6, layer: 'ipv6' });
    expect(decodeError(tcp).message).toMatch(/next header 6 is not UDP/);
    expect(decodeError(PACKET.subarray(0, PACKET.length - 1)).message).toMatch(/payload length says 29 but 28/);
    const udpLength = PACKET.slice();
    udpLength[45] = 0x1c;
    expect(decodeError(udpLength).message).toMatch(/UDP length says 28 but the IPv6 payload is 29/);
    expect(decodeError(PACKET.subarray(0, 39)).message).toMatch(/needs 16 byte\(s\)/);
  });

  it('round-trips arbitrary datagrams (property)', () => {
    const address = fc.uint8Array({ minLength: 16, maxLength: 16 });
    const port = fc.integer({ min: 0, max: 0xffff });
    fc.assert(
      fc.property(address, address, port, port, fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 255 }), (s, d, sp, dp, payload, hopLimit) => {
        const p = { source: s, destination: d, sourcePort: sp, destinationPort: dp, payload, hopLimit };
        expect(decodeUdpPacket(encodeUdpPacket(p))).toEqual(p);
      }),
      { numRuns: 500 },
    );
  });

  it('answers any bytes with a packet or a ProtocolError (property)', () => {
    const mutated = fc
      .tuple(fc.uint8Array({ maxLength: 40 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat())
      .map(([payload, flips, cut]) => {
        const b = encodeUdpPacket({ ...message, payload });
        for (const [at, v] of flips) b[at % b.length] = v;
        return b.subarray(0, b.length - (cut % 3));
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 80 }), mutated), (bytes) => {
        try {
          decodeUdpPacket(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
