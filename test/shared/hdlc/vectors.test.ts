import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../../shared/bytes.js';
import { crc16x25 } from '../../../shared/hdlc/crc.js';
import { decodeFrame, encodeFrame } from '../../../shared/hdlc/frame.js';
import { formatControl } from '../../../shared/hdlc/control.js';
import { decodeParameters, encodeParameters } from '../../../shared/hdlc/parameters.js';

const vectors = JSON.parse(readFileSync(new URL('../../../../shared/vectors/dlms-hdlc.json', import.meta.url), 'utf8'));
const security = JSON.parse(readFileSync(new URL('../../../../shared/vectors/dlms-security.json', import.meta.url), 'utf8'));

describe('CRC-16/X.25', () => {
  it('gives the standard check value for "123456789"', () => {
    const crc = crc16x25(new TextEncoder().encode(vectors.crc16_x25_check.input_ascii));
    expect(crc.toString(16)).toBe(vectors.crc16_x25_check.crc);
    expect(hex(Uint8Array.of(crc & 0xff, crc >> 8))).toBe(vectors.crc16_x25_check.bytes_on_wire_little_endian);
  });
});

describe('HDLC frames from an independent implementation', () => {
  for (const v of vectors.frames) {
    it(`${v.name} decodes and re-encodes byte for byte`, () => {
      const bytes = fromHex(v.hex);
      const frame = decodeFrame(bytes);
      expect(hex(encodeFrame(frame))).toBe(v.hex);
      const fromClient = v.dir === 'client->server';
      const client = fromClient ? frame.src : frame.dest;
      const server = fromClient ? frame.dest : frame.src;
      expect(client.size).toBe(1);
      expect(server).toEqual({ logical: 1, physical: null, size: 1 });
      expect([16, 17]).toContain(client.logical);
      if (v.fields?.control) {
        const [code, ...words] = (v.fields.control as string).split(' ');
        const described = formatControl(frame.control);
        expect(described.split(' ')[0]).toBe(words[0]);
        expect(bytes[5 + 0]).toBe(parseInt(code, 16)); // dest 1 + src 1 after the 3-byte start
      }
      if (v.fields?.llc) expect(hex(frame.info.subarray(0, 3))).toBe('e6e600');
    });
  }

  it('reads the negotiated parameters from the UA: 128/128, window 1/1', () => {
    const ua = decodeFrame(fromHex(vectors.frames.find((f: { name: string }) => f.name.startsWith('UA')).hex));
    expect(ua.control.type).toBe('UA');
    const p = decodeParameters(ua.info);
    expect(p).toEqual({ maxInfoTx: 128, maxInfoRx: 128, windowTx: 1, windowRx: 1 });
    expect(hex(encodeParameters(p))).toBe(hex(ua.info));
  });

  it('knows the sequence numbers of the I-frames and RR polls', () => {
    const byName = (n: string) => decodeFrame(fromHex(vectors.frames.find((f: { name: string }) => f.name.startsWith(n)).hex));
    expect(byName('I-frame AARQ').control).toEqual({ type: 'I', ns: 0, nr: 0, pf: true });
    expect(byName('I-frame AARE').control).toEqual({ type: 'I', ns: 0, nr: 1, pf: true });
    expect(byName('RR N(R)=2').control).toEqual({ type: 'RR', nr: 2, pf: true });
    expect(byName('RR N(R)=3').control).toEqual({ type: 'RR', nr: 3, pf: true });
    expect(byName('DISC').control).toEqual({ type: 'DISC', pf: true });
    expect(byName('SNRM').info.length).toBe(0);
  });

  it('decodes the HLS session frames (3-byte header with logical device 1 as 03)', () => {
    for (const key of ['aarq_frame', 'aare_frame', 'glo_get_request_frame']) {
      const bytes = fromHex(security.hls_gmac_session[key]);
      const frame = decodeFrame(bytes);
      expect(hex(encodeFrame(frame))).toBe(security.hls_gmac_session[key]);
      expect(frame.control.type).toBe('I');
    }
  });
});

describe('HDLC addressing', () => {
  it('encodes 2- and 4-byte server addresses with logical and physical parts', () => {
    const two = encodeFrame({ segmented: false, dest: { logical: 1, physical: 17, size: 2 }, src: { logical: 16, physical: null, size: 1 }, control: { type: 'SNRM', pf: true }, info: new Uint8Array(0) });
    expect(hex(two.subarray(3, 6))).toBe('022321');
    const four = encodeFrame({ segmented: false, dest: { logical: 1, physical: 0x3fff, size: 4 }, src: { logical: 1, physical: null, size: 1 }, control: { type: 'SNRM', pf: true }, info: new Uint8Array(0) });
    expect(hex(four.subarray(3, 8))).toBe('0002feff03');
    expect(decodeFrame(four).dest).toEqual({ logical: 1, physical: 0x3fff, size: 4 });
    expect(decodeFrame(two).dest).toEqual({ logical: 1, physical: 17, size: 2 });
  });

  it('rejects bad frames with a ProtocolError that says where', () => {
    const good = fromHex(vectors.frames[0].hex);
    const badFcs = good.slice();
    badFcs[badFcs.length - 2] ^= 1;
    expect(() => decodeFrame(badFcs)).toThrow(/FCS/);
    const badFormat = good.slice();
    badFormat[1] = 0x80;
    expect(() => decodeFrame(badFormat)).toThrow(/type A/);
  });
});
