// The ADP serialized modem, as a host sees it through USI protocol 0x25: it takes one
// command payload at a time and answers with ADP messages (through `send`), now or later.
//   - Power-up, reset(): not initialised; every command but ADP-INITIALIZE → STATUS 1 (not allowed).
//   - ADP-INITIALIZE (coordinator): forgets the network and everything in flight (no
//     confirms for it); no answer on success. isCoordinator = 0 → STATUS 3: the simulator
//     only plays the PAN coordinator.
//   - ADPM-NETWORK-START: confirm after NETWORK_START_MS, then the nodes join.
//     Again while started → confirm INVALID_REQUEST; PAN id 0xFFFF → INVALID_PARAMETER.
//   - ADPD-DATA.request: before the network runs → confirm INVALID_REQUEST; more than
//     `modemBuffers` requests unconfirmed → confirm NO_BUFFERS (0xB4) at once; a packet that
//     is not IPv6/UDP → INVALID_IPV6_FRAME (0xA3); no joined node at the destination (or
//     farther than adpMaxHops) → ROUTE_ERROR. Otherwise the confirm comes when the first hop
//     is done (success, or NO_ACK 0xE9 when the first hop lost it); a loss further on is
//     silent, as in G3: the ADP confirm only knows the first hop.
//   - A command id the modem does not take from a host → STATUS 2; a command that does not
//     decode (length, range) → STATUS 3. Bad USI frames are dropped (usi-port.ts).
//   - hang(): the modem says nothing at all until an ADP-INITIALIZE arrives.
import { AdpCommand, AdpStatus, type AdpMessage, UsiStatusCode, decodeAdp } from '../../shared/g3/adp.js';
import { decodeUdpPacket, parseLinkLocal, type UdpPacket } from '../../shared/g3/ipv6.js';
import { AdpInformationBase } from './adp-ib.js';
import type { PlcNetwork } from './plc-network.js';
import type { Scheduler } from './scheduler.js';
import type { Counters } from './stats.js';

/** G3 INVALID_IPV6_FRAME. */
export const INVALID_IPV6_FRAME = 0xa3;
/** Model ms from NETWORK-START.request to its confirm. */
export const NETWORK_START_MS = 1_000;

const HOST_COMMANDS = new Set<number>([
  AdpCommand.initialize, AdpCommand.dataRequest, AdpCommand.networkStartRequest, AdpCommand.setRequest, AdpCommand.getRequest,
  AdpCommand.routeDiscoveryRequest, AdpCommand.pathDiscoveryRequest, AdpCommand.kickDevice,
]);

export type ModemState = 'off' | 'ready' | 'starting' | 'started';

export class G3Modem {
  state: ModemState = 'off';
  hung = false;
  band: number | null = null;
  /** Data requests taken and not yet confirmed: each holds a modem buffer. */
  outstanding = 0;
  readonly ib: AdpInformationBase;

  constructor(
    private readonly network: PlcNetwork,
    private readonly scheduler: Scheduler,
    private readonly counters: Counters,
    private readonly modemBuffers: number,
    private readonly output: (m: AdpMessage) => void,
  ) {
    if (!Number.isInteger(modemBuffers) || modemBuffers < 1) throw new RangeError(`modemBuffers must be a whole number ≥ 1, got ${modemBuffers}`);
    this.ib = new AdpInformationBase(network);
  }

  /** One USI payload of protocol 0x25 from the host. */
  receive(payload: Uint8Array): void {
    const id = payload[0];
    if (this.hung && id !== AdpCommand.initialize) return;
    if (id === undefined || !HOST_COMMANDS.has(id)) return this.status(UsiStatusCode.unknownCommand, id ?? 0);
    let m: AdpMessage;
    try {
      m = decodeAdp(payload);
    } catch {
      return this.status(UsiStatusCode.invalidParameter, id);
    }
    if (m.type === 'initialize') return this.initialize(m.band, m.isCoordinator);
    if (this.hung) return;
    if (this.state === 'off') return this.status(UsiStatusCode.notAllowed, id);
    switch (m.type) {
      case 'network-start-request':
        return this.networkStart(m.panId);
      case 'data-request':
        return this.data(m.nsduHandle, m.discoverRoute, m.packet);
      case 'get-request': {
        const { status, value } = this.ib.get(m.attributeId, m.index);
        return this.send({ type: 'get-confirm', status, attributeId: m.attributeId, index: m.index, value });
      }
      case 'set-request':
        return this.send({ type: 'set-confirm', status: this.ib.set(m.attributeId, m.index, m.value), attributeId: m.attributeId, index: m.index });
      case 'route-discovery-request':
        if (this.state !== 'started') return this.send({ type: 'route-discovery-confirm', status: AdpStatus.invalidRequest, destination: m.destination, nextHop: 0, routeCost: 0, hopCount: 0 });
        if (m.maxHops < 1 || m.maxHops > 15) return this.send({ type: 'route-discovery-confirm', status: AdpStatus.invalidParameter, destination: m.destination, nextHop: 0, routeCost: 0, hopCount: 0 });
        return this.network.routeDiscovery(m.destination, m.maxHops, (c) => this.send(c));
      case 'path-discovery-request':
        if (this.state !== 'started') {
          return this.send({ type: 'path-discovery-confirm', status: AdpStatus.invalidRequest, destination: m.destination, originator: m.destination, metricType: m.metricType, forwardHops: [], reverseHops: [] });
        }
        return this.network.pathDiscovery(m.destination, m.metricType, (c) => this.send(c));
      case 'kick-device':
        if (this.state !== 'started') return this.status(UsiStatusCode.notAllowed, id);
        if (!this.network.kick(m.shortAddress, m.eui64)) this.status(UsiStatusCode.invalidParameter, id);
        return;
      default:
        return this.status(UsiStatusCode.unknownCommand, id);
    }
  }

  /** Messages from the network (indications) and confirms, unless the modem is hung. */
  send(m: AdpMessage): void {
    if (this.hung || this.state === 'off') return;
    this.output(m);
  }

  /** A reboot: network, buffers and everything in flight forgotten, no confirms; needs ADP-INITIALIZE. */
  reset(): void {
    this.forget();
    this.state = 'off';
    this.hung = false;
  }

  /** The firmware stops answering anything until the host sends ADP-INITIALIZE. */
  hang(): void {
    this.forget();
    this.hung = true;
  }

  private initialize(band: number, isCoordinator: boolean): void {
    if (!isCoordinator) {
      if (!this.hung) this.status(UsiStatusCode.invalidParameter, AdpCommand.initialize);
      return;
    }
    this.forget();
    this.hung = false;
    this.band = band;
    this.state = 'ready';
  }

  private forget(): void {
    this.counters.initializations++;
    this.scheduler.cancelAll();
    this.network.stop();
    this.outstanding = 0;
  }

  private networkStart(panId: number): void {
    if (this.state !== 'ready') return this.send({ type: 'network-start-confirm', status: AdpStatus.invalidRequest });
    if (panId === 0xffff) return this.send({ type: 'network-start-confirm', status: AdpStatus.invalidParameter });
    this.state = 'starting';
    this.scheduler.after(NETWORK_START_MS, () => {
      this.state = 'started';
      this.send({ type: 'network-start-confirm', status: AdpStatus.success });
      this.network.start(panId);
    });
  }

  private data(nsduHandle: number, discoverRoute: boolean, packet: Uint8Array): void {
    const d = this.counters.data;
    d.requests++;
    const confirm = (status: number) => this.send({ type: 'data-confirm', status, nsduHandle });
    if (this.state !== 'started') {
      d.refused++;
      return confirm(AdpStatus.invalidRequest);
    }
    if (this.outstanding >= this.modemBuffers) {
      d.noBuffers++;
      return confirm(AdpStatus.noBuffers);
    }
    let udp: UdpPacket;
    try {
      udp = decodeUdpPacket(packet);
    } catch {
      d.refused++;
      return confirm(INVALID_IPV6_FRAME);
    }
    const to = parseLinkLocal(udp.destination);
    let node = to && to.panId === this.network.panId ? this.network.joinedAt(to.shortAddress) : undefined;
    if (node && node.hops > this.ib.maxHops) node = undefined;
    this.outstanding++;
    this.network.sendData(udp, packet.length, node, discoverRoute, (status) => {
      this.outstanding--;
      confirm(status);
    });
  }

  private status(status: number, commandId: number): void {
    if (this.hung) return;
    this.output({ type: 'status', status, commandId });
  }
}
