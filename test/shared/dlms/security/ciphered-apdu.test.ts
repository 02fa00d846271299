import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hex } from '../../../../shared/bytes.js';
import { ProtocolError, SecurityError } from '../../../../shared/errors.js';
import {
  CipheredTag,
  PlainTag,
  dedTagFor,
  gloTagFor,
  isCipheredTag,
  openCipheredApdu,
  parseCipheredApdu,
  plainTagFor,
  unwrapCipheredApdu,
  wrapCipheredApdu,
  wrapGeneralCiphering,
} from '../../../../shared/dlms/security/ciphered-apdu.js';
import { ReplayGuard } from '../../../../shared/dlms/security/invocation-counter.js';
import { apduOfHdlcFrame, greenBook as gb, session as s, userInformation } from './vectors.js';

const gbKeys = { blockCipherKey: gb.block_cipher_key, authenticationKey: gb.authentication_key };
const sKeys = { blockCipherKey: s.block_cipher_key, authenticationKey: s.authentication_key };

function typedFailure(fn: () => unknown): ProtocolError | SecurityError | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (e instanceof ProtocolError || e instanceof SecurityError) return e;
    throw e;
  }
}

describe('tag table', () => {
  it('maps plain tags to the Green Book glo/ded tags and back', () => {
    const table: Array<[number, number, number]> = [
      [PlainTag.initiateRequest, 0x21, 0x41],
      [PlainTag.readRequest, 0x25, 0x45],
      [PlainTag.writeRequest, 0x26, 0x46],
      [PlainTag.initiateResponse, 0x28, 0x48],
      [PlainTag.readResponse, 0x2c, 0x4c],
      [PlainTag.writeResponse, 0x2d, 0x4d],
      [PlainTag.confirmedServiceError, 0x2e, 0x4e],
      [PlainTag.unconfirmedWriteRequest, 0x36, 0x56],
      [PlainTag.informationReportRequest, 0x38, 0x58],
      [PlainTag.getRequest, 0xc8, 0xd0],
      [PlainTag.setRequest, 0xc9, 0xd1],
      [PlainTag.eventNotificationRequest, 0xca, 0xd2],
      [PlainTag.actionRequest, 0xcb, 0xd3],
      [PlainTag.getResponse, 0xcc, 0xd4],
      [PlainTag.setResponse, 0xcd, 0xd5],
      [PlainTag.actionResponse, 0xcf, 0xd7],
    ];
    for (const [plain, glo, ded] of table) {
      expect(gloTagFor(plain)).toBe(glo);
      expect(dedTagFor(plain)).toBe(ded);
      expect(plainTagFor(glo)).toEqual({ plainTag: plain, keyKind: 'glo' });
      expect(plainTagFor(ded)).toEqual({ plainTag: plain, keyKind: 'ded' });
    }
    expect(CipheredTag.gloConfirmedServiceError).toBe(0x2e);
    // Every other byte value is either not ciphered or one of the general forms.
    const known = new Set(table.flatMap(([, g, d]) => [g, d]));
    for (let t = 0; t < 256; t++) {
      if (!known.has(t)) expect(plainTagFor(t)).toBeUndefined();
      expect(isCipheredTag(t)).toBe(known.has(t) || t === 0xdb || t === 0xdc);
    }
    expect(gloTagFor(0x0f)).toBeUndefined(); // data-notification: general-glo-ciphering only
  });
});

describe('Green Book glo-get-request', () => {
  it('wraps to the published bytes and unwraps back', () => {
    const wrapped = wrapCipheredApdu(gb.plaintext_apdu, {
      ...gbKeys,
      securityControl: 0x30,
      systemTitle: gb.system_title,
      invocationCounter: 0x01234567,
    });
    expect(hex(wrapped)).toBe(hex(gb.glo_get_request));
    const open = unwrapCipheredApdu(gb.glo_get_request, { ...gbKeys, systemTitle: gb.system_title });
    expect(open).toMatchObject({ tag: 0xc8, keyKind: 'glo', securityControl: 0x30, invocationCounter: 0x01234567 });
    expect(hex(open.apdu)).toBe(hex(gb.plaintext_apdu));
  });
});

describe('HLS-GMAC session from an independent server', () => {
  it('decrypts the glo-initiateRequest in the AARQ with the client system title', () => {
    const aarq = apduOfHdlcFrame(s.aarq_frame);
    expect(aarq[0]).toBe(0x60);
    const glo = userInformation(aarq);
    expect(glo[0]).toBe(0x21);
    const parsed = parseCipheredApdu(glo);
    expect(parsed).toMatchObject({ form: 'service', plainTag: 0x01, securityControl: 0x30, invocationCounter: 0x1e });
    const open = openCipheredApdu(parsed, { ...sKeys, systemTitle: s.client_system_title });
    expect(open.apdu[0]).toBe(0x01);
    // InitiateRequest: no dedicated key, no response-allowed, no QoS, DLMS version 6, conformance block, max PDU size.
    expect(hex(open.apdu)).toBe('01000000065f1f0400401e5dffff');
    // Under the server's title it cannot verify: the IV belongs to the sender.
    expect(typedFailure(() => openCipheredApdu(parsed, { ...sKeys, systemTitle: s.server_system_title }))).toMatchObject({
      reason: 'authentication-failed',
    });
  });

  it('decrypts the glo-initiateResponse in the AARE with the server system title', () => {
    const aare = apduOfHdlcFrame(s.aare_frame);
    expect(aare[0]).toBe(0x61);
    const glo = userInformation(aare);
    expect(glo[0]).toBe(0x28);
    const open = unwrapCipheredApdu(glo, { ...sKeys, systemTitle: s.server_system_title });
    expect(open.invocationCounter).toBe(0x1d);
    expect(open.apdu[0]).toBe(0x08);
    expect(hex(open.apdu)).toBe('0800065f1f0400001e1d02000007');
  });

  it('decrypts the glo-get-request frame to the given plaintext, and a replay is refused', () => {
    const glo = apduOfHdlcFrame(s.glo_get_request_frame);
    const guard = new ReplayGuard();
    guard.accept(s.client_system_title, 0x1e); // the AARQ's counter
    const parsed = parseCipheredApdu(glo);
    guard.check(s.client_system_title, parsed.invocationCounter);
    const open = openCipheredApdu(parsed, { ...sKeys, systemTitle: s.client_system_title });
    guard.accept(s.client_system_title, open.invocationCounter);
    expect(hex(open.apdu)).toBe(hex(s.glo_get_request_plaintext));
    expect(() => guard.check(s.client_system_title, parseCipheredApdu(glo).invocationCounter)).toThrow(/replayed or stale/);
  });
});

describe('general-glo-ciphering', () => {
  const params = { ...sKeys, securityControl: 0x30, systemTitle: s.server_system_title, invocationCounter: 77 };
  const dataNotification = Uint8Array.from([0x0f, 0x00, 0x00, 0x00, 0x01, 0x00, 0x09, 0x02, 0x12, 0x34]);

  it('carries the system title, so the receiver needs none', () => {
    const wrapped = wrapGeneralCiphering(dataNotification, params);
    expect(hex(wrapped.subarray(0, 11))).toBe('db08' + hex(s.server_system_title) + '1b'); // 27 = SC+IC 5 + APDU 10 + tag 12
    const open = unwrapCipheredApdu(wrapped, sKeys);
    expect(hex(open.systemTitle)).toBe(hex(s.server_system_title));
    expect(open).toMatchObject({ tag: 0xdb, keyKind: 'glo', invocationCounter: 77 });
    expect(hex(open.apdu)).toBe(hex(dataNotification));
    expect(wrapGeneralCiphering(dataNotification, { ...params, keyKind: 'ded' })[0]).toBe(0xdc);
  });

  it('an empty system-title falls back to the known one, else refuses', () => {
    const wrapped = wrapGeneralCiphering(dataNotification, params);
    const noTitle = Uint8Array.from([0xdb, 0x00, ...wrapped.subarray(10)]);
    expect(hex(unwrapCipheredApdu(noTitle, { ...sKeys, systemTitle: s.server_system_title }).apdu)).toBe(hex(dataNotification));
    expect(typedFailure(() => unwrapCipheredApdu(noTitle, sKeys))).toMatchObject({ reason: 'rejected' });
  });

  it('a system-title that is not 8 bytes is malformed', () => {
    expect(typedFailure(() => parseCipheredApdu(Uint8Array.from([0xdb, 0x03, 1, 2, 3, 0x05, 0x30, 0, 0, 0, 1])))).toMatchObject({
      name: 'ProtocolError',
      offset: 1,
    });
  });
});

describe('ciphered APDU failures', () => {
  const valid = gb.glo_get_request;
  const open = (bytes: Uint8Array, base = 0) => unwrapCipheredApdu(bytes, { ...gbKeys, systemTitle: gb.system_title }, base);

  it('wrong key → authentication-failed', () => {
    expect(
      typedFailure(() => unwrapCipheredApdu(valid, { ...gbKeys, blockCipherKey: new Uint8Array(16), systemTitle: gb.system_title })),
    ).toMatchObject({ reason: 'authentication-failed' });
  });

  it('flipped ciphertext bit → authentication-failed', () => {
    const bad = valid.slice();
    bad[9] ^= 0x01;
    expect(typedFailure(() => open(bad))).toMatchObject({ reason: 'authentication-failed' });
  });

  it('truncation → ProtocolError with the offset', () => {
    expect(typedFailure(() => open(valid.subarray(0, 0)))).toMatchObject({ name: 'ProtocolError', offset: 0, layer: 'cipher' });
    // The length byte says 30 but only 10 follow: reported where the content starts.
    expect(typedFailure(() => open(valid.subarray(0, 12)))).toMatchObject({ name: 'ProtocolError', offset: 2 });
    expect(typedFailure(() => open(valid.subarray(0, 12), 40))).toMatchObject({ name: 'ProtocolError', offset: 42 });
    // A consistent length that leaves no room for the tag: reported inside the content.
    const short = Uint8Array.from([0xc8, 0x08, ...valid.subarray(2, 10)]);
    expect(typedFailure(() => open(short))).toMatchObject({ name: 'ProtocolError', offset: 7 });
  });

  it('trailing bytes and unknown tags → ProtocolError; general-ciphering → unsupported', () => {
    expect(typedFailure(() => open(Uint8Array.from([...valid, 0x00])))).toMatchObject({ name: 'ProtocolError', offset: valid.length });
    expect(typedFailure(() => open(Uint8Array.from([0xc0, ...valid.subarray(1)])))).toMatchObject({ name: 'ProtocolError', offset: 0 });
    expect(typedFailure(() => open(Uint8Array.from([0xdd, 0x00])))).toMatchObject({ reason: 'unsupported' });
  });

  it('an authenticated APDU of the wrong service for its tag → ProtocolError', () => {
    const lying = wrapCipheredApdu(gb.plaintext_apdu, { ...gbKeys, securityControl: 0x30, systemTitle: gb.system_title, invocationCounter: 5 });
    lying[0] = 0xc9; // glo-set-request around a get-request; the tag is outside the AAD
    expect(typedFailure(() => open(lying))).toMatchObject({ name: 'ProtocolError', offset: 7 });
  });
});

describe('ciphered APDU properties', () => {
  const isTyped = (e: unknown) => e instanceof ProtocolError || e instanceof SecurityError;
  const tags = fc.constantFrom(...Object.values(CipheredTag));

  it('arbitrary bytes → value or typed error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        try {
          unwrapCipheredApdu(bytes, { ...gbKeys, systemTitle: gb.system_title, requiredProtection: 0 });
        } catch (e) {
          expect(isTyped(e)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('plausible framing with random content → value or typed error', () => {
    fc.assert(
      fc.property(tags, fc.uint8Array({ maxLength: 60 }), fc.boolean(), (tag, body, withTitle) => {
        const inner = tag >= 0xdb ? [withTitle ? 8 : 0, ...(withTitle ? gb.system_title : []), body.length, ...body] : [body.length, ...body];
        try {
          unwrapCipheredApdu(Uint8Array.from([tag, ...inner]), { ...gbKeys, requiredProtection: 0 });
        } catch (e) {
          expect(isTyped(e)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('mutated valid encodings → typed error, never a silently accepted change', () => {
    const valids = [
      gb.glo_get_request,
      wrapGeneralCiphering(gb.plaintext_apdu, { ...gbKeys, securityControl: 0x30, systemTitle: gb.system_title, invocationCounter: 9 }),
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...valids),
        fc.array(fc.record({ at: fc.nat(), op: fc.constantFrom('xor', 'cut', 'insert', 'delete'), v: fc.integer({ min: 1, max: 255 }) }), {
          minLength: 1,
          maxLength: 4,
        }),
        (valid, edits) => {
          const bytes = Array.from(valid);
          for (const { at, op, v } of edits) {
            const i = bytes.length === 0 ? 0 : at % bytes.length;
            if (op === 'xor' && bytes.length) bytes[i] ^= v;
            else if (op === 'cut') bytes.length = i;
            else if (op === 'insert') bytes.splice(i, 0, v);
            else if (op === 'delete') bytes.splice(i, 1);
          }
          const mutated = Uint8Array.from(bytes);
          try {
            const open = unwrapCipheredApdu(mutated, { ...gbKeys, systemTitle: gb.system_title });
            // Only the outer tag is outside the AAD: a surviving APDU must carry the original plaintext.
            expect(hex(open.apdu)).toBe(hex(gb.plaintext_apdu));
          } catch (e) {
            expect(isTyped(e)).toBe(true);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
