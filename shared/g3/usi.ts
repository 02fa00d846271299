// USI, the host interface of Microchip's G3-PLC modems (see /work/shared/G3-MODEM.md):
//   7E | H0 | H1 | payload | CRC_HI | CRC_LO | 7E, everything between the flags byte-stuffed.
// LEN (10 bits) = H0 << 2 | H1 >> 6, protocol id = H1 & 0x3F, CRC-16/XMODEM over H0 H1 payload.
// Stuffing keeps 7E out of a frame, so frames are delimited by their flags alone; the
// length field is then a check, not a delimiter.
import { ProtocolError } from '../errors.js';

export const G3_ADP_PROTOCOL = 0x25;
/**
 * The largest payload the 10-bit LEN field can carry: 1023. (The brief said 1024, which
 * needs an 11th bit; Microchip only has such extended lengths for other protocols.)
 */
export const USI_MAX_PAYLOAD = 0x3ff;
export const USI_FLAG = 0x7e;
export const USI_ESCAPE = 0x7d;
/** H0 H1 + payload + CRC, unstuffed. */
const MAX_BODY = 2 + USI_MAX_PAYLOAD + 2;
const MIN_BODY = 4;

const TABLE = new Uint16Array(256);
for (let n = 0; n < 256; n++) {
  let c = n << 8;
  for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
  TABLE[n] = c;
}

/** CRC-16/XMODEM: poly 0x1021, init 0, not reflected, no final XOR ("123456789" → 0x31C3). */
export function crc16Xmodem(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[(crc >>> 8) ^ bytes[i]];
  return crc;
}

export function encodeUsiFrame(protocolId: number, payload: Uint8Array): Uint8Array {
  if (!Number.isInteger(protocolId) || protocolId < 0 || protocolId > 0x3f) {
    throw new RangeError(`USI protocol id ${protocolId} does not fit 6 bits`);
  }
  if (payload.length > USI_MAX_PAYLOAD) {
    throw new RangeError(`USI payload of ${payload.length} bytes exceeds ${USI_MAX_PAYLOAD}`);
  }
  const n = payload.length;
  const body = new Uint8Array(n + 4);
  body[0] = n >> 2;
  body[1] = ((n & 0x03) << 6) | protocolId;
  body.set(payload, 2);
  const crc = crc16Xmodem(body, 0, n + 2);
  body[n + 2] = crc >> 8;
  body[n + 3] = crc & 0xff;
  let escapes = 0;
  for (const b of body) if (b === USI_FLAG || b === USI_ESCAPE) escapes++;
  const out = new Uint8Array(body.length + escapes + 2);
  let at = 0;
  out[at++] = USI_FLAG;
  for (const b of body) {
    if (b === USI_FLAG || b === USI_ESCAPE) {
      out[at++] = USI_ESCAPE;
      out[at++] = b ^ 0x20;
    } else {
      out[at++] = b;
    }
  }
  out[at] = USI_FLAG;
  return out;
}

export type UsiEvent =
  | { kind: 'frame'; protocolId: number; payload: Uint8Array }
  | { kind: 'error'; error: ProtocolError };

/**
 * Streaming deframer. Bytes may arrive in any split; noise outside frames is skipped;
 * one flag may close a frame and open the next. A bad frame (bad escape, bad CRC, length
 * field that disagrees, too long, too short) becomes an 'error' event and the deframer
 * hunts for the next flag. It holds at most one frame (MAX_BODY bytes): never throws.
 */
export class UsiDeframer {
  private readonly body = new Uint8Array(MAX_BODY);
  private length = 0;
  /** 'hunt': outside any frame, skipping to a flag; 'frame': after an opening flag. */
  private state: 'hunt' | 'frame' = 'hunt';
  private escaped = false;
  /** Stream offset of the current frame's opening flag. */
  private frameStart = 0;
  /** Bytes of the stream consumed so far, so errors give an absolute offset. */
  private consumed = 0;
  private skippedBytes = 0;

  /** Bytes skipped as noise while hunting for a flag (diagnostics). */
  get skipped(): number {
    return this.skippedBytes;
  }

  /** Bytes of a partial frame held back. */
  get pending(): number {
    return this.state === 'frame' ? this.length : 0;
  }

  /** Drops a partial frame (e.g. after an inter-byte timeout of the caller's clock). */
  reset(): void {
    this.state = 'hunt';
    this.length = 0;
    this.escaped = false;
  }

  push(bytes: Uint8Array): UsiEvent[] {
    const events: UsiEvent[] = [];
    for (let i = 0; i < bytes.length; i++) {
      const at = this.consumed + i;
      const b = bytes[i];
      if (b === USI_FLAG) {
        if (this.state === 'frame' && (this.length > 0 || this.escaped)) events.push(this.finish());
        this.open(at);
        continue;
      }
      if (this.state === 'hunt') {
        this.skippedBytes++;
        continue;
      }
      if (this.escaped) {
        this.escaped = false;
        if (b !== 0x5e && b !== 0x5d) {
          this.fail(events, `invalid escape 7D ${hex2(b)} (only 7D 5E and 7D 5D are defined)`, at - 1);
          continue;
        }
        this.add(events, b ^ 0x20, at);
      } else if (b === USI_ESCAPE) {
        this.escaped = true;
      } else {
        this.add(events, b, at);
      }
    }
    this.consumed += bytes.length;
    return events;
  }

  private open(at: number): void {
    this.state = 'frame';
    this.length = 0;
    this.escaped = false;
    this.frameStart = at;
  }

  private add(events: UsiEvent[], b: number, at: number): void {
    if (this.length === MAX_BODY) {
      this.fail(events, `frame longer than ${MAX_BODY} bytes (payload limit ${USI_MAX_PAYLOAD}) without a closing flag`, at);
      return;
    }
    this.body[this.length++] = b;
  }

  private fail(events: UsiEvent[], message: string, at: number): void {
    events.push({ kind: 'error', error: new ProtocolError(message, at, 'g3') });
    this.reset();
  }

  /** Checks the bytes between two flags. */
  private finish(): UsiEvent {
    const start = this.frameStart;
    const n = this.length;
    const b = this.body;
    const error = (message: string): UsiEvent => ({ kind: 'error', error: new ProtocolError(message, start, 'g3') });
    if (this.escaped) return error('frame ends with a lone escape byte 7D');
    if (n < MIN_BODY) return error(`frame of ${n} byte(s) is shorter than header + CRC (${MIN_BODY})`);
    const declared = (b[0] << 2) | (b[1] >> 6);
    if (declared !== n - 4) return error(`length field says ${declared} but the frame carries ${n - 4} payload byte(s)`);
    const crc = (b[n - 2] << 8) | b[n - 1];
    const computed = crc16Xmodem(b, 0, n - 2);
    if (crc !== computed) return error(`CRC mismatch: frame has ${hex4(crc)}, computed ${hex4(computed)}`);
    return { kind: 'frame', protocolId: b[1] & 0x3f, payload: b.slice(2, n - 2) };
  }
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, '0').toUpperCase();
}

function hex4(v: number): string {
  return `0x${v.toString(16).padStart(4, '0').toUpperCase()}`;
}
