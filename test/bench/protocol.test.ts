// The wire bytes bench/protocol times must be a faithful block-transfer GET: checked here
// once through the client link (what the bench times) and once by hand, frame by frame,
// so a builder bug cannot make the bench measure the wrong thing. No timing here.
import { describe, expect, it } from 'vitest';
import { buildProfileWire, connectClient, receiveProfile } from '../../bench/lib/profile-wire.js';
import { concat, hex } from '../../shared/bytes.js';
import { decodeData } from '../../shared/dlms/axdr.js';
import { decodeApdu } from '../../shared/dlms/apdu/index.js';
import { crc16x25 } from '../../shared/hdlc/crc.js';
import { decodeFrame } from '../../shared/hdlc/frame.js';

/** Reassembles the frames without HdlcClientLink: info fields up to a frame without the segmentation bit. */
function blocksByHand(frames: Uint8Array[]): { apdus: Uint8Array[]; maxInfo: number } {
  const apdus: Uint8Array[] = [];
  let parts: Uint8Array[] = [];
  let maxInfo = 0;
  let ns = 0;
  for (const bytes of frames) {
    const f = decodeFrame(bytes);
    if (f.control.type !== 'I') throw new Error(`a ${f.control.type} frame in the response`);
    expect(f.control.ns).toBe(ns); // window 1, in order, nothing repeated
    ns = (ns + 1) & 7;
    maxInfo = Math.max(maxInfo, f.info.length);
    parts.push(f.info);
    if (f.segmented) continue;
    const whole = concat(parts);
    parts = [];
    expect(hex(whole.subarray(0, 3))).toBe('e6e700');
    apdus.push(whole.subarray(3));
  }
  expect(parts).toHaveLength(0);
  return { apdus, maxInfo };
}

describe('bench/protocol wire bytes', () => {
  for (const options of [{}, { rows: 100, maxPdu: 512 }]) {
    it(`decode back to the rows that were encoded (${JSON.stringify(options)})`, () => {
      const wire = buildProfileWire(options);
      const rows = options.rows ?? 1000;
      const maxPdu = options.maxPdu ?? 1024;
      expect(wire.profile.type === 'array' && wire.profile.value).toHaveLength(rows);

      // What the bench times: HdlcClientLink + decodeApdu + decodeData.
      expect(receiveProfile(wire, connectClient(wire))).toEqual(wire.profile);

      // The same bytes, taken apart independently.
      const { apdus, maxInfo } = blocksByHand(wire.frames);
      expect(maxInfo).toBe(128);
      expect(apdus).toHaveLength(wire.blocks);
      const raw: Uint8Array[] = [];
      apdus.forEach((bytes, i) => {
        expect(bytes.length).toBeLessThanOrEqual(maxPdu);
        const apdu = decodeApdu(bytes);
        if (apdu.kind !== 'GetResponseWithDatablock' || apdu.result.kind !== 'raw-data') throw new Error(apdu.kind);
        expect(apdu.blockNumber).toBe(i + 1);
        expect(apdu.lastBlock).toBe(i === apdus.length - 1);
        raw.push(apdu.result.rawData);
      });
      expect(hex(concat(raw))).toBe(hex(wire.data));
      expect(decodeData(wire.data)).toEqual(wire.profile);
      expect(wire.wireBytes).toBe(wire.frames.reduce((n, f) => n + f.length, 0));
    });
  }

  it('rows are realistic: clock, status and four rising energy registers', () => {
    const wire = buildProfileWire({ rows: 10 });
    if (wire.profile.type !== 'array') throw new Error('not an array');
    let last = -1;
    for (const row of wire.profile.value) {
      if (row.type !== 'structure') throw new Error('row is not a structure');
      expect(row.value.map((c) => c.type)).toEqual(['octet-string', 'unsigned', ...Array(4).fill('double-long-unsigned')]);
      const imp = row.value[2];
      if (imp.type !== 'double-long-unsigned') throw new Error(imp.type);
      expect(imp.value).toBeGreaterThanOrEqual(last);
      last = imp.value;
    }
  });

  it('the four-bytes-a-step CRC the hot path uses equals the byte-at-a-time definition', () => {
    const reference = (b: Uint8Array, start: number, end: number): number => {
      let crc = 0xffff;
      for (let i = start; i < end; i++) {
        crc ^= b[i];
        for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x8408 : crc >>> 1;
      }
      return crc ^ 0xffff;
    };
    const bytes = Uint8Array.from({ length: 64 }, (_, i) => (i * 97 + 13) & 0xff);
    for (let start = 0; start < 5; start++) {
      for (let end = start; end <= bytes.length; end++) expect(crc16x25(bytes, start, end)).toBe(reference(bytes, start, end));
    }
  });
});
