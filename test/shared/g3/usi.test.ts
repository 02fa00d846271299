import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concat, fromHex, hex } from '../../../shared/bytes.js';
import { ProtocolError } from '../../../shared/errors.js';
import { G3_ADP_PROTOCOL, USI_MAX_PAYLOAD, UsiDeframer, type UsiEvent, crc16Xmodem, encodeUsiFrame } from '../../../shared/g3/usi.js';
import { splitAt } from '../../helpers/split-at.js';

// Hand-written from G3-MODEM.md; CRCs from a bit-by-bit CRC-16/XMODEM in a python3 scratch shell.
// LEAVE(0x7E7D): payload 49 7E 7D, LEN 3 → H0 00, H1 (3 & 3) << 6 | 0x25 = E5, CRC 3FFF.
const LEAVE_7E7D = fromHex('7e 00 e5 49 7d5e 7d5d 3f ff 7e');
// LEAVE(0x7E68): CRC 7D6B, so the CRC itself is stuffed.
const LEAVE_7E68 = fromHex('7e 00 e5 49 7d5e 68 7d5d 6b 7e');
// LEAVE(0x217D): CRC 217E.
const LEAVE_217D = fromHex('7e 00 e5 49 21 7d5d 21 7d5e 7e');

function frames(events: UsiEvent[]): string[] {
  return events.flatMap((e) => (e.kind === 'frame' ? [`${e.protocolId}:${hex(e.payload)}`] : []));
}
function errors(events: UsiEvent[]): ProtocolError[] {
  return events.flatMap((e) => (e.kind === 'error' ? [e.error] : []));
}
function feed(chunks: Uint8Array[]): UsiEvent[] {
  const d = new UsiDeframer();
  return chunks.flatMap((c) => d.push(c));
}

describe('crc16Xmodem', () => {
  it('has the catalogue check value 0x31C3 for "123456789"', () => {
    expect(crc16Xmodem(new TextEncoder().encode('123456789'))).toBe(0x31c3);
  });
  it('is 0 for no bytes (init 0, no final XOR)', () => {
    expect(crc16Xmodem(new Uint8Array(0))).toBe(0);
  });
});

describe('encodeUsiFrame', () => {
  it('stuffs 7E and 7D in the payload', () => {
    expect(hex(encodeUsiFrame(G3_ADP_PROTOCOL, fromHex('497e7d')))).toBe(hex(LEAVE_7E7D));
  });
  it('stuffs 7E and 7D in the CRC', () => {
    expect(hex(encodeUsiFrame(G3_ADP_PROTOCOL, fromHex('497e68')))).toBe(hex(LEAVE_7E68));
    expect(hex(encodeUsiFrame(G3_ADP_PROTOCOL, fromHex('49217d')))).toBe(hex(LEAVE_217D));
  });
  it('splits a long length over H0 and H1', () => {
    const frame = encodeUsiFrame(G3_ADP_PROTOCOL, new Uint8Array(USI_MAX_PAYLOAD).fill(0x11));
    expect(frame[1]).toBe(0xff); // 1023 >> 2
    expect(frame[2]).toBe(0xc0 | 0x25); // (1023 & 3) << 6 | protocol
  });
  it('refuses payloads the 10-bit length cannot carry and protocol ids over 6 bits', () => {
    expect(() => encodeUsiFrame(G3_ADP_PROTOCOL, new Uint8Array(1024))).toThrow(RangeError);
    expect(() => encodeUsiFrame(0x40, new Uint8Array(1))).toThrow(RangeError);
  });
});

describe('UsiDeframer', () => {
  const stream = [LEAVE_7E7D, LEAVE_7E68, LEAVE_217D];
  const expected = ['37:497e7d', '37:497e68', '37:49217d'];

  it('decodes hand-written frames, unstuffing payload and CRC', () => {
    expect(frames(feed(stream))).toEqual(expected);
    expect(errors(feed(stream))).toEqual([]);
  });

  it('decodes frames fed one byte at a time', () => {
    const one = concat(stream);
    expect(frames(feed(Array.from(one, (b) => Uint8Array.of(b))))).toEqual(expected);
  });

  it('decodes back-to-back frames sharing one flag', () => {
    const shared = concat(stream.map((f, i) => (i === 0 ? f : f.subarray(1))));
    const events = feed([shared]);
    expect(frames(events)).toEqual(expected);
    expect(errors(events)).toEqual([]);
  });

  it('skips noise before the first flag silently and reports noise between frames as a bad frame', () => {
    const d = new UsiDeframer();
    const first = d.push(concat([fromHex('0102037d'), LEAVE_7E7D]));
    expect(frames(first)).toEqual(['37:497e7d']);
    expect(errors(first)).toEqual([]);
    expect(d.skipped).toBe(4);
    const second = d.push(concat([fromHex('aabb'), LEAVE_7E68]));
    expect(frames(second)).toEqual(['37:497e68']);
    expect(errors(second)).toHaveLength(1);
    expect(errors(second)[0].message).toMatch(/shorter than header/);
  });

  it('reports a CRC error at the opening flag and resynchronises', () => {
    const bad = LEAVE_7E68.slice();
    bad[bad.length - 2] ^= 0x01; // the CRC low byte 6B → 6A
    const events = feed([fromHex('00'), bad, LEAVE_7E7D]);
    const errs = errors(events);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toBeInstanceOf(ProtocolError);
    expect(errs[0].layer).toBe('g3');
    expect(errs[0].offset).toBe(1);
    expect(errs[0].message).toMatch(/CRC mismatch: frame has 0x7D6A, computed 0x7D6B/);
    expect(frames(events)).toEqual(['37:497e7d']);
  });

  it('reports a length field that disagrees with the bytes', () => {
    // H0 H1 say 4 payload bytes, 3 follow; CRC made right (python3: crc16xmodem(01 25 49 7e 7d) = 0x260a).
    const events = feed([fromHex('7e 01 25 49 7d5e 7d5d 26 0a 7e')]);
    expect(errors(events).map((e) => e.message)).toEqual([expect.stringMatching(/length field says 4 but the frame carries 3/)]);
  });

  it('reports an undefined escape and a lone escape before a flag', () => {
    const events = feed([fromHex('7e 00 e5 49 7d 11 3f ff 7e'), fromHex('7e 00 e5 7d 7e'), LEAVE_7E7D]);
    expect(errors(events).map((e) => [e.offset, e.message])).toEqual([
      [4, expect.stringMatching(/invalid escape 7D 11/)],
      [9, expect.stringMatching(/lone escape/)],
    ]);
    expect(frames(events)).toEqual(['37:497e7d']);
  });

  it('drops a frame that grows beyond the maximum and keeps its memory bounded', () => {
    const d = new UsiDeframer();
    const events = d.push(concat([fromHex('7e'), new Uint8Array(5000).fill(0x41)]));
    expect(errors(events)).toHaveLength(1);
    expect(errors(events)[0].message).toMatch(/longer than 1027 bytes/);
    expect(d.pending).toBe(0);
    expect(frames(d.push(LEAVE_7E7D))).toEqual(['37:497e7d']);
  });

  it('round-trips the largest payload', () => {
    const payload = Uint8Array.from({ length: USI_MAX_PAYLOAD }, (_, i) => [0x7e, 0x7d, i & 0xff][i % 3]);
    expect(frames(feed([encodeUsiFrame(5, payload)]))).toEqual([`5:${hex(payload)}`]);
  });

  const payloads = fc.array(
    fc.record({ protocolId: fc.integer({ min: 0, max: 0x3f }), payload: fc.uint8Array({ maxLength: 80 }) }),
    { maxLength: 8 },
  );
  /** Noise that cannot be taken for a frame (under 4 bytes between flags), with stray escapes and flags. */
  const noise = fc.uint8Array({ maxLength: 3 }).map((b) => concat([Uint8Array.of(0x7e), b, Uint8Array.of(0x7e)]));

  it('yields the same frames for any chunking, flag sharing and noise between frames (property)', () => {
    fc.assert(
      fc.property(payloads, fc.array(noise, { maxLength: 10 }), fc.array(fc.nat(), { maxLength: 30 }), fc.boolean(), (msgs, noises, cuts, share) => {
        const parts: Uint8Array[] = [];
        msgs.forEach((m, i) => {
          const f = encodeUsiFrame(m.protocolId, m.payload);
          const n = noises[i];
          if (n) parts.push(n);
          parts.push(share && i > 0 && !n ? f.subarray(1) : f);
        });
        const events = feed(splitAt(concat(parts), cuts));
        expect(frames(events)).toEqual(msgs.map((m) => `${m.protocolId}:${hex(m.payload)}`));
        for (const e of errors(events)) expect(e.layer).toBe('g3');
      }),
      { numRuns: 300 },
    );
  });

  it('answers any bytes with frames or ProtocolErrors, never throws (property)', () => {
    const bytes = fc.array(fc.oneof(fc.constantFrom(0x7e, 0x7d, 0x5e, 0x5d, 0x00, 0xe5), fc.integer({ min: 0, max: 255 })), { maxLength: 600 });
    fc.assert(
      fc.property(bytes, fc.array(fc.nat(), { maxLength: 20 }), (raw, cuts) => {
        for (const e of feed(splitAt(Uint8Array.from(raw), cuts))) {
          if (e.kind === 'error') {
            expect(e.error).toBeInstanceOf(ProtocolError);
            expect(e.error.offset).toBeLessThan(raw.length);
          } else {
            expect(e.kind).toBe('frame');
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never returns more payload bytes than it was fed (fuzz)', () => {
    const chunk = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.uint8Array({ maxLength: 200 }).map((p) => encodeUsiFrame(G3_ADP_PROTOCOL, p)),
      fc.uint8Array({ maxLength: 200 }).map((p) => encodeUsiFrame(G3_ADP_PROTOCOL, p).subarray(1)),
      fc.constantFrom(fromHex('7e'), fromHex('7d'), fromHex('7e7e'), fromHex('7d5e')),
    );
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 40 }), (chunks) => {
        const d = new UsiDeframer();
        let fed = 0;
        let out = 0;
        for (const c of chunks) {
          fed += c.length;
          // Each frame also took at least a flag, H0, H1 and two CRC bytes of the input.
          for (const e of d.push(c)) if (e.kind === 'frame') out += e.payload.length + 5;
          expect(out).toBeLessThanOrEqual(fed);
          expect(d.pending).toBeLessThanOrEqual(USI_MAX_PAYLOAD + 4);
        }
      }),
      { numRuns: 500 },
    );
  });
});
