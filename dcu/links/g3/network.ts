// One G3-PLC network behind one modem: the nodes that joined (EUI-64 ↔ short address, hop
// count, round-trip estimate), DLMS exchanges with them over the wrapper on UDP/IPv6, the
// adaptive limit on requests in flight, and the demultiplexing of incoming packets by
// source address — answers to the request waiting for them, data-notifications (pushed
// alarms) to whoever listens. Sessions run many at once (`exclusive` only bounds how many),
// and the priority their work was started with travels with their requests.
import { AsyncLocalStorage } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import { LinkTimeout } from '../../../shared/errors.js';
import { AdpStatus, adpStatusName } from '../../../shared/g3/adp.js';
import { dlmsPacket, parseDlmsPacket } from '../../../shared/g3/dlms.js';
import { DATA_NOTIFICATION } from '../../../shared/dlms/apdu/notification.js';
import type { ByteChannel } from '../channel.js';
import type { MeterLink } from '../bus.js';
import { AdaptiveLimiter, type LimiterStats, type Slot } from './limiter.js';
import { G3Modem, type G3ModemOptions, ModemUnavailable } from './modem.js';
import { RoundTrip } from './round-trip.js';

export interface G3NetworkOptions extends G3ModemOptions {
  name: string;
  /** Answer time of a meter beside the PLC hops (its DLMS server, the modems), ms. */
  responseTimeoutMs: number;
  /** One PLC hop, one way, at worst, ms: a request's timeout grows with the meter's hop count. */
  hopTimeoutMs: number;
  /** Hops assumed for a meter whose route is not known yet. */
  maxHops: number;
  /** Bounds and start of the adaptive limit of requests in flight. */
  inFlight: { min: number; max: number; initial: number };
  /** Sessions that may run at once (each has at most one request in flight). */
  maxSessions: number;
  /** Pause after busy / no-buffers before the request is offered again (doubling), ms. */
  backoffMs: number;
  /** After a (re)start of the PAN nodes join again within this; a request to one not back yet waits for it, ms. */
  joinWindowMs: number;
}

export interface G3Node {
  eui64: string;
  shortAddress: number;
  /** From route or path discovery; null until known. */
  hops: number | null;
  /** Joined since the DCU started (a node remembered from the directory has not, yet). */
  joined: boolean;
  /** It left the PAN (COORD-LEAVE) and has not joined again: requests fail at once. */
  left: boolean;
  readonly roundTrip: RoundTrip;
}

export interface PushedApdu {
  node: G3Node | null;
  from: number;
  sourceWPort: number;
  destinationWPort: number;
  apdu: Uint8Array;
}

export interface G3NetworkEvents {
  join: [node: G3Node, rejoin: boolean];
  leave: [node: G3Node];
  push: [push: PushedApdu];
  up: [restarts: number];
  down: [reason: string];
  /** Hop counts learnt from the modem's routing table or a route discovery. */
  routes: [nodes: G3Node[]];
}

interface Waiter {
  resolve: (apdu: Uint8Array) => void;
  accept?: (apdu: Uint8Array) => boolean;
}

export interface ExchangeOptions {
  clientWPort: number;
  serverWPort: number;
  /** Overrides the hop-based timeout of this attempt, ms. */
  timeoutMs?: number;
  /** False for a late answer to an earlier request: it is dropped and the wait goes on. */
  accept?: (apdu: Uint8Array) => boolean;
}

const priorityOfWork = new AsyncLocalStorage<number>();

/** adpRoutingTable (ADP IB 0x0C): one entry per route, { destination (2), next hop (2), route cost (2), hop count << 4 | weak links, valid time (2) }. */
const ROUTING_TABLE = 0x0c;

export class G3Network extends EventEmitter<G3NetworkEvents> implements MeterLink {
  readonly modem: G3Modem;
  readonly limiter: AdaptiveLimiter;
  private readonly byShort = new Map<number, G3Node>();
  private readonly byEui = new Map<string, G3Node>();
  private readonly waiters = new Map<string, Waiter>();
  private sessions = 0;
  private sessionQueue: { priority: number; order: number; start: () => void }[] = [];
  private order = 0;
  private routesTimer: NodeJS.Timeout | null = null;
  readonly counters = { requests: 0, answers: 0, timeouts: 0, retriedBusy: 0, routeErrors: 0, strayAnswers: 0, lateAnswers: 0, badPackets: 0 };

  constructor(readonly channel: ByteChannel, readonly options: G3NetworkOptions) {
    super();
    this.setMaxListeners(0); // requests waiting for their node to join listen for joins
    this.modem = new G3Modem(channel, options);
    this.limiter = new AdaptiveLimiter(options.inFlight);
    this.modem.on('join', (eui, short) => this.joined(eui, short));
    this.modem.on('leave', (short) => this.left(short));
    this.modem.on('packet', (packet) => this.packet(packet));
    this.modem.on('up', (n) => {
      if (n > 0) this.limiter.restart();
      this.emit('up', n);
      this.readRoutesSoon();
    });
    this.modem.on('down', (reason) => {
      // A restarted PAN forgets its nodes: they join again (keeping their addresses).
      for (const node of this.byEui.values()) node.joined = false;
      this.emit('down', reason);
    });
  }

  get name(): string {
    return this.options.name;
  }

  get concurrency(): number {
    return this.options.maxSessions;
  }

  start(): Promise<void> {
    return this.modem.start();
  }

  async close(): Promise<void> {
    if (this.routesTimer) clearTimeout(this.routesTimer);
    await this.modem.close();
    await this.channel.close();
  }

  /** A node known from before (the directory after a restart): usable before it joins again. */
  remember(eui64: string, shortAddress: number, hops: number | null): G3Node {
    const node = this.place(eui64, shortAddress);
    if (hops !== null) node.hops = hops;
    return node;
  }

  node(eui64: string): G3Node | undefined {
    return this.byEui.get(eui64);
  }

  nodes(): G3Node[] {
    return [...this.byEui.values()];
  }

  stats(): LimiterStats & G3Network['counters'] & { restarts: number } {
    return { ...this.limiter.stats(), ...this.counters, restarts: this.modem.counters.restarts };
  }

  /** Runs one session's work; at most maxSessions at once, higher priority first. */
  async exclusive<T>(work: (channel: ByteChannel) => Promise<T>, priority = 0): Promise<T> {
    if (this.sessions >= this.options.maxSessions) {
      await new Promise<void>((start) => {
        this.sessionQueue.push({ priority, order: this.order++, start });
        this.sessionQueue.sort((a, b) => b.priority - a.priority || a.order - b.order);
      });
    } else {
      this.sessions++;
    }
    try {
      return await priorityOfWork.run(priority, () => work(this.channel));
    } finally {
      const next = this.sessionQueue.shift();
      if (next) next.start();
      else this.sessions--;
    }
  }

  /**
   * The timeout of one attempt to a node: the way there and back, hop by hop, plus twice the
   * queueing the channel has now (a queue delays every exchange alike; a timeout shorter
   * than it repeats requests that were only waiting) — or what the node has been taking.
   */
  timeoutFor(node: G3Node): number {
    const hops = node.hops ?? this.options.maxHops;
    const byHops = this.options.responseTimeoutMs + 2 * hops * this.options.hopTimeoutMs + Math.round(2 * this.limiter.queueingMs);
    return Math.max(byHops, node.roundTrip.timeout() ?? 0);
  }

  /**
   * Sends one APDU to a node and resolves with its answer (one attempt: LinkTimeout when no
   * answer comes in time; the transport repeats). Waits for the limiter first; busy,
   * no-buffers and route errors are handled here (back off / rediscover, then again).
   */
  async exchange(node: G3Node, apdu: Uint8Array, o: ExchangeOptions): Promise<Uint8Array> {
    const priority = priorityOfWork.getStore() ?? 0;
    const key = `${node.shortAddress}:${o.clientWPort}:${o.serverWPort}`;
    if (this.waiters.has(key)) throw new Error(`a request to ${node.eui64} from client ${o.clientWPort} is already in flight`);
    for (let attempt = 0; ; attempt++) {
      const slot = await this.limiter.acquire(priority);
      const timeout = o.timeoutMs ?? this.timeoutFor(node);
      const packet = dlmsPacket({ panId: this.options.panId, from: 0, to: node.shortAddress, sourceWPort: o.clientWPort, destinationWPort: o.serverWPort, apdu });
      let started = Date.now();
      let answer: Promise<Uint8Array> | null = null;
      let timer: NodeJS.Timeout | undefined;
      try {
        let timeoutNow: () => void = () => {};
        answer = new Promise<Uint8Array>((resolve, reject) => {
          this.waiters.set(key, { resolve, ...(o.accept && { accept: o.accept }) });
          timeoutNow = () => reject(new LinkTimeout(`no answer from ${node.eui64} (short ${node.shortAddress}, ${node.hops ?? '?'} hops) on ${this.name} within ${timeout} ms`, timeout));
        });
        answer.catch(() => undefined);
        this.counters.requests++;
        // The clock of the answer starts when the request goes to the modem, not while it waits for a modem buffer.
        const sent = this.modem.sendData(packet, true, 0, () => {
          started = Date.now();
          timer = setTimeout(timeoutNow, timeout);
        });
        sent.catch(() => undefined);
        // An answer (or the timeout) may come before the confirm; whichever is first decides.
        const status = await Promise.race([sent, answer.then(() => AdpStatus.success)]);
        if (status !== AdpStatus.success) {
          this.waiters.delete(key);
          clearTimeout(timer);
          const retry = await this.refused(node, status, slot, attempt);
          if (retry) continue;
        }
        const bytes = await answer;
        const roundTripMs = Date.now() - started;
        node.roundTrip.sample(roundTripMs);
        this.counters.answers++;
        slot.release({ kind: 'answer', roundTripMs, hops: node.hops });
        return bytes;
      } catch (e) {
        if (e instanceof ModemUnavailable) slot.release({ kind: 'neutral' });
        else if (e instanceof LinkTimeout) {
          this.counters.timeouts++;
          slot.release({ kind: 'congestion', cause: 'timeout', hops: node.hops });
        } else slot.release({ kind: 'neutral' });
        throw e;
      } finally {
        clearTimeout(timer);
        this.waiters.delete(key);
      }
    }
  }

  /** A DATA.confirm other than success: whether to try again (true) — or it throws. */
  private async refused(node: G3Node, status: number, slot: Slot, attempt: number): Promise<boolean> {
    const what = `${this.name}: data to ${node.eui64} (short ${node.shortAddress}) refused: ${adpStatusName(status)}`;
    if (status === AdpStatus.busy || status === AdpStatus.noBuffers) {
      this.counters.retriedBusy++;
      // Busy: the channel is. No buffers: the modem's frame buffers are full — the modem
      // driver now holds requests back to what it takes, so the DLMS window need not shrink.
      slot.release(status === AdpStatus.busy ? { kind: 'congestion', cause: 'busy' } : { kind: 'neutral' });
      if (attempt >= 8) throw new LinkTimeout(`${what}, ${attempt + 1} times`, 0);
      const pause = this.options.backoffMs * 2 ** Math.min(attempt, 5) * (0.5 + Math.random());
      await new Promise((r) => setTimeout(r, pause));
      return true;
    }
    if (status === AdpStatus.routeError) {
      this.counters.routeErrors++;
      slot.release({ kind: 'neutral' });
      // Not joined (yet) since the PAN started: no route can exist before it joins again.
      if (!node.joined && (await this.joinOf(node, this.options.joinWindowMs))) return true;
      if (attempt >= 2) throw new LinkTimeout(`${what}, route discovery did not help`, 0);
      await this.discoverRoute(node);
      return true;
    }
    if (status === AdpStatus.invalidRequest) {
      // The modem has no network (it reset): start it again; the transport repeats after.
      this.modem.reportFault(what);
      throw new ModemUnavailable(what, 0);
    }
    // timeout, failed: the MAC gave up on the frame, a loss.
    throw new LinkTimeout(what, 0);
  }

  /** Resolves true when the node joins within `ms`, false if not. */
  private joinOf(node: G3Node, ms: number): Promise<boolean> {
    if (node.joined) return Promise.resolve(true);
    return new Promise((resolve) => {
      const onJoin = (n: G3Node) => {
        if (n !== node) return;
        done(true);
      };
      const done = (v: boolean) => {
        clearTimeout(timer);
        this.off('join', onJoin);
        resolve(v);
      };
      const timer = setTimeout(() => done(false), ms);
      this.on('join', onJoin);
    });
  }

  /** ROUTE-DISCOVERY to the node; learns its hop count. A failure is left to the next attempt. */
  async discoverRoute(node: G3Node): Promise<void> {
    try {
      const c = await this.modem.routeDiscovery(node.shortAddress, this.options.maxHops);
      if (c.status === AdpStatus.success && c.hopCount !== node.hops) {
        node.hops = c.hopCount;
        this.emit('routes', [node]);
      }
    } catch {
      // The next data request asks for discovery itself (discoverRoute = 1).
    }
  }

  /**
   * Reads the modem's routing table (a local exchange, nothing goes on the PLC channel) and
   * takes each joined node's hop count from it: the timeouts follow the real route lengths.
   */
  async readRoutes(): Promise<G3Node[]> {
    const changed: G3Node[] = [];
    for (let index = 0; index < 4096 && this.modem.state === 'up'; index++) {
      let entry: Awaited<ReturnType<G3Modem['get']>>;
      try {
        entry = await this.modem.get(ROUTING_TABLE, index);
      } catch {
        break;
      }
      if (entry.status !== AdpStatus.success || entry.value.length < 7) break;
      const node = this.byShort.get((entry.value[0] << 8) | entry.value[1]);
      const hops = entry.value[6] >> 4;
      if (node && hops > 0 && node.hops !== hops) {
        node.hops = hops;
        changed.push(node);
      }
    }
    if (changed.length > 0) this.emit('routes', changed);
    return changed;
  }

  /** Joins come in bursts: the routing table is read once the burst has passed. */
  private readRoutesSoon(): void {
    if (this.routesTimer) clearTimeout(this.routesTimer);
    this.routesTimer = setTimeout(() => {
      this.routesTimer = null;
      void this.readRoutes();
    }, 500);
    this.routesTimer.unref();
  }

  private place(eui64: string, shortAddress: number): G3Node {
    let node = this.byEui.get(eui64);
    if (node && node.shortAddress !== shortAddress) this.byShort.delete(node.shortAddress);
    if (!node) {
      node = { eui64, shortAddress, hops: null, joined: false, left: false, roundTrip: new RoundTrip() };
      this.byEui.set(eui64, node);
    }
    node.shortAddress = shortAddress;
    const other = this.byShort.get(shortAddress);
    if (other && other !== node) other.left = true; // the modem gave its address to another node
    this.byShort.set(shortAddress, node);
    return node;
  }

  private joined(eui64: string, shortAddress: number): void {
    const before = this.byEui.get(eui64);
    const rejoin = before !== undefined;
    const node = this.place(eui64, shortAddress);
    node.joined = true;
    node.left = false;
    this.emit('join', node, rejoin);
    if (node.hops === null) this.readRoutesSoon();
  }

  private left(shortAddress: number): void {
    const node = this.byShort.get(shortAddress);
    if (!node) return;
    node.joined = false;
    node.left = true;
    this.emit('leave', node);
  }

  private packet(packet: Uint8Array): void {
    let p: ReturnType<typeof parseDlmsPacket>;
    try {
      p = parseDlmsPacket(packet);
    } catch {
      this.counters.badPackets++;
      return;
    }
    if (p.panId !== this.options.panId || p.to !== 0) return;
    const node = this.byShort.get(p.from) ?? null;
    if (p.apdu[0] === DATA_NOTIFICATION) {
      this.emit('push', { node, from: p.from, sourceWPort: p.sourceWPort, destinationWPort: p.destinationWPort, apdu: p.apdu });
      return;
    }
    const key = `${p.from}:${p.destinationWPort}:${p.sourceWPort}`;
    const w = this.waiters.get(key);
    if (!w) {
      this.counters.strayAnswers++;
      return;
    }
    if (w.accept && !w.accept(p.apdu)) {
      this.counters.lateAnswers++;
      return;
    }
    this.waiters.delete(key);
    w.resolve(p.apdu);
  }
}
