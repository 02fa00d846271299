// Every APDU in the shared vectors decodes to what is written beside it and
// re-encodes byte for byte.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../../../shared/bytes.js';
import {
  AcseServiceUserDiagnostic,
  ApplicationContextName,
  AssociationResult,
  decodeApdu,
  encodeApdu,
  fromAccessDescriptor,
  MechanismName,
  ReleaseRequestReason,
  ReleaseResponseReason,
  type AARE,
  type AARQ,
  type Apdu,
  type InitiateRequest,
  type InitiateResponse,
} from '../../../../shared/dlms/apdu/index.js';

interface Entry {
  name: string;
  hex: string;
}
const hdlc = JSON.parse(readFileSync(new URL('../../../../../shared/vectors/dlms-hdlc.json', import.meta.url), 'utf8')) as {
  frames: Entry[];
  apdus: Entry[];
  wrapper: Entry[];
};
const security = JSON.parse(
  readFileSync(new URL('../../../../../shared/vectors/dlms-security.json', import.meta.url), 'utf8'),
) as { hls_gmac_session: { aarq_frame: string; aare_frame: string; client_system_title: string; server_system_title: string } };

/** The APDU of a one-byte-address HDLC I-frame: 8 header bytes (flag included), 3 LLC bytes, then FCS + flag. */
function apduOfFrame(frameHex: string): Uint8Array | undefined {
  const frame = fromHex(frameHex);
  if (frame.length < 14 || frame[8] !== 0xe6 || (frame[9] !== 0xe6 && frame[9] !== 0xe7) || frame[10] !== 0x00) return undefined;
  return frame.subarray(11, frame.length - 3);
}

const text = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : undefined);

function roundTrip(bytes: Uint8Array): Apdu {
  const apdu = decodeApdu(bytes);
  expect(hex(encodeApdu(apdu))).toBe(hex(bytes));
  return apdu;
}

function initiateRequestOf(a: AARQ): InitiateRequest {
  const inner = decodeApdu(a.userInformation!);
  expect(inner.kind).toBe('InitiateRequest');
  return inner as InitiateRequest;
}

function initiateResponseOf(a: AARE): InitiateResponse {
  const inner = decodeApdu(a.userInformation!);
  expect(inner.kind).toBe('InitiateResponse');
  return inner as InitiateResponse;
}

function expectPlainAarq(a: Apdu, conformance: number, password?: string): void {
  expect(a.kind).toBe('AARQ');
  const aarq = a as AARQ;
  expect(aarq.applicationContextName).toBe(ApplicationContextName['logical-name']);
  if (password === undefined) {
    expect(aarq.mechanismName).toBeUndefined();
    expect(aarq.callingAuthenticationValue).toBeUndefined();
  } else {
    expect(aarq.senderAcseRequirements).toEqual({ authentication: true });
    expect(aarq.mechanismName).toBe(MechanismName.low);
    expect(aarq.callingAuthenticationValue?.kind).toBe('charstring');
    expect(text(aarq.callingAuthenticationValue?.value as Uint8Array)).toBe(password);
  }
  const init = initiateRequestOf(aarq);
  expect(init).toMatchObject({ responseAllowed: true, proposedDlmsVersionNumber: 6, proposedConformance: conformance, clientMaxReceivePduSize: 0xffff });
  expect(init.dedicatedKey).toBeUndefined();
  expect(init.proposedQualityOfService).toBeUndefined();
}

function expectAcceptedAare(a: Apdu, conformance: number): void {
  expect(a.kind).toBe('AARE');
  const aare = a as AARE;
  expect(aare.applicationContextName).toBe(ApplicationContextName['logical-name']);
  expect(aare.result).toBe(AssociationResult.accepted);
  expect(aare.resultSourceDiagnostic).toEqual({ source: 'acse-service-user', diagnostic: AcseServiceUserDiagnostic.null });
  expect(initiateResponseOf(aare)).toEqual({
    kind: 'InitiateResponse',
    negotiatedDlmsVersionNumber: 6,
    negotiatedConformance: conformance,
    serverMaxReceivePduSize: 512,
    vaaName: 7,
  });
}

const invoke = { invokeId: 1, serviceClass: 'confirmed', priority: 'high' } as const;

const frameMeaning: Record<string, (a: Apdu) => void> = {
  'I-frame AARQ, no security, LN referencing': (a) => expectPlainAarq(a, 0x401e1d),
  'I-frame AARE accepted': (a) => expectAcceptedAare(a, 0x000010),
  "AARQ with low level security (password 'Gurux'), client SAP 17": (a) => expectPlainAarq(a, 0x401e5d, 'Gurux'),
  'AARE accepted for SAP 17': (a) => expectAcceptedAare(a, 0x001e1d),
  'GET-Request-Normal clock 0.0.1.0.0.255 attribute 2': (a) =>
    expect(a).toEqual({ kind: 'GetRequestNormal', ...invoke, attribute: { classId: 8, instanceId: '0.0.1.0.0.255', attributeId: 2 } }),
  'GET-Response-Normal clock value': (a) =>
    expect(a).toEqual({
      kind: 'GetResponseNormal',
      ...invoke,
      result: { kind: 'data', data: { type: 'octet-string', value: fromHex('07ea0b150617391400000000') } },
    }),
  'GET association view 0.0.40.0.0.255 attribute 2 (answer comes segmented)': (a) =>
    expect(a).toEqual({ kind: 'GetRequestNormal', ...invoke, attribute: { classId: 15, instanceId: '0.0.40.0.0.255', attributeId: 2 } }),
  'GET-Request-Next block 1 (SAP 17)': (a) => expect(a).toEqual({ kind: 'GetRequestNext', ...invoke, blockNumber: 1 }),
  'RLRQ reason normal': (a) => expect(a).toEqual({ kind: 'RLRQ', reason: ReleaseRequestReason.normal }),
  'RLRE normal': (a) => expect(a).toEqual({ kind: 'RLRE', reason: ReleaseResponseReason.normal }),
};

describe('APDUs inside the HDLC frames of dlms-hdlc.json', () => {
  const withApdu = hdlc.frames.filter((f) => apduOfFrame(f.hex) !== undefined);
  it('finds the I-frames that carry one', () => {
    expect(withApdu.map((f) => f.name).sort()).toEqual(Object.keys(frameMeaning).sort());
  });
  for (const f of withApdu) {
    it(f.name, () => frameMeaning[f.name](roundTrip(apduOfFrame(f.hex)!)));
  }
});

const capture = (classId: number, ln: string) => ({
  type: 'structure',
  value: [
    { type: 'long-unsigned', value: classId },
    { type: 'octet-string', value: fromHex(ln) },
    { type: 'integer', value: 2 },
    { type: 'long-unsigned', value: 0 },
  ],
});

const apduMeaning: Record<string, (a: Apdu) => void> = {
  'GET-Request-Normal profile 1.0.99.1.0.255 attr 2, selective access by entry, entries 1..3, all columns': (a) => {
    expect(a).toMatchObject({ kind: 'GetRequestNormal', ...invoke, attribute: { classId: 7, instanceId: '1.0.99.1.0.255', attributeId: 2 } });
    if (a.kind !== 'GetRequestNormal' || !a.access) throw new Error('no access selection');
    expect(fromAccessDescriptor(a.access)).toEqual({
      selector: 2,
      entry: { fromEntry: 1, toEntry: 3, fromSelectedValue: 1, toSelectedValue: 0 },
    });
  },
  'GET-Response-Normal profile capture objects (attr 3)': (a) =>
    expect(a).toEqual({
      kind: 'GetResponseNormal',
      ...invoke,
      result: { kind: 'data', data: { type: 'array', value: [capture(8, '0000010000ff'), capture(3, '0101151900ff')] } },
    }),
  'ACTION-Request-Normal profile capture (method 2, integer 0)': (a) =>
    expect(a).toEqual({
      kind: 'ActionRequestNormal',
      ...invoke,
      method: { classId: 7, instanceId: '1.0.99.1.0.255', methodId: 2 },
      parameters: { type: 'integer', value: 0 },
    }),
  'ACTION-Response-Normal success': (a) => expect(a).toEqual({ kind: 'ActionResponseNormal', ...invoke, result: 0 }),
};

describe('the apdus section of dlms-hdlc.json', () => {
  it('has a meaning for each', () => expect(hdlc.apdus.map((e) => e.name).sort()).toEqual(Object.keys(apduMeaning).sort()));
  for (const e of hdlc.apdus) it(e.name, () => apduMeaning[e.name](roundTrip(fromHex(e.hex))));
});

describe('APDUs inside the wrapper section of dlms-hdlc.json', () => {
  const meanings = [
    (a: Apdu) => expectPlainAarq(a, 0x401e1d, 'Gurux'),
    (a: Apdu) => expectAcceptedAare(a, 0x001e1d),
    (a: Apdu) => expect(a).toEqual({ kind: 'RLRQ', reason: 0 }),
  ];
  hdlc.wrapper.forEach((e, i) => {
    it(e.name, () => {
      const pdu = fromHex(e.hex);
      const length = (pdu[6] << 8) | pdu[7];
      const apdu = pdu.subarray(8);
      expect(apdu.length).toBe(length);
      meanings[i](roundTrip(apdu));
    });
  });
});

describe('HLS-GMAC session AARQ/AARE of dlms-security.json', () => {
  const s = security.hls_gmac_session;
  const apduOf = (frame: string) => fromHex(frame).subarray(11, fromHex(frame).length - 3);

  it('AARQ: ciphered LN context, calling AP title, mechanism 5, CtoS challenge, glo-initiateRequest', () => {
    const a = roundTrip(apduOf(s.aarq_frame));
    if (a.kind !== 'AARQ') throw new Error(a.kind);
    expect(a.applicationContextName).toBe(ApplicationContextName['logical-name-ciphered']);
    expect(hex(a.callingApTitle!)).toBe(s.client_system_title);
    expect(a.senderAcseRequirements).toEqual({ authentication: true });
    expect(a.mechanismName).toBe(MechanismName['high-gmac']);
    expect(a.callingAuthenticationValue?.kind).toBe('charstring');
    expect(a.callingAuthenticationValue?.value).toHaveLength(16);
    const inner = decodeApdu(a.userInformation!);
    expect(inner).toMatchObject({ kind: 'Ciphered', tag: 0x21 });
    expect(hex(a.userInformation!.subarray(2, 7))).toBe('300000001e'); // SC 0x30, IC 0x1E
  });

  it('AARE: accepted, authentication-required, responding AP title, StoC challenge, glo-initiateResponse', () => {
    const a = roundTrip(apduOf(s.aare_frame));
    if (a.kind !== 'AARE') throw new Error(a.kind);
    expect(a.applicationContextName).toBe(ApplicationContextName['logical-name-ciphered']);
    expect(a.result).toBe(AssociationResult.accepted);
    expect(a.resultSourceDiagnostic).toEqual({
      source: 'acse-service-user',
      diagnostic: AcseServiceUserDiagnostic['authentication-required'],
    });
    expect(hex(a.respondingApTitle!)).toBe(s.server_system_title);
    expect(a.responderAcseRequirements).toEqual({ authentication: true });
    expect(a.mechanismName).toBe(MechanismName['high-gmac']);
    expect(a.respondingAuthenticationValue?.kind).toBe('charstring');
    expect(a.respondingAuthenticationValue?.value).toHaveLength(16);
    expect(decodeApdu(a.userInformation!)).toMatchObject({ kind: 'Ciphered', tag: 0x28 });
  });
});
