// ACSE corners the captured sessions do not show: rejections, release with
// user-information, the rarely used components, and what is refused.
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../../../shared/bytes.js';
import { ProtocolError } from '../../../../shared/errors.js';
import {
  AcseServiceProviderDiagnostic,
  AcseServiceUserDiagnostic,
  AssociationResult,
  decodeAcseApdu,
  decodeApdu,
  encodeAcseApdu,
  encodeApdu,
  type AARE,
  type AARQ,
  type Apdu,
} from '../../../../shared/dlms/apdu/index.js';

const LN = 'a109060760857405080101';

function same(hexText: string, expected: Apdu): void {
  const bytes = fromHex(hexText);
  expect(decodeApdu(bytes)).toEqual(expected);
  expect(hex(encodeApdu(expected))).toBe(hex(bytes));
}

function offsetOf(hexText: string): number {
  try {
    decodeApdu(fromHex(hexText));
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    expect((e as ProtocolError).layer).toBe('acse');
    return (e as ProtocolError).offset;
  }
  throw new Error('decoded without error');
}

describe('AARE rejections', () => {
  it('rejected-permanent, no-reason-given, with a ConfirmedServiceError in user-information', () => {
    const bytes = '611f' + LN + 'a203020101' + 'a305a103020101' + 'be0604040e010601';
    const aare = decodeApdu(fromHex(bytes)) as AARE;
    expect(aare).toEqual({
      kind: 'AARE',
      applicationContextName: 1,
      result: AssociationResult['rejected-permanent'],
      resultSourceDiagnostic: { source: 'acse-service-user', diagnostic: AcseServiceUserDiagnostic['no-reason-given'] },
      userInformation: fromHex('0e010601'),
    });
    expect(decodeApdu(aare.userInformation!)).toEqual({ kind: 'ConfirmedServiceError', service: 1, errorType: 6, value: 1 });
    expect(hex(encodeApdu(aare))).toBe(bytes);
  });
  it('LLS with a wrong password: rejected-permanent, authentication-failure', () => {
    same('6117' + LN + 'a203020101' + 'a305a10302010d', {
      kind: 'AARE',
      applicationContextName: 1,
      result: 1,
      resultSourceDiagnostic: { source: 'acse-service-user', diagnostic: AcseServiceUserDiagnostic['authentication-failure'] },
    });
  });
  it('acse-service-provider diagnostic, application context not supported', () => {
    same('6117' + 'a109060760857405080102' + 'a203020102' + 'a305a203020102', {
      kind: 'AARE',
      applicationContextName: 2,
      result: AssociationResult['rejected-transient'],
      resultSourceDiagnostic: { source: 'acse-service-provider', diagnostic: AcseServiceProviderDiagnostic['no-common-acse-version'] },
    });
  });
});

describe('AARQ components', () => {
  it('keeps protocol-version, called/calling titles, qualifiers, invocation ids, bitstring authentication and implementation-information', () => {
    const aarq: AARQ = {
      kind: 'AARQ',
      protocolVersion: { length: 1, bytes: fromHex('80') },
      applicationContextName: 3,
      calledApTitle: fromHex('4142434445464748'),
      calledAeQualifier: fromHex('01'),
      calledApInvocationId: 5,
      calledAeInvocationId: -2,
      callingApTitle: fromHex('4775727578313233'),
      callingAeQualifier: fromHex('3082010a'),
      callingApInvocationId: 300,
      callingAeInvocationId: 0,
      senderAcseRequirements: { authentication: true },
      mechanismName: 7,
      callingAuthenticationValue: { kind: 'bitstring', value: { length: 12, bytes: fromHex('abc0') } },
      implementationInformation: fromHex('47757275'),
      userInformation: fromHex('01000000065f1f0400401e1dffff'),
    };
    const bytes = encodeAcseApdu(aarq);
    expect(hex(bytes).startsWith('60')).toBe(true);
    expect(hex(bytes)).toContain('800207 80'.replace(' ', ''));
    expect(hex(bytes)).toContain('a9030201' + '00');
    expect(hex(bytes)).toContain('a8040202012c');
    expect(hex(bytes)).toContain('a5030201fe');
    expect(hex(bytes)).toContain('ac05810304abc0');
    expect(decodeAcseApdu(bytes)).toEqual(aarq);
  });
  it('long user-information uses the long length form', () => {
    const big = new Uint8Array(300).fill(7);
    const aarq: AARQ = { kind: 'AARQ', applicationContextName: 3, userInformation: big };
    const bytes = encodeApdu(aarq);
    expect(hex(bytes.subarray(0, 3))).toBe('608201');
    expect(decodeApdu(bytes)).toEqual(aarq);
  });
});

describe('release', () => {
  it('RLRQ with a ciphered InitiateRequest in user-information, empty RLRE', () => {
    const glo = '211f300000001e602f865aabc1853db4a7e77b55f6e97900c3b39d2077db1e87f6';
    same('6227' + '800100' + 'be22' + '0420' + glo.slice(0, 64), {
      kind: 'RLRQ',
      reason: 0,
      userInformation: fromHex(glo.slice(0, 64)),
    });
    same('6300', { kind: 'RLRE' });
    same('6203800101', { kind: 'RLRQ', reason: 1 });
  });
});

describe('refused structure', () => {
  it('a missing application-context-name', () => {
    expect(offsetOf('6000')).toBe(0);
  });
  it('components out of order or repeated', () => {
    // user-information before the application context
    expect(offsetOf('601d' + 'be10040e01000000065f1f0400401e1dffff' + LN)).toBe(20);
    expect(offsetOf('6016' + LN + LN)).toBe(13);
  });
  it('an unknown component, OID or authentication-value choice', () => {
    expect(offsetOf('600d' + LN + '8d00')).toBe(13);
    expect(offsetOf('600b' + 'a109060760857405080201')).toBe(6); // a mechanism OID as context
    expect(offsetOf('6011' + LN + 'ac0482020000')).toBe(15);
  });
  it('lengths that run past their container, indefinite lengths, trailing bytes', () => {
    expect(offsetOf('600c' + LN)).toBe(1);
    expect(offsetOf('6080' + LN + '0000')).toBe(1);
    expect(offsetOf('600b' + LN + '00')).toBe(13);
    expect(offsetOf('600b' + 'a10a060760857405080101')).toBe(3);
  });
  it('AARE without result or diagnostic', () => {
    expect(offsetOf('610b' + LN)).toBe(0);
    expect(offsetOf('6110' + LN + 'a203020100')).toBe(0);
  });
});
