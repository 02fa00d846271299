import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { concat, hex } from '../../../../shared/bytes.js';
import { ProtocolError, SecurityError } from '../../../../shared/errors.js';
import {
  authenticationTag,
  parseSecurityControl,
  protect,
  securityControlByte,
  unprotect,
} from '../../../../shared/dlms/security/suite0.js';
import { greenBook as gb } from './vectors.js';

const keys = { blockCipherKey: gb.block_cipher_key, authenticationKey: gb.authentication_key };
const ic = 0x01234567;

function expectKind(fn: () => unknown): ProtocolError | SecurityError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProtocolError || e instanceof SecurityError) return e;
    throw e;
  }
  throw new Error('expected a throw');
}

describe('suite 0: Green Book example', () => {
  it('encrypts to the published ciphertext and tag', () => {
    const out = protect({
      ...keys,
      securityControl: 0x30,
      systemTitle: gb.system_title,
      invocationCounter: ic,
      plaintext: gb.plaintext_apdu,
    });
    expect(hex(out)).toBe(hex(concat([gb.security_control, gb.invocation_counter, gb.ciphertext, gb.tag])));
  });

  it('decrypts back to the plaintext APDU', () => {
    const protectedData = concat([gb.security_control, gb.invocation_counter, gb.ciphertext, gb.tag]);
    const out = unprotect({ ...keys, systemTitle: gb.system_title, protectedData });
    expect(out.securityControl).toBe(0x30);
    expect(out.invocationCounter).toBe(ic);
    expect(hex(out.plaintext)).toBe(hex(gb.plaintext_apdu));
  });

  it('encryption-only (0x20) yields the same ciphertext as 0x30, without a tag', () => {
    const out = protect({ ...keys, securityControl: 0x20, systemTitle: gb.system_title, invocationCounter: ic, plaintext: gb.plaintext_apdu });
    expect(hex(out)).toBe('2001234567' + hex(gb.ciphertext));
    expect(() => unprotect({ ...keys, systemTitle: gb.system_title, protectedData: out })).toThrow(/requires authentication/);
    const back = unprotect({ ...keys, systemTitle: gb.system_title, protectedData: out, requiredProtection: 0x20 });
    expect(hex(back.plaintext)).toBe(hex(gb.plaintext_apdu));
  });

  it('authentication-only (0x10) sends the plaintext and a GMAC over SC ‖ AK ‖ plaintext', () => {
    const out = protect({ ...keys, securityControl: 0x10, systemTitle: gb.system_title, invocationCounter: ic, plaintext: gb.plaintext_apdu });
    const tag = authenticationTag({ ...keys, securityControl: 0x10, systemTitle: gb.system_title, invocationCounter: ic, data: gb.plaintext_apdu });
    expect(hex(out)).toBe('1001234567' + hex(gb.plaintext_apdu) + hex(tag));
    const back = unprotect({ ...keys, systemTitle: gb.system_title, protectedData: out });
    expect(hex(back.plaintext)).toBe(hex(gb.plaintext_apdu));
  });
});

describe('suite 0: security control byte', () => {
  it('parses and rebuilds every bit', () => {
    for (let b = 0; b < 256; b++) expect(securityControlByte(parseSecurityControl(b))).toBe(b);
    expect(parseSecurityControl(0x30)).toEqual({ suite: 0, authentication: true, encryption: true, broadcastKey: false, compression: false });
    expect(parseSecurityControl(0x71).broadcastKey).toBe(true);
  });
});

describe('suite 0: failures', () => {
  const valid = protect({ ...keys, securityControl: 0x30, systemTitle: gb.system_title, invocationCounter: ic, plaintext: gb.plaintext_apdu });
  const authOnly = protect({ ...keys, securityControl: 0x10, systemTitle: gb.system_title, invocationCounter: ic, plaintext: gb.plaintext_apdu });
  const open = (protectedData: Uint8Array, over: Partial<typeof keys & { systemTitle: Uint8Array }> = {}) =>
    unprotect({ ...keys, systemTitle: gb.system_title, protectedData, ...over });

  it('wrong block cipher key, authentication key or system title → authentication-failed', () => {
    const wrong = new Uint8Array(16).fill(0x55);
    for (const over of [{ blockCipherKey: wrong }, { authenticationKey: wrong }, { systemTitle: new Uint8Array(8) }]) {
      const e = expectKind(() => open(valid, over));
      expect(e).toBeInstanceOf(SecurityError);
      expect((e as SecurityError).reason).toBe('authentication-failed');
      const e2 = expectKind(() => open(authOnly, over.blockCipherKey ? { authenticationKey: wrong } : over));
      expect((e2 as SecurityError).reason).toBe('authentication-failed');
    }
  });

  it('any flipped bit fails: after SC → authentication-failed; in SC → downgrade refused or unsupported', () => {
    for (let bit = 0; bit < valid.length * 8; bit++) {
      const bad = valid.slice();
      bad[bit >> 3] ^= 1 << (bit & 7);
      const e = expectKind(() => open(bad));
      expect(e).toBeInstanceOf(SecurityError);
      if (bit >= 8) expect((e as SecurityError).reason).toBe('authentication-failed');
    }
    // 0x30 → 0x20 would drop the tag: refused by the default policy.
    expect(expectKind(() => open(concat([Uint8Array.of(0x20), valid.subarray(1)])))).toMatchObject({ reason: 'rejected' });
    // Under a policy that demands encryption too, an authentication-only APDU is refused.
    expect(expectKind(() => unprotect({ ...keys, systemTitle: gb.system_title, protectedData: authOnly, requiredProtection: 0x30 }))).toMatchObject({ reason: 'rejected' });
  });

  it('truncated input → ProtocolError with the offset where bytes ran out', () => {
    const e0 = expectKind(() => open(new Uint8Array(0)));
    expect(e0).toBeInstanceOf(ProtocolError);
    expect((e0 as ProtocolError).offset).toBe(0);
    const e3 = expectKind(() => open(valid.subarray(0, 3), {}));
    expect(e3).toMatchObject({ name: 'ProtocolError', offset: 1, layer: 'cipher' });
    const e = expectKind(() => open(valid.subarray(0, 5 + 11)));
    expect(e).toMatchObject({ name: 'ProtocolError', offset: 5 });
    const based = expectKind(() => unprotect({ ...keys, systemTitle: gb.system_title, protectedData: valid.subarray(0, 2), base: 100 }));
    expect(based).toMatchObject({ name: 'ProtocolError', offset: 101 });
  });

  it('SC with no protection is malformed; other suites and compression are unsupported', () => {
    expect(expectKind(() => open(concat([Uint8Array.of(0x00), valid.subarray(1)])))).toMatchObject({ name: 'ProtocolError', offset: 0 });
    expect(expectKind(() => open(concat([Uint8Array.of(0x31), valid.subarray(1)])))).toMatchObject({ reason: 'unsupported' });
    expect(expectKind(() => open(concat([Uint8Array.of(0xb0), valid.subarray(1)])))).toMatchObject({ reason: 'unsupported' });
  });

  it('caller mistakes are RangeErrors, not peer errors', () => {
    expect(() => protect({ ...keys, blockCipherKey: new Uint8Array(15), securityControl: 0x30, systemTitle: gb.system_title, invocationCounter: 1, plaintext: gb.plaintext_apdu })).toThrow(RangeError);
    expect(() => protect({ ...keys, securityControl: 0x30, systemTitle: gb.system_title, invocationCounter: 2 ** 32, plaintext: gb.plaintext_apdu })).toThrow(RangeError);
    expect(() => protect({ ...keys, securityControl: 0x00, systemTitle: gb.system_title, invocationCounter: 1, plaintext: gb.plaintext_apdu })).toThrow(RangeError);
  });
});

describe('suite 0: properties', () => {
  const key = fc.uint8Array({ minLength: 16, maxLength: 16 });
  const title = fc.uint8Array({ minLength: 8, maxLength: 8 });

  it('protect then unprotect gives the plaintext back', () => {
    fc.assert(
      fc.property(key, key, title, fc.constantFrom(0x10, 0x20, 0x30, 0x50, 0x70), fc.nat({ max: 0xffffffff }), fc.uint8Array({ maxLength: 300 }),
        (blockCipherKey, authenticationKey, systemTitle, securityControl, invocationCounter, plaintext) => {
          const p = protect({ blockCipherKey, authenticationKey, systemTitle, securityControl, invocationCounter, plaintext });
          const back = unprotect({ blockCipherKey, authenticationKey, systemTitle, protectedData: p, requiredProtection: 0 });
          expect(back).toEqual({ securityControl, invocationCounter, plaintext });
        }),
    );
  });

  it('arbitrary bytes → a value, ProtocolError or SecurityError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(0, 0x10, 0x20, 0x30), (protectedData, requiredProtection) => {
        try {
          unprotect({ ...keys, systemTitle: gb.system_title, protectedData, requiredProtection });
        } catch (e) {
          expect(e instanceof ProtocolError || e instanceof SecurityError).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('mutated valid encodings never authenticate and fail only with typed errors', () => {
    const valid = concat([gb.security_control, gb.invocation_counter, gb.ciphertext, gb.tag]);
    fc.assert(
      fc.property(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 1, max: 255 }), fc.nat({ max: valid.length }), (at, xor, cut) => {
        const bad = valid.slice(0, Math.max(cut, at + 1));
        bad[at] ^= xor;
        try {
          unprotect({ ...keys, systemTitle: gb.system_title, protectedData: bad });
          expect.unreachable('a tampered APDU must not be accepted');
        } catch (e) {
          expect(e instanceof ProtocolError || e instanceof SecurityError).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
