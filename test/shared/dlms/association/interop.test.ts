// Our association state machines against the AARQ/AARE bytes an independent
// implementation (Gurux) put on the wire: same inputs must give the same bytes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../../../shared/bytes.js';
import { decodeApdu } from '../../../../shared/dlms/apdu/index.js';
import { ClientAssociation } from '../../../../shared/dlms/association/client.js';
import { ServerAssociation, type ServerAssociationConfig } from '../../../../shared/dlms/association/server.js';
import { ReplayGuard, SendingCounter } from '../../../../shared/dlms/security/invocation-counter.js';
import { decodeFrame } from '../../../../shared/hdlc/frame.js';

const hdlc = JSON.parse(readFileSync(new URL('../../../../../shared/vectors/dlms-hdlc.json', import.meta.url), 'utf8'));
const security = JSON.parse(readFileSync(new URL('../../../../../shared/vectors/dlms-security.json', import.meta.url), 'utf8'));
const frameApdu = (frameHex: string) => decodeFrame(fromHex(frameHex)).info.subarray(3);
const frameNamed = (prefix: string) => frameApdu(hdlc.frames.find((f: { name: string }) => f.name.startsWith(prefix)).hex);
const password = new TextEncoder().encode('Gurux');
const noChallenge = () => new Uint8Array(16);

describe('AARQ bytes equal an independent client for the same settings', () => {
  it('no security, client 16, conformance 0x401E1D', () => {
    const c = new ClientAssociation({ authentication: 'none', conformance: 0x401e1d, maxReceivePduSize: 0xffff, challenge: noChallenge });
    expect(hex(c.associate())).toBe(hex(frameNamed('I-frame AARQ')));
  });

  it('LLS password "Gurux", conformance 0x401E5D', () => {
    const c = new ClientAssociation({ authentication: 'low', password, conformance: 0x401e5d, maxReceivePduSize: 0xffff, challenge: noChallenge });
    expect(hex(c.associate())).toBe(hex(frameNamed('AARQ with low level security')));
  });

  it('HLS-GMAC with suite 0: ciphered context, system title, challenge and glo-initiateRequest', () => {
    const s = security.hls_gmac_session;
    const vectorAarq = frameApdu(s.aarq_frame);
    const parsed = decodeApdu(vectorAarq);
    if (parsed.kind !== 'AARQ' || parsed.callingAuthenticationValue?.kind !== 'charstring') throw new Error('vector AARQ unreadable');
    const challenge = parsed.callingAuthenticationValue.value;
    const c = new ClientAssociation({
      authentication: 'high-gmac',
      security: { systemTitle: fromHex(s.client_system_title), blockCipherKey: fromHex(s.block_cipher_key), authenticationKey: fromHex(s.authentication_key), counter: new SendingCounter(0x1e), guard: new ReplayGuard() },
      conformance: 0x401e5d,
      maxReceivePduSize: 0xffff,
      challenge: () => challenge,
    });
    expect(hex(c.associate())).toBe(hex(vectorAarq));
    // The independent server's AARE: accepted, authentication required, its challenge;
    // our client deciphers the glo-initiateResponse and answers with HLS pass 3.
    const step = c.receive(frameApdu(s.aare_frame));
    expect(step.kind).toBe('send');
    expect(c.negotiated).toEqual({ conformance: 0x001e1d, serverMaxReceivePduSize: 512, serverSystemTitle: fromHex(s.server_system_title) });
    expect((step as { apdu: Uint8Array }).apdu[0]).toBe(0xcb); // glo-action-request
  });
});

describe('our server answers the independent client AARQs', () => {
  const server = (policy: ServerAssociationConfig['policy']) =>
    new ServerAssociation({ objects: { get: () => ({ error: 4 }), set: () => 4, action: () => ({ result: 3 }) }, policy, systemTitle: fromHex('4142434445464748'), counter: new SendingCounter(0x1d), guard: new ReplayGuard(), challenge: () => new Uint8Array(16).fill(7), maxReceivePduSize: 512 }, 16);

  it('accepts the no-security AARQ', () => {
    const aare = decodeApdu(server(() => ({ authentication: 'none' })).receive(frameNamed('I-frame AARQ'), 0)!);
    expect(aare).toMatchObject({ kind: 'AARE', result: 0, applicationContextName: 1 });
  });

  it('accepts the LLS AARQ with the right password and rejects it with a wrong one', () => {
    const ok = decodeApdu(server(() => ({ authentication: 'low', password })).receive(frameNamed('AARQ with low level security'), 0)!);
    expect(ok).toMatchObject({ kind: 'AARE', result: 0 });
    const bad = decodeApdu(server(() => ({ authentication: 'low', password: new TextEncoder().encode('other') })).receive(frameNamed('AARQ with low level security'), 0)!);
    expect(bad).toMatchObject({ kind: 'AARE', result: 1, resultSourceDiagnostic: { source: 'acse-service-user', diagnostic: 13 } });
  });

  it('accepts the HLS-GMAC AARQ with the vector keys and asks for authentication', () => {
    const s = security.hls_gmac_session;
    const keys = { blockCipherKey: fromHex(s.block_cipher_key), authenticationKey: fromHex(s.authentication_key) };
    const aare = decodeApdu(server(() => ({ authentication: 'high-gmac', keys })).receive(frameApdu(s.aarq_frame), 0)!);
    expect(aare).toMatchObject({ kind: 'AARE', result: 0, applicationContextName: 3, resultSourceDiagnostic: { diagnostic: 14 }, mechanismName: 5 });
    expect(hex((aare as { respondingApTitle: Uint8Array }).respondingApTitle)).toBe(s.server_system_title);
  });
});
