// How to reach a meter, as configured or typed on a command line, and the transport
// that goes with it.
import { serverAddress } from '../../shared/hdlc/address.js';
import type { HdlcParameters } from '../../shared/hdlc/parameters.js';
import { SerialChannel, type SerialSettings, TcpChannel } from './channel.js';
import { HdlcTransport } from './hdlc-transport.js';
import type { ApduTransport } from './transport.js';
import { WrapperTcpTransport, WrapperUdpTransport } from './wrapper-transport.js';

export type LinkSpec =
  | ({ kind: 'serial' } & SerialSettings)
  | { kind: 'hdlc-tcp'; host: string; port: number }
  | { kind: 'wrapper-tcp'; host: string; port: number }
  | { kind: 'wrapper-udp'; host: string; port: number };

export interface Addressing {
  client: number;
  logicalDevice: number;
  /** HDLC physical address; null for the 1-byte server address form. */
  physical: number | null;
  proposal?: HdlcParameters;
  responseTimeout?: number;
  maxRetries?: number;
}

export async function openTransport(link: LinkSpec, a: Addressing): Promise<ApduTransport> {
  const hdlc = { client: a.client, server: serverAddress(a.logicalDevice, a.physical), proposal: a.proposal, responseTimeout: a.responseTimeout, maxRetries: a.maxRetries };
  switch (link.kind) {
    case 'serial':
      return new HdlcTransport(await SerialChannel.open(link), hdlc);
    case 'hdlc-tcp':
      return new HdlcTransport(await TcpChannel.open(link.host, link.port), hdlc);
    case 'wrapper-tcp':
      return new WrapperTcpTransport({ host: link.host, port: link.port, client: a.client, logicalDevice: a.logicalDevice, responseTimeout: a.responseTimeout });
    case 'wrapper-udp':
      return new WrapperUdpTransport({ host: link.host, port: link.port, client: a.client, logicalDevice: a.logicalDevice, responseTimeout: a.responseTimeout, maxRetries: a.maxRetries });
  }
}

/** Parses "host:port" with a default port. */
export function hostPort(text: string, defaultPort: number): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not host:port`);
  return { host: m[1], port: m[2] ? Number(m[2]) : defaultPort };
}
