// The server (secondary station) side of an HDLC link, as a meter runs it: it answers
// only frames addressed to it (multi-drop buses carry many meters), negotiates with UA,
// reassembles segmented requests, answers in windows, repeats its last answer when the
// client repeats a frame, and answers DM when not connected (IEC 62056-46; Green Book 8.4).
import { concat, equalBytes } from '../bytes.js';
import { ProtocolError } from '../errors.js';
import type { HdlcAddress } from './address.js';
import type { Control } from './control.js';
import { Deframer } from './deframer.js';
import { type HdlcFrame, encodeFrame } from './frame.js';
import { LLC_REQUEST, LLC_RESPONSE, type LinkAction, SegmentSender, withLlc } from './link.js';
import { DEFAULT_PARAMETERS, type HdlcParameters, decodeParameters, encodeParameters } from './parameters.js';

export interface HdlcServerConfig {
  /** Upper HDLC address (logical device), usually 1 (management logical device). */
  logical: number;
  /** Lower HDLC address (physical device): the meter's address on a multi-drop bus. */
  physical: number;
  /** The most this server supports; SNRM proposals are cut down to these. */
  limits?: HdlcParameters;
  /** Silence after which the server drops the connection, in ms (0 = never). */
  inactivityTimeout?: number;
  interFrameTimeout?: number;
}

export class HdlcServerLink {
  state: 'disconnected' | 'connected' = 'disconnected';
  parameters: HdlcParameters = { ...DEFAULT_PARAMETERS };
  /** The client SAP of the connection, when connected. */
  client: number | null = null;
  private readonly limits: HdlcParameters;
  private readonly deframer = new Deframer();
  private me: HdlcAddress | null = null; // own address in the form the client used
  private peer: HdlcAddress | null = null;
  private vr = 0;
  private vs = 0;
  private incoming: Uint8Array[] = [];
  private sender: SegmentSender | null = null;
  /** The frames of the last window sent, to repeat when the client repeats itself. */
  private lastWindow: Uint8Array[] = [];
  private lastFrameAt = 0;
  private lastByteAt = 0;

  constructor(readonly config: HdlcServerConfig) {
    this.limits = config.limits ?? { ...DEFAULT_PARAMETERS };
  }

  received(bytes: Uint8Array, now: number): LinkAction[] {
    this.lastByteAt = now;
    const { frames } = this.deframer.push(bytes);
    const actions: LinkAction[] = [];
    for (const f of frames) {
      // A client address is always one byte: this skips other meters' answers heard on a
      // multi-drop bus (their source is a 2- or 4-byte server address).
      if (f.src.size !== 1 || !this.isForMe(f.dest)) continue;
      this.lastFrameAt = now;
      actions.push(...this.onFrame(f));
    }
    return this.withWake(actions);
  }

  /** Sends the application's answer to the last delivered APDU. */
  send(apdu: Uint8Array, now: number): LinkAction[] {
    if (this.state !== 'connected') return [];
    this.lastFrameAt = now;
    this.sender = new SegmentSender(withLlc(LLC_RESPONSE, apdu), this.parameters.maxInfoTx, this.vs);
    return this.withWake(this.sendWindow());
  }

  tick(now: number): LinkAction[] {
    if (this.deframer.pending > 0 && now - this.lastByteAt >= (this.config.interFrameTimeout ?? 200)) this.deframer.reset();
    const idle = this.config.inactivityTimeout ?? 0;
    if (this.state === 'connected' && idle > 0 && now - this.lastFrameAt >= idle) {
      this.disconnect();
      return [{ kind: 'disconnected', reason: 'inactivity timeout' }];
    }
    return this.withWake([]);
  }

  private isForMe(dest: HdlcAddress): boolean {
    if (dest.logical !== this.config.logical) return false;
    return dest.size === 1 || dest.physical === this.config.physical;
  }

  private onFrame(f: HdlcFrame): LinkAction[] {
    const c = f.control;
    if (c.type === 'SNRM') return this.onConnect(f);
    if (c.type === 'DISC') {
      const wasConnected = this.state === 'connected';
      const answer = this.reply(f, { type: wasConnected ? 'UA' : 'DM', pf: true });
      this.disconnect();
      return wasConnected ? [answer, { kind: 'disconnected', reason: 'DISC' }] : [answer];
    }
    if (this.state !== 'connected') {
      return c.pf && c.type !== 'UI' ? [this.reply(f, { type: 'DM', pf: true })] : [];
    }
    if (f.src.logical !== this.peer!.logical) return []; // another client while connected
    if (c.type === 'RR' || c.type === 'RNR') return this.onPoll(c.nr, f);
    if (c.type === 'I') return this.onInformation(f, c.ns, c.nr, c.pf);
    if (c.type === 'UI') return this.deliver([f.info]);
    return [];
  }

  private onConnect(f: HdlcFrame): LinkAction[] {
    let proposed: HdlcParameters;
    try {
      proposed = decodeParameters(f.info);
    } catch {
      return [this.reply(f, { type: 'FRMR', pf: true })];
    }
    const l = this.limits;
    this.parameters = {
      maxInfoTx: Math.min(l.maxInfoTx, proposed.maxInfoRx),
      maxInfoRx: Math.min(l.maxInfoRx, proposed.maxInfoTx),
      windowTx: Math.max(1, Math.min(l.windowTx, proposed.windowRx, 7)),
      windowRx: Math.max(1, Math.min(l.windowRx, proposed.windowTx, 7)),
    };
    this.state = 'connected';
    this.me = f.dest;
    this.peer = f.src;
    this.client = f.src.logical;
    this.vr = this.vs = 0;
    this.incoming = [];
    this.sender = null;
    this.lastWindow = [];
    return [this.reply(f, { type: 'UA', pf: true }, encodeParameters(this.parameters)), { kind: 'connected', parameters: { ...this.parameters } }];
  }

  private onInformation(f: HdlcFrame, ns: number, nr: number, poll: boolean): LinkAction[] {
    if (f.info.length > this.parameters.maxInfoRx) return [this.reply(f, { type: 'FRMR', pf: true })];
    if (ns !== this.vr) {
      // The client repeated its last frame (our answer was lost): repeat the answer.
      if (ns === ((this.vr - 1) & 7) && this.lastWindow.length > 0 && poll) {
        return this.lastWindow.map((bytes) => ({ kind: 'transmit', bytes }) as LinkAction);
      }
      return poll ? [this.reply(f, { type: 'RR', nr: this.vr, pf: true })] : [];
    }
    if (this.sender) {
      this.sender.acknowledge(nr);
      this.sender = null;
    }
    this.vr = (this.vr + 1) & 7;
    this.incoming.push(f.info);
    if (f.segmented) {
      if (!poll) return [];
      const ack = this.reply(f, { type: 'RR', nr: this.vr, pf: true });
      this.lastWindow = [(ack as { bytes: Uint8Array }).bytes];
      return [ack];
    }
    const parts = this.incoming;
    this.incoming = [];
    return this.deliver(parts);
  }

  private onPoll(nr: number, f: HdlcFrame): LinkAction[] {
    if (this.sender && this.sender.acknowledge(nr)) {
      this.vs = this.sender.vs;
      if (!this.sender.done) return this.sendWindow();
      this.sender = null;
    }
    return f.control.pf ? [this.reply(f, { type: 'RR', nr: this.vr, pf: true })] : [];
  }

  private deliver(parts: Uint8Array[]): LinkAction[] {
    const data = concat(parts);
    if (data.length < 3 || !equalBytes(data.subarray(0, 3), LLC_REQUEST)) {
      return [{ kind: 'fail', error: new ProtocolError('request does not start with the LLC header E6 E6 00', 0, 'hdlc') }];
    }
    return [{ kind: 'deliver', apdu: data.subarray(3) }];
  }

  private sendWindow(): LinkAction[] {
    const sender = this.sender!;
    const window = sender.nextWindow(this.parameters.windowTx);
    this.lastWindow = window.map((s, i) =>
      encodeFrame({
        segmented: !s.last,
        dest: this.peer!,
        src: this.me!,
        control: { type: 'I', ns: s.ns, nr: this.vr, pf: i === window.length - 1 },
        info: s.info,
      }),
    );
    this.vs = sender.vs;
    return this.lastWindow.map((bytes) => ({ kind: 'transmit', bytes }) as LinkAction);
  }

  private reply(f: HdlcFrame, control: Control, info: Uint8Array = new Uint8Array(0)): LinkAction {
    return { kind: 'transmit', bytes: encodeFrame({ segmented: false, dest: f.src, src: f.dest, control, info }) };
  }

  private disconnect(): void {
    this.state = 'disconnected';
    this.client = null;
    this.sender = null;
    this.incoming = [];
    this.lastWindow = [];
  }

  private withWake(actions: LinkAction[]): LinkAction[] {
    const idle = this.config.inactivityTimeout ?? 0;
    let at: number | null = this.state === 'connected' && idle > 0 ? this.lastFrameAt + idle : null;
    if (this.deframer.pending > 0) {
      const flush = this.lastByteAt + (this.config.interFrameTimeout ?? 200);
      at = at === null ? flush : Math.min(at, flush);
    }
    if (at !== null) actions.push({ kind: 'wake', at });
    return actions;
  }
}
