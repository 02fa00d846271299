import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, hex } from '../../../../shared/bytes.js';
import { ProtocolError, SecurityError } from '../../../../shared/errors.js';
import { unwrapKey, wrapKey } from '../../../../shared/dlms/security/key-wrap.js';

const kek = fromHex('000102030405060708090A0B0C0D0E0F');
const keyData = fromHex('00112233445566778899AABBCCDDEEFF');
const wrapped = fromHex('1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5');

describe('AES key wrap (RFC 3394)', () => {
  it('section 4.1: 128-bit key data with a 128-bit KEK', () => {
    expect(hex(wrapKey(kek, keyData))).toBe(hex(wrapped));
    expect(hex(unwrapKey(kek, wrapped))).toBe(hex(keyData));
  });

  it('section 4.6: 256-bit key data with a 256-bit KEK', () => {
    const kek256 = fromHex('000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F');
    const data256 = fromHex('00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F');
    const expected = '28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21';
    expect(hex(wrapKey(kek256, data256))).toBe(expected);
    expect(hex(unwrapKey(kek256, fromHex(expected)))).toBe(hex(data256));
  });

  it('a wrong KEK or an altered byte → SecurityError(decryption-failed)', () => {
    const wrongKek = kek.slice();
    wrongKek[15] ^= 1;
    expect(() => unwrapKey(wrongKek, wrapped)).toThrow(expect.objectContaining({ name: 'SecurityError', reason: 'decryption-failed' }));
    for (let i = 0; i < wrapped.length; i++) {
      const bad = wrapped.slice();
      bad[i] ^= 0x80;
      expect(() => unwrapKey(kek, bad)).toThrow(SecurityError);
    }
  });

  it('bad lengths: ProtocolError for received data, RangeError for caller mistakes', () => {
    expect(() => unwrapKey(kek, wrapped.subarray(0, 20), 7)).toThrow(expect.objectContaining({ name: 'ProtocolError', offset: 27 }));
    expect(() => unwrapKey(kek, wrapped.subarray(0, 16))).toThrow(ProtocolError);
    expect(() => wrapKey(kek, keyData.subarray(0, 12))).toThrow(RangeError);
    expect(() => wrapKey(kek.subarray(0, 10), keyData)).toThrow(RangeError);
  });

  it('property: wrap/unwrap round trip; arbitrary bytes unwrap to a value or a typed error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 2, max: 6 }), fc.uint8Array({ minLength: 48, maxLength: 48 }), (k, blocks, pool) => {
        const data = pool.subarray(0, blocks * 8);
        expect(hex(unwrapKey(k, wrapKey(k, data)))).toBe(hex(data));
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          unwrapKey(kek, bytes);
        } catch (e) {
          expect(e instanceof ProtocolError || e instanceof SecurityError).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
