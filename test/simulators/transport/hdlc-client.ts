// A minimal HDLC + DLMS client for transport tests, built from the real sans-I/O client
// (HdlcClientLink, ClientAssociation) and a timer loop: connect, associate, GET, release.
// It also keeps what came over the wire (with times) and runs a second Deframer on it, so
// tests can see corrupted or truncated frames that the link itself silently discards.
import { performance } from 'node:perf_hooks';
import type { HdlcAddress } from '../../../shared/hdlc/address.js';
import { HdlcClientLink } from '../../../shared/hdlc/client-link.js';
import { Deframer } from '../../../shared/hdlc/deframer.js';
import type { HdlcFrame } from '../../../shared/hdlc/frame.js';
import type { LinkAction } from '../../../shared/hdlc/link.js';
import type { HdlcParameters } from '../../../shared/hdlc/parameters.js';
import { ClientAssociation, type ClientResult } from '../../../shared/dlms/association/client.js';
import type { CosemData } from '../../../shared/dlms/data.js';
import type { CosemAttributeDescriptor } from '../../../shared/dlms/apdu/index.js';
import type { ProtocolError } from '../../../shared/errors.js';
import { clientSettings } from './fake-meter.js';

export interface ByteIo {
  write(bytes: Uint8Array): void;
  onData(listener: (bytes: Uint8Array) => void): void;
}

export interface Received {
  at: number;
  bytes: Uint8Array;
}

/** Everything seen on the wire from the meters' side, decoded independently of the link. */
export class WireLog {
  readonly chunks: Received[] = [];
  readonly frames: HdlcFrame[] = [];
  readonly errors: ProtocolError[] = [];
  private readonly deframer = new Deframer();

  push(bytes: Uint8Array): void {
    this.chunks.push({ at: performance.now(), bytes: bytes.slice() });
    const out = this.deframer.push(bytes);
    this.frames.push(...out.frames);
    this.errors.push(...out.errors);
  }

  get bytes(): number {
    return this.chunks.reduce((n, c) => n + c.bytes.length, 0);
  }

  get pending(): number {
    return this.deframer.pending;
  }

  clear(): void {
    this.chunks.length = this.frames.length = this.errors.length = 0;
  }
}

export class TestHdlcClient {
  readonly link: HdlcClientLink;
  association: ClientAssociation;
  readonly wire = new WireLog();
  written = 0;
  /** Each write: when, and how many bytes. */
  readonly writes: { at: number; length: number }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private waiting: { resolve: (a: LinkAction[]) => void; reject: (e: Error) => void; until: LinkAction['kind'][] } | null = null;

  constructor(
    private readonly io: ByteIo,
    readonly options: { client: number; server: HdlcAddress; proposal?: HdlcParameters; responseTimeout?: number; maxRetries?: number },
  ) {
    this.link = new HdlcClientLink({ client: options.client, server: options.server, responseTimeout: options.responseTimeout ?? 1000, maxRetries: options.maxRetries ?? 2, ...(options.proposal && { proposal: options.proposal }) });
    this.association = new ClientAssociation(clientSettings(options.client));
    io.onData((bytes) => {
      this.wire.push(bytes);
      this.apply(this.link.received(bytes, performance.now()));
    });
  }

  /** Writes raw bytes (for fault tests that bypass the link). */
  raw(bytes: Uint8Array): void {
    this.written += bytes.length;
    this.writes.push({ at: performance.now(), length: bytes.length });
    this.io.write(bytes);
  }

  async connect(): Promise<HdlcParameters> {
    const done = await this.until(['connected'], () => this.link.open(performance.now()));
    return (done.find((a) => a.kind === 'connected') as { parameters: HdlcParameters }).parameters;
  }

  async associate(): Promise<ClientResult> {
    return this.run(this.association.associate());
  }

  async get(attribute: CosemAttributeDescriptor): Promise<CosemData> {
    const result = await this.run(this.association.get(attribute));
    if (result.kind !== 'data') throw new Error(`GET gave ${result.kind}`);
    return result.value;
  }

  async release(): Promise<void> {
    await this.run(this.association.release());
  }

  async disconnect(): Promise<void> {
    await this.until(['disconnected'], () => this.link.close(performance.now()));
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Sends one APDU over HDLC and resolves with the answer APDU. */
  async exchange(apdu: Uint8Array): Promise<Uint8Array> {
    const done = await this.until(['deliver'], () => this.link.send(apdu, performance.now()));
    return (done.find((a) => a.kind === 'deliver') as { apdu: Uint8Array }).apdu;
  }

  private async run(first: Uint8Array): Promise<ClientResult> {
    let apdu = first;
    for (;;) {
      const step = this.association.receive(await this.exchange(apdu));
      if (step.kind === 'fail') throw step.error;
      if (step.kind === 'done') return step.result;
      apdu = step.apdu;
    }
  }

  private until(kinds: LinkAction['kind'][], start: () => LinkAction[]): Promise<LinkAction[]> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject, until: kinds };
      this.apply(start());
    });
  }

  private apply(actions: LinkAction[]): void {
    for (const a of actions) {
      if (a.kind === 'transmit') this.raw(a.bytes);
      if (a.kind === 'wake') this.arm(a.at);
    }
    const w = this.waiting;
    if (!w) return;
    const fail = actions.find((a) => a.kind === 'fail');
    if (fail && fail.kind === 'fail') {
      this.waiting = null;
      w.reject(fail.error);
    } else if (actions.some((a) => w.until.includes(a.kind))) {
      this.waiting = null;
      w.resolve(actions);
    }
  }

  private arm(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.apply(this.link.tick(performance.now()));
    }, Math.max(0, at - performance.now()));
  }
}
