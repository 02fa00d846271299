// xDLMS APDUs beyond the captured vectors: hand-assembled from the ASN.1 of
// IEC 62056-5-3, each decoded to its meaning and re-encoded byte for byte.
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../../../shared/bytes.js';
import { AccessError, ProtocolError } from '../../../../shared/errors.js';
import { parseObis } from '../../../../shared/dlms/obis.js';
import {
  ConformanceBit,
  conformanceFromNames,
  conformanceNames,
  DataAccessResult,
  dataAccessResultName,
  actionResultName,
  decodeApdu,
  encodeApdu,
  fromAccessDescriptor,
  hasConformance,
  invokeIdAndPriorityByte,
  longInvokeIdAndPriorityValue,
  parseInvokeIdAndPriority,
  parseLongInvokeIdAndPriority,
  toAccessDescriptor,
  type Apdu,
  type SelectiveAccess,
} from '../../../../shared/dlms/apdu/index.js';

const invoke = { invokeId: 1, serviceClass: 'confirmed', priority: 'high' } as const;
const clock = { classId: 8, instanceId: parseObis('0.0.1.0.0.255'), attributeId: 2 };

function same(hexText: string, expected: Apdu): void {
  const bytes = fromHex(hexText);
  expect(decodeApdu(bytes)).toEqual(expected);
  expect(hex(encodeApdu(expected))).toBe(hex(bytes));
}

function protocolError(hexText: string, offset?: number): ProtocolError {
  try {
    decodeApdu(fromHex(hexText));
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    if (offset !== undefined) expect((e as ProtocolError).offset).toBe(offset);
    return e as ProtocolError;
  }
  throw new Error(`decoded without error: ${hexText}`);
}

describe('invoke-id-and-priority', () => {
  it('0xC1 is invoke id 1, confirmed, high priority', () => {
    expect(parseInvokeIdAndPriority(0xc1)).toEqual(invoke);
    expect(invokeIdAndPriorityByte(invoke)).toBe(0xc1);
    expect(invokeIdAndPriorityByte({ invokeId: 15, serviceClass: 'unconfirmed', priority: 'normal' })).toBe(0x0f);
    expect(() => invokeIdAndPriorityByte({ ...invoke, invokeId: 16 })).toThrow(RangeError);
  });
  it('long form: 24-bit id, then self-descriptive, break-on-error, confirmed, high', () => {
    const p = { invokeId: 0x123456, serviceClass: 'unconfirmed', priority: 'high', selfDescriptive: true, breakOnError: false } as const;
    expect(longInvokeIdAndPriorityValue(p)).toBe(0x90123456);
    expect(parseLongInvokeIdAndPriority(0x90123456)).toEqual(p);
  });
});

describe('conformance', () => {
  it('names the bits of 0x401E5D (Gurux LLS client)', () => {
    const v = 0x401e5d;
    expect(conformanceNames(v)).toEqual([
      'general-protection',
      'block-transfer-with-get-or-read',
      'block-transfer-with-set-or-write',
      'block-transfer-with-action',
      'multiple-references',
      'access',
      'get',
      'set',
      'selective-access',
      'action',
    ]);
    expect(conformanceFromNames(conformanceNames(v))).toBe(v);
    expect(hasConformance(0x000010, 'get')).toBe(true);
    expect(ConformanceBit.action).toBe(23);
  });
});

describe('GET', () => {
  it('GetRequestWithList, one with selective access', () => {
    same('c003c102' + '00080000010000ff0200' + '00070100630100ff0201020204060000000106000000001200011200' + '00', {
      kind: 'GetRequestWithList',
      ...invoke,
      attributes: [
        { attribute: clock },
        {
          attribute: { classId: 7, instanceId: parseObis('1.0.99.1.0.255'), attributeId: 2 },
          access: toAccessDescriptor({ selector: 2, entry: { fromEntry: 1, toEntry: 0, fromSelectedValue: 1, toSelectedValue: 0 } }),
        },
      ],
    });
  });
  it('GetResponseWithDatablock, raw data and data-access-result', () => {
    same('c402c1' + '00' + '00000001' + '00' + '03' + '010203', {
      kind: 'GetResponseWithDatablock',
      ...invoke,
      lastBlock: false,
      blockNumber: 1,
      result: { kind: 'raw-data', rawData: fromHex('010203') },
    });
    same('c402c1' + '01' + '00000002' + '01' + '13', {
      kind: 'GetResponseWithDatablock',
      ...invoke,
      lastBlock: true,
      blockNumber: 2,
      result: { kind: 'data-access-result', dataAccessResult: DataAccessResult['data-block-number-invalid'] },
    });
  });
  it('GetResponseWithList mixes data and errors', () => {
    same('c403c102' + '00' + '1200e6' + '01' + '04', {
      kind: 'GetResponseWithList',
      ...invoke,
      results: [
        { kind: 'data', data: { type: 'long-unsigned', value: 230 } },
        { kind: 'data-access-result', dataAccessResult: 4 },
      ],
    });
    expect(dataAccessResultName(4)).toBe('object-undefined');
    expect(dataAccessResultName(99)).toBe('unknown(99)');
  });
  it('GetResponseNormal with data-access-result', () => {
    same('c401c10103', { kind: 'GetResponseNormal', ...invoke, result: { kind: 'data-access-result', dataAccessResult: 3 } });
  });
});

describe('SET', () => {
  const register = { classId: 3, instanceId: parseObis('1.0.1.8.0.255'), attributeId: 2 };
  it('SetRequestNormal', () => {
    same('c101c1' + '00030100010800ff0200' + '0600000064', {
      kind: 'SetRequestNormal',
      ...invoke,
      attribute: register,
      value: { type: 'double-long-unsigned', value: 100 },
    });
  });
  it('SetRequestWithFirstDatablock, WithDatablock, WithList, WithListAndFirstDatablock', () => {
    same('c102c1' + '00030100010800ff0200' + '00' + '00000001' + '02' + '0600', {
      kind: 'SetRequestWithFirstDatablock',
      ...invoke,
      attribute: register,
      lastBlock: false,
      blockNumber: 1,
      rawData: fromHex('0600'),
    });
    same('c103c1' + '01' + '00000002' + '03' + '000064', {
      kind: 'SetRequestWithDatablock',
      ...invoke,
      lastBlock: true,
      blockNumber: 2,
      rawData: fromHex('000064'),
    });
    same('c104c1' + '01' + '00030100010800ff0200' + '01' + '1100', {
      kind: 'SetRequestWithList',
      ...invoke,
      attributes: [{ attribute: register }],
      values: [{ type: 'unsigned', value: 0 }],
    });
    same('c105c1' + '01' + '00030100010800ff0200' + '00' + '00000001' + '01' + '06', {
      kind: 'SetRequestWithListAndFirstDatablock',
      ...invoke,
      attributes: [{ attribute: register }],
      lastBlock: false,
      blockNumber: 1,
      rawData: fromHex('06'),
    });
  });
  it('every SET-Response form', () => {
    same('c501c100', { kind: 'SetResponseNormal', ...invoke, result: 0 });
    same('c502c100000001', { kind: 'SetResponseDatablock', ...invoke, blockNumber: 1 });
    same('c503c10000000002', { kind: 'SetResponseLastDatablock', ...invoke, result: 0, blockNumber: 2 });
    same('c504c102000300000002', { kind: 'SetResponseLastDatablockWithList', ...invoke, results: [0, 3], blockNumber: 2 });
    same('c505c1020003', { kind: 'SetResponseWithList', ...invoke, results: [0, 3] });
  });
});

describe('ACTION', () => {
  const disconnect = { classId: 70, instanceId: parseObis('0.0.96.3.10.255'), methodId: 1 };
  it('ActionRequestNormal for remote_disconnect with integer 0', () => {
    same('c301c1' + '00460000600304ff01' + '01' + '0f00', {
      kind: 'ActionRequestNormal',
      ...invoke,
      method: { ...disconnect, instanceId: parseObis('0.0.96.3.4.255') },
      parameters: { type: 'integer', value: 0 },
    });
    same('c301c1' + '0046000060030aff01' + '00', { kind: 'ActionRequestNormal', ...invoke, method: disconnect });
  });
  it('the block and list forms', () => {
    same('c302c100000001', { kind: 'ActionRequestNextPblock', ...invoke, blockNumber: 1 });
    same('c303c1' + '01' + '0046000060030aff01' + '01' + '0f00', {
      kind: 'ActionRequestWithList',
      ...invoke,
      methods: [disconnect],
      parameters: [{ type: 'integer', value: 0 }],
    });
    same('c304c1' + '0046000060030aff01' + '00' + '00000001' + '02' + '0f00', {
      kind: 'ActionRequestWithFirstPblock',
      ...invoke,
      method: disconnect,
      lastBlock: false,
      blockNumber: 1,
      rawData: fromHex('0f00'),
    });
    same('c305c1' + '01' + '0046000060030aff01' + '01' + '00000001' + '00', {
      kind: 'ActionRequestWithListAndFirstPblock',
      ...invoke,
      methods: [disconnect],
      lastBlock: true,
      blockNumber: 1,
      rawData: new Uint8Array(0),
    });
    same('c306c1' + '01' + '00000002' + '01' + 'ff', {
      kind: 'ActionRequestWithPblock',
      ...invoke,
      lastBlock: true,
      blockNumber: 2,
      rawData: fromHex('ff'),
    });
  });
  it('every ACTION-Response form', () => {
    // reply_to_HLS_authentication answers with the server's f(CtoS) as return parameters.
    same('c701c1' + '00' + '01' + '00' + '0903aabbcc', {
      kind: 'ActionResponseNormal',
      ...invoke,
      result: 0,
      returnParameters: { kind: 'data', data: { type: 'octet-string', value: fromHex('aabbcc') } },
    });
    same('c702c1' + '00' + '00000001' + '01' + '00', {
      kind: 'ActionResponseWithPblock',
      ...invoke,
      lastBlock: false,
      blockNumber: 1,
      rawData: fromHex('00'),
    });
    same('c703c1' + '02' + '0000' + '0b' + '01' + '0103', {
      kind: 'ActionResponseWithList',
      ...invoke,
      responses: [{ result: 0 }, { result: 11, returnParameters: { kind: 'data-access-result', dataAccessResult: 3 } }],
    });
    same('c704c100000003', { kind: 'ActionResponseNextPblock', ...invoke, blockNumber: 3 });
    expect(actionResultName(15)).toBe('long-action-aborted');
  });
});

describe('notifications, errors, block transfer', () => {
  it('DataNotification with and without date-time', () => {
    const id = { invokeId: 1, serviceClass: 'unconfirmed', priority: 'normal', selfDescriptive: false, breakOnError: false } as const;
    same('0f00000001' + '00' + '020209060000010000ff0600000064', {
      kind: 'DataNotification',
      ...id,
      body: {
        type: 'structure',
        value: [
          { type: 'octet-string', value: fromHex('0000010000ff') },
          { type: 'double-long-unsigned', value: 100 },
        ],
      },
    });
    same('0f00000001' + '0c07ea0b150617391400ff8880' + '1200e6', {
      kind: 'DataNotification',
      ...id,
      dateTime: fromHex('07ea0b150617391400ff8880'),
      body: { type: 'long-unsigned', value: 230 },
    });
    protocolError('0f00000001' + '05' + '0102030405' + '00', 5);
  });
  it('EventNotificationRequest with and without time', () => {
    const log = { classId: 1, instanceId: parseObis('0.0.96.11.0.255'), attributeId: 2 };
    same('c2' + '00' + '00010000600b00ff02' + '120007', { kind: 'EventNotificationRequest', attribute: log, value: { type: 'long-unsigned', value: 7 } });
    same('c2' + '010c07ea0b150617391400ff8880' + '00010000600b00ff02' + '120007', {
      kind: 'EventNotificationRequest',
      time: fromHex('07ea0b150617391400ff8880'),
      attribute: log,
      value: { type: 'long-unsigned', value: 7 },
    });
  });
  it('ExceptionResponse, with the invocation counter for invocation-counter-error', () => {
    same('d80102', { kind: 'ExceptionResponse', stateError: 1, serviceError: 2 });
    same('d8020600000100', { kind: 'ExceptionResponse', stateError: 2, serviceError: 6, invocationCounter: 256 });
  });
  it('ConfirmedServiceError: initiateError / initiate / dlms-version-too-low', () => {
    same('0e010601', { kind: 'ConfirmedServiceError', service: 1, errorType: 6, value: 1 });
    protocolError('0e140601', 1);
  });
  it('GeneralBlockTransfer', () => {
    same('e0' + 'c5' + '0001' + '0000' + '0d' + 'c001c100080000010000ff0200', {
      kind: 'GeneralBlockTransfer',
      lastBlock: true,
      streaming: true,
      window: 5,
      blockNumber: 1,
      blockNumberAck: 0,
      blockData: fromHex('c001c100080000010000ff0200'),
    });
  });
  it('InitiateRequest with dedicated key, response-allowed false, quality of service', () => {
    same('01' + '0110000102030405060708090a0b0c0d0e0f' + '0100' + '0105' + '06' + '5f1f040000101d' + '0400', {
      kind: 'InitiateRequest',
      dedicatedKey: fromHex('000102030405060708090a0b0c0d0e0f'),
      responseAllowed: false,
      proposedQualityOfService: 5,
      proposedDlmsVersionNumber: 6,
      proposedConformance: 0x00101d,
      clientMaxReceivePduSize: 0x400,
    });
    protocolError('01000000065f1f0300401e1dffff', 7);
  });
  it('Ciphered APDUs pass through whole, after a framing check', () => {
    const glo = 'c81e3001234567411312ff935a47566827c467bc7d825c3be4a77c3fcc056b6b';
    same(glo, { kind: 'Ciphered', tag: 0xc8, bytes: fromHex(glo) });
    const general = 'db084d4d4d0000bc614e' + '05' + '3000000001';
    same(general, { kind: 'Ciphered', tag: 0xdb, bytes: fromHex(general) });
    protocolError('c81f3001234567', 1);
  });
});

describe('malformed input', () => {
  it('reports the offset of the culprit', () => {
    protocolError('', 0);
    protocolError('05', 0); // SN ReadRequest: not supported
    protocolError('c0', 1);
    protocolError('c009c1', 1); // unknown GET-Request choice
    protocolError('c701c1000000', 5); // trailing byte
    protocolError('c401c102', 3); // unknown Get-Data-Result choice
    protocolError('c401c1000201', 5); // structure of one, nothing follows
  });
});

describe('selective access helpers', () => {
  it('range descriptor: clock-restricted, two selected columns', () => {
    const clockTime = { classId: 8, logicalName: parseObis('0.0.1.0.0.255'), attributeIndex: 2, dataIndex: 0 };
    const energy = { classId: 3, logicalName: parseObis('1.0.1.8.0.255'), attributeIndex: 2, dataIndex: 0 };
    const access: SelectiveAccess = {
      selector: 1,
      range: {
        restrictingObject: clockTime,
        from: { type: 'octet-string', value: fromHex('07ea0b1506000000ff800000') },
        to: { type: 'octet-string', value: fromHex('07ea0b1506170000ff800000') },
        selectedValues: [clockTime, energy],
      },
    };
    const d = toAccessDescriptor(access);
    expect(d.selector).toBe(1);
    expect(fromAccessDescriptor(d)).toEqual(access);
    const req: Apdu = { kind: 'GetRequestNormal', ...invoke, attribute: { classId: 7, instanceId: parseObis('1.0.99.1.0.255'), attributeId: 2 }, access: d };
    expect(decodeApdu(encodeApdu(req))).toEqual(req);
  });
  it('entry descriptor accepts other integer widths; malformed shapes are type-unmatched', () => {
    expect(
      fromAccessDescriptor({
        selector: 2,
        parameters: {
          type: 'structure',
          value: [
            { type: 'long-unsigned', value: 1 },
            { type: 'long-unsigned', value: 10 },
            { type: 'unsigned', value: 1 },
            { type: 'unsigned', value: 0 },
          ],
        },
      }),
    ).toEqual({ selector: 2, entry: { fromEntry: 1, toEntry: 10, fromSelectedValue: 1, toSelectedValue: 0 } });
    const bad = () => fromAccessDescriptor({ selector: 2, parameters: { type: 'null-data' } });
    expect(bad).toThrow(AccessError);
    try {
      bad();
    } catch (e) {
      expect((e as AccessError).code).toBe(DataAccessResult['type-unmatched']);
    }
    expect(() => fromAccessDescriptor({ selector: 3, parameters: { type: 'null-data' } })).toThrow(AccessError);
  });
});
