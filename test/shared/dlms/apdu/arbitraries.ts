// fast-check generators for APDU values, for the round-trip properties.
import fc from 'fast-check';
import { obisFromBytes } from '../../../../shared/dlms/obis.js';
import type { Apdu } from '../../../../shared/dlms/apdu/index.js';
import { cosemData } from '../arbitraries.js';

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const i8 = fc.integer({ min: -128, max: 127 });
const bytes = (maxLength: number) => fc.uint8Array({ maxLength });

const invoke = fc.record({
  invokeId: fc.integer({ min: 0, max: 15 }),
  serviceClass: fc.constantFrom('confirmed' as const, 'unconfirmed' as const),
  priority: fc.constantFrom('normal' as const, 'high' as const),
});
const obis = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => obisFromBytes(b));
const attribute = fc.record({ classId: u16, instanceId: obis, attributeId: i8 });
const method = fc.record({ classId: u16, instanceId: obis, methodId: i8 });
const access = fc.record({ selector: u8, parameters: cosemData });
const withSelection = fc.record({ attribute, access }, { requiredKeys: ['attribute'] });
const list = <T>(a: fc.Arbitrary<T>) => fc.array(a, { maxLength: 4 });
const getDataResult = fc.oneof(
  cosemData.map((data) => ({ kind: 'data' as const, data })),
  u8.map((dataAccessResult) => ({ kind: 'data-access-result' as const, dataAccessResult })),
);
const blockSA = fc.record({ lastBlock: fc.boolean(), blockNumber: u32, rawData: bytes(300) });
const blockResult = fc.oneof(
  bytes(300).map((rawData) => ({ kind: 'raw-data' as const, rawData })),
  u8.map((dataAccessResult) => ({ kind: 'data-access-result' as const, dataAccessResult })),
);
const actionItem = fc.record({ result: u8, returnParameters: getDataResult }, { requiredKeys: ['result'] });

/** An xDLMS service APDU of one kind, with the invoke fields spread in. */
function service<K extends string, T extends object>(kind: K, fields: fc.Arbitrary<T>) {
  return fc.tuple(invoke, fields).map(([i, f]) => ({ kind, ...i, ...f }));
}

export const getApdu: fc.Arbitrary<Apdu> = fc.oneof(
  service('GetRequestNormal', fc.record({ attribute, access }, { requiredKeys: ['attribute'] })),
  service('GetRequestNext', fc.record({ blockNumber: u32 })),
  service('GetRequestWithList', fc.record({ attributes: list(withSelection) })),
  service('GetResponseNormal', fc.record({ result: getDataResult })),
  service('GetResponseWithDatablock', fc.record({ lastBlock: fc.boolean(), blockNumber: u32, result: blockResult })),
  service('GetResponseWithList', fc.record({ results: list(getDataResult) })),
);

export const setApdu: fc.Arbitrary<Apdu> = fc.oneof(
  service('SetRequestNormal', fc.record({ attribute, access, value: cosemData }, { requiredKeys: ['attribute', 'value'] })),
  service(
    'SetRequestWithFirstDatablock',
    fc.tuple(fc.record({ attribute, access }, { requiredKeys: ['attribute'] }), blockSA).map(([a, b]) => ({ ...a, ...b })),
  ),
  service('SetRequestWithDatablock', blockSA),
  service('SetRequestWithList', fc.record({ attributes: list(withSelection), values: list(cosemData) })),
  service('SetRequestWithListAndFirstDatablock', fc.tuple(fc.record({ attributes: list(withSelection) }), blockSA).map(([a, b]) => ({ ...a, ...b }))),
  service('SetResponseNormal', fc.record({ result: u8 })),
  service('SetResponseDatablock', fc.record({ blockNumber: u32 })),
  service('SetResponseLastDatablock', fc.record({ result: u8, blockNumber: u32 })),
  service('SetResponseLastDatablockWithList', fc.record({ results: list(u8), blockNumber: u32 })),
  service('SetResponseWithList', fc.record({ results: list(u8) })),
);

export const actionApdu: fc.Arbitrary<Apdu> = fc.oneof(
  service('ActionRequestNormal', fc.record({ method, parameters: cosemData }, { requiredKeys: ['method'] })),
  service('ActionRequestNextPblock', fc.record({ blockNumber: u32 })),
  service('ActionRequestWithList', fc.record({ methods: list(method), parameters: list(cosemData) })),
  service('ActionRequestWithFirstPblock', fc.tuple(fc.record({ method }), blockSA).map(([a, b]) => ({ ...a, ...b }))),
  service('ActionRequestWithListAndFirstPblock', fc.tuple(fc.record({ methods: list(method) }), blockSA).map(([a, b]) => ({ ...a, ...b }))),
  service('ActionRequestWithPblock', blockSA),
  service('ActionResponseNormal', actionItem),
  service('ActionResponseWithPblock', blockSA),
  service('ActionResponseWithList', fc.record({ responses: list(actionItem) })),
  service('ActionResponseNextPblock', fc.record({ blockNumber: u32 })),
) as fc.Arbitrary<Apdu>;

const dateTime = fc.uint8Array({ minLength: 12, maxLength: 12 });
const bitString = fc
  .integer({ min: 0, max: 40 })
  .chain((length) => fc.uint8Array({ minLength: Math.ceil(length / 8), maxLength: Math.ceil(length / 8) }).map((b) => ({ length, bytes: b })));
const int32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const authValue = fc.oneof(
  bytes(40).map((value) => ({ kind: 'charstring' as const, value })),
  bitString.map((value) => ({ kind: 'bitstring' as const, value })),
);
const arc = fc.integer({ min: 0, max: 100_000 });

export const acseApdu: fc.Arbitrary<Apdu> = fc.oneof(
  fc
    .record(
      {
        protocolVersion: bitString,
        applicationContextName: arc,
        calledApTitle: bytes(10),
        calledAeQualifier: bytes(10),
        calledApInvocationId: int32,
        calledAeInvocationId: int32,
        callingApTitle: bytes(10),
        callingAeQualifier: bytes(200),
        callingApInvocationId: int32,
        callingAeInvocationId: int32,
        senderAcseRequirements: fc.record({ authentication: fc.boolean() }),
        mechanismName: arc,
        callingAuthenticationValue: authValue,
        implementationInformation: bytes(10),
        userInformation: bytes(300),
      },
      { requiredKeys: ['applicationContextName'] },
    )
    .map((f) => ({ kind: 'AARQ' as const, ...f })),
  fc
    .record(
      {
        protocolVersion: bitString,
        applicationContextName: arc,
        result: int32,
        resultSourceDiagnostic: fc.record({
          source: fc.constantFrom('acse-service-user' as const, 'acse-service-provider' as const),
          diagnostic: int32,
        }),
        respondingApTitle: bytes(10),
        respondingAeQualifier: bytes(10),
        respondingApInvocationId: int32,
        respondingAeInvocationId: int32,
        responderAcseRequirements: fc.record({ authentication: fc.boolean() }),
        mechanismName: arc,
        respondingAuthenticationValue: authValue,
        implementationInformation: bytes(10),
        userInformation: bytes(300),
      },
      { requiredKeys: ['applicationContextName', 'result', 'resultSourceDiagnostic'] },
    )
    .map((f) => ({ kind: 'AARE' as const, ...f })),
  fc.record({ reason: int32, userInformation: bytes(100) }, { requiredKeys: [] }).map((f) => ({ kind: 'RLRQ' as const, ...f })),
  fc.record({ reason: int32, userInformation: bytes(100) }, { requiredKeys: [] }).map((f) => ({ kind: 'RLRE' as const, ...f })),
);

export const otherApdu: fc.Arbitrary<Apdu> = fc.oneof(
  fc
    .record(
      {
        dedicatedKey: bytes(32),
        responseAllowed: fc.boolean(),
        proposedQualityOfService: i8,
        proposedDlmsVersionNumber: u8,
        proposedConformance: fc.integer({ min: 0, max: 0xffffff }),
        clientMaxReceivePduSize: u16,
      },
      { requiredKeys: ['responseAllowed', 'proposedDlmsVersionNumber', 'proposedConformance', 'clientMaxReceivePduSize'] },
    )
    .map((f) => ({ kind: 'InitiateRequest' as const, ...f })),
  fc
    .record(
      {
        negotiatedQualityOfService: i8,
        negotiatedDlmsVersionNumber: u8,
        negotiatedConformance: fc.integer({ min: 0, max: 0xffffff }),
        serverMaxReceivePduSize: u16,
        vaaName: u16,
      },
      { requiredKeys: ['negotiatedDlmsVersionNumber', 'negotiatedConformance', 'serverMaxReceivePduSize', 'vaaName'] },
    )
    .map((f) => ({ kind: 'InitiateResponse' as const, ...f })),
  fc
    .record({ service: fc.integer({ min: 1, max: 19 }), errorType: fc.integer({ min: 0, max: 10 }), value: u8 })
    .map((f) => ({ kind: 'ConfirmedServiceError' as const, ...f })),
  fc
    .record(
      {
        invokeId: fc.integer({ min: 0, max: 0xffffff }),
        serviceClass: fc.constantFrom('confirmed' as const, 'unconfirmed' as const),
        priority: fc.constantFrom('normal' as const, 'high' as const),
        selfDescriptive: fc.boolean(),
        breakOnError: fc.boolean(),
        dateTime,
        body: cosemData,
      },
      { requiredKeys: ['invokeId', 'serviceClass', 'priority', 'selfDescriptive', 'breakOnError', 'body'] },
    )
    .map((f) => ({ kind: 'DataNotification' as const, ...f })),
  fc
    .record({ time: dateTime, attribute, value: cosemData }, { requiredKeys: ['attribute', 'value'] })
    .map((f) => ({ kind: 'EventNotificationRequest' as const, ...f })),
  fc
    .tuple(u8, u8, u32)
    .map(([stateError, serviceError, ic]) =>
      serviceError === 6
        ? { kind: 'ExceptionResponse' as const, stateError, serviceError, invocationCounter: ic }
        : { kind: 'ExceptionResponse' as const, stateError, serviceError },
    ),
  fc
    .record({
      lastBlock: fc.boolean(),
      streaming: fc.boolean(),
      window: fc.integer({ min: 0, max: 63 }),
      blockNumber: u16,
      blockNumberAck: u16,
      blockData: bytes(300),
    })
    .map((f) => ({ kind: 'GeneralBlockTransfer' as const, ...f })),
);
