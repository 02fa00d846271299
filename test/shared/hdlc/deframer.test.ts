import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concat, fromHex, hex } from '../../../shared/bytes.js';
import { ProtocolError } from '../../../shared/errors.js';
import { crc16x25 } from '../../../shared/hdlc/crc.js';
import { Deframer } from '../../../shared/hdlc/deframer.js';
import { decodeFrame, encodeFrame } from '../../../shared/hdlc/frame.js';
import { decodeParameters } from '../../../shared/hdlc/parameters.js';
import { splitAt } from '../../helpers/split-at.js';

const vectors = JSON.parse(readFileSync(new URL('../../../../shared/vectors/dlms-hdlc.json', import.meta.url), 'utf8'));
/** The captured session: every frame of the vector file in order, as one byte stream. */
const frames: Uint8Array[] = vectors.frames.map((f: { hex: string }) => fromHex(f.hex));
const stream = concat(frames);

function feed(chunks: Uint8Array[]): string[] {
  const d = new Deframer();
  const out: string[] = [];
  for (const c of chunks) for (const raw of d.push(c).raw) out.push(hex(raw));
  return out;
}

describe('Deframer', () => {
  it('yields every frame of a captured session fed in one piece', () => {
    expect(feed([stream])).toEqual(frames.map(hex));
  });

  it('yields the same frames fed one byte at a time', () => {
    expect(feed(Array.from(stream, (b) => Uint8Array.of(b)))).toEqual(frames.map(hex));
  });

  it('yields the same frames for every way of splitting the stream (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 40 }), (cuts) => {
        expect(feed(splitAt(stream, cuts))).toEqual(frames.map(hex));
      }),
      { numRuns: 500 },
    );
  });

  it('copes with frames sharing one flag', () => {
    const shared = concat(frames.map((f, i) => (i === 0 ? f : f.subarray(1))));
    expect(feed([shared])).toEqual(frames.map((f) => hex(f)));
  });

  it('skips garbage between frames, including stray flags and fake headers', () => {
    const noise = [fromHex('00ff7e'), fromHex('7e7e7e'), fromHex('7ea0ff0102'), fromHex('11227ea8')];
    const mixed = concat(frames.flatMap((f, i) => [noise[i % noise.length], f]));
    expect(feed([mixed])).toEqual(frames.map(hex));
    expect(feed(splitAt(mixed, [3, 17, 18, 40, 99, 100]))).toEqual(frames.map(hex));
  });

  it('finds a frame whose checksum contains 7E', () => {
    let found: Uint8Array | null = null;
    for (let n = 0; n < 5000 && !found; n++) {
      const f = encodeFrame({ segmented: false, dest: { logical: 1, physical: null, size: 1 }, src: { logical: 16, physical: null, size: 1 }, control: { type: 'I', ns: 0, nr: 0, pf: true }, info: Uint8Array.of(0xe6, 0xe6, 0, n & 0xff, n >> 8) });
      const fcs = f.subarray(f.length - 3, f.length - 1);
      const hcs = f.subarray(6, 8);
      if (fcs.includes(0x7e) || hcs.includes(0x7e)) found = f;
    }
    expect(found).not.toBeNull();
    expect(feed([concat([found!, frames[0]])])).toEqual([hex(found!), hex(frames[0])]);
  });

  it('reports a corrupted frame and still finds the next one', () => {
    const bad = frames[2].slice();
    bad[20] ^= 0x40;
    const d = new Deframer();
    const out = d.push(concat([frames[0], bad, frames[3]]));
    expect(out.raw.map(hex)).toEqual([hex(frames[0]), hex(frames[3])]);
    expect(out.errors.length).toBeGreaterThan(0);
    expect(out.errors[0]).toBeInstanceOf(ProtocolError);
  });

  it('answers arbitrary bytes with frames or errors, never an exception or a hang (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 10 }), (chunks) => {
        const d = new Deframer();
        for (const c of chunks) {
          const out = d.push(c);
          for (const e of out.errors) expect(e).toBeInstanceOf(ProtocolError);
          for (const raw of out.raw) expect(hex(encodeFrame(decodeFrame(raw)))).toBe(hex(raw));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('finds valid frames inside mutated streams: every yielded frame checks out (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), (mutations) => {
        const copy = stream.slice();
        for (const [at, v] of mutations) copy[at % copy.length] = v;
        const d = new Deframer();
        const out = d.push(copy);
        for (const raw of out.raw) {
          const inner = raw.subarray(1, raw.length - 1);
          const fcs = crc16x25(inner, 0, inner.length - 2);
          expect(inner[inner.length - 2] | (inner[inner.length - 1] << 8)).toBe(fcs);
        }
        // Frames that were not touched still come out.
        expect(out.raw.length).toBeGreaterThanOrEqual(frames.length - mutations.length * 2);
      }),
      { numRuns: 500 },
    );
  });
});

describe('decoders of untrusted bytes (property)', () => {
  it('decodeFrame and decodeParameters throw only ProtocolError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        for (const decode of [decodeFrame, decodeParameters]) {
          try {
            decode(bytes);
          } catch (e) {
            expect(e).toBeInstanceOf(ProtocolError);
            expect((e as ProtocolError).offset).toBeGreaterThanOrEqual(0);
            expect((e as ProtocolError).offset).toBeLessThanOrEqual(bytes.length);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('decodeFrame on mutated captured frames throws only ProtocolError', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: frames.length - 1 }), fc.nat(), fc.integer({ min: 0, max: 255 }), (i, at, v) => {
        const f = frames[i].slice();
        f[at % f.length] = v;
        try {
          decodeFrame(f);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
