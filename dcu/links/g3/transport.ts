// DLMS to one meter on a G3-PLC network (ApduTransport): the IEC 62056-47 wrapper over UDP
// in IPv6, through the network's modem and its limit of requests in flight. No link layer:
// open/close only mark the transport usable; a lost answer is a timeout that grows with the
// meter's hop count, then the request is repeated (twice the timeout each time), as UDP wants.
import { LinkTimeout } from '../../../shared/errors.js';
import { USI_MAX_PAYLOAD } from '../../../shared/g3/usi.js';
import type { ApduTransport } from '../transport.js';
import type { G3Network, G3Node } from './network.js';

/**
 * The largest APDU an ADPD-DATA.indication carries in one USI frame: the payload less the
 * command id, LQI and length (4), the IPv6 (40) and UDP (8) headers and the wrapper (8).
 * Sessions over G3 propose it as their max receive PDU size, so that meters send longer
 * answers in blocks instead of packets the modem cannot pass on.
 */
export const G3_MAX_APDU = USI_MAX_PAYLOAD - 4 - 40 - 8 - 8;

export interface G3TransportOptions {
  eui64: string;
  /** Client SAP = source wPort. */
  client: number;
  /** Server logical device = destination wPort (1 = management). */
  logicalDevice?: number;
  /** Repeats after a timeout. */
  maxRetries?: number;
}

export class G3Transport implements ApduTransport {
  private open_ = false;
  /** APDU bytes of this meter (the modem's channel carries every meter's). */
  readonly counters = { written: 0, received: 0 };

  constructor(private readonly network: G3Network, readonly options: G3TransportOptions) {}

  get description(): string {
    const node = this.network.node(this.options.eui64);
    return `g3 ${this.network.name} ${this.options.eui64}${node ? ` (short ${node.shortAddress})` : ''} client ${this.options.client}`;
  }

  get isOpen(): boolean {
    return this.open_;
  }

  async open(): Promise<void> {
    this.nodeOrThrow();
    this.open_ = true;
  }

  async request(apdu: Uint8Array, accept?: (answer: Uint8Array) => boolean): Promise<Uint8Array> {
    if (!this.open_) throw new LinkTimeout(`${this.description} is not open`, 0);
    const retries = this.options.maxRetries ?? 3;
    const wports = { clientWPort: this.options.client, serverWPort: this.options.logicalDevice ?? 1, ...(accept && { accept }) };
    let timeoutMs: number | undefined;
    for (let attempt = 0; ; attempt++) {
      const node = this.nodeOrThrow();
      try {
        this.counters.written += apdu.length;
        const answer = await this.network.exchange(node, apdu, { ...wports, ...(timeoutMs !== undefined && { timeoutMs }) });
        this.counters.received += answer.length;
        return answer;
      } catch (e) {
        if (!(e instanceof LinkTimeout) || attempt >= retries) throw e;
        // Exponential backoff of the timeout, from what the route suggests now.
        timeoutMs = Math.min(4 * this.network.timeoutFor(node), 2 * (timeoutMs ?? this.network.timeoutFor(node)));
      }
    }
  }

  async close(): Promise<void> {
    this.open_ = false;
  }

  async dispose(): Promise<void> {
    this.open_ = false;
  }

  private nodeOrThrow(): G3Node {
    const node = this.network.node(this.options.eui64);
    if (!node) throw new LinkTimeout(`meter ${this.options.eui64} has not joined ${this.network.name}`, 0);
    if (node.left) throw new LinkTimeout(`meter ${this.options.eui64} left ${this.network.name} and has not joined again`, 0);
    return node;
  }
}
