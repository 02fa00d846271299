// Loads /work/shared/vectors/dlms-security.json (beside the repo, read-only) and takes
// APDUs out of its HDLC frames by fixed offsets: the HDLC codec is someone else's.
import { readFileSync } from 'node:fs';
import { fromHex } from '../../../../shared/bytes.js';

interface RawVectors {
  green_book_example: Record<string, string>;
  hls_gmac_session: Record<string, string>;
}

const raw = JSON.parse(
  readFileSync(new URL('../../../../../shared/vectors/dlms-security.json', import.meta.url), 'utf8'),
) as RawVectors;

function bytesOf(section: Record<string, string>): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(section)) if (/^[0-9a-f]*$/i.test(v)) out[k] = fromHex(v);
  return out;
}

export const greenBook = bytesOf(raw.green_book_example);
export const session = bytesOf(raw.hls_gmac_session);

/**
 * 7E A0 len dst src ctrl HCS HCS | LLC (3) | APDU | FCS FCS 7E, with one-byte addresses
 * (as in these vectors): the APDU is bytes 11 .. length-3.
 */
export function apduOfHdlcFrame(frame: Uint8Array): Uint8Array {
  if (frame[0] !== 0x7e || frame[frame.length - 1] !== 0x7e) throw new Error('not a flagged HDLC frame');
  const llc = frame.subarray(8, 11);
  if (llc[0] !== 0xe6 || (llc[1] !== 0xe6 && llc[1] !== 0xe7) || llc[2] !== 0x00) throw new Error('no LLC header');
  return frame.subarray(11, frame.length - 3);
}

/** Walks the top-level BER elements inside an AARQ (0x60) / AARE (0x61) and returns one field's value. */
export function acseField(apdu: Uint8Array, fieldTag: number): Uint8Array {
  let at = 2; // tag + one-byte length of the AARQ/AARE itself (short form here)
  if (apdu[1] >= 0x80) throw new Error('long-form AARQ length not expected in these vectors');
  while (at < apdu.length) {
    const tag = apdu[at];
    let length = apdu[at + 1];
    let head = 2;
    if (length === 0x81) {
      length = apdu[at + 2];
      head = 3;
    }
    if (tag === fieldTag) return apdu.subarray(at + head, at + head + length);
    at += head + length;
  }
  throw new Error(`field 0x${fieldTag.toString(16)} not found`);
}

/** user-information [30] = BE len 04 len <xDLMS APDU>: returns the xDLMS APDU. */
export function userInformation(apdu: Uint8Array): Uint8Array {
  const field = acseField(apdu, 0xbe);
  if (field[0] !== 0x04 || field[1] !== field.length - 2) throw new Error('user-information is not one octet string');
  return field.subarray(2);
}
