// The client (primary station) side of an HDLC link in normal response mode
// (IEC 62056-46; Green Book 8.4). It connects with SNRM, sends APDUs as I-frames in
// windows with the poll bit on the last frame of each, polls segmented answers with RR,
// and on a response timeout repeats its last transmission: a server that already has
// the frame recognises the repeated N(S) and repeats its answer.
import { concat, equalBytes } from '../bytes.js';
import { LinkTimeout, ProtocolError } from '../errors.js';
import { type HdlcAddress, clientAddress, formatAddress } from './address.js';
import { formatControl } from './control.js';
import { Deframer } from './deframer.js';
import { type HdlcFrame, encodeFrame } from './frame.js';
import { LLC_REQUEST, LLC_RESPONSE, type LinkAction, SegmentSender, withLlc } from './link.js';
import { DEFAULT_PARAMETERS, type HdlcParameters, decodeParameters, encodeParameters } from './parameters.js';

export interface HdlcClientConfig {
  /** Client SAP: 16 public, 1 management, others by utility profile. */
  client: number;
  server: HdlcAddress;
  /** What the client proposes in SNRM: its own transmit/receive limits. */
  proposal?: HdlcParameters;
  /** How long to wait for an answer to a poll before repeating it, in ms. */
  responseTimeout?: number;
  /** Silence inside a frame after which its bytes are dropped, in ms. */
  interFrameTimeout?: number;
  /** Repeats of one transmission before the link is given up. */
  maxRetries?: number;
}

/** Shared by every frame without information field (one RR per received segment: no allocation). */
const NO_INFO = new Uint8Array(0);

type State = 'disconnected' | 'connecting' | 'connected' | 'disconnecting';
type Awaiting = 'ua' | 'ack' | 'response' | 'disc';

interface Pending {
  what: Awaiting;
  frames: Uint8Array[];
  deadline: number;
  retries: number;
}

export class HdlcClientLink {
  state: State = 'disconnected';
  /** Negotiated limits as the client applies them (tx = what it sends). */
  parameters: HdlcParameters = { ...DEFAULT_PARAMETERS };
  private readonly me: HdlcAddress;
  private readonly proposal: HdlcParameters;
  private readonly responseTimeout: number;
  private readonly interFrameTimeout: number;
  private readonly maxRetries: number;
  private readonly deframer = new Deframer();
  private lastByteAt = 0;
  private vr = 0;
  private vs = 0;
  private sender: SegmentSender | null = null;
  private incoming: Uint8Array[] = [];
  private pending: Pending | null = null;

  constructor(readonly config: HdlcClientConfig) {
    this.me = clientAddress(config.client);
    this.proposal = config.proposal ?? { ...DEFAULT_PARAMETERS };
    this.responseTimeout = config.responseTimeout ?? 1500;
    this.interFrameTimeout = config.interFrameTimeout ?? 200;
    this.maxRetries = config.maxRetries ?? 3;
  }

  get busy(): boolean {
    return this.pending !== null;
  }

  open(now: number): LinkAction[] {
    if (this.state !== 'disconnected') throw new Error(`HDLC open() while ${this.state}`);
    this.state = 'connecting';
    this.vr = this.vs = 0;
    const info = encodeParameters(this.proposal, true);
    return this.transmit('ua', [this.frame({ type: 'SNRM', pf: true }, info)], now);
  }

  close(now: number): LinkAction[] {
    if (this.state === 'disconnected') return [];
    this.sender = null;
    this.state = 'disconnecting';
    return this.transmit('disc', [this.frame({ type: 'DISC', pf: true })], now);
  }

  send(apdu: Uint8Array, now: number): LinkAction[] {
    if (this.state !== 'connected') throw new Error(`HDLC send() while ${this.state}`);
    if (this.pending) throw new Error('HDLC send() while a request is still outstanding');
    this.sender = new SegmentSender(withLlc(LLC_REQUEST, apdu), this.parameters.maxInfoTx, this.vs);
    this.incoming = [];
    return this.sendWindow(now);
  }

  received(bytes: Uint8Array, now: number): LinkAction[] {
    this.lastByteAt = now;
    const { frames } = this.deframer.push(bytes);
    const actions: LinkAction[] = [];
    for (const f of frames) {
      if (f.dest.logical !== this.me.logical || f.dest.size !== 1) continue;
      if (!this.fromMyServer(f.src)) continue;
      actions.push(...this.onFrame(f, now));
    }
    // A frame is still coming in: the line is not silent, so no repeat may start before it
    // has ended or gone quiet for the inter-frame timeout (a repeat now would collide with
    // it on a half-duplex bus). A 512-byte frame alone takes 0.55 s at 9600 baud.
    if (this.pending && this.deframer.pending > 0) this.pending.deadline = Math.max(this.pending.deadline, now + this.interFrameTimeout);
    return this.withWake(actions);
  }

  tick(now: number): LinkAction[] {
    const actions: LinkAction[] = [];
    if (this.deframer.pending > 0 && now - this.lastByteAt >= this.interFrameTimeout) this.deframer.reset();
    const p = this.pending;
    if (p && now >= p.deadline) {
      if (p.retries >= this.maxRetries) {
        const waited = this.responseTimeout * (p.retries + 1);
        const what = { ua: 'UA to SNRM', ack: 'acknowledgement', response: 'response', disc: 'UA to DISC' }[p.what];
        this.drop();
        actions.push({ kind: 'fail', error: new LinkTimeout(`no ${what} from HDLC server ${formatAddress(this.config.server)} after ${p.retries + 1} tries`, waited) });
        actions.push({ kind: 'disconnected', reason: 'timeout' });
      } else {
        p.retries++;
        p.deadline = now + this.responseTimeout;
        for (const bytes of p.frames) actions.push({ kind: 'transmit', bytes });
      }
    }
    return this.withWake(actions);
  }

  private fromMyServer(a: HdlcAddress): boolean {
    const s = this.config.server;
    return a.logical === s.logical && (a.physical ?? -1) === (s.physical ?? -1);
  }

  private onFrame(f: HdlcFrame, now: number): LinkAction[] {
    const c = f.control;
    const what = this.pending?.what;
    if (c.type === 'UA' && what === 'ua') {
      const offered = decodeParameters(f.info);
      // The server's transmit is the client's receive and vice versa; never exceed our own proposal.
      this.parameters = {
        maxInfoTx: Math.min(offered.maxInfoRx, this.proposal.maxInfoTx),
        maxInfoRx: Math.min(offered.maxInfoTx, this.proposal.maxInfoRx),
        windowTx: Math.max(1, Math.min(offered.windowRx, this.proposal.windowTx, 7)),
        windowRx: Math.max(1, Math.min(offered.windowTx, this.proposal.windowRx, 7)),
      };
      this.pending = null;
      this.state = 'connected';
      return [{ kind: 'connected', parameters: { ...this.parameters } }];
    }
    if ((c.type === 'UA' || c.type === 'DM') && what === 'disc') {
      this.drop();
      return [{ kind: 'disconnected', reason: 'closed' }];
    }
    if (c.type === 'DM' || c.type === 'FRMR') {
      const reason = c.type === 'DM' ? 'the server is disconnected (DM)' : 'the server rejected a frame (FRMR)';
      const wasConnecting = what === 'ua';
      this.drop();
      return [
        { kind: 'fail', error: new ProtocolError(wasConnecting ? `connection refused: ${reason}` : reason, 0, 'hdlc') },
        { kind: 'disconnected', reason: c.type },
      ];
    }
    if (this.state !== 'connected' || !this.pending) return [];
    if (c.type === 'RNR') {
      // Receiver not ready: ask again after a pause, without counting it as a failure.
      this.pending.frames = [this.frame({ type: 'RR', nr: this.vr, pf: true })];
      this.pending.deadline = now + this.responseTimeout;
      return [];
    }
    if (c.type === 'RR') return this.onAck(c.nr, now);
    if (c.type === 'I') return this.onInformation(f, c.ns, c.nr, c.pf, now);
    return [];
  }

  private onAck(nr: number, now: number): LinkAction[] {
    if (!this.sender || !this.sender.acknowledge(nr)) return [];
    this.vs = this.sender.vs;
    if (this.sender.allSent && this.pending?.what === 'response') {
      // RR while waiting for the answer means "I have it all" — keep waiting.
      return [];
    }
    return this.sendWindow(now);
  }

  private onInformation(f: HdlcFrame, ns: number, nr: number, final: boolean, now: number): LinkAction[] {
    if (this.sender) {
      if (!this.sender.acknowledge(nr)) return [];
      this.vs = this.sender.vs;
      if (!this.sender.done) return this.sendWindow(now); // answer came early: peer lost frames
      this.sender = null;
    }
    if (ns !== this.vr) {
      // Out of sequence (a frame of the window was lost): ask from the one expected.
      return final ? this.transmit('response', [this.frame({ type: 'RR', nr: this.vr, pf: true })], now) : [];
    }
    this.vr = (this.vr + 1) & 7;
    this.incoming.push(f.info);
    if (f.segmented) {
      const poll = this.frame({ type: 'RR', nr: this.vr, pf: true });
      if (final) return this.transmit('response', [poll], now);
      // Mid-window: the server still holds the poll (F = 0) and goes on sending, so the
      // response timer starts again from this frame (normal response mode: the primary
      // transmits only after F = 1 or a timeout). Without this a window of 7 × 512 bytes
      // (3.7 s at 9600 baud) always outlasts the timeout, and the repeated poll collides
      // with the rest of the window and makes the server send it all again.
      // Should the rest be lost, the repeat after the timeout asks from here.
      if (this.pending) {
        this.pending.frames = [poll];
        this.pending.deadline = now + this.responseTimeout;
      }
      return [];
    }
    this.pending = null;
    const data = concat(this.incoming);
    this.incoming = [];
    if (data.length < 3 || !equalBytes(data.subarray(0, 3), LLC_RESPONSE)) {
      return [{ kind: 'fail', error: new ProtocolError('response does not start with the LLC header E6 E7 00', 0, 'hdlc') }];
    }
    return [{ kind: 'deliver', apdu: data.subarray(3) }];
  }

  private sendWindow(now: number): LinkAction[] {
    const sender = this.sender!;
    const window = sender.nextWindow(this.parameters.windowTx);
    const frames = window.map((s, i) =>
      encodeFrame({
        segmented: !s.last,
        dest: this.config.server,
        src: this.me,
        control: { type: 'I', ns: s.ns, nr: this.vr, pf: i === window.length - 1 },
        info: s.info,
      }),
    );
    this.vs = sender.vs;
    return this.transmit(sender.allSent ? 'response' : 'ack', frames, now);
  }

  private transmit(what: Awaiting, frames: Uint8Array[], now: number): LinkAction[] {
    // Asking for the same thing again is a retry too, so a link that keeps losing the
    // same frame gives up instead of polling for ever.
    const previous = this.pending;
    const repeat = previous !== null && previous.frames.length === frames.length && frames.every((f, i) => equalBytes(f, previous.frames[i]));
    const retries = repeat ? previous.retries + 1 : 0;
    if (retries > this.maxRetries) {
      this.drop();
      return [
        { kind: 'fail', error: new LinkTimeout(`HDLC server ${formatAddress(this.config.server)} keeps losing the same frame after ${retries} tries`, 0) },
        { kind: 'disconnected', reason: 'no progress' },
      ];
    }
    this.pending = { what, frames, deadline: now + this.responseTimeout, retries };
    return this.withWake(frames.map((bytes) => ({ kind: 'transmit', bytes }) as LinkAction));
  }

  private frame(control: Parameters<typeof encodeFrame>[0]['control'], info: Uint8Array = NO_INFO): Uint8Array {
    return encodeFrame({ segmented: false, dest: this.config.server, src: this.me, control, info });
  }

  private drop(): void {
    this.state = 'disconnected';
    this.pending = null;
    this.sender = null;
    this.incoming = [];
  }

  private withWake(actions: LinkAction[]): LinkAction[] {
    if (actions.some((a) => a.kind === 'wake')) return actions;
    const at = this.nextWake();
    if (at !== null) actions.push({ kind: 'wake', at });
    return actions;
  }

  private nextWake(): number | null {
    let at = this.pending ? this.pending.deadline : null;
    if (this.deframer.pending > 0) {
      const flush = this.lastByteAt + this.interFrameTimeout;
      at = at === null ? flush : Math.min(at, flush);
    }
    return at;
  }

  /** For logs: a frame as a technician reads it. */
  static describe(f: HdlcFrame): string {
    return `${formatControl(f.control)} ${formatAddress(f.src)}→${formatAddress(f.dest)}${f.segmented ? ' S' : ''} info=${f.info.length}`;
  }
}
