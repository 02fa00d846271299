// A lost answer to a ciphered request over UDP: the transport sends the same bytes again, and
// a meter whose repeat cache no longer holds them refuses the repeat as a replay (exception-
// response, invocation-counter-error). The real meter simulator behind the wrapper on UDP, its
// repeat cache off (as once its window has passed), drops exactly one answer on demand. A GET
// and an idempotent relay ACTION are ciphered again and succeed; an STS token entry is not
// sent again: the session reports its answer as lost, and the token counts once.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AnswerLost, DlmsSession, type ReplayRefused } from '../../../dcu/session/session.js';
import { enterToken, readTokenStatus } from '../../../dcu/session/prepayment.js';
import { WrapperUdpTransport } from '../../../dcu/links/wrapper-transport.js';
import { Obis } from '../../../shared/dlms/obis.js';
import { LinkTimeout } from '../../../shared/errors.js';
import { FaultInjector } from '../../../simulators/meter/transport/faults.js';
import { type RunningMeter, createMeterSet } from '../../../simulators/meter/transport/meter-set.js';
import type { WrapperMeter } from '../../../simulators/meter/transport/wrapper-meter.js';
import { WrapperUdpServer } from '../../../simulators/meter/transport/wrapper-udp.js';
import { clientSettings } from '../../simulators/transport/fake-meter.js';
import { CREDIT, DAY, LIFE, MINUTE, creditToken, gateway } from '../../simulators/meter/prepayment-helpers.js';

interface Bench {
  running: RunningMeter;
  meter: WrapperMeter;
  server: WrapperUdpServer;
  session: DlmsSession;
  replays: ReplayRefused[];
}

let bench: Bench;
const now = LIFE + 10 * DAY;

beforeEach(async () => {
  const [running] = createMeterSet({ count: 1, firstAddress: 17, seed: 11, firstSerial: 70000011, startOfLife: LIFE });
  const meter: WrapperMeter = { server: running.server, label: running.serial };
  // repeatWindow 0: no repeat cache, so every repeat meets the replay check.
  const server = await WrapperUdpServer.listen({ port: 0, meter, repeatWindow: 0, clock: () => now });
  const replays: ReplayRefused[] = [];
  const session = new DlmsSession({
    meter: running.serial,
    // A timeout far above a loopback round trip: only the dropped answer times out.
    transport: new WrapperUdpTransport({ host: '127.0.0.1', port: server.port, client: 1, responseTimeout: 1000, maxRetries: 2 }),
    association: clientSettings(1),
    onReplayRefused: (e) => replays.push(e),
  });
  await session.connect();
  bench = { running, meter, server, session, replays };
});

afterEach(async () => {
  await bench.session.close();
  await bench.server.close();
});

/** The meter's next answer never reaches the client; the ones after it do. */
function dropNextAnswer(): void {
  bench.meter.faults = new FaultInjector({ silent: { times: 1 } }, 1, 0, 'wrapper');
}

describe('a repeat refused as a replay', () => {
  it('a GET is ciphered again under a new counter and returns the value', async () => {
    const requestsBefore = bench.server.stats.pdusIn;
    dropNextAnswer();
    const serial = await bench.session.get(1, Obis.serialNumber, 2);
    expect(serial).toEqual({ type: 'octet-string', value: new TextEncoder().encode(bench.running.serial) });
    expect(bench.replays).toHaveLength(1);
    const [r] = bench.replays;
    expect(r).toMatchObject({ meter: bench.running.serial, request: `GET ${Obis.serialNumber}:2`, received: true, outcome: 'reciphered' });
    // The simulator reports the lowest counter it accepts: the one after the refused request's.
    expect(r.reported).toBe(r.counter + 1);
    expect(bench.session.replays).toEqual(bench.replays);
    // Sent, repeated by the transport (refused), sent again ciphered anew.
    expect(bench.server.stats.pdusIn - requestsBefore).toBe(3);
  });

  it('an idempotent relay ACTION is ciphered again and the relay opens', async () => {
    dropNextAnswer();
    await bench.session.action(70, Obis.disconnectControl, 1, { type: 'integer', value: 0 }, { idempotent: true });
    expect(bench.replays.map((r) => [r.request, r.outcome])).toEqual([[`ACTION ${Obis.disconnectControl} method 1`, 'reciphered']]);
    expect(await bench.session.get(70, Obis.disconnectControl, 2)).toEqual({ type: 'boolean', value: false });
    expect(await bench.session.get(70, Obis.disconnectControl, 3)).toEqual({ type: 'enum', value: 0 });
  });

  it('an ACTION not marked idempotent is not sent again: its answer is reported lost', async () => {
    dropNextAnswer();
    const requestsBefore = bench.server.stats.pdusIn;
    const error = await bench.session.action(70, Obis.disconnectControl, 1, { type: 'integer', value: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AnswerLost);
    expect((error as Error).message).toContain('not idempotent, so not sent again');
    expect(bench.replays.map((r) => r.outcome)).toEqual(['not-repeated']);
    expect(bench.server.stats.pdusIn - requestsBefore).toBe(2);
    // The association is still there, and the meter did switch.
    expect(await bench.session.get(70, Obis.disconnectControl, 3)).toEqual({ type: 'enum', value: 0 });
  });

  it('a token entry is never entered twice: the lost answer is a LinkTimeout and the token counts once', async () => {
    const token = creditToken(bench.running.meter.sts.decoderKey, 12.5, now - 5 * MINUTE);
    dropNextAnswer();
    const requestsBefore = bench.server.stats.pdusIn;
    const error = await enterToken(bench.session, token).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LinkTimeout);
    expect(bench.server.stats.pdusIn - requestsBefore).toBe(2); // the request and the transport's repeat only
    expect(bench.replays).toEqual([expect.objectContaining({ request: 'ACTION 0.0.19.40.0.255 method 1', received: true, outcome: 'not-repeated' })]);
    // The meter has the token, once: accepted, and its credit added once.
    expect((await readTokenStatus(bench.session)).name).toBe('execution-ok');
    expect(await gateway(bench.session)).toMatchObject({ token });
    expect(await bench.session.get(112, CREDIT, 2)).toEqual({ type: 'double-long', value: 12_500 });
  });

  it('a refused repeat of the HLS reply while associating: the association starts over and opens', async () => {
    const replays: ReplayRefused[] = [];
    const session = new DlmsSession({
      meter: bench.running.serial,
      transport: new WrapperUdpTransport({ host: '127.0.0.1', port: bench.server.port, client: 1, responseTimeout: 1000, maxRetries: 2 }),
      association: clientSettings(1),
      onReplayRefused: (e) => replays.push(e),
    });
    // Frame 1 is the AARE, frame 2 the answer to the HLS reply (pass 4): that one is lost.
    bench.meter.faults = new FaultInjector({ silent: { after: 1, times: 1 } }, 1, 0, 'wrapper');
    try {
      await session.connect();
      expect(replays.map((r) => [r.request, r.outcome])).toEqual([['association (HLS reply)', 'reciphered']]);
      expect(await session.get(1, Obis.serialNumber, 2)).toEqual({ type: 'octet-string', value: new TextEncoder().encode(bench.running.serial) });
    } finally {
      await session.close();
    }
  });

  it('without a lost answer nothing is refused and nothing is recorded', async () => {
    await bench.session.action(70, Obis.disconnectControl, 1, { type: 'integer', value: 0 }, { idempotent: true });
    await bench.session.get(1, Obis.serialNumber, 2);
    expect(bench.replays).toEqual([]);
  });
});
