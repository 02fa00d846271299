// What the HDLC link state machines (client and server) say to the I/O loop that drives
// them. They never read a clock or touch a port: the loop passes bytes and `now` in,
// writes what `transmit` says and calls tick(at) when a `wake` comes due.
import { concat } from '../bytes.js';
import type { LinkTimeout, ProtocolError } from '../errors.js';
import type { HdlcParameters } from './parameters.js';

export type LinkAction =
  | { kind: 'transmit'; bytes: Uint8Array }
  | { kind: 'deliver'; apdu: Uint8Array }
  | { kind: 'wake'; at: number }
  | { kind: 'connected'; parameters: HdlcParameters }
  | { kind: 'disconnected'; reason: string }
  | { kind: 'fail'; error: ProtocolError | LinkTimeout };

/** LLC headers that precede every APDU on HDLC (IEC 62056-46 §8; Green Book 8.4.?). */
export const LLC_REQUEST = Uint8Array.of(0xe6, 0xe6, 0x00);
export const LLC_RESPONSE = Uint8Array.of(0xe6, 0xe7, 0x00);

export function withLlc(llc: Uint8Array, apdu: Uint8Array): Uint8Array {
  return concat([llc, apdu]);
}

/**
 * Splits an outgoing message into information fields and tracks which of them the peer
 * has acknowledged, for go-back-N retransmission with sequence numbers modulo 8.
 */
export class SegmentSender {
  private readonly segments: Uint8Array[] = [];
  /** Index of the first segment not yet acknowledged. */
  private acked = 0;
  /** Index of the next segment to send. */
  private next = 0;

  constructor(
    data: Uint8Array,
    maxInfo: number,
    /** N(S) of the first segment. */
    private readonly firstSeq: number,
  ) {
    for (let at = 0; at < data.length; at += maxInfo) this.segments.push(data.subarray(at, at + maxInfo));
    if (this.segments.length === 0) this.segments.push(data);
  }

  get done(): boolean {
    return this.acked >= this.segments.length;
  }

  /** True once every segment has been put on the wire at least once. */
  get allSent(): boolean {
    return this.next >= this.segments.length;
  }

  /** N(S) of the next new frame: the sender's V(S). */
  get vs(): number {
    return (this.firstSeq + this.next) & 7;
  }

  /**
   * Takes the peer's N(R). Frames before it are acknowledged; frames from it on are to be
   * sent again (go back N). Returns false when N(R) names no frame in flight.
   */
  acknowledge(nr: number): boolean {
    const inFlight = this.next - this.acked;
    const count = (nr - ((this.firstSeq + this.acked) & 7)) & 7;
    if (count > inFlight) return false;
    this.acked += count;
    this.next = this.acked;
    return true;
  }

  /** The next window of information fields, each with its N(S) and whether it is the message's last. */
  nextWindow(window: number): { info: Uint8Array; ns: number; last: boolean }[] {
    const out: { info: Uint8Array; ns: number; last: boolean }[] = [];
    while (out.length < window && this.next < this.segments.length) {
      out.push({ info: this.segments[this.next], ns: (this.firstSeq + this.next) & 7, last: this.next === this.segments.length - 1 });
      this.next++;
    }
    return out;
  }
}
