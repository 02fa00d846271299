// bench rs485: how well the DCU keeps an RS485 line busy. 8 simulated meters on one pty bus
// (socat, the real serialport package on both ends) at 9600 baud with a 20 ms turnaround;
// the DCU reads each meter in turn with the reader client 17 (LLS): yesterday's load profile
// by range (96 rows) and the registers (clock, 1.0.1.8.0.255, tariffs 1..4, 1.0.2.8.0.255,
// each with scaler and unit). Bus utilization = line time of every byte in both directions
// (bytes × 10 / baud) ÷ wall time. Goal ≥ 0.85: the rest is the meters' turnaround and the
// DCU's own reaction time, so a low figure means the DCU leaves the line idle.
// Run twice: HDLC defaults (max info 128, window 1) and a large proposal that the meters
// negotiate down to what they accept (512 / 7 for the simulated meters).
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { Obis, parseObis } from '../shared/dlms/obis.js';
import { serverAddress } from '../shared/hdlc/address.js';
import type { HdlcParameters } from '../shared/hdlc/parameters.js';
import { type ByteChannel, SerialChannel } from '../dcu/links/channel.js';
import { HdlcTransport } from '../dcu/links/hdlc-transport.js';
import { readClock, readProfile, readRegisters } from '../dcu/session/readers.js';
import { DlmsSession } from '../dcu/session/session.js';
import { BITS_PER_BYTE } from '../simulators/meter/transport/hdlc-line.js';
import { openPtyBus } from '../simulators/feeder/pty-bus.js';

const GOAL = 0.85;
const BAUD = 9600;
const TURNAROUND = 20;
const METERS = 8;
const READER = 17;
const PASSWORD = new TextEncoder().encode('12345678');
const DAY = 86_400_000;
const REGISTERS = ['1.0.1.8.0.255', '1.0.1.8.1.255', '1.0.1.8.2.255', '1.0.1.8.3.255', '1.0.1.8.4.255', '1.0.2.8.0.255'].map(parseObis);

const RUNS: { name: string; proposal: HdlcParameters }[] = [
  { name: 'defaults', proposal: { maxInfoTx: 128, maxInfoRx: 128, windowTx: 1, windowRx: 1 } },
  { name: 'negotiated', proposal: { maxInfoTx: 2030, maxInfoRx: 2030, windowTx: 7, windowRx: 7 } },
];

const BYTE_MS = (BITS_PER_BYTE * 1000) / BAUD;

/**
 * The DCU's port with a stopwatch on it, to say where the line sits idle: the meters' answer
 * delay (from the end of a request on the line to the first byte of the answer: turnaround
 * plus the simulator's own latency) and the DCU's reaction (from the last byte received to
 * its next write). It only watches; bytes go through unchanged.
 */
class TappedChannel implements ByteChannel {
  answerDelays: number[] = [];
  reactions: number[] = [];
  private lastRx = -1;
  private txFreeAt = 0;
  private requestEnd = -1;

  constructor(readonly inner: SerialChannel) {
    inner.onData((bytes) => {
      const now = performance.now();
      if (this.requestEnd >= 0) this.answerDelays.push(Math.max(0, now - bytes.length * BYTE_MS - this.requestEnd));
      this.requestEnd = -1;
      this.lastRx = now;
    });
  }

  get name(): string {
    return this.inner.name;
  }

  get counters(): { written: number; received: number } {
    return this.inner.counters;
  }

  write(bytes: Uint8Array): Promise<void> {
    const now = performance.now();
    if (this.lastRx >= 0) this.reactions.push(now - this.lastRx);
    this.lastRx = -1;
    this.txFreeAt = Math.max(now, this.txFreeAt) + bytes.length * BYTE_MS;
    this.requestEnd = this.txFreeAt;
    return this.inner.write(bytes);
  }

  onData(listener: (bytes: Uint8Array) => void): () => void {
    return this.inner.onData(listener);
  }

  reset(): void {
    this.answerDelays = [];
    this.reactions = [];
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

interface RunResult {
  name: string;
  negotiated: HdlcParameters;
  seconds: number;
  perMeter: number[];
  fromDcu: number;
  toDcu: number;
  utilization: number;
}

const line = await openPtyBus({ count: METERS, baud: BAUD, turnaround: TURNAROUND, seed: 1 });
const channel = new TappedChannel(await SerialChannel.open({ path: line.path, baudRate: BAUD }));
const fmt = (n: number, d = 2): string => n.toFixed(d);

function session(physical: number, serial: string, proposal: HdlcParameters): { s: DlmsSession; t: HdlcTransport } {
  const t = new HdlcTransport(channel, { client: READER, server: serverAddress(1, physical), proposal, responseTimeout: 1500, maxRetries: 3 });
  const s = new DlmsSession({
    meter: serial,
    transport: t,
    association: { authentication: 'low', password: PASSWORD, challenge: () => new Uint8Array(randomBytes(16)) },
    operationTimeout: 60_000,
  });
  return { s, t };
}

async function run(name: string, proposal: HdlcParameters): Promise<RunResult> {
  console.log(`\n${name}: proposing max info ${proposal.maxInfoTx}/${proposal.maxInfoRx}, window ${proposal.windowTx}/${proposal.windowRx}`);
  const busBefore = line.bus.stats;
  const chanBefore = { ...channel.counters };
  channel.reset();
  const dayStart = Math.floor(Date.now() / DAY) * DAY - DAY;
  const perMeter: number[] = [];
  let negotiated: HdlcParameters | null = null;
  const t0 = performance.now();
  for (const m of line.meters) {
    const start = performance.now();
    const bytesBefore = channel.counters.written + channel.counters.received;
    const { s, t } = session(m.physical, m.serial, proposal);
    await s.connect();
    negotiated ??= t.negotiated;
    let rows = 0;
    let total = 0;
    try {
      const clock = await readClock(s);
      if (clock.utc === null) throw new Error(`meter ${m.serial}: clock without a date`);
      const registers = await readRegisters(s, REGISTERS);
      for (const r of registers) if (r.value === null || r.unit !== 'Wh') throw new Error(`meter ${m.serial}: ${r.obis} read as ${r.value} ${r.unit}`);
      total = registers[0].value!;
      if (registers.slice(1, 5).reduce((a, r) => a + r.value!, 0) !== total) throw new Error(`meter ${m.serial}: tariffs 1..4 do not add up to 1.0.1.8.0.255`);
      const profile = await readProfile(s, Obis.loadProfile, { kind: 'range', from: dayStart, to: dayStart + DAY - 15 * 60_000 });
      rows = profile.rows.length;
      if (rows !== 96) throw new Error(`meter ${m.serial}: load profile has ${rows} rows for yesterday, expected 96`);
    } finally {
      await s.close();
    }
    const seconds = (performance.now() - start) / 1000;
    perMeter.push(seconds);
    const bytes = channel.counters.written + channel.counters.received - bytesBefore;
    console.log(
      `  meter ${m.serial} (${m.physical}): ${fmt(seconds)} s, ${rows} rows + clock + ${REGISTERS.length} registers (1.0.1.8.0 = ${total} Wh), ` +
        `${bytes} bytes, line busy ${fmt((bytes * BITS_PER_BYTE) / BAUD / seconds)}`,
    );
  }
  const seconds = (performance.now() - t0) / 1000;
  const busAfter = line.bus.stats;
  const fromDcu = channel.counters.written - chanBefore.written;
  const toDcu = channel.counters.received - chanBefore.received;
  const simFrom = busAfter.bytesFromClient - busBefore.bytesFromClient;
  const simTo = busAfter.bytesToClient - busBefore.bytesToClient;
  if (simFrom !== fromDcu || simTo !== toDcu) {
    throw new Error(`byte counts disagree: DCU wrote ${fromDcu} / read ${toDcu}, the bus saw ${simFrom} from it / ${simTo} to it`);
  }
  const utilization = ((fromDcu + toDcu) * BITS_PER_BYTE) / BAUD / seconds;
  const n = negotiated!;
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0) / 1000;
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1] ?? 0;
  const idle = seconds - ((fromDcu + toDcu) * BITS_PER_BYTE) / BAUD;
  const meters = sum(channel.answerDelays);
  const dcu = sum(channel.reactions);
  console.log(
    `  line idle ${fmt(idle)} s: meters' answer delay ${fmt(meters)} s (${channel.answerDelays.length} answers × median ${fmt(median(channel.answerDelays), 1)} ms: ` +
      `${TURNAROUND} ms turnaround + simulator), DCU reaction ${fmt(dcu)} s (median ${fmt(median(channel.reactions), 1)} ms), rest ${fmt(idle - meters - dcu)} s`,
  );
  console.log(
    `  ${name}: negotiated max info ${n.maxInfoTx}/${n.maxInfoRx}, window ${n.windowTx}/${n.windowRx}; ${fmt(seconds)} s for ${METERS} meters; ` +
      `${fromDcu} bytes DCU→meters + ${toDcu} meters→DCU (the bus counted the same); utilization ${fmt(utilization, 3)}`,
  );
  return { name, negotiated: n, seconds, perMeter, fromDcu, toDcu, utilization };
}

const results: RunResult[] = [];
try {
  for (const r of RUNS) results.push(await run(r.name, r.proposal));
} finally {
  await channel.close();
  await line.close();
}

const [d, g] = results;
const sPerMeter = (r: RunResult) => r.seconds / METERS;
const col = (s: string, w = 22) => s.padEnd(w);
console.log(`\n${col('')}${col(`defaults ${d.negotiated.maxInfoRx}/${d.negotiated.windowRx}`)}${col(`negotiated ${g.negotiated.maxInfoRx}/${g.negotiated.windowRx}`)}effect`);
console.log(`${col('seconds (8 meters)')}${col(fmt(d.seconds))}${col(fmt(g.seconds))}${fmt(d.seconds / g.seconds)}× faster`);
console.log(`${col('s per meter')}${col(fmt(sPerMeter(d)))}${col(fmt(sPerMeter(g)))}${fmt(sPerMeter(d) - sPerMeter(g))} s less`);
console.log(`${col('bytes on the line')}${col(String(d.fromDcu + d.toDcu))}${col(String(g.fromDcu + g.toDcu))}${d.fromDcu + d.toDcu - (g.fromDcu + g.toDcu)} fewer (HDLC overhead, RR polls)`);
console.log(`${col('utilization')}${col(fmt(d.utilization, 3))}${col(fmt(g.utilization, 3))}goal ≥ ${GOAL}`);
console.log(`ratio to goal: ${fmt(g.utilization / GOAL, 3)} negotiated, ${fmt(d.utilization / GOAL, 3)} defaults (≥ 1 meets the goal)`);
console.log(`RESULT rs485 utilization=${fmt(g.utilization, 3)} s_per_meter=${fmt(sPerMeter(g))} default_utilization=${fmt(d.utilization, 3)} default_s_per_meter=${fmt(sPerMeter(d))}`);
