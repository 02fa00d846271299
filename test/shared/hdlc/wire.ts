// A test wire between an HDLC client and server with a fake clock: it runs their actions
// (transmit → the other side, wake → tick when due) until both are quiet, and can drop
// chosen frames to exercise retransmission.
import type { HdlcClientLink } from '../../../shared/hdlc/client-link.js';
import type { LinkAction } from '../../../shared/hdlc/link.js';
import type { HdlcServerLink } from '../../../shared/hdlc/server-link.js';

export interface WireEvents {
  clientGot: Uint8Array[];
  serverGot: Uint8Array[];
  clientEvents: LinkAction[];
  frames: { from: 'client' | 'server'; bytes: Uint8Array; dropped: boolean }[];
}

export class Wire {
  now = 0;
  events: WireEvents = { clientGot: [], serverGot: [], clientEvents: [], frames: [] };
  /** Return true to lose this frame on the wire. */
  drop: (from: 'client' | 'server', bytes: Uint8Array, index: number) => boolean = () => false;
  /** Called with each APDU the server link delivers; the answer (if any) is sent back. */
  serverApp: (apdu: Uint8Array) => Uint8Array | null = () => null;
  private queue: { to: 'client' | 'server'; bytes: Uint8Array; at: number }[] = [];
  private clientWake: number | null = null;
  private serverWake: number | null = null;
  private count = 0;

  constructor(readonly client: HdlcClientLink, readonly server: HdlcServerLink, readonly latency = 5) {}

  fromClient(actions: LinkAction[]): void {
    for (const a of actions) {
      if (a.kind === 'transmit') this.put('client', a.bytes);
      else if (a.kind === 'wake') this.clientWake = a.at;
      else {
        if (a.kind === 'deliver') this.events.clientGot.push(a.apdu);
        this.events.clientEvents.push(a);
      }
    }
  }

  fromServer(actions: LinkAction[]): void {
    for (const a of actions) {
      if (a.kind === 'transmit') this.put('server', a.bytes);
      else if (a.kind === 'wake') this.serverWake = a.at;
      else if (a.kind === 'deliver') {
        this.events.serverGot.push(a.apdu);
        const answer = this.serverApp(a.apdu);
        if (answer) this.fromServer(this.server.send(answer, this.now));
      }
    }
  }

  private put(from: 'client' | 'server', bytes: Uint8Array): void {
    const dropped = this.drop(from, bytes, this.count++);
    this.events.frames.push({ from, bytes, dropped });
    if (!dropped) this.queue.push({ to: from === 'client' ? 'server' : 'client', bytes, at: this.now + this.latency });
  }

  /** Runs until nothing is queued and no wake is due before `limit` ms of fake time. */
  run(limit = 60_000): void {
    const end = this.now + limit;
    for (;;) {
      const next = Math.min(
        this.queue.length ? Math.min(...this.queue.map((q) => q.at)) : Infinity,
        this.clientWake ?? Infinity,
        this.serverWake ?? Infinity,
      );
      if (next === Infinity || next > end) return;
      this.now = Math.max(this.now, next);
      const due = this.queue.filter((q) => q.at <= this.now);
      this.queue = this.queue.filter((q) => q.at > this.now);
      for (const q of due) {
        if (q.to === 'server') this.fromServer(this.server.received(q.bytes, this.now));
        else this.fromClient(this.client.received(q.bytes, this.now));
      }
      if (this.clientWake !== null && this.clientWake <= this.now) {
        this.clientWake = null;
        this.fromClient(this.client.tick(this.now));
      }
      if (this.serverWake !== null && this.serverWake <= this.now) {
        this.serverWake = null;
        this.fromServer(this.server.tick(this.now));
      }
    }
  }
}
