// The HDLC parameter negotiation field carried by SNRM and UA (IEC 62056-46 §6.4.4.4.3.2;
// Green Book 8.4.5.3.2): format id 0x81, group id 0x80, group length, then parameters
// 05 max-info-field-transmit, 06 max-info-field-receive, 07 window-transmit,
// 08 window-receive, each with a one-byte length and a big-endian value.
import { ByteReader, ByteWriter } from '../bytes.js';

export interface HdlcParameters {
  maxInfoTx: number;
  maxInfoRx: number;
  windowTx: number;
  windowRx: number;
}

/** The values that apply when a parameter is absent (IEC 62056-46 default). */
export const DEFAULT_PARAMETERS: Readonly<HdlcParameters> = { maxInfoTx: 128, maxInfoRx: 128, windowTx: 1, windowRx: 1 };

const IDS = { maxInfoTx: 0x05, maxInfoRx: 0x06, windowTx: 0x07, windowRx: 0x08 } as const;

function valueBytes(v: number, minimum: number): number {
  if (v <= 0xff && minimum <= 1) return 1;
  if (v <= 0xffff && minimum <= 2) return 2;
  return 4;
}

/**
 * Encodes the negotiation field. `onlyDifferent` leaves out parameters equal to the
 * defaults (as a client may in SNRM); windows are written in 4 bytes as Green Book
 * examples and common meters do.
 */
export function encodeParameters(p: HdlcParameters, onlyDifferent = false): Uint8Array {
  const body = new ByteWriter(24);
  for (const key of ['maxInfoTx', 'maxInfoRx', 'windowTx', 'windowRx'] as const) {
    if (onlyDifferent && p[key] === DEFAULT_PARAMETERS[key]) continue;
    const size = valueBytes(p[key], key.startsWith('window') ? 4 : 1);
    body.u8(IDS[key]).u8(size);
    if (size === 1) body.u8(p[key]);
    else if (size === 2) body.u16(p[key]);
    else body.u32(p[key]);
  }
  const content = body.toBytes();
  if (content.length === 0) return content;
  return new ByteWriter(content.length + 3).u8(0x81).u8(0x80).u8(content.length).bytes(content).toBytes();
}

/** Decodes the negotiation field; absent parameters take the defaults, unknown ones are skipped. */
export function decodeParameters(info: Uint8Array): HdlcParameters {
  const result: HdlcParameters = { ...DEFAULT_PARAMETERS };
  if (info.length === 0) return result;
  const r = new ByteReader(info, 'hdlc-parameters');
  if (r.u8('format identifier') !== 0x81) r.fail('format identifier is not 0x81', 0);
  if (r.u8('group identifier') !== 0x80) r.fail('group identifier is not 0x80', 1);
  const groupLength = r.u8('group length');
  r.need(groupLength, 'parameter group');
  const end = r.pos + groupLength;
  while (r.pos < end) {
    const id = r.u8('parameter id');
    const size = r.u8('parameter length');
    if (r.pos + size > end) r.fail(`parameter 0x${id.toString(16)} runs past the group`, r.pos - 1);
    if (size < 1 || size > 4) r.fail(`parameter 0x${id.toString(16)} has length ${size}, allowed 1..4`, r.pos - 1);
    let value = 0;
    for (let i = 0; i < size; i++) value = value * 256 + r.u8('parameter value');
    if (id === IDS.maxInfoTx) result.maxInfoTx = value;
    else if (id === IDS.maxInfoRx) result.maxInfoRx = value;
    else if (id === IDS.windowTx) result.windowTx = value;
    else if (id === IDS.windowRx) result.windowRx = value;
  }
  return result;
}
