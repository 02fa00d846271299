// The G3 modem driver and network layer against a scripted modem on a real pty pair
// (230400 baud): start-up, joins and leaves, many requests in flight with their nsduHandles,
// route errors, busy / no-buffers, a modem that hangs or resets, pushed notifications.
import { afterEach, describe, expect, it } from 'vitest';
import { SerialChannel } from '../../../../dcu/links/channel.js';
import { decodePushedAlarm } from '../../../../dcu/links/g3/alarm.js';
import { G3Network, type G3NetworkOptions, type PushedApdu } from '../../../../dcu/links/g3/network.js';
import { G3Transport } from '../../../../dcu/links/g3/transport.js';
import { encodeApdu } from '../../../../shared/dlms/apdu/index.js';
import { LinkTimeout } from '../../../../shared/errors.js';
import { type AdpMessage, AdpStatus } from '../../../../shared/g3/adp.js';
import { dlmsPacket, parseDlmsPacket } from '../../../../shared/g3/dlms.js';
import { BAUD, type ScriptedModem, openScriptedModem, startsNetwork } from './scripted-modem.js';

const PAN = 0x781d;
const EUI = (i: number) => `00112233445566${i.toString(16).padStart(2, '0')}`;

let modem: ScriptedModem | null = null;
let network: G3Network | null = null;

afterEach(async () => {
  await network?.close();
  await modem?.close();
  network = null;
  modem = null;
});

function options(over: Partial<G3NetworkOptions> = {}): G3NetworkOptions {
  return {
    name: 'plc-1', band: 'cenelec-a', panId: PAN,
    responseTimeoutMs: 400, hopTimeoutMs: 50, maxHops: 4,
    inFlight: { min: 1, max: 16, initial: 4 }, maxSessions: 64, backoffMs: 10, joinWindowMs: 1000,
    confirmTimeoutMs: 300, dataConfirmTimeoutMs: 600, keepAliveMs: 60_000, discoveryTimeoutMs: 1000,
    ...over,
  };
}

async function open(over: Partial<G3NetworkOptions> = {}): Promise<{ modem: ScriptedModem; network: G3Network }> {
  modem = await openScriptedModem();
  modem.onMessage = startsNetwork;
  network = new G3Network(await SerialChannel.open({ path: modem.path, baudRate: BAUD }), options(over));
  await network.start();
  return { modem, network };
}

/** A meter at `short` answering an APDU with [0xc4, short, ...apdu] from wPort 1 to the client. */
function answerOf(request: Uint8Array): Uint8Array {
  const p = parseDlmsPacket(request);
  return dlmsPacket({ panId: p.panId, from: p.to, to: 0, sourceWPort: p.destinationWPort, destinationWPort: p.sourceWPort, apdu: Uint8Array.of(0xc4, p.to, ...p.apdu) });
}

async function join(m: ScriptedModem, n: G3Network, i: number): Promise<void> {
  const joined = new Promise((r) => n.once('join', r));
  await m.send({ type: 'join-complete', eui64: EUI(i), shortAddress: i });
  await joined;
}

describe('G3 modem driver over a pty pair', () => {
  it('initialises as coordinator on CENELEC-A and starts the PAN', async () => {
    const { modem } = await open();
    expect(modem.received.slice(0, 2)).toEqual([
      { type: 'initialize', band: 0, isCoordinator: true },
      { type: 'network-start-request', panId: PAN },
    ]);
  });

  it('joins and leaves become events; a node that left is not asked', async () => {
    const { modem, network } = await open();
    await join(modem, network, 5);
    expect(network.node(EUI(5))).toMatchObject({ shortAddress: 5, joined: true, left: false });
    const left = new Promise((r) => network.once('leave', r));
    await modem.send({ type: 'leave', shortAddress: 5 });
    await left;
    const t = new G3Transport(network, { eui64: EUI(5), client: 1 });
    await expect(t.open()).rejects.toThrow(/left plc-1/);
    expect(modem.received.filter((m) => m.type === 'data-request')).toHaveLength(0);
    await join(modem, network, 5);
    expect(network.node(EUI(5))).toMatchObject({ joined: true, left: false });
  });

  it('keeps many requests in flight, never two under one nsduHandle, and gives each its own answer', async () => {
    const { modem, network } = await open({ inFlight: { min: 1, max: 40, initial: 40 }, responseTimeoutMs: 5000, dataConfirmTimeoutMs: 5000 });
    for (let i = 1; i <= 40; i++) await join(modem, network, i);
    const inFlight = new Set<number>();
    const violations: number[] = [];
    const held: AdpMessage[] = [];
    let answered = 0;
    modem.onMessage = (m) => {
      if (m.type !== 'data-request') return;
      if (inFlight.has(m.nsduHandle)) violations.push(m.nsduHandle);
      inFlight.add(m.nsduHandle);
      held.push(m);
      // Confirm in batches of 10, in reverse order, then answer.
      if (held.length === 10 || inFlight.size + answered === 40) {
        for (const r of held.splice(0).reverse()) {
          if (r.type !== 'data-request') continue;
          inFlight.delete(r.nsduHandle);
          answered++;
          void modem.send({ type: 'data-confirm', status: AdpStatus.success, nsduHandle: r.nsduHandle });
          void modem.send({ type: 'data-indication', linkQualityIndicator: 100, packet: answerOf(r.packet) });
        }
      }
    };
    const answers = await Promise.all(
      Array.from({ length: 40 }, async (_, k) => {
        const t = new G3Transport(network, { eui64: EUI(k + 1), client: 1 });
        await t.open();
        return t.request(Uint8Array.of(0xc0, k));
      }),
    );
    answers.forEach((a, k) => expect([...a]).toEqual([0xc4, k + 1, 0xc0, k]));
    expect(violations).toEqual([]);
    expect(network.stats().peakInFlight).toBeGreaterThan(10);
  });

  it('a route error makes it discover the route (learning the hops), then send again', async () => {
    const { modem, network } = await open();
    await join(modem, network, 7);
    let first = true;
    modem.onMessage = (m) => {
      if (m.type === 'data-request') {
        void modem.send({ type: 'data-confirm', status: first ? AdpStatus.routeError : AdpStatus.success, nsduHandle: m.nsduHandle });
        if (!first) void modem.send({ type: 'data-indication', linkQualityIndicator: 90, packet: answerOf(m.packet) });
        first = false;
      }
      if (m.type === 'route-discovery-request') void modem.send({ type: 'route-discovery-confirm', status: 0, destination: m.destination, nextHop: 3, routeCost: 40, hopCount: 3 });
    };
    const t = new G3Transport(network, { eui64: EUI(7), client: 1 });
    await t.open();
    expect([...(await t.request(Uint8Array.of(9)))]).toEqual([0xc4, 7, 9]);
    expect(modem.received.map((m) => m.type).filter((x) => x !== 'initialize' && x !== 'network-start-request')).toEqual(['data-request', 'route-discovery-request', 'data-request']);
    expect(modem.received.find((m) => m.type === 'route-discovery-request')).toMatchObject({ destination: 7, maxHops: 4 });
    expect(network.node(EUI(7))?.hops).toBe(3);
  });

  it('busy and no-buffers: it backs off, tries again, and lowers its limit', async () => {
    const { modem, network } = await open({ inFlight: { min: 1, max: 16, initial: 8 } });
    await join(modem, network, 2);
    const statuses = [AdpStatus.busy, AdpStatus.noBuffers, AdpStatus.success];
    modem.onMessage = (m) => {
      if (m.type !== 'data-request') return;
      const status = statuses.shift()!;
      void modem.send({ type: 'data-confirm', status, nsduHandle: m.nsduHandle });
      if (status === AdpStatus.success) void modem.send({ type: 'data-indication', linkQualityIndicator: 90, packet: answerOf(m.packet) });
    };
    const t = new G3Transport(network, { eui64: EUI(2), client: 1 });
    await t.open();
    expect([...(await t.request(Uint8Array.of(1)))]).toEqual([0xc4, 2, 1]);
    expect(modem.received.filter((m) => m.type === 'data-request')).toHaveLength(3);
    expect(network.stats()).toMatchObject({ retriedBusy: 2 });
    expect(network.limiter.limit).toBeLessThan(8); // busy: the channel is full
    expect(network.modem.buffers).toBe(1); // no-buffers with one request out: the modem takes one at a time
  });

  it('a data request the modem never confirms frees its buffer when given up: requests waiting for a buffer go on', async () => {
    const { modem, network } = await open();
    await join(modem, network, 5);
    await join(modem, network, 6);
    let dataRequests = 0;
    modem.onMessage = (m) => {
      // Alive: keep-alives are answered, so the modem is not restarted (which would free everything).
      if (m.type === 'get-request') void modem.send({ type: 'get-confirm', status: AdpStatus.success, attributeId: m.attributeId, index: m.index, value: Uint8Array.of(1) });
      if (m.type !== 'data-request') return;
      dataRequests++;
      // The first: no buffers (the driver learns the modem takes one at a time); the second: never confirmed.
      if (dataRequests === 1) return void modem.send({ type: 'data-confirm', status: AdpStatus.noBuffers, nsduHandle: m.nsduHandle });
      if (dataRequests === 2) return;
      void modem.send({ type: 'data-confirm', status: AdpStatus.success, nsduHandle: m.nsduHandle });
      void modem.send({ type: 'data-indication', linkQualityIndicator: 90, packet: answerOf(m.packet) });
    };
    // A gives up at once (no repeat): nothing else is sent that could free the buffer by the way.
    const a = new G3Transport(network, { eui64: EUI(5), client: 1, maxRetries: 0 });
    const b = new G3Transport(network, { eui64: EUI(6), client: 1 });
    await a.open();
    await b.open();
    const first = a.request(Uint8Array.of(7));
    await until(() => dataRequests === 2);
    expect(network.modem.buffers).toBe(1);
    // Waits for the one buffer, held by a request whose confirm never comes (600 ms).
    const second = b.request(Uint8Array.of(8));
    await expect(first).rejects.toBeInstanceOf(LinkTimeout);
    expect([...(await second)]).toEqual([0xc4, 6, 8]);
    expect(network.stats().restarts).toBe(0);
  }, 10_000);

  it('a request\'s timeout grows by twice the queueing the channel has now: a request that only waits in a queue is not repeated', async () => {
    const { modem, network } = await open();
    await join(modem, network, 1);
    const node = network.node(EUI(1))!;
    node.hops = 1;
    const quiet = 400 + 2 * 1 * 50;
    for (let i = 0; i < 20; i++) (await network.limiter.acquire()).release({ kind: 'answer', roundTripMs: 100, hops: 1 });
    expect(network.timeoutFor(node)).toBe(quiet);
    // Every answer now waits a second in queues.
    for (let i = 0; i < 60; i++) (await network.limiter.acquire()).release({ kind: 'answer', roundTripMs: 1100, hops: 1 });
    const queueing = network.limiter.queueingMs;
    expect(queueing).toBeGreaterThan(900);
    expect(network.timeoutFor(node)).toBe(quiet + Math.round(2 * queueing));
  });

  it('an answer that never comes is asked again with a longer timeout, then given up as LinkTimeout', async () => {
    const { modem, network } = await open();
    await join(modem, network, 3);
    modem.onMessage = (m) => {
      if (m.type === 'data-request') void modem.send({ type: 'data-confirm', status: AdpStatus.success, nsduHandle: m.nsduHandle });
    };
    const t = new G3Transport(network, { eui64: EUI(3), client: 1, maxRetries: 2 });
    await t.open();
    await expect(t.request(Uint8Array.of(1))).rejects.toBeInstanceOf(LinkTimeout);
    expect(modem.received.filter((m) => m.type === 'data-request')).toHaveLength(3);
  });

  it('a hung modem (no confirm, no answer to the keep-alive) is initialised again and the network restarted; the request goes through after', async () => {
    const { modem, network } = await open();
    await join(modem, network, 4);
    let hung = true;
    modem.onMessage = (m) => {
      if (m.type === 'initialize') hung = false;
      if (hung) return;
      if (startsNetwork(m, modem)) return;
      if (m.type === 'data-request') {
        void modem.send({ type: 'data-confirm', status: AdpStatus.success, nsduHandle: m.nsduHandle });
        void modem.send({ type: 'data-indication', linkQualityIndicator: 90, packet: answerOf(m.packet) });
      }
    };
    const down = new Promise<string>((r) => network.once('down', r));
    const t = new G3Transport(network, { eui64: EUI(4), client: 1 });
    await t.open();
    expect([...(await t.request(Uint8Array.of(5)))]).toEqual([0xc4, 4, 5]);
    expect(await down).toMatch(/keep-alive/);
    const types = modem.received.map((m) => m.type);
    expect(types.filter((x) => x === 'initialize')).toHaveLength(2);
    expect(types).toContain('get-request');
    expect(network.stats().restarts).toBe(1);
    // The directory of nodes survives the restart.
    expect(network.node(EUI(4))?.shortAddress).toBe(4);
  });

  it('a modem that reset (data refused: invalid request) is restarted and the request repeated', async () => {
    const { modem, network } = await open();
    await join(modem, network, 6);
    let reset = true;
    modem.onMessage = (m) => {
      if (startsNetwork(m, modem)) {
        reset = false;
        return;
      }
      if (m.type === 'data-request') {
        void modem.send({ type: 'data-confirm', status: reset ? AdpStatus.invalidRequest : AdpStatus.success, nsduHandle: m.nsduHandle });
        if (!reset) void modem.send({ type: 'data-indication', linkQualityIndicator: 90, packet: answerOf(m.packet) });
      }
    };
    const t = new G3Transport(network, { eui64: EUI(6), client: 1 });
    await t.open();
    expect([...(await t.request(Uint8Array.of(8)))]).toEqual([0xc4, 6, 8]);
    expect(network.stats().restarts).toBe(1);
  });

  it('a pushed data-notification comes out as a push with the node; noise and broken frames are skipped', async () => {
    const { modem, network } = await open();
    await join(modem, network, 9);
    const pushed = new Promise<PushedApdu>((r) => network.once('push', r));
    await modem.sendRaw(Uint8Array.of(0x00, 0x7e, 0x01, 0x02, 0x7e, 0x55));
    const apdu = encodeApdu({
      kind: 'DataNotification', invokeId: 7, serviceClass: 'unconfirmed', priority: 'high', selfDescriptive: false, breakOnError: false,
      body: { type: 'structure', value: [{ type: 'octet-string', value: new TextEncoder().encode('SIM00000009') }, { type: 'double-long-unsigned', value: 2 ** 13 + 1 }] },
    });
    await modem.send({ type: 'data-indication', linkQualityIndicator: 80, packet: dlmsPacket({ panId: PAN, from: 9, to: 0, sourceWPort: 1, destinationWPort: 102, apdu }) });
    const p = await pushed;
    expect(p.node?.eui64).toBe(EUI(9));
    expect(decodePushedAlarm(p.apdu)).toMatchObject({ logicalDeviceName: 'SIM00000009', alarmRegister: 8193, bits: [0, 13], invokeId: 7 });
    expect(network.modem.counters.badFrames).toBeGreaterThan(0);
  });
});

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
