// One simulated meter as the transports see it, still without I/O: bytes (HDLC) or wrapper
// PDUs in, bytes out. The HDLC link lives as long as an HDLC connection; a
// ServerAssociation is made per connection for the client SAP that connected. What must
// outlive connections and restarts — system title, sending counter, replay guard, the
// object model — belongs to the meter (`MeterServer`) and is only borrowed here.
import { randomBytes } from 'node:crypto';
import { type HdlcAddress } from '../../../shared/hdlc/address.js';
import { Deframer } from '../../../shared/hdlc/deframer.js';
import { encodeFrame } from '../../../shared/hdlc/frame.js';
import type { LinkAction } from '../../../shared/hdlc/link.js';
import { DEFAULT_PARAMETERS, type HdlcParameters, decodeParameters } from '../../../shared/hdlc/parameters.js';
import { HdlcServerLink } from '../../../shared/hdlc/server-link.js';
import { ServerAssociation, type ServerAssociationConfig } from '../../../shared/dlms/association/server.js';
import type { CosemServerObjects, ServerPolicy } from '../../../shared/dlms/association/server-objects.js';
import type { Authentication } from '../../../shared/dlms/association/settings.js';
import type { ReplayGuard, SendingCounter } from '../../../shared/dlms/security/invocation-counter.js';
import { equalBytes } from '../../../shared/bytes.js';
import type { WrapperPdu } from '../../../shared/wrapper/wrapper.js';

/** The DLMS side of one meter: what every connection to it shares. */
export interface MeterServer {
  objects: CosemServerObjects;
  policy: (clientSap: number) => ServerPolicy | undefined;
  systemTitle: Uint8Array;
  counter: SendingCounter;
  guard: ReplayGuard;
  /** 16-byte HLS challenges; default: crypto random. */
  challenge?: () => Uint8Array;
  maxReceivePduSize?: number;
  /**
   * Set to the association being served while a request runs (synchronously), so the
   * object model can show what was negotiated (association LN attribute 5).
   */
  serving?: { association: ServerAssociation | null };
}

/** What happened, for logs: one line per connection and association. */
export type EndpointEvent =
  | { kind: 'connected'; client: number; parameters: HdlcParameters }
  | { kind: 'disconnected'; client: number | null; reason: string }
  | { kind: 'refused-proposal'; client: number; proposed: HdlcParameters }
  | { kind: 'associated'; client: number; authentication: Authentication | 'unknown' }
  | { kind: 'association-rejected'; client: number }
  | { kind: 'released'; client: number }
  | { kind: 'rebooted' }
  | { kind: 'error'; message: string };

export interface EndpointOutput {
  /** Frames to put on the line, in order. */
  transmit: Uint8Array[];
  /** Call tick() at this time (ms of the same clock as `now`), or null. */
  wakeAt: number | null;
  events: EndpointEvent[];
}

export interface HdlcEndpointConfig {
  server: MeterServer;
  /** Upper HDLC address; 1 = management logical device. */
  logical?: number;
  /** Lower HDLC address: the meter's address on the bus. */
  physical: number;
  /** What the meter supports; proposals are cut down to these (default 128/128, window 1). */
  limits?: HdlcParameters;
  /**
   * An SNRM proposing more than `limits`: 'clamp' answers UA with the meter's own limits,
   * as IEC 62056-46 negotiation says; 'dm' refuses the connection with DM, as some meters
   * in the field do — a client must then try again with the default parameters.
   */
  oversizeProposal?: 'clamp' | 'dm';
  inactivityTimeout?: number;
  interFrameTimeout?: number;
}

const ASSOCIATION_REQUEST = 0x60; // AARQ tag
const RELEASE_REQUEST = 0x62; // RLRQ tag

/** Follows one ServerAssociation's state across a request and says what changed, for the log. */
function associationEvent(assoc: ServerAssociation, request: Uint8Array, before: ServerAssociation['state'], auth: Authentication | 'unknown'): EndpointEvent | null {
  const client = assoc.clientSap;
  const after = assoc.state;
  if (request[0] === ASSOCIATION_REQUEST) {
    if (after === 'associated') return { kind: 'associated', client, authentication: auth };
    return after === 'idle' ? { kind: 'association-rejected', client } : null;
  }
  if (before === 'awaiting-hls') return after === 'associated' ? { kind: 'associated', client, authentication: auth } : after === 'idle' ? { kind: 'association-rejected', client } : null;
  if (request[0] === RELEASE_REQUEST && before === 'associated') return { kind: 'released', client };
  return null;
}

function associationConfig(server: MeterServer): ServerAssociationConfig {
  return {
    objects: server.objects,
    policy: server.policy,
    systemTitle: server.systemTitle,
    counter: server.counter,
    guard: server.guard,
    challenge: server.challenge ?? (() => new Uint8Array(randomBytes(16))),
    ...(server.maxReceivePduSize !== undefined && { maxReceivePduSize: server.maxReceivePduSize }),
  };
}

/** Runs one ServerAssociation request and reports the answer plus any state change. */
function serve(assoc: ServerAssociation, server: MeterServer, apdu: Uint8Array, now: number, events: EndpointEvent[]): Uint8Array | null {
  const before = assoc.state;
  let answer: Uint8Array | null;
  if (server.serving) server.serving.association = assoc;
  try {
    answer = assoc.receive(apdu, now);
  } catch (e) {
    // A bug in the object model must not take the simulated meter down: log it, stay silent.
    events.push({ kind: 'error', message: `client ${assoc.clientSap}: ${e instanceof Error ? e.message : String(e)}` });
    return null;
  } finally {
    if (server.serving) server.serving.association = null;
  }
  const event = associationEvent(assoc, apdu, before, server.policy(assoc.clientSap)?.authentication ?? 'unknown');
  if (event) events.push(event);
  return answer;
}

/**
 * HDLC glue for one meter: HdlcServerLink + a ServerAssociation per HDLC connection.
 * Sans-timer: the caller passes bytes and `now`, writes `transmit`, calls tick(wakeAt).
 */
export class HdlcMeterEndpoint {
  link: HdlcServerLink;
  association: ServerAssociation | null = null;
  readonly logical: number;
  readonly physical: number;
  private readonly limits: HdlcParameters;
  // Frames are cut out here first so an SNRM can be inspected before the link sees it.
  private readonly deframer = new Deframer();
  private lastByteAt = 0;

  constructor(readonly config: HdlcEndpointConfig) {
    this.logical = config.logical ?? 1;
    this.physical = config.physical;
    this.limits = config.limits ?? { ...DEFAULT_PARAMETERS };
    this.link = this.newLink();
  }

  received(bytes: Uint8Array, now: number): EndpointOutput {
    this.lastByteAt = now;
    const out: EndpointOutput = { transmit: [], wakeAt: null, events: [] };
    const { frames, raw } = this.deframer.push(bytes);
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      if (!this.isForMe(f.dest)) continue;
      if (f.control.type === 'SNRM' && this.config.oversizeProposal === 'dm') {
        const refused = this.refuse(f.info, f.src, f.dest, out.events);
        if (refused) {
          out.transmit.push(refused);
          continue;
        }
      }
      this.apply(this.link.received(raw[i], now), now, out);
    }
    return this.withWake(out);
  }

  tick(now: number): EndpointOutput {
    const out: EndpointOutput = { transmit: [], wakeAt: null, events: [] };
    if (this.deframer.pending > 0 && now - this.lastByteAt >= (this.config.interFrameTimeout ?? 200)) this.deframer.reset();
    this.apply(this.link.tick(now), now, out);
    return this.withWake(out);
  }

  /** A power cycle: the connection and the association are gone, without a word on the line. */
  reboot(): EndpointEvent {
    this.link = this.newLink();
    this.association = null;
    this.deframer.reset();
    return { kind: 'rebooted' };
  }

  get connected(): boolean {
    return this.link.state === 'connected';
  }

  private newLink(): HdlcServerLink {
    const c = this.config;
    return new HdlcServerLink({
      logical: this.logical,
      physical: this.physical,
      limits: this.limits,
      ...(c.inactivityTimeout !== undefined && { inactivityTimeout: c.inactivityTimeout }),
      ...(c.interFrameTimeout !== undefined && { interFrameTimeout: c.interFrameTimeout }),
    });
  }

  /** Same rule as HdlcServerLink: our logical device, and our physical address when one is given. */
  private isForMe(dest: HdlcAddress): boolean {
    return dest.logical === this.logical && (dest.size === 1 || dest.physical === this.physical);
  }

  /** 'dm' mode: a DM frame when the SNRM asks for more than the limits, else null. */
  private refuse(info: Uint8Array, client: HdlcAddress, me: HdlcAddress, events: EndpointEvent[]): Uint8Array | null {
    let p: HdlcParameters;
    try {
      p = decodeParameters(info);
    } catch {
      return null; // the link answers a malformed proposal with FRMR
    }
    const l = this.limits;
    if (p.maxInfoTx <= l.maxInfoRx && p.maxInfoRx <= l.maxInfoTx && p.windowTx <= l.windowRx && p.windowRx <= l.windowTx) return null;
    if (this.connected) events.push({ kind: 'disconnected', client: this.association?.clientSap ?? null, reason: 'SNRM refused' });
    this.link = this.newLink();
    this.association = null;
    events.push({ kind: 'refused-proposal', client: client.logical, proposed: p });
    return encodeFrame({ segmented: false, dest: client, src: me, control: { type: 'DM', pf: true }, info: new Uint8Array(0) });
  }

  private apply(actions: LinkAction[], now: number, out: EndpointOutput): void {
    for (const a of actions) {
      switch (a.kind) {
        case 'transmit':
          out.transmit.push(a.bytes);
          break;
        case 'wake':
          out.wakeAt = out.wakeAt === null ? a.at : Math.min(out.wakeAt, a.at);
          break;
        case 'connected':
          // A new connection starts a new association, whoever connected before.
          this.association = new ServerAssociation(associationConfig(this.config.server), this.link.client!);
          out.events.push({ kind: 'connected', client: this.link.client!, parameters: a.parameters });
          break;
        case 'disconnected':
          out.events.push({ kind: 'disconnected', client: this.association?.clientSap ?? null, reason: a.reason });
          this.association = null;
          break;
        case 'fail':
          out.events.push({ kind: 'error', message: a.error.message });
          break;
        case 'deliver': {
          if (!this.association) break;
          const answer = serve(this.association, this.config.server, a.apdu, now, out.events);
          if (answer) this.apply(this.link.send(answer, now), now, out);
          break;
        }
      }
    }
  }

  private withWake(out: EndpointOutput): EndpointOutput {
    if (this.deframer.pending > 0) {
      const flush = this.lastByteAt + (this.config.interFrameTimeout ?? 200);
      out.wakeAt = out.wakeAt === null ? flush : Math.min(out.wakeAt, flush);
    }
    return out;
  }
}

export interface WrapperEndpointConfig {
  server: MeterServer;
  /** The meter's logical device = destination wPort it answers (default 1). */
  logical?: number;
  /**
   * A request equal to the previous one from the same client within this many ms gets the
   * same answer again instead of being served twice: UDP clients repeat lost requests, and
   * a repeated ciphered request would otherwise fail the replay check. 0 = off.
   */
  repeatWindow?: number;
}

interface WrapperSession {
  association: ServerAssociation;
  lastRequest: Uint8Array | null;
  lastAnswer: Uint8Array | null;
  lastAt: number;
}

/**
 * IEC 62056-47 glue for one meter: one ServerAssociation per client SAP (source wPort).
 * One instance per transport session: a TCP connection, or a UDP peer.
 */
export class WrapperMeterEndpoint {
  readonly logical: number;
  private sessions = new Map<number, WrapperSession>();

  constructor(readonly config: WrapperEndpointConfig) {
    this.logical = config.logical ?? 1;
  }

  /** The answer to one PDU, or null (not for us, or nothing to say). */
  receive(pdu: WrapperPdu, now: number): { answer: WrapperPdu | null; events: EndpointEvent[] } {
    const events: EndpointEvent[] = [];
    if (pdu.destination !== this.logical) return { answer: null, events };
    let session = this.sessions.get(pdu.source);
    if (!session) {
      session = { association: new ServerAssociation(associationConfig(this.config.server), pdu.source), lastRequest: null, lastAnswer: null, lastAt: 0 };
      this.sessions.set(pdu.source, session);
    }
    const window = this.config.repeatWindow ?? 0;
    if (window > 0 && session.lastRequest && session.lastAnswer && now - session.lastAt <= window && equalBytes(session.lastRequest, pdu.apdu)) {
      return { answer: { source: this.logical, destination: pdu.source, apdu: session.lastAnswer }, events };
    }
    const answer = serve(session.association, this.config.server, pdu.apdu, now, events);
    session.lastRequest = pdu.apdu;
    session.lastAnswer = answer;
    session.lastAt = now;
    if (events.some((e) => e.kind === 'released')) this.sessions.delete(pdu.source);
    return { answer: answer && { source: this.logical, destination: pdu.source, apdu: answer }, events };
  }

  /** A power cycle: every association is gone. */
  reboot(): EndpointEvent {
    this.sessions.clear();
    return { kind: 'rebooted' };
  }

  get clients(): number[] {
    return [...this.sessions.keys()];
  }
}
