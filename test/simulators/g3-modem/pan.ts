// One simulated PAN for a test: a socat pty pair, the modem simulator on one end, the test
// host on the other; plus the host-side steps every test repeats.
import { ClientAssociation } from '../../../shared/dlms/association/client.js';
import { AdpStatus } from '../../../shared/g3/adp.js';
import { dlmsPacket, parseDlmsPacket } from '../../../shared/g3/dlms.js';
import { type G3ModemSimulator, type PlcNetworkOptions, plcNodes, startG3Modem } from '../../../simulators/g3-modem/index.js';
import { type PtyPair, openPtyPair } from '../../helpers/pty-pair.js';
import { TestHost } from './host.js';

export const PAN_ID = 0x781d;
/** Model time runs 1000× faster than the wall clock: a 3 s hop takes 3 ms. */
export const FAST = 0.001;

export interface Pan {
  sim: G3ModemSimulator;
  host: TestHost;
  close(): Promise<void>;
}

/** `stateDir`: where the meters keep their state between runs (startG3Modem stateDir). */
export async function openPan(network: Partial<PlcNetworkOptions> & { count?: number } = {}, options: { stateDir?: string } = {}): Promise<Pan> {
  const pty: PtyPair = await openPtyPair();
  const { count, ...rest } = network;
  const sim = await startG3Modem({
    path: pty.b,
    network: { panId: PAN_ID, nodes: plcNodes({ count: count ?? 4, seed: 7 }), timeScale: FAST, lossPerHop: 0, joinWindowMs: 60_000, seed: 7, ...rest },
    ...(options.stateDir && { stateDir: options.stateDir }),
  });
  const host = await TestHost.open(pty.a);
  return {
    sim,
    host,
    close: async () => {
      await host.close();
      await sim.close();
      await pty.close();
    },
  };
}

/** ADP-INITIALIZE then NETWORK-START; resolves on a successful confirm. */
export async function startNetwork(host: TestHost): Promise<void> {
  host.send({ type: 'initialize', band: 0, isCoordinator: true });
  host.send({ type: 'network-start-request', panId: PAN_ID });
  const c = await host.next('network-start-confirm');
  if (c.status !== AdpStatus.success) throw new Error(`network start failed: ${c.status}`);
}

/** Waits for `count` join-completes (and takes their join-requests); returns EUI-64 → short address. */
export async function joins(host: TestHost, count: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const j = await host.next('join-complete');
    out.set(j.eui64, j.shortAddress);
    // Every join-complete follows the node's join-request.
    await host.next('join-request', (m) => m.eui64 === j.eui64, 0);
  }
  return out;
}

/** Sends one APDU to a node as ADPD-DATA (client wPort → meter wPort 1). */
export function sendApdu(host: TestHost, to: number, nsduHandle: number, apdu: Uint8Array, sourceWPort = 16): void {
  host.send({ type: 'data-request', nsduHandle, discoverRoute: true, qualityOfService: 0, packet: dlmsPacket({ panId: PAN_ID, from: 0, to, sourceWPort, destinationWPort: 1, apdu }) });
}

/** The next data-indication from node `from`, parsed. */
export async function answerFrom(host: TestHost, from: number, ms = 10_000): Promise<ReturnType<typeof parseDlmsPacket>> {
  const ind = await host.next('data-indication', (m) => parseDlmsPacket(m.packet).from === from, ms);
  return parseDlmsPacket(ind.packet);
}

export function publicClient(): ClientAssociation {
  return new ClientAssociation({ authentication: 'none', challenge: () => new Uint8Array(16), maxReceivePduSize: 512 });
}

/** AARQ for the public client, sent and answered: the association is open after this. */
export async function associate(host: TestHost, to: number, handle: number): Promise<ClientAssociation> {
  const client = publicClient();
  sendApdu(host, to, handle, client.associate());
  const c = await host.next('data-confirm', (m) => m.nsduHandle === handle);
  if (c.status !== AdpStatus.success) throw new Error(`AARQ to 0x${to.toString(16)}: confirm status 0x${c.status.toString(16)}`);
  const step = client.receive((await answerFrom(host, to)).apdu);
  if (step.kind !== 'done' || step.result.kind !== 'associated') throw new Error(`association with 0x${to.toString(16)} failed: ${JSON.stringify(step)}`);
  return client;
}
