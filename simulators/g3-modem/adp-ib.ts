// The few ADP information base attributes the simulated modem serves through ADPM-GET /
// ADPM-SET (attribute ids and sizes as Microchip's ADP, G3-PLC ADP IB). Results follow the
// ADP's: an unknown attribute is UNSUPPORTED_ATTRIBUTE (0xB1), an index past a table (or
// ≠ 0 on a scalar) INVALID_INDEX (0xA7), a write to a read-only one READ_ONLY (0xB0), a
// value of the wrong size or range INVALID_PARAMETER (0xA8). Values are big-endian.
import { AdpStatus } from '../../shared/g3/adp.js';
import type { PlcNetwork } from './plc-network.js';

export const AdpResult = { invalidIndex: 0xa7, readOnly: 0xb0, unsupportedAttribute: 0xb1 } as const;

export const AdpAttribute = {
  coordShortAddress: 0x08,
  routingTable: 0x0c,
  maxHops: 0x0f,
  deviceType: 0x10,
  routingTableEntryTtl: 0x12,
  softVersion: 0x1c,
} as const;

/** adpDeviceType of a PAN coordinator. */
const PAN_COORDINATOR = 1;
/** adpSoftVersion of the simulator: 1.0.0, then a build date (yy mm dd). */
const SOFT_VERSION = Uint8Array.from([1, 0, 0, 26, 11, 22]);

export class AdpInformationBase {
  maxHops = 8;
  /** Minutes a routing table entry stays valid (adpRoutingTableEntryTTL). */
  routingTableEntryTtl = 360;

  constructor(private readonly network: PlcNetwork) {}

  get(attributeId: number, index: number): { status: number; value: Uint8Array } {
    const none = new Uint8Array(0);
    const scalar = (value: Uint8Array) => (index === 0 ? { status: AdpStatus.success, value } : { status: AdpResult.invalidIndex, value: none });
    switch (attributeId) {
      case AdpAttribute.coordShortAddress:
        return scalar(u16(0));
      case AdpAttribute.maxHops:
        return scalar(Uint8Array.of(this.maxHops));
      case AdpAttribute.deviceType:
        return scalar(Uint8Array.of(PAN_COORDINATOR));
      case AdpAttribute.routingTableEntryTtl:
        return scalar(u16(this.routingTableEntryTtl));
      case AdpAttribute.softVersion:
        return scalar(SOFT_VERSION);
      case AdpAttribute.routingTable: {
        // One entry per joined node, by short address: destination, next hop, route cost,
        // hop count (high nibble) | weak links (low nibble), valid time (minutes).
        const joined = this.network.nodes.filter((n) => n.joined).sort((a, b) => a.shortAddress - b.shortAddress);
        const node = joined[index];
        if (!node) return { status: AdpResult.invalidIndex, value: none };
        const { nextHop, routeCost } = this.network.route(node);
        return { status: AdpStatus.success, value: Uint8Array.from([...u16(node.shortAddress), ...u16(nextHop), ...u16(Math.min(routeCost, 0xffff)), node.hops << 4, ...u16(this.routingTableEntryTtl)]) };
      }
      default:
        return { status: AdpResult.unsupportedAttribute, value: none };
    }
  }

  set(attributeId: number, index: number, value: Uint8Array): number {
    switch (attributeId) {
      case AdpAttribute.maxHops:
        if (index !== 0) return AdpResult.invalidIndex;
        if (value.length !== 1 || value[0] < 1 || value[0] > 15) return AdpStatus.invalidParameter;
        this.maxHops = value[0];
        return AdpStatus.success;
      case AdpAttribute.routingTableEntryTtl:
        if (index !== 0) return AdpResult.invalidIndex;
        if (value.length !== 2) return AdpStatus.invalidParameter;
        this.routingTableEntryTtl = (value[0] << 8) | value[1];
        return AdpStatus.success;
      case AdpAttribute.coordShortAddress:
      case AdpAttribute.routingTable:
      case AdpAttribute.deviceType:
      case AdpAttribute.softVersion:
        return AdpResult.readOnly;
      default:
        return AdpResult.unsupportedAttribute;
    }
  }
}

function u16(v: number): Uint8Array {
  return Uint8Array.of(v >> 8, v & 0xff);
}
