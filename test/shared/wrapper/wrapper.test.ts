import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concat, fromHex, hex } from '../../../shared/bytes.js';
import { ProtocolError } from '../../../shared/errors.js';
import { WrapperStream, decodeWrapper, encodeWrapper } from '../../../shared/wrapper/wrapper.js';

const vectors = JSON.parse(readFileSync(new URL('../../../../shared/vectors/dlms-hdlc.json', import.meta.url), 'utf8'));
const pdus: { name: string; hex: string; dir: string }[] = vectors.wrapper;

describe('IEC 62056-47 wrapper', () => {
  for (const v of pdus) {
    it(`${v.name}: decodes and re-encodes byte for byte`, () => {
      const pdu = decodeWrapper(fromHex(v.hex));
      expect(hex(encodeWrapper(pdu))).toBe(v.hex);
      if (v.dir === 'client->server') expect([pdu.source, pdu.destination]).toEqual([0x11, 1]);
      else expect([pdu.source, pdu.destination]).toEqual([1, 0x11]);
    });
  }

  it('reads the AARQ length 0x35 and its APDU tag', () => {
    const pdu = decodeWrapper(fromHex(pdus[0].hex));
    expect(pdu.apdu.length).toBe(0x35);
    expect(pdu.apdu[0]).toBe(0x60);
  });

  it('rejects a wrong version and a wrong length with the offset', () => {
    const bytes = fromHex(pdus[2].hex);
    const v2 = bytes.slice();
    v2[1] = 2;
    expect(() => decodeWrapper(v2)).toThrow(ProtocolError);
    expect(() => decodeWrapper(bytes.subarray(0, bytes.length - 1))).toThrow(/length field says 5/);
  });

  it('reassembles PDUs from a TCP stream split anywhere (property)', () => {
    const stream = concat(pdus.map((p) => fromHex(p.hex)));
    fc.assert(
      fc.property(fc.array(fc.nat(stream.length), { maxLength: 20 }), (cuts) => {
        const points = [...new Set([0, ...cuts, stream.length])].sort((a, b) => a - b);
        const s = new WrapperStream();
        const got: string[] = [];
        for (let i = 1; i < points.length; i++) for (const p of s.push(stream.subarray(points[i - 1], points[i]))) got.push(hex(encodeWrapper(p)));
        expect(got).toEqual(pdus.map((p) => p.hex));
        expect(s.pending).toBe(0);
      }),
    );
  });

  it('answers arbitrary bytes with a PDU or a ProtocolError (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        for (const run of [() => decodeWrapper(bytes), () => new WrapperStream().push(bytes)]) {
          try {
            run();
          } catch (e) {
            expect(e).toBeInstanceOf(ProtocolError);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
