// One node of the simulated PAN: a FULL simulated meter (simulators/meter, with its object
// model, associations and security state) behind the IEC 62056-47 wrapper on UDP 4059,
// plus what the PLC network knows of it — joined or not, short address, route state,
// link quality. The meter takes real time (Date.now) at each request, as the other
// transports of the meter simulator do. With a state directory the meter's state persists
// as the RS485 meters' does (meter-set.ts, state-store.ts): written when the invocation
// counter reserves ahead, when an association is released, when a token or a payment
// mode change is taken, and at close.
import { Obis } from '../../shared/dlms/obis.js';
import { DLMS_UDP_PORT, type UdpPacket } from '../../shared/g3/ipv6.js';
import { decodeWrapper, encodeWrapper } from '../../shared/wrapper/wrapper.js';
import { WrapperMeterEndpoint } from '../meter/transport/meter-endpoint.js';
import { type RunningMeter, createMeterSet } from '../meter/transport/meter-set.js';
import { equalBytes } from '../../shared/bytes.js';
import { Draws, Stream } from './seeded.js';
import type { PlcNodeSpec } from './topology.js';

/** HDLC physical address given to the meters; unused over the wrapper but required by the meter model. */
const UNUSED_PHYSICAL_ADDRESS = 16;

export type NodeAnswer =
  | { kind: 'answer'; payload: Uint8Array }
  | { kind: 'silent'; reason: string };

export class PlcNode {
  readonly meter: RunningMeter;
  /** Short address: assigned at the first join, kept for every re-join (0 = none yet). */
  shortAddress = 0;
  joined = false;
  /** A join exchange is running. */
  joining = false;
  /** Counts join attempts, so a superseded attempt's timers do nothing. */
  joinAttempt = 0;
  /** Left by fault or kicked: does not re-join at the next network start until rejoin(). */
  stayOut = false;
  /** breakRoute(): data to it fails with route error until a route discovery. */
  routeBroken = false;
  /** Cost of the link to its parent (LOADng link cost), and the LQI the coordinator sees. */
  readonly linkCost: number;
  readonly lqi: number;
  /** Long-invoke-id of the next pushed notification (24 bits). */
  pushInvokeId = 0;
  private readonly endpoint: WrapperMeterEndpoint;
  private lastRequest: Uint8Array | null = null;
  /** The meter's state is persisted (a state directory was given). */
  private readonly persisted: boolean;

  constructor(
    readonly index: number,
    readonly spec: PlcNodeSpec,
    o: { seed: number; startOfLife: number; repeatWindowMs: number; stateDir?: string },
  ) {
    this.persisted = o.stateDir !== undefined;
    [this.meter] = createMeterSet({
      count: 1,
      firstAddress: UNUSED_PHYSICAL_ADDRESS,
      seed: o.seed,
      firstSerial: Number(spec.serial),
      startOfLife: o.startOfLife,
      ...(spec.meter && { configure: () => spec.meter }),
      ...(o.stateDir && { stateDir: o.stateDir }),
    });
    this.endpoint = new WrapperMeterEndpoint({ server: this.meter.server, logical: this.meter.meter.logicalDeviceAddress, repeatWindow: o.repeatWindowMs });
    const draws = new Draws(o.seed);
    this.linkCost = 4 + Math.floor(draws.fixed(Stream.linkCost, index) * 36);
    this.lqi = 48 + Math.floor(draws.fixed(Stream.lqi, index) * 160);
  }

  get eui64(): string {
    return this.spec.eui64;
  }

  get hops(): number {
    return this.spec.hops;
  }

  /** True when this request repeats the previous one byte for byte (the host's retry after a loss). */
  isRepeat(packet: UdpPacket): boolean {
    const repeat = this.lastRequest !== null && equalBytes(this.lastRequest, packet.payload);
    this.lastRequest = packet.payload;
    return repeat;
  }

  /** What the meter answers to one UDP datagram addressed to it, as the UDP payload of the reply. */
  serve(packet: UdpPacket, now: number): NodeAnswer {
    if (packet.destinationPort !== DLMS_UDP_PORT) return { kind: 'silent', reason: `UDP port ${packet.destinationPort} is closed` };
    let pdu;
    try {
      pdu = decodeWrapper(packet.payload);
    } catch (e) {
      return { kind: 'silent', reason: (e as Error).message };
    }
    const tokensBefore = this.persisted ? this.tokenState() : '';
    const { answer, events } = this.endpoint.receive(pdu, now);
    if (this.persisted && (events.some((e) => e.kind === 'released') || this.tokenState() !== tokensBefore)) this.meter.save();
    const error = events.find((e) => e.kind === 'error');
    if (!answer) return { kind: 'silent', reason: error && error.kind === 'error' ? error.message : `nothing to answer (wPort ${pdu.destination})` };
    return { kind: 'answer', payload: encodeWrapper(answer) };
  }

  /**
   * What of the prepayment account a restart must not lose: STS token state (a token
   * accepted twice would be a replay), payment mode, last token. The credit moves with it;
   * the lazily settled credit checkpoint alone is not worth a write per request.
   */
  private tokenState(): string {
    const p = this.meter.meter.state.prepayment;
    return JSON.stringify([p.sts, p.paymentMode, p.lastToken]);
  }

  /** The logical device name (0.0.42.0.0.255) as the meter's object model gives it. */
  logicalDeviceName(now: number): Uint8Array {
    const r = this.meter.meter.objects.get({ classId: 1, instanceId: Obis.logicalDeviceName, attributeId: 2 }, undefined, { clientSap: this.meter.meter.clientSaps.public, authentication: 'none', now });
    return 'data' in r && r.data.type === 'octet-string' ? r.data.value : new TextEncoder().encode(`SIM${this.spec.serial}`);
  }
}
