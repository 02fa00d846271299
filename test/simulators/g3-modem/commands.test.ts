// The modem's answers to the host's commands, over the pty: STATUS for what it will not
// take, confirms with the ADP result codes, the information base.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdpCommand, AdpStatus, UsiStatusCode } from '../../../shared/g3/adp.js';
import { encodeUdpPacket, linkLocalAddress } from '../../../shared/g3/ipv6.js';
import { G3_ADP_PROTOCOL, encodeUsiFrame } from '../../../shared/g3/usi.js';
import { AdpAttribute, AdpResult, INVALID_IPV6_FRAME } from '../../../simulators/g3-modem/index.js';
import { type Pan, PAN_ID, joins, openPan, sendApdu, startNetwork } from './pan.js';

describe('G3 modem simulator: host commands', () => {
  let pan: Pan;
  beforeEach(async () => {
    pan = await openPan({ count: 3 });
  });
  afterEach(async () => {
    await pan.close();
  });

  it('refuses everything but ADP-INITIALIZE before it is initialised (STATUS 1)', async () => {
    const { host } = pan;
    host.send({ type: 'network-start-request', panId: PAN_ID });
    expect(await host.next('status')).toEqual({ type: 'status', status: UsiStatusCode.notAllowed, commandId: AdpCommand.networkStartRequest });
    host.send({ type: 'get-request', attributeId: AdpAttribute.maxHops, index: 0 });
    expect(await host.next('status')).toEqual({ type: 'status', status: UsiStatusCode.notAllowed, commandId: AdpCommand.getRequest });
    expect(pan.sim.modemState).toBe('off');
  });

  it('answers an unknown command with STATUS 2 and a malformed one with STATUS 3', async () => {
    const { host } = pan;
    host.raw(encodeUsiFrame(G3_ADP_PROTOCOL, Uint8Array.of(99, 1, 2)));
    expect(await host.next('status')).toEqual({ type: 'status', status: UsiStatusCode.unknownCommand, commandId: 99 });
    // A confirm is something the modem sends, never takes.
    host.raw(encodeUsiFrame(G3_ADP_PROTOCOL, Uint8Array.of(AdpCommand.dataConfirm, 0, 1)));
    expect(await host.next('status')).toEqual({ type: 'status', status: UsiStatusCode.unknownCommand, commandId: AdpCommand.dataConfirm });
    // NETWORK-START with a one-byte PAN id.
    host.raw(encodeUsiFrame(G3_ADP_PROTOCOL, Uint8Array.of(AdpCommand.networkStartRequest, 0x78)));
    expect(await host.next('status')).toEqual({ type: 'status', status: UsiStatusCode.invalidParameter, commandId: AdpCommand.networkStartRequest });
    // ADP-INITIALIZE with band 7.
    host.raw(encodeUsiFrame(G3_ADP_PROTOCOL, Uint8Array.of(AdpCommand.initialize, 7, 1)));
    expect(await host.next('status')).toEqual({ type: 'status', status: UsiStatusCode.invalidParameter, commandId: AdpCommand.initialize });
    // Only the coordinator role is simulated.
    host.send({ type: 'initialize', band: 0, isCoordinator: false });
    expect(await host.next('status')).toEqual({ type: 'status', status: UsiStatusCode.invalidParameter, commandId: AdpCommand.initialize });
    expect(pan.sim.modemState).toBe('off');
  });

  it('drops frames with a bad CRC or another protocol id, and counts them', async () => {
    const { host, sim } = pan;
    const frame = encodeUsiFrame(G3_ADP_PROTOCOL, Uint8Array.of(AdpCommand.initialize, 0, 1));
    frame[frame.length - 2] ^= 0x01; // CRC low byte
    host.raw(frame);
    host.raw(encodeUsiFrame(0x22, Uint8Array.of(1, 2, 3)));
    host.send({ type: 'get-request', attributeId: AdpAttribute.maxHops, index: 0 });
    // The broken INITIALIZE did not count: the GET is still refused.
    expect(await host.next('status')).toMatchObject({ status: UsiStatusCode.notAllowed, commandId: AdpCommand.getRequest });
    expect(sim.stats().badFrames).toBe(2);
  });

  it('confirms data before the network runs with INVALID_REQUEST, and a second NETWORK-START too', async () => {
    const { host } = pan;
    host.send({ type: 'initialize', band: 0, isCoordinator: true });
    sendApdu(host, 1, 9, Uint8Array.of(0x60, 0x00));
    expect(await host.next('data-confirm')).toEqual({ type: 'data-confirm', status: AdpStatus.invalidRequest, nsduHandle: 9 });
    host.send({ type: 'route-discovery-request', destination: 1, maxHops: 8 });
    expect(await host.next('route-discovery-confirm')).toMatchObject({ status: AdpStatus.invalidRequest, destination: 1 });
    host.send({ type: 'network-start-request', panId: 0xffff });
    expect(await host.next('network-start-confirm')).toEqual({ type: 'network-start-confirm', status: AdpStatus.invalidParameter });
    host.send({ type: 'network-start-request', panId: PAN_ID });
    expect(await host.next('network-start-confirm')).toEqual({ type: 'network-start-confirm', status: AdpStatus.success });
    host.send({ type: 'network-start-request', panId: PAN_ID });
    expect(await host.next('network-start-confirm')).toEqual({ type: 'network-start-confirm', status: AdpStatus.invalidRequest });
  });

  it('serves ADPM-GET / ADPM-SET with the ADP result codes', async () => {
    const { host } = pan;
    await startNetwork(host);
    const joined = await joins(host, 3);
    host.send({ type: 'get-request', attributeId: AdpAttribute.maxHops, index: 0 });
    expect(await host.next('get-confirm')).toEqual({ type: 'get-confirm', status: AdpStatus.success, attributeId: AdpAttribute.maxHops, index: 0, value: Uint8Array.of(8) });
    host.send({ type: 'set-request', attributeId: AdpAttribute.maxHops, index: 0, value: Uint8Array.of(5) });
    expect(await host.next('set-confirm')).toEqual({ type: 'set-confirm', status: AdpStatus.success, attributeId: AdpAttribute.maxHops, index: 0 });
    host.send({ type: 'get-request', attributeId: AdpAttribute.maxHops, index: 0 });
    expect((await host.next('get-confirm')).value).toEqual(Uint8Array.of(5));
    host.send({ type: 'set-request', attributeId: AdpAttribute.maxHops, index: 0, value: Uint8Array.of(0, 5) });
    expect(await host.next('set-confirm')).toMatchObject({ status: AdpStatus.invalidParameter });
    host.send({ type: 'set-request', attributeId: AdpAttribute.deviceType, index: 0, value: Uint8Array.of(0) });
    expect(await host.next('set-confirm')).toMatchObject({ status: AdpResult.readOnly });
    host.send({ type: 'get-request', attributeId: 0x0800_00ff, index: 0 });
    expect(await host.next('get-confirm')).toMatchObject({ status: AdpResult.unsupportedAttribute, value: new Uint8Array(0) });
    host.send({ type: 'get-request', attributeId: AdpAttribute.maxHops, index: 1 });
    expect(await host.next('get-confirm')).toMatchObject({ status: AdpResult.invalidIndex });

    // The routing table: one 9-byte entry per joined node, then INVALID_INDEX.
    const shorts = [...joined.values()].sort((a, b) => a - b);
    for (const [i, short] of shorts.entries()) {
      host.send({ type: 'get-request', attributeId: AdpAttribute.routingTable, index: i });
      const c = await host.next('get-confirm', (m) => m.attributeId === AdpAttribute.routingTable);
      expect(c.status).toBe(AdpStatus.success);
      expect(c.value).toHaveLength(9);
      expect((c.value[0] << 8) | c.value[1]).toBe(short);
      const eui = [...joined].find(([, s]) => s === short)![0];
      expect(c.value[6] >> 4).toBe(pan.sim.nodes.find((n) => n.eui64 === eui)!.hops);
    }
    host.send({ type: 'get-request', attributeId: AdpAttribute.routingTable, index: shorts.length });
    expect(await host.next('get-confirm', (m) => m.attributeId === AdpAttribute.routingTable)).toMatchObject({ status: AdpResult.invalidIndex });
  });

  it('confirms a packet that is not IPv6/UDP with INVALID_IPV6_FRAME and an unknown destination with ROUTE_ERROR', async () => {
    const { host } = pan;
    await startNetwork(host);
    host.send({ type: 'data-request', nsduHandle: 3, discoverRoute: false, qualityOfService: 0, packet: Uint8Array.of(0x45, 0, 0, 20) });
    expect(await host.next('data-confirm')).toEqual({ type: 'data-confirm', status: INVALID_IPV6_FRAME, nsduHandle: 3 });
    const packet = encodeUdpPacket({ source: linkLocalAddress(PAN_ID, 0), destination: linkLocalAddress(PAN_ID, 0x0777), sourcePort: 4059, destinationPort: 4059, payload: Uint8Array.of(0, 1, 0, 16, 0, 1, 0, 0) });
    host.send({ type: 'data-request', nsduHandle: 4, discoverRoute: false, qualityOfService: 0, packet });
    expect(await host.next('data-confirm')).toEqual({ type: 'data-confirm', status: AdpStatus.routeError, nsduHandle: 4 });
    expect(pan.sim.stats().data).toMatchObject({ requests: 2, refused: 1, routeErrors: 1, delivered: 0 });
  });
});
