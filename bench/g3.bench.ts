// bench g3 (issue #6): how close the DCU's daily reading cycle of a G3-PLC network comes to
// what the channel allows. 1,000 simulated meters behind a simulated G3 modem (socat pty,
// USI at 230400 baud, simulator in its own process); the real DCU runtime reads every meter
// with its own tasks — 'daily-billing' (association, yesterday's billing row, release) then
// 'load-profile' (association, the last 24 h: 96 rows, release) — as many meters at once as
// its adaptive in-flight limit allows.
// Lower bound: the channel time of every byte that had to be on the air — the data frames
// of the cycle, MAC and 6LoWPAN overhead included, each hop counted; a frame lost at hop k
// counts k hops and the repeats that losses made necessary count (both are the channel's);
// a repeat the DCU sent although an earlier copy got through and was answered (seen on the
// UART as a second identical answer) does not count (it is the DCU's waste). Goal: cycle
// time ≤ 1.3 × bound. Beside it: strictly sequential reading (one request at a time),
// measured on a sample with the same hop mix and scaled to the whole network.
// All PLC durations run `timeScale` times faster than real; both the cycle and the bound
// are in model (unscaled) time, so the ratio does not depend on the scale — as long as the
// channel, not the CPU or the UART, limits the run: both are measured and printed.
import { plcNodes } from '../simulators/g3-modem/index.js';
import { METER_PROCESSING_MS } from '../simulators/g3-modem/plc-network.js';
import { type ChannelModel, type CycleResult, hopClasses, measureCycle, sampleByHops } from './lib/g3-measure.js';

const GOAL = 1.3;
const METERS = Number(process.env.G3_BENCH_METERS ?? 1000);
const SAMPLE = Number(process.env.G3_BENCH_SAMPLE ?? 20);
const SCALE = Number(process.env.G3_BENCH_SCALE ?? 0.005);
// Sequential reading is all waiting: a slower scale keeps the DCU's own time per request small beside a hop.
const SEQUENTIAL_SCALE = Number(process.env.G3_BENCH_SEQUENTIAL_SCALE ?? 2 * SCALE);
const UART = { baud: 230_400, bitsPerByte: 10 };
const START_OF_LIFE = Date.UTC(2026, 0, 1);
/** Realistic CENELEC-A G3 PAN (see the output): most meters within 3 hops, loss 2 % per hop. */
const CHANNEL: ChannelModel = { capacityBps: 20_000, hopLatencyMs: { min: 300, max: 3000 }, lossPerHop: 0.02, joinWindowMs: 600_000, modemBuffers: 8, seed: 1 };

const fmt = (n: number, d = 2) => n.toFixed(d);
const s = (ms: number) => `${fmt(ms / 1000, 0)} s`;
const pct = (x: number) => `${fmt(100 * x, 1)} %`;
const log = (line: string) => console.log(line);

const nodes = plcNodes({ count: METERS, seed: CHANNEL.seed });
const classes = hopClasses(nodes);
const meanHops = nodes.reduce((a, n) => a + n.hops, 0) / nodes.length;
const oneWayLoss = (h: number) => 1 - (1 - CHANNEL.lossPerHop) ** h;
log(`G3-PLC daily cycle: ${METERS} meters, hops ${[...classes].map(([h, n]) => `${h}:${n}`).join(' ')} (mean ${fmt(meanHops)})`);
log(
  `channel: ${CHANNEL.capacityBps / 1000} kbit/s effective (CENELEC-A), one channel shared by every hop; ${CHANNEL.hopLatencyMs.min / 1000}–${CHANNEL.hopLatencyMs.max / 1000} s per hop (uniform); ` +
    `loss ${pct(CHANNEL.lossPerHop)} per hop (one way: 1 hop ${pct(oneWayLoss(1))}, 4 hops ${pct(oneWayLoss(4))}, 8 hops ${pct(oneWayLoss(8))}); modem buffers ${CHANNEL.modemBuffers}; no alarms`,
);
log(`time scale ${SCALE} (model s = wall s ÷ ${SCALE}); UART ${UART.baud} baud 8N1 on a socat pty (no baud pacing)`);

log(`\nadaptive: the DCU's default limits`);
const full = await measureCycle({ nodes, channel: CHANNEL, timeScale: SCALE, startOfLife: START_OF_LIFE, log });
const fullBound = report('adaptive', full, SCALE);

const sample = sampleByHops(nodes, SAMPLE);
log(`\nsequential: one meter at a time, one request at a time (in flight 1, one session), ${sample.length} meters with the same hop mix, time scale ${SEQUENTIAL_SCALE}`);
const seq = await measureCycle({
  nodes: sample,
  channel: CHANNEL,
  timeScale: SEQUENTIAL_SCALE,
  startOfLife: START_OF_LIFE,
  limits: { maxInFlight: { min: 1, max: 1, initial: 1 }, maxSessions: 1 },
  log,
});
report('sequential sample', seq, SEQUENTIAL_SCALE);
// Strictly sequential time adds up meter by meter: each hop class's mean time per meter ×
// its meters in the whole network, times the sample's share of time between sessions.
const perMeter = new Map<number, number[]>();
const hopsOf = new Map(sample.map((n) => [n.serial, n.hops]));
let inSessions = 0;
for (const [serial, wall] of seq.sessionWallMs) {
  const model = wall / SEQUENTIAL_SCALE;
  inSessions += model;
  const h = hopsOf.get(serial);
  if (h !== undefined) perMeter.set(h, [...(perMeter.get(h) ?? []), model]);
}
const between = inSessions > 0 ? seq.modelMs / inSessions : 1;
let sequentialMs = 0;
const lines: string[] = [];
for (const [h, n] of classes) {
  const times = perMeter.get(h) ?? [];
  const mean = times.reduce((a, b) => a + b, 0) / Math.max(1, times.length);
  sequentialMs += n * mean * between;
  lines.push(`${h} hop${h > 1 ? 's' : ''}: ${fmt(mean / 1000, 1)} s × ${n}`);
}
log(`  per meter (mean of the sample by hops): ${lines.join(', ')}; × ${fmt(between, 3)} for the time between sessions`);
log(`  estimated for ${METERS} meters: ${s(sequentialMs)} = ${fmt(sequentialMs / 3_600_000, 1)} h model`);

const ratio = full.modelMs / fullBound;
const sequentialRatio = sequentialMs / fullBound;
const failed = full.summaries.billing.filter((r) => r.outcome !== 'ok').length + full.summaries.profile.filter((r) => r.outcome !== 'ok').length;
const col = (x: string, w = 30) => x.padEnd(w);
log(`\n${col('')}${col('cycle (model time)')}ratio to bound`);
log(`${col('channel lower bound')}${col(s(fullBound))}1`);
log(`${col('adaptive (DCU defaults)')}${col(s(full.modelMs))}${fmt(ratio, 3)}   goal ≤ ${GOAL}`);
log(`${col('strictly sequential')}${col(`${s(sequentialMs)} (estimated)`)}${fmt(sequentialRatio, 2)}`);
log(`adaptive is ${fmt(sequentialMs / full.modelMs, 1)}× faster than sequential; ${ratio <= GOAL ? 'meets' : 'misses'} the goal`);
log(`RESULT g3 ratio_to_bound=${fmt(ratio, 3)} sequential_ratio=${fmt(sequentialRatio, 2)} cycle_s=${fmt(full.modelMs / 1000, 0)} bound_s=${fmt(fullBound / 1000, 0)} meters=${full.inDirectory} failed_tasks=${failed}`);

/**
 * Requests in flight that keep the channel busy: a request's unloaded round trip (two ways
 * over the mean hop count, mean hop latency and air time each hop, the meter's answer time)
 * ÷ the channel time one request and its answer take (the cycle's air time per request).
 */
function neededInFlight(r: CycleResult): number {
  const meanHopLatency = (CHANNEL.hopLatencyMs.min + CHANNEL.hopLatencyMs.max) / 2;
  const airPerRequest = r.air.data.busyMs / Math.max(1, r.data.requests);
  const roundTrip = 2 * meanHops * meanHopLatency + airPerRequest + (METER_PROCESSING_MS.min + METER_PROCESSING_MS.max) / 2;
  return roundTrip / airPerRequest;
}

/** Prints one run; returns its lower bound, model ms. */
function report(name: string, r: CycleResult, timeScale: number): number {
  const byteMs = (bytes: number) => (bytes * 8 * 1000) / r.capacityBps;
  const boundBytes = r.air.data.bytes + r.air.routing.bytes - r.tap.wastedAirBytes;
  const bound = byteMs(boundBytes);
  const readings = (list: { rows: number }[]) => list.reduce((a, x) => a + x.rows, 0);
  const bad = [...r.summaries.billing, ...r.summaries.profile].filter((x) => x.outcome !== 'ok');
  const perMeter = new Set(r.summaries.profile.filter((x) => x.outcome === 'ok').map((x) => x.rows));
  log(
    `  ${name}: ${r.summaries.billing.length} meters read in ${s(r.modelMs)} model (${fmt(r.wallMs / 1000, 1)} s wall); readings stored: billing ${readings(r.summaries.billing)}, ` +
      `load profile ${readings(r.summaries.profile)} (${[...perMeter].join('/')} per meter; a whole day is 96 entries × import, export = 192); ${bad.length} task runs failed`,
  );
  for (const b of bad.slice(0, 5)) log(`    failed: meter ${b.meter}: ${b.outcome} ${b.error ?? ''}`);
  const lostAndRepeated = r.air.data.bytes - r.tap.firstCopyAirBytes - r.tap.wastedAirBytes;
  log(
    `  on air (data, hops counted): ${fmt(r.air.data.bytes / 1000, 1)} kB = first copies ${fmt(r.tap.firstCopyAirBytes / 1000, 1)} kB + losses and their repeats ${fmt(lostAndRepeated / 1000, 1)} kB ` +
      `+ unneeded repeats ${fmt(r.tap.wastedAirBytes / 1000, 1)} kB (${r.tap.duplicateAnswers} answered twice); routing ${fmt(r.air.routing.bytes / 1000, 1)} kB; anything else ${fmt((r.air.all.bytes - r.air.data.bytes - r.air.routing.bytes) / 1000, 1)} kB`,
  );
  log(
    `  bound = (data + routing − unneeded repeats) × 8 ÷ ${r.capacityBps} bit/s = ${s(bound)}; the channel was busy ${pct(r.air.all.busyMs / r.modelMs)} of the cycle; ` +
      `requests ${r.data.requests}, lost ${r.data.lost} + answers lost ${r.data.answersLost}, repeated by the DCU ${r.data.retransmittedByHost}, no buffers ${r.data.noBuffers}, route errors ${r.data.routeErrors}`,
  );
  const l = r.limiter;
  const m = r.limits;
  const needed = m.maxInFlight.max > 1 ? `; needed to fill the channel ≈ round trip ÷ air time per request ≈ ${fmt(neededInFlight(r), 0)}` : '';
  log(`  DCU limits: in flight ${m.maxInFlight.min}..${m.maxInFlight.max} starting at ${m.maxInFlight.initial}, at most ${m.maxSessions} session(s) at once${needed}`);
  log(`  DCU limiter: peak ${l.peakInFlight} in flight, window at the end ${fmt(l.window, 1)}; answers ${l.answers}, timeouts ${l.timeouts}, busy/no-buffers ${l.retriedBusy}, delay signals ${l.delaySignals}, decreases ${l.decreases} (busy ${l.decreasesOnBusy}, timeouts ${l.decreasesOnTimeouts}, delay ${l.decreasesOnDelay}), stray answers ${l.strayAnswers}, late copies dropped ${l.lateAnswers}`);
  const uartBytes = r.tap.uartOut + r.tap.uartIn;
  const uartMs = (uartBytes * UART.bitsPerByte * 1000) / UART.baud;
  log(
    `  UART: ${fmt(uartBytes / 1000, 0)} kB = ${fmt(uartMs / 1000, 1)} s of line time: ${pct(uartMs / r.modelMs)} of the cycle at real speed` +
      ` (the pty does not pace bytes; a real UART at this ${fmt(1 / timeScale, 0)}× speed-up would need ${pct(uartMs / r.wallMs)} of the wall time)`,
  );
  const lagModel = r.lag.simulator.meanMs / timeScale;
  const cpuPerRequest = (r.cpu.dcu * r.wallMs) / Math.max(1, r.data.requests);
  log(
    `  CPU: DCU process ${pct(r.cpu.dcu)} of a core (${fmt(cpuPerRequest, 2)} ms CPU per request, everything included), simulator ${pct(r.cpu.simulator)}, machine ${pct(r.cpu.machine)}; ` +
      `event-loop lag: simulator mean ${fmt(r.lag.simulator.meanMs, 2)} ms wall = ${fmt(lagModel, 0)} ms model (p99 ${fmt(r.lag.simulator.p99Ms, 1)} ms), DCU mean ${fmt(r.lag.dcu.meanMs, 2)} ms`,
  );
  const warnings: string[] = [];
  if (r.cpu.dcu > 0.8) warnings.push(`the DCU process was busy ${pct(r.cpu.dcu)} of the time: its CPU, not the channel, may limit the cycle`);
  if (r.cpu.simulator > 0.8) warnings.push(`the simulator was busy ${pct(r.cpu.simulator)} of the time: its timers run late and stretch model time`);
  if (lagModel > 0.1 * ((CHANNEL.hopLatencyMs.min + CHANNEL.hopLatencyMs.max) / 2)) warnings.push(`the simulator's timers ran ${fmt(lagModel, 0)} ms (model) late on average, over 10 % of a mean hop`);
  if (uartMs > 0.5 * r.modelMs) warnings.push('the UART at 230400 baud would be busy over half the cycle: it, not the PLC channel, would be the limit');
  for (const w of warnings) log(`  WARNING: ${w}; use a larger G3_BENCH_SCALE`);
  return bound;
}
