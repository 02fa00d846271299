// The host side of a G3-PLC modem on a UART (Microchip USI framing, ADP protocol 0x25; see
// /work/shared/G3-MODEM.md): initialise as coordinator, start the PAN, send IPv6 packets
// with nsduHandles and match their confirms, and turn the modem's indications (joins,
// leaves, packets) into events. It watches the modem: a confirm that never comes, or an
// idle modem that does not answer a keep-alive ADPM-GET, or data refused because the
// network is down, means the modem reset or hung — it is initialised and the network
// started again, while the requests in flight fail with ModemUnavailable (the layer above
// retries them; the meters and their addresses live above, in the directory).
import { EventEmitter } from 'node:events';
import { LinkTimeout, type ProtocolError } from '../../../shared/errors.js';
import { AdpCommand, AdpStatus, type AdpMessage, G3Band, UsiStatusCode, adpStatusName, decodeAdp, encodeAdp } from '../../../shared/g3/adp.js';
import { G3_ADP_PROTOCOL, UsiDeframer, encodeUsiFrame } from '../../../shared/g3/usi.js';
import type { ByteChannel } from '../channel.js';
import { HandlePool } from './handles.js';

/** Bands as the configuration names them. */
export const G3_BANDS = { 'cenelec-a': G3Band.cenelecA, 'cenelec-b': G3Band.cenelecB, fcc: G3Band.fcc, arib: G3Band.arib } as const;
export type G3BandName = keyof typeof G3_BANDS;

/** adpMaxHops (ADP IB 0x0F): read as the keep-alive, any answer proves the modem alive. */
const KEEP_ALIVE_ATTRIBUTE = 0x0f;

export interface G3ModemOptions {
  band: G3BandName;
  panId: number;
  /** Confirms of local requests (network start, ADPM-GET), ms. */
  confirmTimeoutMs?: number;
  /** ADPD-DATA.confirm (the modem has sent the frame to the first hop, or given up), ms. */
  dataConfirmTimeoutMs?: number;
  /** Route and path discovery cross the network, ms. */
  discoveryTimeoutMs?: number;
  /** An idle modem is asked something this often, ms. */
  keepAliveMs?: number;
  log?: { info(o: object, m?: string): void; warn(o: object, m?: string): void };
}

/** The modem is down (reset, hung, restarting): the request did not go out or its confirm was lost with it. */
export class ModemUnavailable extends LinkTimeout {
  override readonly name = 'LinkTimeout';
}

export type ModemState = 'down' | 'starting' | 'up' | 'closed';

export interface ModemCounters {
  framesIn: number;
  framesOut: number;
  badFrames: number;
  restarts: number;
  dataRequests: number;
  lateConfirms: number;
}

type Confirm<T extends AdpMessage['type']> = Extract<AdpMessage, { type: T }>;

interface Pending {
  commandId: number;
  match: (m: AdpMessage) => boolean;
  resolve: (m: AdpMessage) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

interface DataPending {
  /** Requests unconfirmed at the modem when this one was sent (itself included). */
  unconfirmed: number;
  resolve: (status: number) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface G3ModemEvents {
  join: [eui64: string, shortAddress: number];
  leave: [shortAddress: number];
  packet: [packet: Uint8Array, linkQuality: number];
  up: [restarts: number];
  down: [reason: string];
}

export class G3Modem extends EventEmitter<G3ModemEvents> {
  private readonly deframer = new UsiDeframer();
  private readonly handles = new HandlePool();
  private readonly data = new Map<number, DataPending>();
  /** Handles whose confirm never came: not reused until it does, or the modem restarts. */
  private readonly quarantine = new Map<number, NodeJS.Timeout>();
  private pending: Pending[] = [];
  /**
   * Data requests the modem holds unconfirmed at most: learnt from its no-buffers answers
   * (a modem has a few frame buffers), probed upwards now and then. Requests beyond it wait
   * here, in order, instead of being refused by the modem.
   */
  private bufferCap = 255;
  private confirmedSinceCap = 0;
  private bufferWait: (() => void)[] = [];
  private status: ModemState = 'down';
  private recovery: Promise<void> | null = null;
  private waitingUp: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private lastHeard = 0;
  private probing = false;
  private keepAlive: NodeJS.Timeout | null = null;
  private readonly unsubscribe: () => void;
  readonly counters: ModemCounters = { framesIn: 0, framesOut: 0, badFrames: 0, restarts: 0, dataRequests: 0, lateConfirms: 0 };

  constructor(readonly channel: ByteChannel, readonly options: G3ModemOptions) {
    super();
    this.unsubscribe = channel.onData((bytes) => this.received(bytes));
  }

  get state(): ModemState {
    return this.status;
  }

  private get confirmTimeout(): number {
    return this.options.confirmTimeoutMs ?? 3000;
  }

  /** Initialises the modem and starts the network; resolves once it is up. Keeps trying in the background if the first attempt fails. */
  start(): Promise<void> {
    const up = this.whenUp(Infinity);
    void this.recover('start');
    const every = this.options.keepAliveMs ?? 30_000;
    this.keepAlive ??= setInterval(() => this.checkAlive(every), Math.max(10, Math.floor(every / 2)));
    this.keepAlive.unref();
    return up;
  }

  /**
   * Sends one IPv6 packet; resolves with the ADPD-DATA.confirm status (success, route
   * error, busy…). Rejects with ModemUnavailable when the modem is down or goes down, and
   * with LinkTimeout when the confirm does not come. `onSent` is called when the request
   * goes to the modem (after any wait for the modem to be up or to have a buffer free).
   */
  async sendData(packet: Uint8Array, discoverRoute = true, qualityOfService = 0, onSent?: () => void): Promise<number> {
    const limit = this.options.dataConfirmTimeoutMs ?? 15_000;
    if (this.status !== 'up') await this.whenUp(limit);
    while (this.data.size >= this.bufferCap) await new Promise<void>((go) => this.bufferWait.push(go));
    if (this.status !== 'up') await this.whenUp(limit);
    const handle = this.handles.take();
    if (handle === null) throw new ModemUnavailable('all 256 nsduHandles are in flight', 0);
    this.counters.dataRequests++;
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.data.delete(handle);
        // Its buffer counts as free again: the next request waiting for one goes (else, with
        // every unconfirmed request given up on, the waiting ones would wait for ever).
        this.bufferWait.shift()?.();
        // The modem may still confirm it later: the handle stays out of use until then.
        this.quarantine.set(handle, setTimeout(() => this.freeHandle(handle), 4 * limit).unref());
        reject(new LinkTimeout(`G3 modem on ${this.channel.name}: no ADPD-DATA.confirm for nsduHandle ${handle} within ${limit} ms`, limit));
        this.probe('a data confirm did not come');
      }, limit);
      this.data.set(handle, { resolve, reject, timer, unconfirmed: this.data.size + 1 });
      onSent?.();
      this.write({ type: 'data-request', nsduHandle: handle, discoverRoute, qualityOfService, packet }).catch((e: Error) => this.settleData(handle, null, e));
    });
  }

  async routeDiscovery(destination: number, maxHops: number): Promise<Confirm<'route-discovery-confirm'>> {
    return this.ask({ type: 'route-discovery-request', destination, maxHops }, AdpCommand.routeDiscoveryRequest,
      (m) => m.type === 'route-discovery-confirm' && m.destination === destination, this.options.discoveryTimeoutMs ?? 30_000);
  }

  async pathDiscovery(destination: number, metricType = 0x0f): Promise<Confirm<'path-discovery-confirm'>> {
    return this.ask({ type: 'path-discovery-request', destination, metricType }, AdpCommand.pathDiscoveryRequest,
      (m) => m.type === 'path-discovery-confirm' && m.destination === destination, this.options.discoveryTimeoutMs ?? 30_000);
  }

  async get(attributeId: number, index = 0): Promise<Confirm<'get-confirm'>> {
    return this.ask({ type: 'get-request', attributeId, index }, AdpCommand.getRequest,
      (m) => m.type === 'get-confirm' && m.attributeId === attributeId && m.index === index, this.confirmTimeout);
  }

  /** Something is wrong (data refused, network down): re-initialise unless already doing so. */
  reportFault(reason: string): void {
    void this.recover(reason);
  }

  async close(): Promise<void> {
    this.status = 'closed';
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.unsubscribe();
    this.failInFlight(new ModemUnavailable(`G3 modem on ${this.channel.name} is closed`, 0));
    for (const w of this.waitingUp.splice(0)) w.reject(new ModemUnavailable(`G3 modem on ${this.channel.name} is closed`, 0));
    for (const t of this.quarantine.values()) clearTimeout(t);
    this.quarantine.clear();
  }

  // ------------------------------------------------------------------ receiving

  private received(bytes: Uint8Array): void {
    for (const event of this.deframer.push(bytes)) {
      if (event.kind === 'error') {
        this.counters.badFrames++;
        this.options.log?.warn({ error: event.error.message }, 'bad USI frame from the G3 modem');
        continue;
      }
      if (event.protocolId !== G3_ADP_PROTOCOL) continue;
      let message: AdpMessage;
      try {
        message = decodeAdp(event.payload);
      } catch (e) {
        this.counters.badFrames++;
        this.options.log?.warn({ error: (e as ProtocolError).message }, 'undecodable ADP message from the G3 modem');
        continue;
      }
      this.counters.framesIn++;
      this.lastHeard = Date.now();
      this.handle(message);
    }
  }

  private handle(m: AdpMessage): void {
    switch (m.type) {
      case 'data-confirm':
        return this.settleData(m.nsduHandle, m.status, null);
      case 'data-indication':
        this.emit('packet', m.packet, m.linkQualityIndicator);
        return;
      case 'join-complete':
        this.emit('join', m.eui64, m.shortAddress);
        return;
      case 'leave':
        this.emit('leave', m.shortAddress);
        return;
      case 'status':
        // "Not allowed": the modem is not initialised (it reset); a refused data request likewise.
        if (m.status === UsiStatusCode.notAllowed || m.commandId === AdpCommand.dataRequest) {
          this.reportFault(`the modem refused command ${m.commandId} with status ${m.status} (not initialised?)`);
          if (m.commandId === AdpCommand.dataRequest) return;
        }
        break;
    }
    const i = this.pending.findIndex((p) => p.match(m) || (m.type === 'status' && p.commandId === m.commandId));
    if (i < 0) return;
    const [p] = this.pending.splice(i, 1);
    clearTimeout(p.timer);
    if (m.type === 'status') p.reject(new ModemUnavailable(`G3 modem on ${this.channel.name} refused command ${m.commandId}: status ${m.status} (${['', 'not allowed', 'unknown command', 'invalid parameter'][m.status] ?? 'unknown'})`, 0));
    else p.resolve(m);
  }

  private settleData(handle: number, status: number | null, error: Error | null): void {
    const d = this.data.get(handle);
    if (!d) {
      if (this.quarantine.has(handle)) {
        this.counters.lateConfirms++;
        this.freeHandle(handle);
      }
      return;
    }
    this.data.delete(handle);
    clearTimeout(d.timer);
    this.handles.release(handle);
    if (status === AdpStatus.noBuffers) {
      this.bufferCap = Math.max(1, Math.min(this.bufferCap, d.unconfirmed - 1));
      this.confirmedSinceCap = 0;
    } else if (status !== null && this.bufferCap < 255 && ++this.confirmedSinceCap >= 64) {
      this.bufferCap++;
      this.confirmedSinceCap = 0;
    }
    this.bufferWait.shift()?.();
    if (error) d.reject(error);
    else d.resolve(status!);
  }

  /** Data requests the modem is believed to take unconfirmed (learnt from no-buffers). */
  get buffers(): number {
    return this.bufferCap;
  }

  private freeHandle(handle: number): void {
    const t = this.quarantine.get(handle);
    if (t) clearTimeout(t);
    this.quarantine.delete(handle);
    this.handles.release(handle);
  }

  // ------------------------------------------------------------------ requests

  private ask<T extends AdpMessage>(request: AdpMessage, commandId: number, match: (m: AdpMessage) => boolean, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const p: Pending = {
        commandId,
        match,
        resolve: resolve as (m: AdpMessage) => void,
        reject,
        timer: setTimeout(() => {
          this.pending = this.pending.filter((x) => x !== p);
          reject(new LinkTimeout(`G3 modem on ${this.channel.name}: no confirm to ${request.type} within ${timeoutMs} ms`, timeoutMs));
        }, timeoutMs),
      };
      this.pending.push(p);
      this.write(request).catch((e: Error) => {
        clearTimeout(p.timer);
        this.pending = this.pending.filter((x) => x !== p);
        reject(e);
      });
    });
  }

  private async write(message: AdpMessage): Promise<void> {
    this.counters.framesOut++;
    await this.channel.write(encodeUsiFrame(G3_ADP_PROTOCOL, encodeAdp(message)));
  }

  private whenUp(limitMs: number): Promise<void> {
    if (this.status === 'up') return Promise.resolve();
    if (this.status === 'closed') return Promise.reject(new ModemUnavailable(`G3 modem on ${this.channel.name} is closed`, 0));
    return new Promise<void>((resolve, reject) => {
      const w = { resolve: () => (clearTimeout(timer), resolve()), reject: (e: Error) => (clearTimeout(timer), reject(e)) };
      const timer = Number.isFinite(limitMs)
        ? setTimeout(() => {
            this.waitingUp = this.waitingUp.filter((x) => x !== w);
            reject(new ModemUnavailable(`G3 modem on ${this.channel.name} is not up (restarting) after ${limitMs} ms`, limitMs));
          }, limitMs)
        : undefined;
      this.waitingUp.push(w);
    });
  }

  // ------------------------------------------------------------------ health

  private checkAlive(everyMs: number): void {
    if (this.status === 'up' && Date.now() - this.lastHeard >= everyMs) this.probe('keep-alive');
  }

  /** Asks the modem something; no answer means it is gone. */
  private probe(why: string): void {
    if (this.probing || this.status !== 'up') return;
    this.probing = true;
    this.get(KEEP_ALIVE_ATTRIBUTE)
      .catch((e: Error) => {
        if (e instanceof LinkTimeout) this.reportFault(`the modem did not answer a keep-alive (${why})`);
      })
      .finally(() => (this.probing = false));
  }

  private failInFlight(error: Error): void {
    for (const [handle, d] of this.data) {
      clearTimeout(d.timer);
      d.reject(error);
      this.handles.release(handle);
    }
    this.data.clear();
    for (const go of this.bufferWait.splice(0)) go();
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(error);
    }
  }

  /** Initialise + network start, repeated with growing pauses until the modem answers. */
  private recover(reason: string): Promise<void> {
    if (this.recovery || this.status === 'closed') return this.recovery ?? Promise.resolve();
    const wasUp = this.status === 'up';
    this.status = 'starting';
    if (wasUp) {
      this.counters.restarts++;
      this.options.log?.warn({ modem: this.channel.name, reason }, 'G3 modem fault: re-initialising and restarting the network');
      this.emit('down', reason);
    }
    this.failInFlight(new ModemUnavailable(`G3 modem on ${this.channel.name} restarting (${reason})`, 0));
    for (const t of this.quarantine.values()) clearTimeout(t);
    this.quarantine.clear();
    this.handles.clear();
    const run = async () => {
      for (let attempt = 0; this.status === 'starting'; attempt++) {
        try {
          await this.write({ type: 'initialize', band: G3_BANDS[this.options.band], isCoordinator: true });
          const confirm = await this.ask<Confirm<'network-start-confirm'>>({ type: 'network-start-request', panId: this.options.panId }, AdpCommand.networkStartRequest,
            (m) => m.type === 'network-start-confirm', this.confirmTimeout);
          if (confirm.status === AdpStatus.success) break;
          this.options.log?.warn({ status: adpStatusName(confirm.status) }, 'G3 network start refused');
        } catch (e) {
          this.options.log?.warn({ error: (e as Error).message, attempt }, 'G3 modem did not start');
        }
        await new Promise((r) => setTimeout(r, Math.min(30_000, 200 * 2 ** Math.min(attempt, 8))));
      }
      if (this.status !== 'starting') return;
      this.status = 'up';
      this.lastHeard = Date.now();
      this.options.log?.info({ modem: this.channel.name, panId: this.options.panId, band: this.options.band }, 'G3 network started');
      for (const w of this.waitingUp.splice(0)) w.resolve();
      this.emit('up', this.counters.restarts);
    };
    this.recovery = run().finally(() => (this.recovery = null));
    return this.recovery;
  }
}
