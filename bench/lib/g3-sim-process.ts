// The G3 modem simulator in a process of its own (forked by g3-sim-child.ts), so that the
// simulated PAN — 1,000 full DLMS meters and the channel's timers — has a CPU core to itself
// and its model clock is not held up by the DCU's work in the benchmark process. It takes
// its options in a first `start` message, answers `stats` with the simulator's counters plus its own
// CPU time and event-loop delay, and stops on `close`.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { type G3ModemOptions, startG3Modem } from '../../simulators/g3-modem/index.js';

export type SimRequest = { id: number; cmd: 'stats' | 'close' } | { cmd: 'start'; options: G3ModemOptions };

const options = await new Promise<G3ModemOptions>((resolve) => {
  const first = (m: SimRequest) => {
    if (m.cmd !== 'start') return;
    process.off('message', first);
    resolve(m.options);
  };
  process.on('message', first);
});
// The histogram records the whole interval between its samples: the lag is what exceeds RESOLUTION.
const RESOLUTION = 2;
const lag = monitorEventLoopDelay({ resolution: RESOLUTION });
lag.enable();
const sim = await startG3Modem(options);

process.on('message', (m: SimRequest) => {
  if (m.cmd === 'start') return;
  if (m.cmd === 'stats') {
    const late = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION);
    const loop = { meanMs: late(lag.mean), p99Ms: late(lag.percentile(99)), maxMs: late(lag.max) };
    lag.reset();
    process.send!({ id: m.id, stats: sim.stats(), cpu: process.cpuUsage(), wallMs: performance.now(), loop });
  } else if (m.cmd === 'close') {
    void sim.close().then(() => {
      process.send!({ id: m.id, closed: true }, () => process.exit(0));
    });
  }
});
process.on('disconnect', () => void sim.close().then(() => process.exit(0)));
process.send!({ ready: true });
