// Command-line arguments of the on-site read tool, checked with messages that name the
// argument and say what is expected.
import { parseArgs } from 'node:util';
import { fromHex } from '../../shared/bytes.js';
import type { Authentication } from '../../shared/dlms/association/settings.js';
import { type Obis, parseObis } from '../../shared/dlms/obis.js';
import { DLMS_PORT } from '../../shared/wrapper/wrapper.js';
import { type LinkSpec, hostPort } from '../links/link-spec.js';

export interface ReadItem {
  classId: number | null;
  obis: Obis;
  attribute: number;
}

export interface ReadArgs {
  link: LinkSpec;
  client: number;
  logicalDevice: number;
  physical: number | null;
  authentication: Authentication;
  password?: Uint8Array;
  keys?: { blockCipherKey: Uint8Array; authenticationKey: Uint8Array; systemTitle: Uint8Array; invocationCounter: number };
  items: ReadItem[];
  profile?: { obis: Obis; from?: number; to?: number; entries?: [number, number] };
  json: boolean;
  timeout: number;
  maxInfo?: number;
  window?: number;
}

export const USAGE = `Read any object of any meter, by hand.

  npx tsx dcu/tools/read.ts LINK [ADDRESSING] [SECURITY] ITEM… [--profile OBIS …] [--json]

LINK (one of)
  --serial PATH [--baud 9600] [--parity none|even|odd]   HDLC on a serial port (RS485 adapter)
  --tcp HOST[:PORT]                                      HDLC over TCP
  --wrapper-tcp HOST[:PORT] | --wrapper-udp HOST[:PORT]  IEC 62056-47 wrapper (port ${DLMS_PORT})
ADDRESSING
  --client SAP (16 public, 17 reader, 1 management; default 16)
  --logical N (server logical device, default 1)  --physical N (HDLC physical address)
SECURITY
  --auth none|low|high   --password TEXT (low)
  --ek HEX --ak HEX --system-title HEX [--invocation-counter N]   (high: HLS-GMAC, suite 0)
ITEM   [CLASS:]OBIS[:ATTRIBUTE], e.g. 1.0.1.8.0.255 or 3:1.0.1.8.0.255:2 (attribute 2 by default;
       the class comes from the meter's object list when it is not given)
PROFILE  --profile OBIS with --from ISO --to ISO (by range) or --entries FIRST-LAST (by entry)
OTHER  --json  --timeout MS (per frame, default 2000)  --max-info N  --window N

Example: npx tsx dcu/tools/read.ts --serial /dev/ttyUSB0 --physical 17 --client 17 --auth low \\
         --password 12345678 0.0.1.0.0.255 1.0.1.8.0.255 --profile 1.0.99.1.0.255 --entries 1-4`;

function int(name: string, text: string | undefined, fallback: number | null, min = 0, max = 0x3fff): number | null {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} ${text}: expected a whole number from ${min} to ${max}`);
  return n;
}

function bytes(name: string, text: string | undefined, length: number): Uint8Array {
  if (!text) throw new Error(`--${name} is required with --auth high`);
  let b: Uint8Array;
  try {
    b = fromHex(text);
  } catch {
    throw new Error(`--${name} ${text}: expected hex`);
  }
  if (b.length !== length) throw new Error(`--${name}: expected ${length} bytes of hex, got ${b.length}`);
  return b;
}

function time(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new Error(`--${name} ${text}: expected an ISO date-time such as 2026-11-21T00:00Z`);
  return t;
}

export function parseItem(text: string): ReadItem {
  const parts = text.split(':');
  if (parts.length === 1) return { classId: null, obis: parseObis(parts[0]), attribute: 2 };
  if (parts.length === 2) return parts[0].includes('.') ? { classId: null, obis: parseObis(parts[0]), attribute: Number(int('item', parts[1], 2, 1, 127)) } : { classId: Number(int('item', parts[0], 0, 0, 0xffff)), obis: parseObis(parts[1]), attribute: 2 };
  if (parts.length === 3) return { classId: Number(int('item', parts[0], 0, 0, 0xffff)), obis: parseObis(parts[1]), attribute: Number(int('item', parts[2], 2, 1, 127)) };
  throw new Error(`item "${text}": expected [CLASS:]OBIS[:ATTRIBUTE]`);
}

export function parseReadArgs(argv: string[]): ReadArgs | 'help' {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      serial: { type: 'string' }, baud: { type: 'string' }, parity: { type: 'string' },
      tcp: { type: 'string' }, 'wrapper-tcp': { type: 'string' }, 'wrapper-udp': { type: 'string' },
      client: { type: 'string' }, logical: { type: 'string' }, physical: { type: 'string' },
      auth: { type: 'string' }, password: { type: 'string' }, ek: { type: 'string' }, ak: { type: 'string' },
      'system-title': { type: 'string' }, 'invocation-counter': { type: 'string' },
      profile: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, entries: { type: 'string' },
      json: { type: 'boolean' }, timeout: { type: 'string' }, 'max-info': { type: 'string' }, window: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) return 'help';
  const links = ['serial', 'tcp', 'wrapper-tcp', 'wrapper-udp'].filter((k) => v[k as 'serial'] !== undefined);
  if (links.length !== 1) throw new Error(`give exactly one of --serial, --tcp, --wrapper-tcp, --wrapper-udp (got ${links.length})`);
  const parity = v.parity ?? 'none';
  if (!['none', 'even', 'odd'].includes(parity)) throw new Error(`--parity ${parity}: expected none, even or odd`);
  const link: LinkSpec = v.serial
    ? { kind: 'serial', path: v.serial, baudRate: Number(int('baud', v.baud, 9600, 300, 921600)), parity: parity as 'none' }
    : v.tcp ? { kind: 'hdlc-tcp', ...hostPort(v.tcp, DLMS_PORT) }
    : v['wrapper-tcp'] ? { kind: 'wrapper-tcp', ...hostPort(v['wrapper-tcp'], DLMS_PORT) }
    : { kind: 'wrapper-udp', ...hostPort(v['wrapper-udp']!, DLMS_PORT) };
  const auth = v.auth ?? 'none';
  const names: Record<string, Authentication> = { none: 'none', low: 'low', high: 'high-gmac', 'high-gmac': 'high-gmac' };
  const authentication = names[auth];
  if (!authentication) throw new Error(`--auth ${auth}: expected none, low or high`);
  if (authentication === 'low' && v.password === undefined) throw new Error('--password is required with --auth low');
  const args: ReadArgs = {
    link,
    client: Number(int('client', v.client, 16, 0, 127)),
    logicalDevice: Number(int('logical', v.logical, 1)),
    physical: int('physical', v.physical, null),
    authentication,
    items: positionals.map(parseItem),
    json: v.json ?? false,
    timeout: Number(int('timeout', v.timeout, 2000, 10, 600_000)),
    ...(v['max-info'] && { maxInfo: Number(int('max-info', v['max-info'], 128, 32, 2030)) }),
    ...(v.window && { window: Number(int('window', v.window, 1, 1, 7)) }),
  };
  if (v.password !== undefined) args.password = new TextEncoder().encode(v.password);
  if (authentication === 'high-gmac') {
    args.keys = { blockCipherKey: bytes('ek', v.ek, 16), authenticationKey: bytes('ak', v.ak, 16), systemTitle: bytes('system-title', v['system-title'], 8), invocationCounter: Number(int('invocation-counter', v['invocation-counter'], 1, 0, 0xfffffffe)) };
  }
  if (v.profile) {
    const entries = v.entries?.match(/^(\d+)-(\d+)$/);
    if (v.entries && !entries) throw new Error(`--entries ${v.entries}: expected FIRST-LAST, e.g. 1-96`);
    args.profile = { obis: parseObis(v.profile), from: time('from', v.from), to: time('to', v.to), ...(entries && { entries: [Number(entries[1]), Number(entries[2])] as [number, number] }) };
    if ((args.profile.from === undefined) !== (args.profile.to === undefined)) throw new Error('--from and --to go together');
  }
  if (args.items.length === 0 && !args.profile) throw new Error('nothing to read: give at least one OBIS item or --profile');
  return args;
}
