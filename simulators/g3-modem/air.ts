// How many bytes a packet puts on the PLC channel, per hop. The host hands the modem whole
// IPv6 packets (40-byte IPv6 + 8-byte UDP header + wrapper + APDU); the modem sends them
// 6LoWPAN-compressed in G3 MAC frames. Per hop, the frame(s) carry:
//
//   MAC overhead   24 B per MAC frame: IEEE 802.15.4 header with PAN id compression and
//                  short addresses (frame control 2, sequence 1, PAN id 2, destination 2,
//                  source 2), G3 segment control 3, auxiliary security header 6 (security
//                  control 1, frame counter 4, key index 1), MIC-32 4, FCS 2.
//   mesh header     5 B when the packet is routed (hops > 1): dispatch 1, originator 2, final 2.
//   IPHC            2 B: traffic class/flow label elided, hop limit 64/255/1 elided (else +1 B),
//                  both link-local addresses elided (derived from PAN id + short address).
//   UDP NHC         7 B: NHC byte 1, ports 4 (4059 is outside the compressible 0xF0Bx range),
//                  checksum 2 (G3 forbids eliding it); length elided.
//   UDP payload    wrapper header (8) + APDU, unchanged.
//   fragmentation  a compressed packet over MAC_PAYLOAD_MAX is cut into fragments:
//                  FRAG1 header 4 B, each FRAGN 5 B, fragment payloads multiples of 8 B,
//                  each fragment its own MAC frame (its own 24 B overhead).
//
// So a 48-byte IPv6+UDP header costs 9 bytes (14 routed), and a DLMS GET of a 13-byte APDU
// (69-byte IPv6 packet) costs 24 + 9 + 21 = 54 bytes per hop instead of 69 + 24.
// LBP bootstrap and route-discovery messages are not IPv6: 6LoWPAN ESC dispatch (1 B) +
// command/type (1 B) + their own content, in one MAC frame (mesh header when routed).
// PHY overhead (preamble, frame control header, ROBO/modulation) and the acknowledgements
// are not counted as bytes: they are inside the effective channel capacity (bits/s).
import { DEFAULT_HOP_LIMIT, IPV6_HEADER_LENGTH, UDP_HEADER_LENGTH } from '../../shared/g3/ipv6.js';

export const MAC_OVERHEAD = 24;
export const MESH_HEADER = 5;
export const IPHC_HEADER = 2;
export const UDP_NHC_HEADER = 7;
/** Largest MAC payload of one G3 frame (aMaxMACPayloadSize-like), bytes. */
export const MAC_PAYLOAD_MAX = 400;
const FRAG1_HEADER = 4;
const FRAGN_HEADER = 5;
const LBP_DISPATCH = 2;

export interface OnAir {
  /** MAC frames per hop. */
  frames: number;
  /** Bytes on the channel per hop, all frames and overheads. */
  bytes: number;
}

/** On-air size per hop of an IPv6/UDP packet of `ipv6Length` bytes sent over `hops` hops. */
export function ipv6OnAir(ipv6Length: number, hops: number, hopLimit = DEFAULT_HOP_LIMIT): OnAir {
  const udpPayload = Math.max(0, ipv6Length - IPV6_HEADER_LENGTH - UDP_HEADER_LENGTH);
  const hopLimitInline = hopLimit === 1 || hopLimit === 64 || hopLimit === 255 ? 0 : 1;
  const compressed = IPHC_HEADER + hopLimitInline + UDP_NHC_HEADER + udpPayload;
  return framed(compressed, hops > 1 ? MESH_HEADER : 0);
}

/** On-air size per hop of a non-IPv6 ADP message (LBP, LOADng) with `content` bytes. */
export function adpCommandOnAir(content: number, hops: number): OnAir {
  return framed(LBP_DISPATCH + content, hops > 1 ? MESH_HEADER : 0);
}

function framed(compressed: number, mesh: number): OnAir {
  const room = MAC_PAYLOAD_MAX - mesh;
  if (compressed <= room) return { frames: 1, bytes: MAC_OVERHEAD + mesh + compressed };
  // Fragment payloads are multiples of 8 bytes (RFC 4944 §5.3), except the last.
  const first = Math.floor((room - FRAG1_HEADER) / 8) * 8;
  const next = Math.floor((room - FRAGN_HEADER) / 8) * 8;
  const rest = compressed - first;
  const more = Math.ceil(rest / next);
  const frames = 1 + more;
  return { frames, bytes: frames * (MAC_OVERHEAD + mesh) + FRAG1_HEADER + more * FRAGN_HEADER + compressed };
}

/** Channel time of `bytes` at `capacityBps`, ms. */
export function airtimeMs(bytes: number, capacityBps: number): number {
  return (bytes * 8 * 1000) / capacityBps;
}
