// Properties: any bytes decode to an APDU or a ProtocolError with an offset
// inside the input (never another exception, never a hang), and generated
// APDUs survive encode -> decode.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concat, fromHex } from '../../../../shared/bytes.js';
import { ProtocolError } from '../../../../shared/errors.js';
import { decodeApdu, encodeApdu, type Apdu } from '../../../../shared/dlms/apdu/index.js';
import { acseApdu, actionApdu, getApdu, otherApdu, setApdu } from './arbitraries.js';

/** Decodes, and if that works, checks that the value re-encodes to something that decodes to it again. */
function decodeOrProtocolError(bytes: Uint8Array): void {
  let apdu: Apdu;
  try {
    apdu = decodeApdu(bytes);
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    expect(e.offset).toBeGreaterThanOrEqual(0);
    expect(e.offset).toBeLessThanOrEqual(bytes.length);
    return;
  }
  expect(decodeApdu(encodeApdu(apdu))).toEqual(apdu);
}

const KNOWN_TAGS = [
  0x01, 0x08, 0x0e, 0x0f, 0x60, 0x61, 0x62, 0x63, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc7, 0xd8, 0xe0, 0x21, 0x28, 0xc8,
  0xcc, 0xdb, 0xdc, 0xdd,
];

const hdlc = JSON.parse(readFileSync(new URL('../../../../../shared/vectors/dlms-hdlc.json', import.meta.url), 'utf8')) as {
  frames: { hex: string }[];
  apdus: { hex: string }[];
  wrapper: { hex: string }[];
};
const security = JSON.parse(readFileSync(new URL('../../../../../shared/vectors/dlms-security.json', import.meta.url), 'utf8')) as {
  hls_gmac_session: { aarq_frame: string; aare_frame: string };
};
const fromFrame = (h: string): Uint8Array | undefined => {
  const f = fromHex(h);
  return f.length > 14 && f[8] === 0xe6 ? f.slice(11, f.length - 3) : undefined;
};
const VALID: Uint8Array[] = [
  ...hdlc.apdus.map((e) => fromHex(e.hex)),
  ...hdlc.wrapper.map((e) => fromHex(e.hex).slice(8)),
  ...hdlc.frames.map((e) => fromFrame(e.hex)).filter((b) => b !== undefined),
  fromFrame(security.hls_gmac_session.aarq_frame)!,
  fromFrame(security.hls_gmac_session.aare_frame)!,
];

type Mutation = { op: 'set' | 'insert' | 'delete' | 'truncate'; at: number; value: number };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('set' as const, 'insert' as const, 'delete' as const, 'truncate' as const),
  at: fc.nat(),
  value: fc.integer({ min: 0, max: 255 }),
});

function mutate(base: Uint8Array, mutations: Mutation[]): Uint8Array {
  let b = Array.from(base);
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1);
    if (m.op === 'set' && at < b.length) b[at] = m.value;
    else if (m.op === 'insert') b.splice(at, 0, m.value);
    else if (m.op === 'delete') b.splice(at, 1);
    else if (m.op === 'truncate') b = b.slice(0, at);
  }
  return Uint8Array.from(b);
}

describe('decodeApdu on hostile input', () => {
  it('arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), decodeOrProtocolError), { numRuns: 3000 });
  });
  it('arbitrary bytes behind a known tag', () => {
    fc.assert(
      fc.property(fc.constantFrom(...KNOWN_TAGS), fc.uint8Array({ maxLength: 200 }), (tag, rest) =>
        decodeOrProtocolError(concat([Uint8Array.of(tag), rest])),
      ),
      { numRuns: 5000 },
    );
  });
  it('mutated valid vectors', () => {
    fc.assert(
      fc.property(fc.constantFrom(...VALID), fc.array(mutation, { minLength: 1, maxLength: 4 }), (base, ms) =>
        decodeOrProtocolError(mutate(base, ms)),
      ),
      { numRuns: 5000 },
    );
  });
  it('mutated encodings of generated APDUs', () => {
    fc.assert(
      fc.property(fc.oneof(getApdu, setApdu, actionApdu, acseApdu, otherApdu), fc.array(mutation, { minLength: 1, maxLength: 3 }), (apdu, ms) =>
        decodeOrProtocolError(mutate(encodeApdu(apdu), ms)),
      ),
      { numRuns: 2000 },
    );
  });
});

describe('round trips', () => {
  const roundTrip = (apdu: Apdu) => {
    const bytes = encodeApdu(apdu);
    const back = decodeApdu(bytes);
    expect(back).toEqual(apdu);
    expect(encodeApdu(back)).toEqual(bytes);
  };
  it('GET requests and responses', () => fc.assert(fc.property(getApdu, roundTrip), { numRuns: 500 }));
  it('SET requests and responses', () => fc.assert(fc.property(setApdu, roundTrip), { numRuns: 500 }));
  it('ACTION requests and responses', () => fc.assert(fc.property(actionApdu, roundTrip), { numRuns: 500 }));
  it('ACSE APDUs', () => fc.assert(fc.property(acseApdu, roundTrip), { numRuns: 500 }));
  it('initiate, notifications, errors, block transfer', () => fc.assert(fc.property(otherApdu, roundTrip), { numRuns: 500 }));
});
