// Just enough IPv6 + UDP for DLMS over G3: a fixed 40-byte header (RFC 8200 §3) with no
// extension headers, next header 17, then UDP (RFC 768) with its checksum over the
// IPv6 pseudo-header (RFC 8200 §8.1). The modem does the 6LoWPAN compression, so the
// host sees whole, uncompressed packets.
import { ByteReader } from '../bytes.js';
import { ProtocolError } from '../errors.js';

export const DLMS_UDP_PORT = 4059;
export const IPV6_HEADER_LENGTH = 40;
export const UDP_HEADER_LENGTH = 8;
export const NEXT_HEADER_UDP = 17;
/**
 * Hop limit when the caller gives none: 64, the IANA default. G3 routes in the ADP
 * mesh below IP, so every packet is one IP hop; 64 is also one of the three values
 * 6LoWPAN IPHC sends in zero bytes (RFC 6282 §3.1.1), as are 1 and 255.
 */
export const DEFAULT_HOP_LIMIT = 64;

export interface UdpPacket {
  source: Uint8Array;
  destination: Uint8Array;
  sourcePort: number;
  destinationPort: number;
  payload: Uint8Array;
  hopLimit?: number;
}

/** fe80::{panId}:00ff:fe00:{short}: the G3 link-local address (interface id from PAN id and short address). */
export function linkLocalAddress(panId: number, shortAddress: number): Uint8Array {
  checkU16(panId, 'PAN id');
  checkU16(shortAddress, 'short address');
  const a = new Uint8Array(16);
  a[0] = 0xfe;
  a[1] = 0x80;
  a[8] = panId >> 8;
  a[9] = panId & 0xff;
  a[11] = 0xff;
  a[12] = 0xfe;
  a[14] = shortAddress >> 8;
  a[15] = shortAddress & 0xff;
  return a;
}

/** The PAN id and short address of a G3 link-local address, or null for any other address. */
export function parseLinkLocal(address: Uint8Array): { panId: number; shortAddress: number } | null {
  if (address.length !== 16 || address[0] !== 0xfe || address[1] !== 0x80) return null;
  for (let i = 2; i < 8; i++) if (address[i] !== 0) return null;
  if (address[10] !== 0x00 || address[11] !== 0xff || address[12] !== 0xfe || address[13] !== 0x00) return null;
  return { panId: (address[8] << 8) | address[9], shortAddress: (address[14] << 8) | address[15] };
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run (≥ 2) of zero groups as "::". */
export function formatIpv6(address: Uint8Array): string {
  if (address.length !== 16) throw new RangeError(`an IPv6 address has 16 bytes, not ${address.length}`);
  const groups = Array.from({ length: 8 }, (_, i) => (address[2 * i] << 8) | address[2 * i + 1]);
  // §5: IPv4-mapped addresses keep the dotted quad.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${address.subarray(12).join('.')}`;
  }
  let bestStart = -1;
  let bestLength = 1; // §4.2.2: a single 0 group is not shortened
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i; // §4.2.3: the first of equally long runs wins (strictly greater)
    }
    i = j;
  }
  const text = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return text(groups);
  return `${text(groups.slice(0, bestStart))}::${text(groups.slice(bestStart + bestLength))}`;
}

/** One's-complement sum of the pseudo-header and the UDP datagram (RFC 8200 §8.1), not yet inverted. */
function udpSum(source: Uint8Array, destination: Uint8Array, udp: Uint8Array): number {
  let sum = 0;
  const words = (b: Uint8Array): void => {
    for (let i = 0; i + 1 < b.length; i += 2) sum += (b[i] << 8) | b[i + 1];
    if (b.length & 1) sum += b[b.length - 1] << 8;
  };
  words(source);
  words(destination);
  sum += udp.length >>> 16; // upper-layer packet length, 32 bits
  sum += udp.length & 0xffff;
  sum += NEXT_HEADER_UDP; // three zero bytes then next header
  words(udp);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

export function encodeUdpPacket(p: UdpPacket): Uint8Array {
  if (p.source.length !== 16 || p.destination.length !== 16) throw new RangeError('IPv6 addresses have 16 bytes');
  checkU16(p.sourcePort, 'source port');
  checkU16(p.destinationPort, 'destination port');
  const hopLimit = p.hopLimit ?? DEFAULT_HOP_LIMIT;
  if (!Number.isInteger(hopLimit) || hopLimit < 0 || hopLimit > 255) throw new RangeError(`hop limit ${hopLimit} is outside 0..255`);
  const udpLength = UDP_HEADER_LENGTH + p.payload.length;
  if (udpLength > 0xffff) throw new RangeError(`UDP payload of ${p.payload.length} bytes does not fit a 16-bit length`);
  const out = new Uint8Array(IPV6_HEADER_LENGTH + udpLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x60000000); // version 6, traffic class 0, flow label 0
  view.setUint16(4, udpLength); // payload length
  out[6] = NEXT_HEADER_UDP;
  out[7] = hopLimit;
  out.set(p.source, 8);
  out.set(p.destination, 24);
  view.setUint16(40, p.sourcePort);
  view.setUint16(42, p.destinationPort);
  view.setUint16(44, udpLength);
  out.set(p.payload, 48);
  const checksum = ~udpSum(p.source, p.destination, out.subarray(40)) & 0xffff;
  view.setUint16(46, checksum === 0 ? 0xffff : checksum); // RFC 8200 §8.1: 0 is sent as FFFF
  return out;
}

/** Decodes and checks one whole IPv6 packet carrying UDP. Throws ProtocolError (layer 'ipv6' or 'udp'). */
export function decodeUdpPacket(bytes: Uint8Array): UdpPacket {
  const ip = new ByteReader(bytes, 'ipv6');
  const first = ip.u32('version, traffic class and flow label');
  if (first >>> 28 !== 6) ip.fail(`version ${first >>> 28} is not 6`, 0);
  const payloadLength = ip.u16('payload length');
  const nextHeader = ip.u8('next header');
  const hopLimit = ip.u8('hop limit');
  const source = ip.take(16, 'source address').slice();
  const destination = ip.take(16, 'destination address').slice();
  if (nextHeader !== NEXT_HEADER_UDP) ip.fail(`next header ${nextHeader} is not UDP (17); extension headers are not supported`, 6);
  if (payloadLength !== ip.remaining) ip.fail(`payload length says ${payloadLength} but ${ip.remaining} byte(s) follow the header`, 4);
  const udpBytes = bytes.subarray(IPV6_HEADER_LENGTH);
  const udp = new ByteReader(udpBytes, 'udp', 0, IPV6_HEADER_LENGTH);
  const sourcePort = udp.u16('source port');
  const destinationPort = udp.u16('destination port');
  const udpLength = udp.u16('length');
  const checksum = udp.u16('checksum');
  if (udpLength !== udpBytes.length) udp.fail(`UDP length says ${udpLength} but the IPv6 payload is ${udpBytes.length} byte(s)`, 4);
  if (checksum === 0) udp.fail('checksum 0 (none) is not allowed over IPv6 (RFC 8200 §8.1)', 6);
  if (udpSum(source, destination, udpBytes) !== 0xffff) {
    const expected = ~udpSum(source, destination, zeroChecksum(udpBytes)) & 0xffff;
    udp.fail(`checksum 0x${hex4(checksum)} is wrong, expected 0x${hex4(expected === 0 ? 0xffff : expected)}`, 6);
  }
  return { source, destination, sourcePort, destinationPort, payload: udp.rest().slice(), hopLimit };
}

function zeroChecksum(udp: Uint8Array): Uint8Array {
  const copy = udp.slice();
  copy[6] = copy[7] = 0;
  return copy;
}

function checkU16(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`${what} ${v} is outside 0..0xFFFF`);
}

function hex4(v: number): string {
  return v.toString(16).padStart(4, '0');
}
