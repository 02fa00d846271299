// The G3 driver against the real modem simulator (simulators/g3-modem) over a socat pty
// pair at 230400 baud: the PAN starts, the meters join, DLMS sessions to many meters run at
// once through the adaptive limit, a pushed alarm arrives, and a modem that resets or hangs
// is brought back without losing the nodes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SerialChannel } from '../../../../dcu/links/channel.js';
import { decodePushedAlarm } from '../../../../dcu/links/g3/alarm.js';
import { G3Network, type PushedApdu } from '../../../../dcu/links/g3/network.js';
import { G3Transport } from '../../../../dcu/links/g3/transport.js';
import { DlmsSession } from '../../../../dcu/session/session.js';
import { identityText } from '../../../../dcu/discovery/identity.js';
import { Obis } from '../../../../shared/dlms/obis.js';
import { type G3ModemSimulator, PUSH_CLIENT_WPORT, plcNodes, startG3Modem } from '../../../../simulators/g3-modem/index.js';
import { type PtyPair, openPtyPair } from '../../../helpers/pty-pair.js';

const PAN = 0x781d;
const COUNT = 24;
let pty: PtyPair;
let sim: G3ModemSimulator;
let network: G3Network;

function session(eui64: string): DlmsSession {
  return new DlmsSession({
    meter: eui64,
    transport: new G3Transport(network, { eui64, client: 16 }),
    association: { authentication: 'none', challenge: () => new Uint8Array(16) },
  });
}

async function readSerial(eui64: string): Promise<string | null> {
  const s = session(eui64);
  try {
    await s.connect();
    return identityText(await s.get(1, Obis.serialNumber, 2));
  } finally {
    await s.close();
  }
}

async function allJoined(n: number): Promise<void> {
  while (network.nodes().filter((x) => x.joined).length < n) await new Promise((r) => setTimeout(r, 20));
}

beforeAll(async () => {
  pty = await openPtyPair();
  sim = await startG3Modem({ path: pty.b, network: { panId: PAN, nodes: plcNodes({ count: COUNT, seed: 3 }), timeScale: 0.002, lossPerHop: 0.02, joinWindowMs: 200_000, seed: 3 } });
  network = new G3Network(await SerialChannel.open({ path: pty.a, baudRate: 230400 }), {
    name: 'plc-sim', band: 'cenelec-a', panId: PAN,
    responseTimeoutMs: 800, hopTimeoutMs: 20, maxHops: 8,
    inFlight: { min: 1, max: 16, initial: 2 }, maxSessions: 64, backoffMs: 5, joinWindowMs: 5000,
    confirmTimeoutMs: 500, dataConfirmTimeoutMs: 1000, keepAliveMs: 400, discoveryTimeoutMs: 2000,
  });
  await network.start();
}, 30_000);

afterAll(async () => {
  await network?.close();
  await sim?.close();
  await pty?.close();
});

describe('G3 driver with the modem simulator', () => {
  it('every node joins with the short address the modem gives it', async () => {
    await allJoined(COUNT);
    for (const spec of sim.nodes) expect(network.node(spec.eui64)?.shortAddress).toBe(sim.shortAddress(spec.eui64));
  }, 30_000);

  it('reads every meter concurrently: each answer comes from the meter asked', async () => {
    const serials = await Promise.all(sim.nodes.map((n) => network.exclusive(() => readSerial(n.eui64))));
    expect(serials).toEqual(sim.nodes.map((n) => n.serial));
    const stats = network.stats();
    expect(stats.peakInFlight).toBeGreaterThan(2);
    expect(stats.peakInFlight).toBeLessThanOrEqual(16);
  }, 60_000);

  it('a pushed alarm reaches the host as a push from the node', async () => {
    const node = sim.nodes[5];
    const pushed = new Promise<PushedApdu>((r) => network.once('push', r));
    sim.pushAlarm(node.eui64);
    const p = await pushed;
    expect(p.node?.eui64).toBe(node.eui64);
    expect(p.destinationWPort).toBe(PUSH_CLIENT_WPORT);
    expect(decodePushedAlarm(p.apdu).bits).toHaveLength(1);
  }, 30_000);

  it('a modem reset mid-read: the modem is initialised again, the network restarted, the reads complete', async () => {
    const before = network.stats().restarts;
    const reads = Promise.all(sim.nodes.slice(0, 8).map((n) => network.exclusive(() => readSerial(n.eui64))));
    setTimeout(() => sim.reset(), 5);
    expect(await reads).toEqual(sim.nodes.slice(0, 8).map((n) => n.serial));
    expect(network.stats().restarts).toBeGreaterThan(before);
    expect(sim.modemState).toBe('started');
  }, 60_000);

  it('a hung modem is found by the keep-alive and restarted; the nodes are still known', async () => {
    const before = network.stats().restarts;
    sim.hang();
    while (network.stats().restarts === before) await new Promise((r) => setTimeout(r, 20));
    while (network.modem.state !== 'up') await new Promise((r) => setTimeout(r, 20));
    await allJoined(COUNT);
    expect(await readSerial(sim.nodes[0].eui64)).toBe(sim.nodes[0].serial);
  }, 60_000);
});
