import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { concat, fromHex, hex } from '../../../../shared/bytes.js';
import { ProtocolError, SecurityError } from '../../../../shared/errors.js';
import {
  AuthenticationMechanism,
  HLS_GMAC_REPLY_LENGTH,
  SUPPORTED_MECHANISMS,
  checkLowLevelPassword,
  hlsGmacReply,
  mechanismFromOid,
  mechanismName,
  mechanismNameOid,
  verifyHlsGmacReply,
} from '../../../../shared/dlms/security/hls-gmac.js';
import { ReplayGuard, SendingCounter } from '../../../../shared/dlms/security/invocation-counter.js';
import { acseField, apduOfHdlcFrame, session as s } from './vectors.js';

const keys = { blockCipherKey: s.block_cipher_key, authenticationKey: s.authentication_key };

describe('mechanism names', () => {
  it('encodes 2.16.756.5.8.2.x and reads the vectors’ AARQ/AARE mechanism 5', () => {
    expect(hex(mechanismNameOid(AuthenticationMechanism.highGmac))).toBe('60857405080205');
    const aarq = apduOfHdlcFrame(s.aarq_frame);
    const aare = apduOfHdlcFrame(s.aare_frame);
    expect(mechanismFromOid(acseField(aarq, 0x8b))).toBe(AuthenticationMechanism.highGmac);
    expect(mechanismFromOid(acseField(aare, 0x89))).toBe(5);
    for (let id = 0; id <= 7; id++) {
      expect(mechanismFromOid(mechanismNameOid(id as 0))).toBe(id);
    }
    expect(mechanismName(5)).toBe('HLS-GMAC');
    expect(SUPPORTED_MECHANISMS).toEqual([0, 1, 5]);
  });

  it('rejects other OIDs with a ProtocolError at the offending byte', () => {
    expect(() => mechanismFromOid(fromHex('60857405080108'))).toThrow(ProtocolError); // an application context name
    expect(() => mechanismFromOid(fromHex('60857405080208'))).toThrow(/unknown authentication mechanism 8/);
    expect(() => mechanismFromOid(fromHex('608574'), 20)).toThrow(expect.objectContaining({ name: 'ProtocolError', offset: 23 }));
  });

  it('LLS password check', () => {
    expect(() => checkLowLevelPassword(fromHex('3132333435363738'), fromHex('3132333435363738'))).not.toThrow();
    for (const wrong of ['3132333435363739', '31323334', '']) {
      expect(() => checkLowLevelPassword(fromHex('3132333435363738'), fromHex(wrong))).toThrow(
        expect.objectContaining({ reason: 'wrong-password' }),
      );
    }
  });
});

describe('HLS-GMAC', () => {
  it('matches the standard’s example f(StoC) (Green Book, as used by jDLMS GmacTest)', () => {
    const reply = hlsGmacReply({
      blockCipherKey: fromHex('000102030405060708090A0B0C0D0E0F'),
      authenticationKey: fromHex('D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF'),
      challenge: new TextEncoder().encode('P6wRJ21F'),
      systemTitle: fromHex('4d4d4d0000000001'),
      invocationCounter: 1,
    });
    expect(hex(reply)).toBe('10000000011a52fe7dd3e72748973c1e28');
  });

  it('equals a GCM tag computed directly with node:crypto', () => {
    const challenge = fromHex('0011223344556677');
    const reply = hlsGmacReply({ ...keys, challenge, systemTitle: s.client_system_title, invocationCounter: 0x1f });
    const gcm = createCipheriv('aes-128-gcm', keys.blockCipherKey, concat([s.client_system_title, fromHex('0000001f')]), { authTagLength: 12 });
    gcm.setAAD(concat([Uint8Array.of(0x10), keys.authenticationKey, challenge]));
    gcm.final();
    expect(hex(reply)).toBe('100000001f' + gcm.getAuthTag().toString('hex'));
  });

  it('passes 3 and 4 over the vectors’ challenges: each side verifies the other', () => {
    const aarq = apduOfHdlcFrame(s.aarq_frame);
    const aare = apduOfHdlcFrame(s.aare_frame);
    // calling-authentication-value [12] / responding-authentication-value [10]: 80 len challenge
    const ctoS = acseField(aarq, 0xac).subarray(2);
    const stoC = acseField(aare, 0xaa).subarray(2);
    expect(ctoS.length).toBe(16);
    expect(stoC.length).toBe(16);

    const client = new SendingCounter(0x1f); // the AARQ used 0x1E
    const server = new SendingCounter(0x1e); // the AARE used 0x1D
    const guard = new ReplayGuard({ [hex(s.client_system_title)]: 0x1e });

    // Pass 3: client → server, f(StoC) under the client's title.
    const pass3 = hlsGmacReply({ ...keys, challenge: stoC, systemTitle: s.client_system_title, invocationCounter: client.take() });
    expect(pass3.length).toBe(HLS_GMAC_REPLY_LENGTH);
    const got3 = verifyHlsGmacReply({ ...keys, reply: pass3, challenge: stoC, peerSystemTitle: s.client_system_title });
    guard.accept(s.client_system_title, got3.invocationCounter);

    // Pass 4: server → client, f(CtoS) under the server's title.
    const pass4 = hlsGmacReply({ ...keys, challenge: ctoS, systemTitle: s.server_system_title, invocationCounter: server.take() });
    expect(verifyHlsGmacReply({ ...keys, reply: pass4, challenge: ctoS, peerSystemTitle: s.server_system_title })).toEqual({
      invocationCounter: 0x1e,
    });

    // Replaying pass 3 is stopped by the counter guard.
    expect(() => guard.accept(s.client_system_title, got3.invocationCounter)).toThrow(expect.objectContaining({ reason: 'replayed-counter' }));
  });

  it('fails with authentication-failed for a wrong key, wrong title, wrong challenge or altered reply', () => {
    const challenge = fromHex('0102030405060708');
    const reply = hlsGmacReply({ ...keys, challenge, systemTitle: s.client_system_title, invocationCounter: 7 });
    const verify = (over: object) => () =>
      verifyHlsGmacReply({ ...keys, reply, challenge, peerSystemTitle: s.client_system_title, ...over });
    const failed = expect.objectContaining({ name: 'SecurityError', reason: 'authentication-failed' });
    expect(verify({ authenticationKey: new Uint8Array(16) })).toThrow(failed);
    expect(verify({ blockCipherKey: new Uint8Array(16) })).toThrow(failed);
    expect(verify({ peerSystemTitle: s.server_system_title })).toThrow(failed);
    expect(verify({ challenge: fromHex('0102030405060709') })).toThrow(failed);
    const altered = reply.slice();
    altered[4] ^= 1; // the counter is inside the IV
    expect(verify({ reply: altered })).toThrow(failed);
  });

  it('malformed replies are ProtocolErrors with offsets', () => {
    const challenge = fromHex('0102030405060708');
    const reply = hlsGmacReply({ ...keys, challenge, systemTitle: s.client_system_title, invocationCounter: 7 });
    const verify = (r: Uint8Array) => () => verifyHlsGmacReply({ ...keys, reply: r, challenge, peerSystemTitle: s.client_system_title, base: 10 });
    expect(verify(reply.subarray(0, 10))).toThrow(expect.objectContaining({ name: 'ProtocolError', offset: 15 }));
    expect(verify(concat([reply, Uint8Array.of(0)]))).toThrow(expect.objectContaining({ name: 'ProtocolError', offset: 27 }));
    expect(verify(concat([Uint8Array.of(0x30), reply.subarray(1)]))).toThrow(expect.objectContaining({ name: 'ProtocolError', offset: 10 }));
  });

  it('any bytes as a reply → value or typed error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), (reply) => {
        try {
          verifyHlsGmacReply({ ...keys, reply, challenge: s.client_system_title, peerSystemTitle: s.client_system_title });
          expect.unreachable('random bytes must not verify');
        } catch (e) {
          expect(e instanceof ProtocolError || e instanceof SecurityError).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
