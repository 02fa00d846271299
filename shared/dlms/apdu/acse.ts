// ACSE APDUs of DLMS/COSEM (Green Book, "COSEM application layer": AARQ, AARE,
// RLRQ, RLRE), BER encoded. The xDLMS InitiateRequest/Response inside
// user-information stays raw bytes here: it may be ciphered, and its codec is
// initiate.ts (or the security layer).
//
// Decoding follows the ASN.1 SEQUENCE: components must come in tag order, each at
// most once; an unknown component, a missing mandatory one or trailing bytes is a
// ProtocolError (layer 'acse') with the offset of the culprit.
import { ByteReader, ByteWriter, concat } from '../../bytes.js';
import type { BitString } from '../data.js';
import {
  bitStringBytes,
  expectEnd,
  integerBytes,
  oidBytes,
  readBitString,
  readInteger,
  readOid,
  readTlv,
  tlv,
} from './ber.js';

export const AcseTag = { AARQ: 0x60, AARE: 0x61, RLRQ: 0x62, RLRE: 0x63 } as const;

/** Last arc of the application-context-name OID 2.16.756.5.8.1.x. */
export const ApplicationContextName = {
  'logical-name': 1,
  'short-name': 2,
  'logical-name-ciphered': 3,
  'short-name-ciphered': 4,
} as const;

/** Last arc of the mechanism-name OID 2.16.756.5.8.2.x. */
export const MechanismName = {
  lowest: 0,
  low: 1,
  high: 2,
  'high-md5': 3,
  'high-sha1': 4,
  'high-gmac': 5,
  'high-sha256': 6,
  'high-ecdsa': 7,
} as const;

export const AssociationResult = { accepted: 0, 'rejected-permanent': 1, 'rejected-transient': 2 } as const;

export const AcseServiceUserDiagnostic = {
  null: 0,
  'no-reason-given': 1,
  'application-context-name-not-supported': 2,
  'calling-AP-title-not-recognized': 3,
  'calling-AP-invocation-identifier-not-recognized': 4,
  'calling-AE-qualifier-not-recognized': 5,
  'calling-AE-invocation-identifier-not-recognized': 6,
  'called-AP-title-not-recognized': 7,
  'called-AP-invocation-identifier-not-recognized': 8,
  'called-AE-qualifier-not-recognized': 9,
  'called-AE-invocation-identifier-not-recognized': 10,
  'authentication-mechanism-name-not-recognised': 11,
  'authentication-mechanism-name-required': 12,
  'authentication-failure': 13,
  'authentication-required': 14,
} as const;

export const AcseServiceProviderDiagnostic = { null: 0, 'no-reason-given': 1, 'no-common-acse-version': 2 } as const;

export const ReleaseRequestReason = { normal: 0, urgent: 1, 'user-defined': 30 } as const;
export const ReleaseResponseReason = { normal: 0, 'not-finished': 1, 'user-defined': 30 } as const;

/** Authentication-value CHOICE: a password / challenge as charstring [0], or a bitstring [1]. */
export type AuthenticationValue =
  | { kind: 'charstring'; value: Uint8Array }
  | { kind: 'bitstring'; value: BitString };

export interface ResultSourceDiagnostic {
  source: 'acse-service-user' | 'acse-service-provider';
  diagnostic: number;
}

/** ACSE-requirements bit-string; DLMS only uses bit 0, authentication. */
export interface AcseRequirements {
  authentication: boolean;
}

export interface AARQ {
  kind: 'AARQ';
  protocolVersion?: BitString;
  applicationContextName: number;
  calledApTitle?: Uint8Array;
  calledAeQualifier?: Uint8Array;
  calledApInvocationId?: number;
  calledAeInvocationId?: number;
  /** The client's system title (8 bytes) when ciphering is used. */
  callingApTitle?: Uint8Array;
  /** Carries the client's signing certificate with suites 1 and 2. */
  callingAeQualifier?: Uint8Array;
  callingApInvocationId?: number;
  callingAeInvocationId?: number;
  senderAcseRequirements?: AcseRequirements;
  mechanismName?: number;
  callingAuthenticationValue?: AuthenticationValue;
  implementationInformation?: Uint8Array;
  /** The (possibly ciphered) xDLMS InitiateRequest, raw. */
  userInformation?: Uint8Array;
}

export interface AARE {
  kind: 'AARE';
  protocolVersion?: BitString;
  applicationContextName: number;
  result: number;
  resultSourceDiagnostic: ResultSourceDiagnostic;
  /** The server's system title when ciphering is used. */
  respondingApTitle?: Uint8Array;
  respondingAeQualifier?: Uint8Array;
  respondingApInvocationId?: number;
  respondingAeInvocationId?: number;
  responderAcseRequirements?: AcseRequirements;
  mechanismName?: number;
  /** StoC challenge with HLS. */
  respondingAuthenticationValue?: AuthenticationValue;
  implementationInformation?: Uint8Array;
  /** The (possibly ciphered) xDLMS InitiateResponse or ConfirmedServiceError, raw. */
  userInformation?: Uint8Array;
}

export interface RLRQ {
  kind: 'RLRQ';
  reason?: number;
  userInformation?: Uint8Array;
}

export interface RLRE {
  kind: 'RLRE';
  reason?: number;
  userInformation?: Uint8Array;
}

export type AcseApdu = AARQ | AARE | RLRQ | RLRE;

// ---- component codecs ---------------------------------------------------------

interface Component {
  tag: number;
  key: string;
  decode(content: ByteReader): unknown;
  encode(value: unknown): Uint8Array;
}

const DLMS_UA = [2, 16, 756, 5, 8];

function dlmsOid(kind: number, what: string) {
  return {
    decode(c: ByteReader): number {
      const at = c.pos;
      const arcs = readOid(c, what);
      const ok = arcs.length === 7 && DLMS_UA.every((a, i) => arcs[i] === a) && arcs[5] === kind;
      if (!ok) c.fail(`${what}: unknown object identifier ${arcs.join('.')}`, at);
      return arcs[6];
    },
    encode: (v: unknown) => oidBytes([...DLMS_UA, kind, v as number]),
  };
}

/** An EXPLICIT tag around exactly one inner TLV of the given universal/context tag. */
function explicit(innerTag: number, what: string, inner: { decode(c: ByteReader): unknown; encode(v: unknown): Uint8Array }) {
  return {
    decode(c: ByteReader): unknown {
      const t = readTlv(c, what);
      if (t.tag !== innerTag) c.fail(`${what}: expected tag 0x${innerTag.toString(16)}, got 0x${t.tag.toString(16)}`, t.at);
      const v = inner.decode(t.content);
      expectEnd(t.content, what);
      expectEnd(c, what);
      return v;
    },
    encode: (v: unknown) => tlv(innerTag, (w) => w.bytes(inner.encode(v))),
  };
}

const octets = {
  decode: (c: ByteReader) => c.rest().slice(),
  encode: (v: unknown) => v as Uint8Array,
};
const integer = (what: string) => ({
  decode: (c: ByteReader) => readInteger(c, what),
  encode: (v: unknown) => integerBytes(v as number),
});
const bitString = (what: string) => ({
  decode: (c: ByteReader) => readBitString(c, what),
  encode: (v: unknown) => bitStringBytes(v as BitString),
});
const requirements = (what: string) => ({
  decode(c: ByteReader): AcseRequirements {
    const b = readBitString(c, what);
    return { authentication: b.length > 0 && (b.bytes[0] & 0x80) !== 0 };
  },
  encode: (v: unknown) => bitStringBytes({ length: 1, bytes: Uint8Array.of((v as AcseRequirements).authentication ? 0x80 : 0) }),
});

const authenticationValue = (what: string) => ({
  decode(c: ByteReader): AuthenticationValue {
    const t = readTlv(c, what);
    expectEnd(c, what);
    if (t.tag === 0x80) return { kind: 'charstring', value: t.content.rest().slice() };
    if (t.tag === 0x81) return { kind: 'bitstring', value: readBitString(t.content, what) };
    return c.fail(`${what}: unsupported choice 0x${t.tag.toString(16)}`, t.at);
  },
  encode(v: unknown): Uint8Array {
    const a = v as AuthenticationValue;
    return a.kind === 'charstring'
      ? tlv(0x80, (w) => w.bytes(a.value))
      : tlv(0x81, (w) => w.bytes(bitStringBytes(a.value)));
  },
});

const diagnostic = {
  decode(c: ByteReader): ResultSourceDiagnostic {
    const t = readTlv(c, 'result-source-diagnostic');
    expectEnd(c, 'result-source-diagnostic');
    const source = t.tag === 0xa1 ? 'acse-service-user' : t.tag === 0xa2 ? 'acse-service-provider' : undefined;
    if (!source) return c.fail(`result-source-diagnostic: unknown choice 0x${t.tag.toString(16)}`, t.at);
    const value = explicit(0x02, source, integer(source)).decode(t.content) as number;
    return { source, diagnostic: value };
  },
  encode(v: unknown): Uint8Array {
    const d = v as ResultSourceDiagnostic;
    return tlv(d.source === 'acse-service-user' ? 0xa1 : 0xa2, (w) =>
      w.bytes(explicit(0x02, d.source, integer(d.source)).encode(d.diagnostic)),
    );
  },
};

const component = (tag: number, key: string, codec: { decode(c: ByteReader): unknown; encode(v: unknown): Uint8Array }): Component => ({
  tag,
  key,
  ...codec,
});

const userInformation = component(0xbe, 'userInformation', explicit(0x04, 'user-information', octets));
const implementationInformation = component(0x9d, 'implementationInformation', octets);

const AARQ_COMPONENTS: Component[] = [
  component(0x80, 'protocolVersion', bitString('protocol-version')),
  component(0xa1, 'applicationContextName', explicit(0x06, 'application-context-name', dlmsOid(1, 'application-context-name'))),
  component(0xa2, 'calledApTitle', explicit(0x04, 'called-AP-title', octets)),
  component(0xa3, 'calledAeQualifier', explicit(0x04, 'called-AE-qualifier', octets)),
  component(0xa4, 'calledApInvocationId', explicit(0x02, 'called-AP-invocation-id', integer('called-AP-invocation-id'))),
  component(0xa5, 'calledAeInvocationId', explicit(0x02, 'called-AE-invocation-id', integer('called-AE-invocation-id'))),
  component(0xa6, 'callingApTitle', explicit(0x04, 'calling-AP-title', octets)),
  component(0xa7, 'callingAeQualifier', explicit(0x04, 'calling-AE-qualifier', octets)),
  component(0xa8, 'callingApInvocationId', explicit(0x02, 'calling-AP-invocation-id', integer('calling-AP-invocation-id'))),
  component(0xa9, 'callingAeInvocationId', explicit(0x02, 'calling-AE-invocation-id', integer('calling-AE-invocation-id'))),
  component(0x8a, 'senderAcseRequirements', requirements('sender-acse-requirements')),
  component(0x8b, 'mechanismName', dlmsOid(2, 'mechanism-name')),
  component(0xac, 'callingAuthenticationValue', authenticationValue('calling-authentication-value')),
  implementationInformation,
  userInformation,
];

const AARE_COMPONENTS: Component[] = [
  component(0x80, 'protocolVersion', bitString('protocol-version')),
  component(0xa1, 'applicationContextName', explicit(0x06, 'application-context-name', dlmsOid(1, 'application-context-name'))),
  component(0xa2, 'result', explicit(0x02, 'result', integer('result'))),
  component(0xa3, 'resultSourceDiagnostic', diagnostic),
  component(0xa4, 'respondingApTitle', explicit(0x04, 'responding-AP-title', octets)),
  component(0xa5, 'respondingAeQualifier', explicit(0x04, 'responding-AE-qualifier', octets)),
  component(0xa6, 'respondingApInvocationId', explicit(0x02, 'responding-AP-invocation-id', integer('responding-AP-invocation-id'))),
  component(0xa7, 'respondingAeInvocationId', explicit(0x02, 'responding-AE-invocation-id', integer('responding-AE-invocation-id'))),
  component(0x88, 'responderAcseRequirements', requirements('responder-acse-requirements')),
  component(0x89, 'mechanismName', dlmsOid(2, 'mechanism-name')),
  component(0xaa, 'respondingAuthenticationValue', authenticationValue('responding-authentication-value')),
  implementationInformation,
  userInformation,
];

const RELEASE_COMPONENTS: Component[] = [component(0x80, 'reason', integer('reason')), userInformation];

const TABLES = {
  AARQ: { tag: AcseTag.AARQ, components: AARQ_COMPONENTS, mandatory: ['applicationContextName'] },
  AARE: {
    tag: AcseTag.AARE,
    components: AARE_COMPONENTS,
    mandatory: ['applicationContextName', 'result', 'resultSourceDiagnostic'],
  },
  RLRQ: { tag: AcseTag.RLRQ, components: RELEASE_COMPONENTS, mandatory: [] as string[] },
  RLRE: { tag: AcseTag.RLRE, components: RELEASE_COMPONENTS, mandatory: [] as string[] },
} as const;

// ---- decode / encode ----------------------------------------------------------------

/** Reads one ACSE APDU at r.pos (its tag included) and advances past it. */
export function readAcseApdu(r: ByteReader): AcseApdu {
  const outer = readTlv(r, 'ACSE APDU');
  const kind = (Object.keys(TABLES) as (keyof typeof TABLES)[]).find((k) => TABLES[k].tag === outer.tag);
  if (!kind) return r.fail(`not an ACSE APDU tag 0x${outer.tag.toString(16)}`, outer.at);
  const table = TABLES[kind];
  const body = outer.content;
  const out: Record<string, unknown> = { kind };
  let last = -1;
  while (!body.atEnd) {
    const t = readTlv(body, kind);
    const index = table.components.findIndex((comp) => comp.tag === t.tag);
    if (index < 0) body.fail(`${kind}: unknown component 0x${t.tag.toString(16)}`, t.at);
    if (index <= last) body.fail(`${kind}: component 0x${t.tag.toString(16)} out of order or repeated`, t.at);
    last = index;
    const comp = table.components[index];
    out[comp.key] = comp.decode(t.content);
    expectEnd(t.content, comp.key);
  }
  for (const key of table.mandatory) {
    if (out[key] === undefined) body.fail(`${kind}: mandatory ${key} missing`, outer.at);
  }
  return out as unknown as AcseApdu;
}

export function writeAcseApdu(w: ByteWriter, apdu: AcseApdu): void {
  const table = TABLES[apdu.kind];
  const fields = apdu as unknown as Record<string, unknown>;
  for (const key of table.mandatory) {
    if (fields[key] === undefined) throw new TypeError(`${apdu.kind}: ${key} is mandatory`);
  }
  const parts: Uint8Array[] = [];
  for (const comp of table.components) {
    const value = fields[comp.key];
    if (value === undefined) continue;
    parts.push(tlv(comp.tag, (inner) => inner.bytes(comp.encode(value))));
  }
  const body = concat(parts);
  w.u8(table.tag).lengthField(body.length).bytes(body);
}

export function decodeAcseApdu(bytes: Uint8Array): AcseApdu {
  const r = new ByteReader(bytes, 'acse');
  const apdu = readAcseApdu(r);
  expectEnd(r, apdu.kind);
  return apdu;
}

export function encodeAcseApdu(apdu: AcseApdu): Uint8Array {
  const w = new ByteWriter();
  writeAcseApdu(w, apdu);
  return w.toBytes();
}
