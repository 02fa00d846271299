// Streaming deframer: bytes arrive in any chunking (split, joined, with line noise in
// between); complete, checked frames come out. Frames are delimited by their length
// field, not by searching for the closing flag, so a 7E inside a checksum or an
// information field does no harm. One flag may close a frame and open the next.
import { ProtocolError } from '../errors.js';
import { checkCrc } from './crc.js';
import { FLAG, type HdlcFrame, decodeFrameView } from './frame.js';

export interface DeframerOutput {
  frames: HdlcFrame[];
  /** Raw bytes of each frame in `frames`, flags included (for logs and bus accounting). */
  raw: Uint8Array[];
  /** Frames that were found and discarded (bad checksum, bad header), for diagnostics. */
  errors: ProtocolError[];
  /** Bytes skipped as noise outside any frame. */
  skipped: number;
}

const MIN_FRAME_LENGTH = 7; // format 2 + dest 1 + src 1 + control 1 + FCS 2
/**
 * Frames are copied out into slabs of this size and handed out as views, as Node's Buffer
 * pool does: allocating a typed array per frame cost more than everything else the
 * deframer does. A slab lives while any frame in it does (at most SLAB bytes held).
 */
const SLAB = 16384;

export class Deframer {
  private buf = new Uint8Array(4096);
  private start = 0;
  private end = 0;
  /** Bytes of the stream consumed so far, so errors can give an absolute offset. */
  private consumed = 0;

  /** Bytes held back waiting for the rest of a frame. */
  get pending(): number {
    return this.end - this.start;
  }

  /** Drops a partial frame (after an inter-frame timeout). */
  reset(): void {
    this.consumed += this.end - this.start;
    this.start = this.end = 0;
  }

  push(chunk: Uint8Array): DeframerOutput {
    this.append(chunk);
    const out: DeframerOutput = { frames: [], raw: [], errors: [], skipped: 0 };
    for (;;) {
      const found = this.nextFlag();
      out.skipped += found;
      if (this.pending < 3) break;
      const b = this.buf;
      const s = this.start;
      if (b[s + 1] === FLAG) {
        this.drop(1); // two flags in a row: the first was a closing flag
        continue;
      }
      if (b[s + 1] >> 4 !== 0xa) {
        out.skipped += 1;
        this.drop(1);
        continue;
      }
      const length = ((b[s + 1] & 0x07) << 8) | b[s + 2];
      if (length < MIN_FRAME_LENGTH) {
        out.errors.push(new ProtocolError(`frame length ${length} is below the minimum of ${MIN_FRAME_LENGTH}`, this.consumed + 1, 'hdlc'));
        this.drop(1);
        continue;
      }
      if (!this.headerPlausible(length)) {
        out.errors.push(new ProtocolError('header check sequence (HCS) mismatch', this.consumed + 1, 'hdlc'));
        this.drop(1);
        continue;
      }
      if (this.pending < length + 2) break; // wait for the rest
      if (b[s + length + 1] !== FLAG) {
        out.errors.push(new ProtocolError(`no closing flag after ${length} bytes`, this.consumed + length + 1, 'hdlc'));
        this.drop(1);
        continue;
      }
      // The one copy of the frame: `buf` is reused, `raw` is not, so info may be a view into it.
      const raw = this.copyOut(s, s + length + 2);
      try {
        out.frames.push(decodeFrameView(raw, this.consumed));
        out.raw.push(raw);
        this.drop(length + 1); // keep the closing flag: it may open the next frame
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        out.errors.push(e);
        this.drop(1);
      }
    }
    return out;
  }

  /**
   * When the header is complete and the length says an information field follows, the
   * HCS can be checked before the whole frame is in: noise that happens to start with
   * 7E A… is then dropped at once instead of holding real frames back.
   */
  private headerPlausible(length: number): boolean {
    const b = this.buf;
    const s = this.start;
    let at = s + 3;
    for (let part = 0; part < 2; part++) {
      let n = 0;
      for (;;) {
        if (at >= this.end) return true; // not enough bytes yet to judge
        n++;
        if (b[at++] & 1) break;
        if (n === 4) return false;
      }
      if (n === 3) return false;
    }
    const controlEnd = at + 1; // exclusive end of the control byte
    const headerLength = controlEnd - (s + 1);
    if (length <= headerLength + 2) return headerLength + 2 === length; // no info: FCS only
    if (controlEnd + 2 > this.end) return true;
    return checkCrc(b, s + 1, controlEnd);
  }

  private slab = new Uint8Array(0);
  private slabUsed = 0;

  /** A copy of buf[start, end) that no later push changes. */
  private copyOut(start: number, end: number): Uint8Array {
    const n = end - start;
    if (n > SLAB / 4) return this.buf.slice(start, end);
    if (this.slabUsed + n > this.slab.length) {
      this.slab = new Uint8Array(SLAB);
      this.slabUsed = 0;
    }
    const at = this.slabUsed;
    this.slab.set(this.buf.subarray(start, end), at);
    this.slabUsed += n;
    return this.slab.subarray(at, at + n);
  }

  private append(chunk: Uint8Array): void {
    if (this.end + chunk.length > this.buf.length) {
      const live = this.end - this.start;
      const size = Math.max(this.buf.length, (live + chunk.length) * 2);
      if (size === this.buf.length) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        const next = new Uint8Array(size);
        next.set(this.buf.subarray(this.start, this.end), 0);
        this.buf = next;
      }
      this.start = 0;
      this.end = live;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  /** Skips to the next flag; returns how many bytes were skipped. */
  private nextFlag(): number {
    let i = this.start;
    while (i < this.end && this.buf[i] !== FLAG) i++;
    const skipped = i - this.start;
    this.drop(skipped);
    return skipped;
  }

  private drop(n: number): void {
    this.start += n;
    this.consumed += n;
    if (this.start === this.end) this.start = this.end = 0;
  }
}
