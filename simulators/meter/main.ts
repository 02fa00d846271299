// The meter simulator as a program: N simulated DLMS/COSEM meters on a serial bus (multi-
// drop HDLC), on HDLC over TCP, on the wrapper over TCP and/or UDP — any combination at
// once, the same meters behind each. It prints what it serves (addresses, serial numbers,
// the passwords and keys of the three associations: it is a simulator), logs each
// association in one line, keeps state in --state-dir, and closes cleanly on SIGTERM/SIGINT.
//
//   npx tsx simulators/meter/main.ts --serial /tmp/ttyB --baud 9600 --meters 8 --first-address 17
//   npx tsx simulators/meter/main.ts --tcp-hdlc 4061 --wrapper-udp 4059 --meters 3 --state-dir ./state
import { hex } from '../../shared/bytes.js';
import { DLMS_PORT } from '../../shared/wrapper/wrapper.js';
import { closeOnSignals, parseCommandLine, startOfLife as parseStartOfLife, usageFailure } from '../cli.js';
import { FaultInjector, type FaultsByMeter, faultsFor, parseFaults } from './transport/faults.js';
import type { LineMeter } from './transport/hdlc-line.js';
import type { EndpointEvent } from './transport/meter-endpoint.js';
import { type RunningMeter, createMeterSet } from './transport/meter-set.js';
import { SerialBus } from './transport/serial-bus.js';
import { TcpHdlcServer } from './transport/tcp-hdlc.js';
import { WrapperTcpServer } from './transport/wrapper-tcp.js';
import { WrapperUdpServer } from './transport/wrapper-udp.js';

const fail: (message: string) => never = usageFailure('meter simulator');

const HELP = `usage: simulators/meter/main.ts [transports] [options]
transports (one or more):
  --serial PATH          HDLC multi-drop bus on a serial device (e.g. one end of a socat pty pair)
  --tcp-hdlc PORT        HDLC over TCP: each connection is a line with all the meters on it
  --wrapper-tcp PORT     IEC 62056-47 wrapper over TCP, meter i on PORT+i (0: free ports)
  --wrapper-udp PORT     the wrapper over UDP, meter i on PORT+i (0: free ports)
options:
  --meters N             number of meters (default 1)
  --first-address A      HDLC physical address of the first meter (default 17)
  --first-serial S       serial number of the first meter (default 30000001)
  --baud B               serial line speed (default 9600; also paces --tcp-hdlc when given)
  --parity none|even|odd (default none)
  --turnaround MS        pause before a meter answers on the bus (default 20)
  --inactivity S         a meter drops an HDLC connection silent this long (default 120, 0 = never)
  --max-info N           largest HDLC information field the meters accept (default 512)
  --window N             largest HDLC window the meters accept, 1..7 (default 7)
  --seed N               seed of the value model and of the faults (default 1)
  --start-of-life ISO    when the registers were 0 (default 2024-01-01T00:00:00Z)
  --state-dir DIR        keep counters, clock, relay state between runs
  --faults JSON          faults per meter, e.g. '{"17":{"silent":{"every":5}},"*":{"garbage":{"probability":0.01}}}'
  --host H               address to listen on for TCP/UDP (default 127.0.0.1)
  --quiet                no per-association log lines`;

function int(value: string | undefined, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) fail(`--${name} must be an integer ${min}..${max}, got ${value}`);
  return n;
}

const a = parseCommandLine(HELP, {
  serial: { type: 'string' }, 'tcp-hdlc': { type: 'string' }, 'wrapper-tcp': { type: 'string' }, 'wrapper-udp': { type: 'string' },
  meters: { type: 'string' }, 'first-address': { type: 'string' }, 'first-serial': { type: 'string' },
  baud: { type: 'string' }, parity: { type: 'string' }, turnaround: { type: 'string' }, inactivity: { type: 'string' },
  'max-info': { type: 'string' }, window: { type: 'string' }, seed: { type: 'string' },
  'start-of-life': { type: 'string' }, 'state-dir': { type: 'string' }, faults: { type: 'string' },
  host: { type: 'string' }, quiet: { type: 'boolean' },
}, fail);
if (!a.serial && !a['tcp-hdlc'] && !a['wrapper-tcp'] && !a['wrapper-udp']) fail(`no transport given\n${HELP}`);

const count = int(a.meters, 'meters', 1, 1, 1000);
const firstAddress = int(a['first-address'], 'first-address', 17, 16, 0x3fff);
const seed = int(a.seed, 'seed', 1);
const baud = a.baud === undefined ? undefined : int(a.baud, 'baud', 9600, 50, 4_000_000);
const turnaround = int(a.turnaround, 'turnaround', 20, 0, 10_000);
// IEC 62056-46 HDLC setup object (0.0.22.0.0.255): inactivity_time_out, 120 s by default.
const inactivityTimeout = int(a.inactivity, 'inactivity', 120, 0, 86_400) * 1000;
const maxInfo = int(a['max-info'], 'max-info', 512, 32, 2030);
const window = int(a.window, 'window', 7, 1, 7);
const host = a.host ?? '127.0.0.1';
const parity = (a.parity ?? 'none') as 'none' | 'even' | 'odd';
if (!['none', 'even', 'odd'].includes(parity)) fail(`--parity must be none, even or odd`);
const startOfLife = parseStartOfLife(a['start-of-life'], fail);
let faults: FaultsByMeter | undefined;
try {
  faults = a.faults ? parseFaults(a.faults) : undefined;
} catch (e) {
  fail(`--faults: ${(e as Error).message}`);
}

let meters: RunningMeter[];
try {
  meters = createMeterSet({ count, firstAddress, seed, firstSerial: int(a['first-serial'], 'first-serial', 30000001), startOfLife, ...(a['state-dir'] && { stateDir: a['state-dir'] }) });
} catch (e) {
  fail((e as Error).message);
}

const limits = { maxInfoTx: maxInfo, maxInfoRx: maxInfo, windowTx: window, windowRx: window };
const bySerial = new Map(meters.map((m) => [m.serial, m]));
const label = (m: { label?: string }) => m.label ?? '?';

function log(meterLabel: string, physical: number | string, event: EndpointEvent, where: string): void {
  const running = bySerial.get(meterLabel);
  if (event.kind === 'released' || event.kind === 'disconnected' || event.kind === 'rebooted') running?.save();
  if (a.quiet && event.kind !== 'error') return;
  const who = `meter ${meterLabel} (${physical}) ${where}`;
  switch (event.kind) {
    case 'connected': return console.log(`${who}: HDLC connected, client ${event.client}, max info ${event.parameters.maxInfoTx}/${event.parameters.maxInfoRx}, window ${event.parameters.windowTx}/${event.parameters.windowRx}`);
    case 'disconnected': return console.log(`${who}: HDLC disconnected (${event.reason})`);
    case 'refused-proposal': return console.log(`${who}: SNRM from client ${event.client} refused with DM (proposed ${JSON.stringify(event.proposed)})`);
    case 'associated': return console.log(`${who}: client ${event.client} associated (${event.authentication})`);
    case 'association-rejected': return console.log(`${who}: client ${event.client} association rejected`);
    case 'released': return console.log(`${who}: client ${event.client} released`);
    case 'rebooted': return console.log(`${who}: rebooted (fault)`);
    case 'error': return console.error(`${who}: ${event.message}`);
  }
}

const lineMeters: LineMeter[] = meters.map((m) => ({ physical: m.physical, server: m.server, limits, label: m.serial }));
const onFault = (m: { label?: string }, kinds: string[]) => !a.quiet && console.log(`meter ${label(m)}: fault ${kinds.join('+')}`);
const closers: (() => Promise<void>)[] = [];
const statsReports: (() => string)[] = [];

async function start(): Promise<void> {
  console.log(`meter simulator: ${count} meter(s), seed ${seed}, HDLC limits max info ${maxInfo}, window ${window}${a['state-dir'] ? `, state in ${a['state-dir']}` : ''}`);
  for (const m of meters) {
    const p = m.meter.policy(m.meter.clientSaps.reader);
    const h = m.meter.policy(m.meter.clientSaps.management);
    console.log(
      `  meter ${m.serial}: HDLC address ${m.meter.logicalDeviceAddress}/${m.physical}, system title ${hex(m.meter.systemTitle)}, invocation counter ${m.counter.value}\n` +
        `    public     client ${m.meter.clientSaps.public}: no security\n` +
        `    reader     client ${m.meter.clientSaps.reader}: LLS password "${new TextDecoder().decode(p?.password ?? new Uint8Array(0))}"\n` +
        `    management client ${m.meter.clientSaps.management}: HLS-GMAC, suite 0, block cipher key ${hex(h?.keys?.blockCipherKey ?? new Uint8Array(0))}, authentication key ${hex(h?.keys?.authenticationKey ?? new Uint8Array(0))}`,
    );
  }
  if (faults) console.log(`  faults: ${JSON.stringify(faults)}`);

  if (a.serial) {
    const bus = await SerialBus.open({
      path: a.serial, baud: baud ?? 9600, parity, turnaround, inactivityTimeout, meters: lineMeters, seed, onFault,
      ...(faults && { faults }),
      onEvent: (m, e) => log(label(m), m.physical, e, 'serial'),
      onError: (e) => console.error(`serial ${a.serial}: ${e.message}`),
    });
    console.log(`serving HDLC on serial ${a.serial} at ${bus.baud} baud, turnaround ${turnaround} ms, addresses ${meters.map((m) => m.physical).join(',')}`);
    closers.push(() => bus.close());
    statsReports.push(() => `serial ${a.serial}: ${bus.stats.bytesFromClient} bytes from the client, ${bus.stats.bytesToClient} to it, line busy ${(bus.airtimeMs / 1000).toFixed(1)} s`);
  }
  if (a['tcp-hdlc'] !== undefined) {
    const server = await TcpHdlcServer.listen({
      port: int(a['tcp-hdlc'], 'tcp-hdlc', 0, 0, 65535), host, inactivityTimeout, meters: lineMeters, seed, onFault,
      ...(faults && { faults }),
      ...(baud !== undefined && { baud, turnaround }),
      onEvent: (m, e, peer) => log(label(m), m.physical, e, `tcp ${peer}`),
    });
    console.log(`serving HDLC over TCP on ${host}:${server.port}, addresses ${meters.map((m) => m.physical).join(',')}`);
    closers.push(() => server.close());
    statsReports.push(() => `tcp-hdlc: ${server.stats.bytesFromClient} bytes in, ${server.stats.bytesToClient} out`);
  }
  for (const kind of ['wrapper-tcp', 'wrapper-udp'] as const) {
    if (a[kind] === undefined) continue;
    const base = int(a[kind], kind, DLMS_PORT, 0, 65535);
    for (const [i, m] of meters.entries()) {
      const f = faults ? faultsFor(faults, m.physical, m.serial) : {};
      const meter = { server: m.server, label: m.serial, ...(Object.keys(f).length > 0 && { faults: new FaultInjector(f, seed, m.physical, 'wrapper') }) };
      const options = { port: base === 0 ? 0 : base + i, host, meter, onFault, onEvent: (_: unknown, e: EndpointEvent, peer: string) => log(m.serial, m.physical, e, `${kind} ${peer}`) };
      const server = kind === 'wrapper-tcp' ? await WrapperTcpServer.listen(options) : await WrapperUdpServer.listen(options);
      console.log(`serving the wrapper over ${kind === 'wrapper-tcp' ? 'TCP' : 'UDP'} on ${host}:${server.port} for meter ${m.serial} (logical device ${m.meter.logicalDeviceAddress})`);
      closers.push(() => server.close());
    }
  }
  console.log('ready');
}

closeOnSignals(async () => {
  await Promise.allSettled(closers.map((c) => c()));
  for (const m of meters) m.save();
  for (const r of statsReports) console.log(r());
});
// State is also written now and then, so a kill -9 loses little (the counter never: it reserves ahead).
setInterval(() => meters.forEach((m) => m.save()), 30_000).unref();

start().catch(async (e) => {
  console.error(`meter simulator: ${(e as Error).message}`);
  await Promise.allSettled(closers.map((c) => c()));
  process.exit(1);
});
