import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../../shared/bytes.js';
import { ProtocolError } from '../../../shared/errors.js';
import { dlmsPacket, parseDlmsPacket } from '../../../shared/g3/dlms.js';
import { encodeUdpPacket, linkLocalAddress } from '../../../shared/g3/ipv6.js';

// The same packet as in ipv6.test.ts (built with python3): client wPort 0x10 → server wPort 1,
// GET-Request-Normal for 0.0.0.1.0.0.255 attribute 2, from the coordinator (0) to node 1 of PAN 0x781D.
const PACKET = fromHex(
  '60000000001d1140 fe80000000000000781d00fffe000000 fe80000000000000781d00fffe000001 0fdb0fdb001d6c9b 00010010000100 0dc001c100080000010000ff0200',
);
const fields = { panId: 0x781d, from: 0, to: 1, sourceWPort: 0x10, destinationWPort: 1, apdu: fromHex('c001c100080000010000ff0200') };

function parseError(bytes: Uint8Array): ProtocolError {
  try {
    parseDlmsPacket(bytes);
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    throw e;
  }
  throw new Error('parsed without error');
}

describe('DLMS over G3', () => {
  it('builds IPv6 + UDP 4059 + wrapper', () => {
    expect(hex(dlmsPacket(fields))).toBe(hex(PACKET));
  });

  it('parses it back', () => {
    expect(parseDlmsPacket(PACKET)).toEqual(fields);
  });

  it('rejects other ports, foreign addresses, mixed PANs and bad wrappers', () => {
    const base = { source: linkLocalAddress(0x781d, 1), destination: linkLocalAddress(0x781d, 0), sourcePort: 4059, destinationPort: 4059 };
    const wrapper = fromHex('0001 0001 0010 0001 aa');
    expect(parseError(encodeUdpPacket({ ...base, destinationPort: 4060, payload: wrapper })).message).toMatch(/destination port 4060/);
    expect(parseError(encodeUdpPacket({ ...base, sourcePort: 50000, payload: wrapper })).message).toMatch(/source port 50000/);
    expect(parseError(encodeUdpPacket({ ...base, source: fromHex('20010db8000000000000000000000001'), payload: wrapper })).message).toMatch(
      /source address is not a G3 link-local/,
    );
    expect(parseError(encodeUdpPacket({ ...base, destination: linkLocalAddress(0x1234, 0), payload: wrapper })).message).toMatch(/PAN/);
    const short = parseError(encodeUdpPacket({ ...base, payload: fromHex('0001 0001 0010 0002 aa') }));
    expect(short).toMatchObject({ layer: 'wrapper', offset: 54 });
  });

  it('round-trips arbitrary exchanges (property)', () => {
    const u16 = fc.integer({ min: 0, max: 0xffff });
    fc.assert(
      fc.property(u16, u16, u16, u16, u16, fc.uint8Array({ maxLength: 200 }), (panId, from, to, sourceWPort, destinationWPort, apdu) => {
        const o = { panId, from, to, sourceWPort, destinationWPort, apdu };
        expect(parseDlmsPacket(dlmsPacket(o))).toEqual(o);
      }),
      { numRuns: 300 },
    );
  });

  it('answers any bytes with a value or a ProtocolError (property)', () => {
    const mutated = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([at, v]) => {
      const b = PACKET.slice();
      b[at % b.length] = v;
      return b;
    });
    fc.assert(
      fc.property(fc.oneof(mutated, fc.uint8Array({ maxLength: 80 })), (bytes) => {
        try {
          parseDlmsPacket(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
