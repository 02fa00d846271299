// The socat pty pair lives with the simulators (simulators/feeder/pty-pair.ts), where the
// simulated bus and the benchmarks use it too; tests import it from here as before.
export { type PtyPair, openPtyPair } from '../../simulators/feeder/pty-pair.js';
