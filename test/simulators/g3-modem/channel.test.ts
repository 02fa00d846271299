// The channel model: on-air sizes, the one shared queue, losses per hop, the seeded
// topology, and — over the pty — that the statistics grow with the traffic as the model says.
import { afterEach, describe, expect, it } from 'vitest';
import { Obis } from '../../../shared/dlms/obis.js';
import { dlmsPacket } from '../../../shared/g3/dlms.js';
import { MAC_OVERHEAD, MAC_PAYLOAD_MAX, adpCommandOnAir, ipv6OnAir } from '../../../simulators/g3-modem/air.js';
import { SharedChannel } from '../../../simulators/g3-modem/channel.js';
import { plcNodes } from '../../../simulators/g3-modem/index.js';
import { Radio } from '../../../simulators/g3-modem/radio.js';
import { Draws } from '../../../simulators/g3-modem/seeded.js';
import { checkNodes, relayChains } from '../../../simulators/g3-modem/topology.js';
import { type Pan, PAN_ID, answerFrom, associate, joins, openPan, sendApdu, startNetwork } from './pan.js';

describe('on-air size', () => {
  it('compresses the 48-byte IPv6+UDP header to 9 bytes, 14 with the mesh header, and adds the MAC overhead', () => {
    const apdu = 13;
    const length = 40 + 8 + 8 + apdu;
    expect(ipv6OnAir(length, 1)).toEqual({ frames: 1, bytes: MAC_OVERHEAD + 9 + 8 + apdu });
    expect(ipv6OnAir(length, 3)).toEqual({ frames: 1, bytes: MAC_OVERHEAD + 14 + 8 + apdu });
    // A hop limit IPHC cannot elide costs one byte more.
    expect(ipv6OnAir(length, 1, 17).bytes).toBe(MAC_OVERHEAD + 10 + 8 + apdu);
  });

  it('fragments what does not fit one MAC frame, each fragment with its own overhead', () => {
    const fits = ipv6OnAir(48 + MAC_PAYLOAD_MAX - 9, 1);
    expect(fits.frames).toBe(1);
    const big = ipv6OnAir(48 + 1000, 1);
    expect(big.frames).toBe(3);
    expect(big.bytes).toBeGreaterThan(1009 + 3 * MAC_OVERHEAD);
    expect(big.bytes).toBeLessThan(1009 + 3 * MAC_OVERHEAD + 4 + 2 * 5 + 1);
    expect(adpCommandOnAir(14, 1)).toEqual({ frames: 1, bytes: MAC_OVERHEAD + 2 + 14 });
  });
});

describe('shared channel', () => {
  it('queues transmissions one after another, h hops each, and counts bytes and time per hop', () => {
    const ch = new SharedChannel(8_000); // 1 byte per ms
    const a = ch.transmit(0, { frames: 1, bytes: 100 }, 2, 'down', 'data');
    const b = ch.transmit(50, { frames: 1, bytes: 50 }, 3, 'up', 'data');
    expect(a).toEqual({ start: 0, hopMs: 100, end: 200 });
    expect(b).toEqual({ start: 200, hopMs: 50, end: 350 });
    expect(ch.backlogMs(100)).toBe(250);
    const c = ch.transmit(1_000, { frames: 2, bytes: 10 }, 1, 'down', 'bootstrap');
    expect(c.start).toBe(1_000);
    expect(ch.total).toEqual({ frames: 7, bytes: 360, busyMs: 360 });
    expect(ch.byDirection.up).toEqual({ frames: 3, bytes: 150, busyMs: 150 });
    expect(ch.byTraffic.bootstrap).toEqual({ frames: 2, bytes: 10, busyMs: 10 });
  });
});

describe('losses and latency', () => {
  it('delivers over h hops with probability (1 − p)^h and confirms the first hop first', () => {
    for (const hops of [1, 3, 8]) {
      const radio = new Radio({ capacityBps: 1e9, hopLatencyMs: { min: 300, max: 3_000 }, lossPerHop: 0.1 }, new Draws(11));
      const n = 20_000;
      const carried = Array.from({ length: n }, (_, i) => radio.carry(0, i % 50, { frames: 1, bytes: 50 }, hops, 'down', 'data'));
      const delivered = carried.filter((c) => c.lostAtHop === null);
      expect(delivered.length / n).toBeCloseTo(0.9 ** hops, 1);
      expect(carried.every((c) => c.firstHopAt >= 300 && c.firstHopAt <= c.arriveAt)).toBe(true);
      expect(delivered.every((c) => c.arriveAt >= 300 * hops)).toBe(true);
      expect(carried.every((c) => c.lostAtHop === null || (c.lostAtHop >= 1 && c.lostAtHop <= hops))).toBe(true);
    }
  });

  it('never loses with lossPerHop 0 and refuses a probability outside [0, 1)', () => {
    const radio = new Radio({ capacityBps: 20_000, hopLatencyMs: { min: 1, max: 1 }, lossPerHop: 0 }, new Draws(1));
    for (let i = 0; i < 100; i++) expect(radio.carry(0, i, { frames: 1, bytes: 10 }, 8, 'up', 'data').lostAtHop).toBeNull();
    expect(() => radio.setLossPerHop(1)).toThrow(/loss per hop/);
    expect(() => radio.setLossPerHop(-0.1)).toThrow(/loss per hop/);
  });
});

describe('topology', () => {
  it('is the same for the same seed, mostly within 3 hops, with a tail out to 8', () => {
    expect(plcNodes({ count: 50, seed: 3 })).toEqual(plcNodes({ count: 50, seed: 3 }));
    expect(plcNodes({ count: 50, seed: 3 })).not.toEqual(plcNodes({ count: 50, seed: 4 }));
    const nodes = plcNodes({ count: 2_000, seed: 1 });
    const near = nodes.filter((n) => n.hops <= 3).length / nodes.length;
    expect(near).toBeGreaterThan(0.7);
    expect(Math.max(...nodes.map((n) => n.hops))).toBe(8);
    expect(new Set(nodes.map((n) => n.eui64)).size).toBe(nodes.length);
    expect(nodes[0].serial).toBe('40000001');
    expect(plcNodes({ count: 500, seed: 1, maxHops: 3 }).every((n) => n.hops <= 3)).toBe(true);
  });

  it('refuses node specs that cannot be, naming the node and the fault', () => {
    const [a, b] = plcNodes({ count: 2, seed: 1 });
    expect(() => checkNodes([a, { ...b, eui64: a.eui64 }])).toThrow(/node 1 .*EUI-64 used twice/);
    expect(() => checkNodes([a, { ...b, serial: a.serial }])).toThrow(/serial 40000001 used twice/);
    expect(() => checkNodes([{ ...a, hops: 9 }])).toThrow(/hops 9 is not 1..8/);
    expect(() => checkNodes([{ ...a, eui64: 'ABCDEF0123456789' }])).toThrow(/16 lowercase hex digits/);
    expect(() => checkNodes([{ ...a, serial: 'M-1' }])).toThrow(/decimal digits/);
  });

  it('routes each node through one node per distance, forming a tree', () => {
    const nodes = plcNodes({ count: 300, seed: 2 });
    const chains = relayChains(nodes, 2);
    for (const [i, chain] of chains.entries()) {
      expect(chain).toHaveLength(nodes[i].hops - 1);
      for (const [d, relay] of chain.entries()) {
        if (relay.node !== null) {
          expect(nodes[relay.node].hops).toBe(d + 1);
          // The relay's own route is the start of this one.
          expect(chains[relay.node]).toEqual(chain.slice(0, d));
        }
      }
    }
  });
});

describe('channel statistics over the pty', () => {
  let pan: Pan | undefined;
  afterEach(async () => {
    await pan?.close();
    pan = undefined;
  });

  it('twice the traffic takes twice the channel time, as bytes on air × hops ÷ capacity', async () => {
    pan = await openPan({ count: 3, capacityBps: 10_000 });
    const { host, sim } = pan;
    await startNetwork(host);
    const joined = await joins(host, 3);
    const node = sim.nodes[0];
    const short = joined.get(node.eui64)!;
    const client = await associate(host, short, 1);
    const serial = { classId: 1, instanceId: Obis.serialNumber, attributeId: 2 };
    let handle = 10;
    let answerLength = 0;
    let requestLength = 0;
    const reads = async (n: number) => {
      const before = sim.stats().byTraffic.data;
      for (let i = 0; i < n; i++) {
        const apdu = client.get(serial);
        requestLength = dlmsPacket({ panId: PAN_ID, from: 0, to: short, sourceWPort: 16, destinationWPort: 1, apdu }).length;
        sendApdu(host, short, handle++, apdu);
        const answer = await answerFrom(host, short);
        answerLength = 48 + 8 + answer.apdu.length;
        expect(client.receive(answer.apdu).kind).toBe('done');
      }
      const after = sim.stats().byTraffic.data;
      return { bytes: after.bytes - before.bytes, busyMs: after.busyMs - before.busyMs };
    };
    const once = await reads(3);
    const twice = await reads(6);
    expect(twice.bytes).toBe(2 * once.bytes);
    expect(twice.busyMs).toBeCloseTo(2 * once.busyMs, 6);
    const perRead = (ipv6OnAir(requestLength, node.hops).bytes + ipv6OnAir(answerLength, node.hops).bytes) * node.hops;
    expect(once.bytes).toBe(3 * perRead);
    expect(once.busyMs).toBeCloseTo((3 * perRead * 8 * 1000) / 10_000, 6);
    const s = sim.stats();
    expect(s.airtimeLowerBoundMs).toBeCloseTo((s.onAir.bytes * 8 * 1000) / s.capacityBps, 6);
    expect(s.airtimeLowerBoundMs).toBeCloseTo(s.onAir.busyMs, 6);
    expect(s.byDirection.down.bytes + s.byDirection.up.bytes).toBe(s.onAir.bytes);
    expect(s.byTraffic.bootstrap.bytes).toBeGreaterThan(0);
    expect(s.joins).toMatchObject({ requests: 3, completed: 3 });
  });
});
