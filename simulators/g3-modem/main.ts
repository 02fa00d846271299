// The G3-PLC modem simulator as a program: a modem speaking USI (G3 ADP, protocol 0x25) on
// a serial device, with a simulated PAN of N meters behind it. Without --path it opens its
// own socat pty pair and prints the end the DCU should open. Faults can be typed on stdin:
//   leave EUI | rejoin EUI | break EUI | alarm EUI | loss P | reset | hang | stats
//
//   npx tsx simulators/g3-modem/main.ts --meters 20 --seed 3 --time-scale 0.1
//   npx tsx simulators/g3-modem/main.ts --path /dev/ttyUSB1 --meters 200
import { createInterface } from 'node:readline';
import { closeOnSignals, parseCommandLine, startOfLife as parseStartOfLife, usageFailure } from '../cli.js';
import { type PtyPair, openPtyPair } from '../feeder/pty-pair.js';
import { DEFAULTS, type G3ModemSimulator, plcNodes, startG3Modem } from './index.js';
import { FIRST_G3_SERIAL, MAX_HOPS } from './topology.js';

const fail: (message: string) => never = usageFailure('g3 modem simulator');

const HELP = `usage: simulators/g3-modem/main.ts [options]
  --path PATH            serial device of the modem (default: open a socat pty pair and print the DCU's end)
  --baud B               line speed (default 230400)
  --meters N             meters in the PAN (default 10)
  --seed N               seed of topology, timing, losses and the meters' values (default 1)
  --time-scale X         multiplies every model duration (default 1; 0.01 runs 100× faster)
  --pan-id N             PAN id the DCU is expected to start (default 0x781D)
  --first-serial S       serial of the first meter (default ${FIRST_G3_SERIAL})
  --max-hops N           farthest meter, 1..${MAX_HOPS} (default ${MAX_HOPS})
  --capacity BPS         effective channel capacity, bits/s (default ${DEFAULTS.capacityBps})
  --hop-latency MIN,MAX  per-hop latency range, ms (default ${DEFAULTS.hopLatencyMs.min},${DEFAULTS.hopLatencyMs.max})
  --loss P               loss per hop, 0..1 (default ${DEFAULTS.lossPerHop})
  --join-window S        the meters join within this many seconds of NETWORK-START (default ${DEFAULTS.joinWindowMs / 1000})
  --buffers N            data requests the modem holds unconfirmed (default ${DEFAULTS.modemBuffers})
  --alarms-per-hour R    spontaneous alarms per meter per hour (default 0)
  --start-of-life ISO    when the meters' registers were 0 (default 2024-01-01T00:00:00Z)
  --state-dir DIR        keep the meters' state (invocation counters, tokens, credit) and the short
                         address table here between runs (default: none, every run starts afresh)
  --quiet                no per-event log lines`;

function num(value: string | undefined, name: string, fallback: number, min: number, max: number, integer = true): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) fail(`--${name} must be ${integer ? 'an integer' : 'a number'} in ${min}..${max}, got ${value}`);
  return n;
}

const a = parseCommandLine(HELP, {
  path: { type: 'string' }, baud: { type: 'string' }, meters: { type: 'string' }, seed: { type: 'string' }, 'time-scale': { type: 'string' },
  'pan-id': { type: 'string' }, 'first-serial': { type: 'string' }, 'max-hops': { type: 'string' }, capacity: { type: 'string' },
  'hop-latency': { type: 'string' }, loss: { type: 'string' }, 'join-window': { type: 'string' }, buffers: { type: 'string' },
  'alarms-per-hour': { type: 'string' }, 'start-of-life': { type: 'string' }, 'state-dir': { type: 'string' }, quiet: { type: 'boolean' },
}, fail);

const seed = num(a.seed, 'seed', 1, 0, 2 ** 32 - 1);
const count = num(a.meters, 'meters', 10, 1, 5000);
const latency = (a['hop-latency'] ?? `${DEFAULTS.hopLatencyMs.min},${DEFAULTS.hopLatencyMs.max}`).split(',').map(Number);
if (latency.length !== 2 || latency.some((x) => !Number.isFinite(x) || x < 0) || latency[0] > latency[1]) fail(`--hop-latency must be MIN,MAX in ms with MIN ≤ MAX, got ${a['hop-latency']}`);
const startOfLife = parseStartOfLife(a['start-of-life'], fail);
const panId = num(a['pan-id'], 'pan-id', 0x781d, 0, 0xfffe);
const nodes = plcNodes({ count, seed, firstSerial: num(a['first-serial'], 'first-serial', FIRST_G3_SERIAL, 1, 99_999_999), maxHops: num(a['max-hops'], 'max-hops', MAX_HOPS, 1, MAX_HOPS) });
const log = a.quiet ? undefined : (line: string) => console.log(line);

let pty: PtyPair | null = null;
let sim: G3ModemSimulator | null = null;

async function start(): Promise<void> {
  let path = a.path;
  if (!path) {
    pty = await openPtyPair();
    path = pty.b;
    console.log(`DCU side of the modem: ${pty.a}`);
  }
  sim = await startG3Modem({
    path,
    baudRate: num(a.baud, 'baud', 230400, 1200, 4_000_000),
    startOfLife,
    ...(log && { log }),
    ...(a['state-dir'] && { stateDir: a['state-dir'] }),
    network: {
      panId, nodes, seed,
      capacityBps: num(a.capacity, 'capacity', DEFAULTS.capacityBps, 100, 10_000_000),
      hopLatencyMs: { min: latency[0], max: latency[1] },
      lossPerHop: num(a.loss, 'loss', DEFAULTS.lossPerHop, 0, 0.99, false),
      joinWindowMs: num(a['join-window'], 'join-window', DEFAULTS.joinWindowMs / 1000, 0, 86_400, false) * 1000,
      modemBuffers: num(a.buffers, 'buffers', DEFAULTS.modemBuffers, 1, 255),
      timeScale: num(a['time-scale'], 'time-scale', 1, 1e-6, 1000, false),
      alarmsPerNodePerHour: num(a['alarms-per-hour'], 'alarms-per-hour', 0, 0, 3600, false),
    },
  });
  console.log(`g3 modem simulator on ${path}: PAN 0x${panId.toString(16)}, ${count} meter(s), seed ${seed}${a['state-dir'] ? `, state in ${a['state-dir']}` : ''}`);
  for (const n of nodes) console.log(`  meter ${n.serial}  EUI-64 ${n.eui64}  ${n.hops} hop(s)`);
  console.log('ready');
}

function command(line: string): void {
  const s = sim;
  if (!s) return;
  const [verb, arg] = line.trim().split(/\s+/);
  try {
    switch (verb) {
      case '': return;
      case 'leave': return s.leave(arg);
      case 'rejoin': return s.rejoin(arg);
      case 'break': return s.breakRoute(arg);
      case 'alarm': return s.pushAlarm(arg);
      case 'loss': return s.setLossPerHop(Number(arg));
      case 'reset': return s.reset();
      case 'hang': return s.hang();
      case 'stats': return console.log(JSON.stringify(s.stats(), null, 1));
      default: console.error(`unknown command "${verb}": leave|rejoin|break|alarm EUI, loss P, reset, hang, stats`);
    }
  } catch (e) {
    console.error((e as Error).message);
  }
}

closeOnSignals(async () => {
  if (sim) console.log(JSON.stringify(sim.stats()));
  await sim?.close();
  await pty?.close();
});
createInterface({ input: process.stdin }).on('line', command);

start().catch(async (e) => {
  console.error(`g3 modem simulator: ${(e as Error).message}`);
  await pty?.close();
  process.exit(1);
});
