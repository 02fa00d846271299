// One HDLC line with one or more meters on it, as a real RS485 segment behaves: every
// meter hears what the client sends (and answers only its own address — the link filters),
// the line is half duplex (one meter talks at a time), a meter answers after a turnaround,
// and with a baud rate every byte takes 10 bit times both ways: the client's bytes reach
// the meters no earlier than they would over the wire, and answers are written paced.
// Faults are applied here, on the frames as they go out. The byte source and sink are the
// caller's: a serial port (serial-bus.ts) or a TCP socket (tcp-hdlc.ts).
import { performance } from 'node:perf_hooks';
import { concat } from '../../../shared/bytes.js';
import { type HdlcParameters } from '../../../shared/hdlc/parameters.js';
import { type EndpointEvent, type EndpointOutput, HdlcMeterEndpoint, type MeterServer } from './meter-endpoint.js';
import { FaultInjector, type FaultKind, type FaultsByMeter, faultsFor, limitsWithFaults } from './faults.js';

export interface LineMeter {
  /** HDLC physical address (lower address). */
  physical: number;
  /** HDLC logical device (upper address), default 1. */
  logical?: number;
  server: MeterServer;
  /** What the meter supports in SNRM negotiation (default 128/128, window 1). */
  limits?: HdlcParameters;
  /** This meter's faults (kept across connections when the same instance is passed again). */
  faults?: FaultInjector;
  /** For logs, e.g. the serial number. */
  label?: string;
}

/** Gives every meter without an injector the faults configured for it (none: no injector). */
export function attachFaults(meters: LineMeter[], faults: FaultsByMeter | undefined, seed = 1, framing: 'hdlc' | 'wrapper' = 'hdlc'): LineMeter[] {
  return meters.map((m) => {
    if (m.faults || !faults) return m;
    const f = faultsFor(faults, m.physical, m.label);
    return Object.keys(f).length > 0 ? { ...m, faults: new FaultInjector(f, seed, m.physical, framing) } : m;
  });
}

export interface LineOptions {
  /** Puts bytes on the line (towards the client). */
  write: (bytes: Uint8Array) => void;
  /** Line speed in bit/s; undefined: no pacing (TCP). */
  baud?: number;
  /** Pause between the end of a request and the start of the answer, ms. */
  turnaround?: number;
  /** Wall clock handed to the protocol objects, UTC ms (the meters' "now"). */
  clock?: () => number;
  inactivityTimeout?: number;
  onEvent?: (meter: LineMeter, event: EndpointEvent) => void;
  /** Called with every fault applied, for logs and tests. */
  onFault?: (meter: LineMeter, kinds: FaultKind[]) => void;
}

export interface LineStats {
  /** Bytes the client put on the line. */
  bytesFromClient: number;
  /** Bytes the meters put on the line, garbage included. */
  bytesToClient: number;
  framesToClient: number;
}

interface Slot {
  meter: LineMeter;
  endpoint: HdlcMeterEndpoint;
  timer: NodeJS.Timeout | null;
}

interface Outgoing {
  slot: Slot;
  bytes: Uint8Array;
  /** performance.now() before which it must not start. */
  readyAt: number;
  seq: number;
  frames: number;
}

/** Bit times per byte on an asynchronous line: start + 8 data + stop. */
export const BITS_PER_BYTE = 10;
/** Pacing granularity: bytes are written in chunks of about this many ms of line time. */
const PACE_CHUNK_MS = 2;

export class HdlcLine {
  readonly stats: LineStats = { bytesFromClient: 0, bytesToClient: 0, framesToClient: 0 };
  private readonly slots: Slot[];
  private readonly clock: () => number;
  private readonly byteMs: number;
  private closed = false;
  // Client → meters: chunks waiting until their last byte would have arrived.
  private inbound: { at: number; bytes: Uint8Array }[] = [];
  private inboundTimer: NodeJS.Timeout | null = null;
  private inputFreeAt = 0;
  // Meters → client: answers waiting for their turn on the half-duplex line.
  private outbound: Outgoing[] = [];
  private seq = 0;
  private sending: { item: Outgoing; start: number; sent: number } | null = null;
  private outboundTimer: NodeJS.Timeout | null = null;

  constructor(meters: LineMeter[], readonly options: LineOptions) {
    this.clock = options.clock ?? Date.now;
    this.byteMs = options.baud ? (BITS_PER_BYTE * 1000) / options.baud : 0;
    this.slots = meters.map((meter) => ({
      meter,
      timer: null,
      endpoint: new HdlcMeterEndpoint({
        server: meter.server,
        physical: meter.physical,
        ...(meter.logical !== undefined && { logical: meter.logical }),
        limits: limitsWithFaults(meter.faults?.faults, meter.limits ?? { maxInfoTx: 128, maxInfoRx: 128, windowTx: 1, windowRx: 1 }),
        ...(meter.faults?.faults.refuseProposal === 'dm' && { oversizeProposal: 'dm' as const }),
        ...(options.inactivityTimeout !== undefined && { inactivityTimeout: options.inactivityTimeout }),
      }),
    }));
  }

  /** The HDLC endpoint of the meter at this physical address (tests, logs). */
  endpoint(physical: number): HdlcMeterEndpoint | undefined {
    return this.slots.find((s) => s.meter.physical === physical)?.endpoint;
  }

  /** Line time of n bytes at the configured baud, ms. */
  airtime(bytes: number): number {
    return bytes * this.byteMs;
  }

  /** Bytes arrived from the client. */
  input(bytes: Uint8Array): void {
    if (this.closed || bytes.length === 0) return;
    this.stats.bytesFromClient += bytes.length;
    if (!this.byteMs) {
      this.deliver(bytes);
      return;
    }
    // The chunk is complete on the wire once its last byte would have arrived.
    const at = Math.max(performance.now(), this.inputFreeAt) + bytes.length * this.byteMs;
    this.inputFreeAt = at;
    this.inbound.push({ at, bytes: bytes.slice() });
    this.armInbound();
  }

  /** Power-cycles one meter (the reboot fault does this too). */
  reboot(physical: number): void {
    const slot = this.slots.find((s) => s.meter.physical === physical);
    if (slot) this.report(slot, [slot.endpoint.reboot()]);
  }

  close(): void {
    this.closed = true;
    for (const s of this.slots) if (s.timer) clearTimeout(s.timer);
    if (this.inboundTimer) clearTimeout(this.inboundTimer);
    if (this.outboundTimer) clearTimeout(this.outboundTimer);
    this.inbound = [];
    this.outbound = [];
    this.sending = null;
  }

  private armInbound(): void {
    if (this.inboundTimer || this.inbound.length === 0) return;
    const delay = Math.max(0, this.inbound[0].at - performance.now());
    this.inboundTimer = setTimeout(() => {
      this.inboundTimer = null;
      const now = performance.now();
      while (this.inbound.length > 0 && this.inbound[0].at <= now) this.deliver(this.inbound.shift()!.bytes);
      this.armInbound();
    }, Math.ceil(delay));
  }

  private deliver(bytes: Uint8Array): void {
    if (this.closed) return;
    const now = this.clock();
    for (const slot of this.slots) this.handle(slot, slot.endpoint.received(bytes, now));
  }

  private handle(slot: Slot, out: EndpointOutput): void {
    this.report(slot, out.events);
    const readyAt = performance.now() + (this.options.turnaround ?? 0);
    for (const frame of out.transmit) {
      const plan = slot.meter.faults?.outgoing(frame);
      if (!plan) {
        this.enqueue(slot, frame, readyAt, 1);
        continue;
      }
      if (plan.applied.length > 0) this.options.onFault?.(slot.meter, plan.applied);
      if (plan.reboot) {
        // A power cycle: this answer and the rest of the window never leave the meter.
        this.outbound = this.outbound.filter((o) => o.slot !== slot);
        this.report(slot, [slot.endpoint.reboot()]);
        break;
      }
      const parts = [plan.garbage, plan.frame].filter((p): p is Uint8Array => p !== null);
      if (parts.length > 0) this.enqueue(slot, concat(parts), readyAt + plan.delay, plan.frame ? 1 : 0);
    }
    this.armWake(slot, out.wakeAt);
    this.pump();
  }

  private armWake(slot: Slot, at: number | null): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    if (at === null || this.closed) return;
    slot.timer = setTimeout(() => {
      slot.timer = null;
      if (!this.closed) this.handle(slot, slot.endpoint.tick(this.clock()));
    }, Math.max(0, at - this.clock()));
  }

  private report(slot: Slot, events: EndpointEvent[]): void {
    for (const e of events) this.options.onEvent?.(slot.meter, e);
  }

  private enqueue(slot: Slot, bytes: Uint8Array, readyAt: number, frames: number): void {
    this.outbound.push({ slot, bytes, readyAt, seq: this.seq++, frames });
  }

  /** Starts the next answer when the line is free: the earliest ready one, in order. */
  private pump(): void {
    if (this.closed || this.sending) return;
    if (this.outboundTimer) {
      clearTimeout(this.outboundTimer);
      this.outboundTimer = null;
    }
    if (this.outbound.length === 0) return;
    this.outbound.sort((a, b) => a.readyAt - b.readyAt || a.seq - b.seq);
    const next = this.outbound[0];
    const now = performance.now();
    if (next.readyAt > now) {
      this.outboundTimer = setTimeout(() => {
        this.outboundTimer = null;
        this.pump();
      }, Math.ceil(next.readyAt - now));
      return;
    }
    this.outbound.shift();
    if (!this.byteMs) {
      this.emit(next.bytes);
      this.stats.framesToClient += next.frames;
      this.pump();
      return;
    }
    this.sending = { item: next, start: now, sent: 0 };
    this.paceStep();
  }

  /**
   * Writes the bytes whose last bit would have left the line by now — never earlier — so
   * n bytes take at least n × 10 / baud seconds; timer lateness does not add up, as what is
   * due is counted from the start of the answer.
   */
  private paceStep(): void {
    const s = this.sending;
    if (!s || this.closed) return;
    const bytes = s.item.bytes;
    const due = Math.min(bytes.length, Math.floor((performance.now() - s.start) / this.byteMs));
    if (due > s.sent) {
      this.emit(bytes.subarray(s.sent, due));
      s.sent = due;
    }
    if (s.sent >= bytes.length) {
      this.stats.framesToClient += s.item.frames;
      this.sending = null;
      this.pump();
      return;
    }
    const chunk = Math.max(1, Math.floor(PACE_CHUNK_MS / this.byteMs));
    const nextAt = s.start + Math.min(bytes.length, s.sent + chunk) * this.byteMs;
    this.outboundTimer = setTimeout(() => {
      this.outboundTimer = null;
      this.paceStep();
    }, Math.max(1, Math.ceil(nextAt - performance.now())));
  }

  private emit(bytes: Uint8Array): void {
    this.stats.bytesToClient += bytes.length;
    this.options.write(bytes);
  }
}
