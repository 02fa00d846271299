// The simulated PAN behind the modem: N nodes (full simulated meters), the shared channel,
// joins, data to and from the meters, route and path discovery, leaves, kicks, alarms and
// the faults the tests ask for. It speaks to the modem (modem.ts) in ADP terms: it calls
// `events` for indications and each request's `done` for its confirm. Time is model time
// (scheduler.ts); the meters' own clocks run on real time.
import { AdpStatus, type AdpMessage } from '../../shared/g3/adp.js';
import { encodeUdpPacket, type UdpPacket } from '../../shared/g3/ipv6.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ShortAddressTable } from './address-table.js';
import { adpCommandOnAir, ipv6OnAir } from './air.js';
import { alarmPacket, nextAlarmDelay } from './alarms.js';
import { cancelJoin, startJoin, type JoinContext } from './join.js';
import { PlcNode } from './node.js';
import { Radio, type RadioModel } from './radio.js';
import type { Scheduler } from './scheduler.js';
import { Draws, Stream } from './seeded.js';
import type { Counters } from './stats.js';
import { type PlcNodeSpec, checkNodes, relayChains } from './topology.js';

/** IEEE 802.15.4 NO_ACK, passed through in ADPD-DATA.confirm when the first hop fails. */
export const MAC_NO_ACK = 0xe9;
/** adpRREPWait (default 4 s): how long a route discovery waits for the route reply. */
export const RREP_WAIT_MS = 4_000;
/** adpPathDiscoveryTime (default 40 s): how long a path discovery waits. */
export const PATH_DISCOVERY_WAIT_MS = 40_000;
/** Time a meter takes to answer one DLMS request, model ms (uniform). */
export const METER_PROCESSING_MS = { min: 20, max: 150 } as const;
/** LOADng content sizes (RREQ/RREP 14 B; PREQ/PREP 14 B + 3 B per hop); LBP KICK / LEAVE 10 B. */
const ROUTE_BYTES = 14;
const LBP_LEAVE_BYTES = 10;

export interface NetworkModel extends RadioModel {
  seed: number;
  joinWindowMs: number;
  alarmsPerNodePerHour: number;
  startOfLife: number;
  /** How long a meter answers a repeated request from its cache, real ms. */
  repeatWindowMs: number;
  /** Where the meters' state and the short address table persist; none: every run starts afresh. */
  stateDir?: string;
}

/** File of the coordinator's short address table in the state directory. */
export const SHORT_ADDRESS_FILE = 'g3-short-addresses.json';

export interface NetworkEvents {
  joinRequest(eui64: string): void;
  joinComplete(eui64: string, shortAddress: number): void;
  leave(shortAddress: number): void;
  indication(linkQualityIndicator: number, packet: Uint8Array): void;
}

type RouteConfirm = Extract<AdpMessage, { type: 'route-discovery-confirm' }>;
type PathConfirm = Extract<AdpMessage, { type: 'path-discovery-confirm' }>;

export class PlcNetwork {
  readonly nodes: PlcNode[];
  readonly radio: Radio;
  readonly draws: Draws;
  /** PAN id of the running network, or null before NETWORK-START (and after a reset). */
  panId: number | null = null;
  private readonly byEui = new Map<string, PlcNode>();
  /** EUI-64 → short address: the coordinator's table, kept across resets (and restarts, with a state directory). */
  private readonly shorts: ShortAddressTable;
  private readonly relays: ReturnType<typeof relayChains>;
  private readonly join: JoinContext;

  constructor(specs: readonly PlcNodeSpec[], readonly model: NetworkModel, private readonly scheduler: Scheduler, private readonly counters: Counters, private readonly events: NetworkEvents) {
    checkNodes(specs);
    this.draws = new Draws(model.seed);
    this.radio = new Radio(model, this.draws);
    if (model.stateDir) mkdirSync(model.stateDir, { recursive: true });
    this.shorts = new ShortAddressTable(model.stateDir ? join(model.stateDir, SHORT_ADDRESS_FILE) : null);
    this.nodes = specs.map((spec, i) => new PlcNode(i, spec, { seed: model.seed, startOfLife: model.startOfLife, repeatWindowMs: model.repeatWindowMs, ...(model.stateDir && { stateDir: model.stateDir }) }));
    for (const n of this.nodes) this.byEui.set(n.eui64, n);
    this.relays = relayChains(specs, model.seed);
    this.join = {
      scheduler, radio: this.radio, draws: this.draws, counters,
      assignShort: (node) => this.assignShort(node),
      joinRequest: (node) => events.joinRequest(node.eui64),
      joinComplete: (node) => events.joinComplete(node.eui64, node.shortAddress),
    };
  }

  /** NETWORK-START: every node that is not kept out joins at a seeded time within the join window. */
  start(panId: number): void {
    this.panId = panId;
    const now = this.scheduler.now();
    for (const n of this.nodes) {
      if (!n.stayOut) startJoin(this.join, n, now + this.draws.next(Stream.joinTime, n.index) * this.model.joinWindowMs);
      if (this.model.alarmsPerNodePerHour > 0) this.scheduleAlarm(n);
    }
  }

  /** The modem forgot the network (reset, initialize): nobody is joined; the address table stays. */
  stop(): void {
    this.panId = null;
    for (const n of this.nodes) {
      cancelJoin(n);
      n.joined = false;
    }
  }

  node(eui64: string): PlcNode {
    const n = this.byEui.get(eui64.toLowerCase());
    if (!n) throw new Error(`no node with EUI-64 ${eui64} in the simulated PAN`);
    return n;
  }

  /** The joined node with this short address. */
  joinedAt(shortAddress: number): PlcNode | undefined {
    return this.nodes.find((n) => n.joined && n.shortAddress === shortAddress);
  }

  // ------------------------------------------------------------------ data

  /** Carries a request to `node` (or fails it); `done` gets the ADPD-DATA.confirm status. */
  sendData(udp: UdpPacket, length: number, node: PlcNode | undefined, discoverRoute: boolean, done: (status: number) => void): void {
    const now = this.scheduler.now();
    const d = this.counters.data;
    if (!node || node.routeBroken) {
      d.routeErrors++;
      if (node) {
        // The frame goes to a next hop that no longer forwards it: one hop of air, then the route error.
        const c = this.radio.carry(now, node.index, ipv6OnAir(length, node.hops), 1, 'down', 'data', true);
        this.scheduler.at(c.firstHopAt, () => done(AdpStatus.routeError));
      } else {
        this.scheduler.at(now + (discoverRoute ? RREP_WAIT_MS : 0), () => done(AdpStatus.routeError));
      }
      return;
    }
    if (node.isRepeat(udp)) d.retransmittedByHost++;
    const c = this.radio.carry(now, node.index, ipv6OnAir(length, node.hops), node.hops, 'down', 'data');
    this.scheduler.at(c.firstHopAt, () => {
      if (c.lostAtHop === 1) d.noAck++;
      done(c.lostAtHop === 1 ? MAC_NO_ACK : AdpStatus.success);
    });
    if (c.lostAtHop !== null) {
      d.lost++;
      return;
    }
    this.scheduler.at(c.arriveAt, () => {
      if (!node.joined) {
        d.lost++; // it left the PAN while the request was on its way
        return;
      }
      d.delivered++;
      const answer = node.serve(udp, Date.now());
      if (answer.kind === 'silent') {
        d.unanswered++;
        return;
      }
      const packet = encodeUdpPacket({ source: udp.destination, destination: udp.source, sourcePort: udp.destinationPort, destinationPort: udp.sourcePort, payload: answer.payload });
      const ready = this.scheduler.now() + this.draws.between(Stream.processing, node.index, METER_PROCESSING_MS.min, METER_PROCESSING_MS.max);
      this.scheduler.at(ready, () => this.sendUp(node, packet, 'data'));
    });
  }

  /** A node sends a packet to the coordinator: an answer or an alarm. */
  private sendUp(node: PlcNode, packet: Uint8Array, traffic: 'data' | 'alarm'): void {
    if (!node.joined) return;
    if (traffic === 'data') this.counters.data.answers++;
    const c = this.radio.carry(this.scheduler.now(), node.index, ipv6OnAir(packet.length, node.hops), node.hops, 'up', traffic);
    const lost = c.lostAtHop !== null;
    if (traffic === 'data') this.counters.data[lost ? 'answersLost' : 'answersDelivered']++;
    else this.counters.alarms[lost ? 'lost' : 'delivered']++;
    if (!lost) this.scheduler.at(c.arriveAt, () => this.events.indication(node.lqi, packet));
  }

  // ------------------------------------------------------------------ routes

  routeDiscovery(destination: number, maxHops: number, done: (m: RouteConfirm) => void): void {
    this.counters.routeDiscoveries++;
    const now = this.scheduler.now();
    const fail = (at: number) =>
      this.scheduler.at(at, () => done({ type: 'route-discovery-confirm', status: AdpStatus.routeError, destination, nextHop: 0, routeCost: 0, hopCount: 0 }));
    const node = this.joinedAt(destination);
    if (!node || node.hops > maxHops) return fail(now + RREP_WAIT_MS);
    const size = adpCommandOnAir(ROUTE_BYTES, node.hops);
    const rreq = this.radio.carry(now, node.index, size, node.hops, 'down', 'routing');
    if (rreq.lostAtHop !== null) return fail(now + RREP_WAIT_MS);
    this.scheduler.at(rreq.arriveAt, () => {
      const rrep = this.radio.carry(this.scheduler.now(), node.index, size, node.hops, 'up', 'routing');
      if (rrep.lostAtHop !== null) return fail(now + RREP_WAIT_MS);
      this.scheduler.at(rrep.arriveAt, () => {
        node.routeBroken = false;
        done({ type: 'route-discovery-confirm', status: AdpStatus.success, destination, ...this.route(node), hopCount: node.hops });
      });
    });
  }

  pathDiscovery(destination: number, metricType: number, done: (m: PathConfirm) => void): void {
    this.counters.pathDiscoveries++;
    const now = this.scheduler.now();
    const reply = (status: number, at: number, forwardHops: PathConfirm['forwardHops'] = [], reverseHops: PathConfirm['reverseHops'] = []) =>
      this.scheduler.at(at, () => done({ type: 'path-discovery-confirm', status, destination, originator: destination, metricType, forwardHops, reverseHops }));
    if (metricType > 0x0f) return reply(AdpStatus.invalidParameter, now);
    const node = this.joinedAt(destination);
    if (!node || node.routeBroken) return reply(AdpStatus.timeout, now + PATH_DISCOVERY_WAIT_MS);
    const preq = this.radio.carry(now, node.index, adpCommandOnAir(ROUTE_BYTES, node.hops), node.hops, 'down', 'routing');
    if (preq.lostAtHop !== null) return reply(AdpStatus.timeout, now + PATH_DISCOVERY_WAIT_MS);
    this.scheduler.at(preq.arriveAt, () => {
      const prep = this.radio.carry(this.scheduler.now(), node.index, adpCommandOnAir(ROUTE_BYTES + 6 * node.hops, node.hops), node.hops, 'up', 'routing');
      if (prep.lostAtHop !== null) return reply(AdpStatus.timeout, now + PATH_DISCOVERY_WAIT_MS);
      const forward = this.path(node);
      // Back: the relays in reverse order, then the coordinator (short address 0).
      const reverse = [...forward.slice(0, -1).reverse(), { address: 0, linkCost: forward[0].linkCost }];
      reply(AdpStatus.success, prep.arriveAt, forward, reverse);
    });
  }

  /** Next hop from the coordinator towards node, and the route cost (sum of the link costs). */
  route(node: PlcNode): { nextHop: number; routeCost: number } {
    const path = this.path(node);
    return { nextHop: path[0].address, routeCost: path.reduce((sum, h) => sum + h.linkCost, 0) };
  }

  /** The hops from the coordinator to node: its relays, then itself, each with the cost of the link into it. */
  private path(node: PlcNode): { address: number; linkCost: number }[] {
    const relays = this.relays[node.index].map(({ node: r, foreign }) => {
      const relay = r === null ? null : this.nodes[r];
      return relay && relay.shortAddress !== 0
        ? { address: relay.shortAddress, linkCost: relay.linkCost }
        : { address: foreign, linkCost: 4 + Math.floor(this.draws.fixed(Stream.linkCost, foreign) * 36) };
    });
    return [...relays, { address: node.shortAddress, linkCost: node.linkCost }];
  }

  // ------------------------------------------------------------------ membership and faults

  /** COORD-KICK-DEVICE: false when no joined node has this short address and EUI-64. */
  kick(shortAddress: number, eui64: string): boolean {
    const node = this.joinedAt(shortAddress);
    if (!node || node.eui64 !== eui64) return false;
    node.stayOut = true;
    const c = this.radio.carry(this.scheduler.now(), node.index, adpCommandOnAir(LBP_LEAVE_BYTES, node.hops), node.hops, 'down', 'management', true);
    this.scheduler.at(c.arriveAt, () => this.dropOut(node));
    return true;
  }

  /** The node leaves by itself (LBP LEAVE to the coordinator) and stays out until rejoin(). */
  leave(eui64: string): void {
    const node = this.node(eui64);
    node.stayOut = true;
    if (node.joining) cancelJoin(node);
    if (!node.joined) return;
    node.joined = false;
    const c = this.radio.carry(this.scheduler.now(), node.index, adpCommandOnAir(LBP_LEAVE_BYTES, node.hops), node.hops, 'up', 'management', true);
    this.scheduler.at(c.arriveAt, () => {
      this.counters.leaves++;
      this.events.leave(node.shortAddress);
    });
  }

  /** The node joins again now (keeping its short address), if the network runs; else at the next start. */
  rejoin(eui64: string): void {
    const node = this.node(eui64);
    node.stayOut = false;
    if (this.panId !== null) startJoin(this.join, node, this.scheduler.now());
  }

  breakRoute(eui64: string): void {
    this.node(eui64).routeBroken = true;
  }

  pushAlarm(eui64: string): void {
    const node = this.node(eui64);
    if (!node.joined || this.panId === null) throw new Error(`node ${eui64} is not joined: it cannot push an alarm`);
    this.counters.alarms.pushed++;
    this.sendUp(node, alarmPacket(node, this.panId, this.draws, Date.now()).packet, 'alarm');
  }

  private dropOut(node: PlcNode): void {
    if (!node.joined) return;
    node.joined = false;
    this.counters.leaves++;
    this.events.leave(node.shortAddress);
  }

  private scheduleAlarm(node: PlcNode): void {
    this.scheduler.after(nextAlarmDelay(node, this.draws, this.model.alarmsPerNodePerHour), () => {
      if (node.joined && this.panId !== null) this.pushAlarm(node.eui64);
      this.scheduleAlarm(node);
    });
  }

  private assignShort(node: PlcNode): number {
    return this.shorts.assign(node.eui64);
  }

  /** Writes every meter's state (a no-op without a state directory): at close. */
  saveMeters(): void {
    for (const n of this.nodes) n.meter.save();
  }
}
