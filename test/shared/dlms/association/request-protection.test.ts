// The server enforces the protection its security policy demands of requests (the meter
// simulator's security setup advertises security_policy 0x6C: authenticated and encrypted
// requests and responses). Found by hand against Gurux.DLMS.Python 1.0.197: its client run
// with `-a HighGMac -C Authentication` protects the InitiateRequest in the AARQ with SC 0x10
// (authentication only), and our server used to accept it, then answer ciphered.
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../../../shared/bytes.js';
import { decodeApdu, encodeApdu, ServiceError } from '../../../../shared/dlms/apdu/index.js';
import type { CosemServerObjects } from '../../../../shared/dlms/association/server-objects.js';
import { ServerAssociation, type ServerAssociationConfig } from '../../../../shared/dlms/association/server.js';
import { ClientAssociation } from '../../../../shared/dlms/association/client.js';
import { AccessError } from '../../../../shared/errors.js';
import { wrapCipheredApdu } from '../../../../shared/dlms/security/ciphered-apdu.js';
import { ReplayGuard, SendingCounter } from '../../../../shared/dlms/security/invocation-counter.js';
import { parseObis } from '../../../../shared/dlms/obis.js';
import { decodeFrame } from '../../../../shared/hdlc/frame.js';
import { Stack } from './stack.js';

// Gurux default keys, as both sides used them in the session the frames come from.
const ek = fromHex('000102030405060708090A0B0C0D0E0F');
const ak = fromHex('D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF');
const guruxTitle = fromHex('4775727578313233');
const meterTitle = fromHex('53494D2CE0F39F19');

// AARQ frames Gurux's client put on the wire to the meter simulator (client 1, physical 17):
// HLS-GMAC, challenge in calling-authentication-value, ciphered InitiateRequest in user-information.
const AARQ_SC30 =
  '7EA06C022303100E4EE6E600605DA109060760857405080103A60A040847757275783132338A0207808B0760857405080205AC12801098D6DEDC1F40' +
  '25640F61942B0E824219BE230421211F3000000001EA138F2D9AF42F0EC616AA87FE11DB55FBDB5707AF2AB66EB8BE3E3A7E';
// The same with SC 0x10: the InitiateRequest (01 00 00 00 06 5F 1F 04 00 40 1E 5D FF FF) travels in clear, with a GMAC tag.
const AARQ_SC10 =
  '7EA06C022303100E4EE6E600605DA109060760857405080103A60A040847757275783132338A0207808B0760857405080205AC128010B58649E070' +
  '187C8B23F3EDF628B963DBBE230421211F100000020301000000065F1F0400401E5DFFFF8E02904BB5882AE373BE8274DC477E';
const apduOf = (frame: string) => decodeFrame(fromHex(frame)).info.subarray(3);

const nothing: CosemServerObjects = {
  get: () => ({ data: { type: 'long-unsigned', value: 230 } }),
  set: () => 3,
  action: () => ({ result: 3 }),
};

function server(): ServerAssociation {
  const config: ServerAssociationConfig = {
    objects: nothing,
    policy: (sap) => (sap === 1 ? { authentication: 'high-gmac', keys: { blockCipherKey: ek, authenticationKey: ak } } : undefined),
    systemTitle: meterTitle,
    counter: new SendingCounter(0),
    guard: new ReplayGuard(),
    challenge: () => new Uint8Array(16).fill(0x5a),
  };
  return new ServerAssociation(config, 1);
}

describe('requests protected less than the security policy demands', () => {
  it('accepts the AARQ whose InitiateRequest is authenticated and encrypted (SC 0x30)', () => {
    const aare = decodeApdu(server().receive(apduOf(AARQ_SC30), 0)!);
    expect(aare).toMatchObject({ kind: 'AARE', applicationContextName: 3, result: 0 });
  });

  it('refuses the AARQ whose InitiateRequest is only authenticated (SC 0x10): rejected-permanent, no ciphered context', () => {
    const s = server();
    const answer = s.receive(apduOf(AARQ_SC10), 0)!;
    const aare = decodeApdu(answer);
    expect(aare).toMatchObject({ kind: 'AARE', result: 1 });
    expect(aare.kind === 'AARE' && aare.userInformation).toBeFalsy();
    expect(s.state).toBe('idle');
    // Nothing may be served afterwards on the strength of that AARQ.
    const get = encodeApdu({ kind: 'GetRequestNormal', invokeId: 1, serviceClass: 'confirmed', priority: 'high', attribute: { classId: 1, instanceId: parseObis('0.0.42.0.0.255'), attributeId: 2 } });
    expect(decodeApdu(s.receive(get, 0)!)).toMatchObject({ kind: 'ExceptionResponse', stateError: 1 });
  });

  it('answers an xDLMS request downgraded to SC 0x10 inside an established association with exception-response deciphering-error', () => {
    const clientTitle = fromHex('4443550000000009');
    const key = (b: number) => Uint8Array.from({ length: 16 }, (_, i) => b + i);
    const stack = new Stack({
      clientSap: 1,
      client: { authentication: 'high-gmac', security: { systemTitle: clientTitle, blockCipherKey: key(0), authenticationKey: key(0xd0), counter: new SendingCounter(1), guard: new ReplayGuard() }, challenge: () => new Uint8Array(16).fill(1), maxReceivePduSize: 256 },
      server: {
        objects: nothing,
        policy: () => ({ authentication: 'high-gmac', keys: { blockCipherKey: key(0), authenticationKey: key(0xd0) } }),
        systemTitle: meterTitle,
        counter: new SendingCounter(100),
        guard: new ReplayGuard(),
        challenge: () => new Uint8Array(16).fill(2),
      },
    });
    stack.connect();
    expect(stack.run(stack.association.associate())).toMatchObject({ kind: 'done', result: { kind: 'associated' } });
    const get = encodeApdu({ kind: 'GetRequestNormal', invokeId: 1, serviceClass: 'confirmed', priority: 'high', attribute: { classId: 3, instanceId: parseObis('1.0.32.7.0.255'), attributeId: 2 } });
    const downgraded = wrapCipheredApdu(get, { securityControl: 0x10, systemTitle: clientTitle, invocationCounter: 1000, blockCipherKey: key(0), authenticationKey: key(0xd0) });
    expect(decodeApdu(stack.exchange(downgraded))).toEqual({ kind: 'ExceptionResponse', stateError: 1, serviceError: ServiceError['deciphering-error'] });
    // The same request with the protection the policy asks for is served.
    const proper = wrapCipheredApdu(get, { securityControl: 0x30, systemTitle: clientTitle, invocationCounter: 1001, blockCipherKey: key(0), authenticationKey: key(0xd0) });
    expect(stack.exchange(proper)[0]).toBe(0xcc); // glo-get-response
  });
});

describe('an exception-response explains itself', () => {
  it('names the errors and the counter a meter reports when it refuses our invocation counter in the AARQ', () => {
    // What the Gurux C server example (GuruxDLMS.c 9.0.2608.1701) answered to an AARQ whose
    // ciphered InitiateRequest carried invocation counter 1 after it had seen 10.
    const client = new ClientAssociation({ authentication: 'high-gmac', security: { systemTitle: guruxTitle, blockCipherKey: ek, authenticationKey: ak, counter: new SendingCounter(1), guard: new ReplayGuard() }, challenge: () => new Uint8Array(16) });
    client.associate();
    const step = client.receive(fromHex('D801060000000A'));
    expect(step.kind).toBe('fail');
    const error = (step as { error: Error }).error;
    expect(error).toBeInstanceOf(AccessError);
    expect(error.message).toBe('the meter answered with an exception-response (service-not-allowed, invocation-counter-error): it refused our invocation counter and reports 10; send a higher one');
  });
});
