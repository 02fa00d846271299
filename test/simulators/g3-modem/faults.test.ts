// Faults on demand: broken routes and their repair, nodes leaving and coming back, kicks,
// a modem that reboots and one that hangs.
import { afterEach, describe, expect, it } from 'vitest';
import { AdpCommand, AdpStatus, UsiStatusCode } from '../../../shared/g3/adp.js';
import { AdpAttribute } from '../../../simulators/g3-modem/index.js';
import { type Pan, PAN_ID, answerFrom, joins, openPan, publicClient, sendApdu, startNetwork } from './pan.js';

describe('G3 modem simulator: faults', () => {
  let pan: Pan | undefined;
  afterEach(async () => {
    await pan?.close();
    pan = undefined;
  });

  it('fails data with ROUTE_ERROR after breakRoute until a route discovery repairs it', async () => {
    pan = await openPan({ count: 4 });
    const { host, sim } = pan;
    await startNetwork(host);
    const joined = await joins(host, 4);
    const node = sim.nodes.reduce((far, n) => (n.hops > far.hops ? n : far));
    const short = joined.get(node.eui64)!;
    sim.breakRoute(node.eui64);
    sendApdu(host, short, 1, publicClient().associate());
    expect(await host.next('data-confirm', (m) => m.nsduHandle === 1)).toMatchObject({ status: AdpStatus.routeError });
    sendApdu(host, short, 2, publicClient().associate());
    expect(await host.next('data-confirm', (m) => m.nsduHandle === 2)).toMatchObject({ status: AdpStatus.routeError });

    // A discovery limited to fewer hops than the node is away does not find it.
    if (node.hops > 1) {
      host.send({ type: 'route-discovery-request', destination: short, maxHops: node.hops - 1 });
      expect(await host.next('route-discovery-confirm')).toMatchObject({ status: AdpStatus.routeError, destination: short });
    }
    host.send({ type: 'route-discovery-request', destination: short, maxHops: 8 });
    const route = await host.next('route-discovery-confirm');
    expect(route).toMatchObject({ status: AdpStatus.success, destination: short, hopCount: node.hops });
    if (node.hops === 1) expect(route.nextHop).toBe(short);
    else expect(route.nextHop).not.toBe(short);
    expect(route.routeCost).toBeGreaterThan(0);

    sendApdu(host, short, 3, publicClient().associate());
    expect(await host.next('data-confirm', (m) => m.nsduHandle === 3)).toMatchObject({ status: AdpStatus.success });
    expect((await answerFrom(host, short)).apdu[0]).toBe(0x61);
    expect(sim.stats().data.routeErrors).toBe(2);
  });

  it('reports the path to a node: its relays out, the same relays back to the coordinator', async () => {
    pan = await openPan({ count: 8 });
    const { host, sim } = pan;
    await startNetwork(host);
    const joined = await joins(host, 8);
    for (const node of sim.nodes) {
      const short = joined.get(node.eui64)!;
      host.send({ type: 'path-discovery-request', destination: short, metricType: 0x0f });
      const p = await host.next('path-discovery-confirm', (m) => m.destination === short);
      expect(p.status).toBe(AdpStatus.success);
      expect(p.forwardHops).toHaveLength(node.hops);
      expect(p.forwardHops.at(-1)!.address).toBe(short);
      expect(p.reverseHops.map((h) => h.address)).toEqual([...p.forwardHops.slice(0, -1).map((h) => h.address).reverse(), 0]);
      // A relay at distance d is a node d hops away, when the PAN has one.
      for (const [d, hop] of p.forwardHops.slice(0, -1).entries()) {
        const relay = sim.nodes.find((n) => joined.get(n.eui64) === hop.address);
        if (relay) expect(relay.hops).toBe(d + 1);
      }
    }
    host.send({ type: 'path-discovery-request', destination: 1, metricType: 0x10 });
    expect(await host.next('path-discovery-confirm', (m) => m.destination === 1)).toMatchObject({ status: AdpStatus.invalidParameter });
  });

  it('announces a leave, and the node re-joins on demand with the same short address', async () => {
    pan = await openPan({ count: 3 });
    const { host, sim } = pan;
    await startNetwork(host);
    const joined = await joins(host, 3);
    const node = sim.nodes[1];
    const short = joined.get(node.eui64)!;
    sim.leave(node.eui64);
    expect(await host.next('leave')).toEqual({ type: 'leave', shortAddress: short });
    expect(sim.joined(node.eui64)).toBe(false);
    sendApdu(host, short, 7, publicClient().associate());
    expect(await host.next('data-confirm', (m) => m.nsduHandle === 7)).toMatchObject({ status: AdpStatus.routeError });

    sim.rejoin(node.eui64);
    expect(await host.next('join-request')).toEqual({ type: 'join-request', eui64: node.eui64 });
    expect(await host.next('join-complete')).toEqual({ type: 'join-complete', eui64: node.eui64, shortAddress: short });
    sendApdu(host, short, 8, publicClient().associate());
    expect(await host.next('data-confirm', (m) => m.nsduHandle === 8)).toMatchObject({ status: AdpStatus.success });
  });

  it('kicks a device on COORD-KICK-DEVICE; a kick that matches no joined device gets STATUS 3', async () => {
    pan = await openPan({ count: 2 });
    const { host, sim } = pan;
    await startNetwork(host);
    const joined = await joins(host, 2);
    const [a, b] = sim.nodes;
    host.send({ type: 'kick-device', shortAddress: joined.get(a.eui64)!, eui64: b.eui64 });
    expect(await host.next('status')).toEqual({ type: 'status', status: UsiStatusCode.invalidParameter, commandId: AdpCommand.kickDevice });
    host.send({ type: 'kick-device', shortAddress: joined.get(a.eui64)!, eui64: a.eui64 });
    expect(await host.next('leave')).toEqual({ type: 'leave', shortAddress: joined.get(a.eui64) });
    expect(sim.joined(a.eui64)).toBe(false);
    expect(sim.joined(b.eui64)).toBe(true);
  });

  it('forgets the network and what is in flight on reset(): no confirms, STATUS 1 until initialised, same addresses after', async () => {
    pan = await openPan({ count: 3, hopLatencyMs: { min: 50_000, max: 60_000 } });
    const { host, sim } = pan;
    await startNetwork(host);
    const joined = await joins(host, 3);
    const [short] = joined.values();
    sendApdu(host, short, 5, publicClient().associate());
    await new Promise((r) => setTimeout(r, 5)); // the request is in the modem: its first hop takes ≥ 50 s of model time (50 ms)
    sim.reset();
    const mark = host.received.length;
    host.send({ type: 'get-request', attributeId: AdpAttribute.maxHops, index: 0 });
    expect(await host.next('status')).toEqual({ type: 'status', status: UsiStatusCode.notAllowed, commandId: AdpCommand.getRequest });
    const since = await host.quietSince(mark, 400); // 400 s of model time: the old request would have been answered
    expect(since.filter((m) => m.type !== 'status')).toEqual([]);
    expect(host.received.filter((m) => m.type === 'data-confirm' || m.type === 'data-indication')).toEqual([]);

    await startNetwork(host);
    const again = await joins(host, 3);
    expect(again).toEqual(joined);
  });

  it('says nothing at all after hang() until ADP-INITIALIZE, then works again', async () => {
    pan = await openPan({ count: 2 });
    const { host, sim } = pan;
    await startNetwork(host);
    const joined = await joins(host, 2);
    const [short] = joined.values();
    sim.hang();
    expect(sim.modemState).toBe('hung');
    const mark = host.received.length;
    host.send({ type: 'get-request', attributeId: AdpAttribute.maxHops, index: 0 });
    sendApdu(host, short, 9, publicClient().associate());
    host.send({ type: 'network-start-request', panId: PAN_ID });
    host.raw(Uint8Array.of(0x7e, 0x00, 0x65, 0x63, 0x00, 0x00, 0x7e)); // unknown command 0x63 (CRC wrong too): still silent
    expect(await host.quietSince(mark, 100)).toEqual([]);
    await startNetwork(host);
    expect(await joins(host, 2)).toEqual(joined);
    host.send({ type: 'get-request', attributeId: AdpAttribute.maxHops, index: 0 });
    expect(await host.next('get-confirm')).toMatchObject({ status: AdpStatus.success });
  });
});
