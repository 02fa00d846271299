// DLMS/COSEM over G3-PLC: the wrapper (IEC 62056-47) in UDP port 4059 in IPv6 between
// the link-local addresses of two nodes of one PAN. The ADPD-DATA primitives carry the
// whole packet; this is the one place that puts the layers together.
import { ProtocolError } from '../errors.js';
import { decodeWrapper, encodeWrapper } from '../wrapper/wrapper.js';
import { DLMS_UDP_PORT, IPV6_HEADER_LENGTH, UDP_HEADER_LENGTH, decodeUdpPacket, encodeUdpPacket, linkLocalAddress, parseLinkLocal } from './ipv6.js';

export interface DlmsOverG3 {
  panId: number;
  /** Short address of the sender (0x0000 is the coordinator, i.e. the DCU). */
  from: number;
  to: number;
  sourceWPort: number;
  destinationWPort: number;
  apdu: Uint8Array;
}

export function dlmsPacket(o: DlmsOverG3): Uint8Array {
  return encodeUdpPacket({
    source: linkLocalAddress(o.panId, o.from),
    destination: linkLocalAddress(o.panId, o.to),
    sourcePort: DLMS_UDP_PORT,
    destinationPort: DLMS_UDP_PORT,
    payload: encodeWrapper({ source: o.sourceWPort, destination: o.destinationWPort, apdu: o.apdu }),
  });
}

/** Throws ProtocolError: any IPv6/UDP fault, addresses that are not G3 link-local of one PAN, ports ≠ 4059, a bad wrapper. */
export function parseDlmsPacket(packet: Uint8Array): DlmsOverG3 {
  const udp = decodeUdpPacket(packet);
  const source = parseLinkLocal(udp.source);
  if (!source) throw new ProtocolError('source address is not a G3 link-local address fe80::{pan}:ff:fe00:{short}', 8, 'ipv6');
  const destination = parseLinkLocal(udp.destination);
  if (!destination) throw new ProtocolError('destination address is not a G3 link-local address fe80::{pan}:ff:fe00:{short}', 24, 'ipv6');
  if (source.panId !== destination.panId) {
    throw new ProtocolError(`source PAN 0x${source.panId.toString(16)} differs from destination PAN 0x${destination.panId.toString(16)}`, 24, 'ipv6');
  }
  if (udp.sourcePort !== DLMS_UDP_PORT) throw new ProtocolError(`source port ${udp.sourcePort} is not ${DLMS_UDP_PORT}`, IPV6_HEADER_LENGTH, 'udp');
  if (udp.destinationPort !== DLMS_UDP_PORT) {
    throw new ProtocolError(`destination port ${udp.destinationPort} is not ${DLMS_UDP_PORT}`, IPV6_HEADER_LENGTH + 2, 'udp');
  }
  const w = decodeWrapper(udp.payload, IPV6_HEADER_LENGTH + UDP_HEADER_LENGTH);
  return {
    panId: source.panId,
    from: source.shortAddress,
    to: destination.shortAddress,
    sourceWPort: w.source,
    destinationWPort: w.destination,
    apdu: w.apdu,
  };
}
