// HDLC over TCP and the IEC 62056-47 wrapper over TCP and UDP, on ports chosen by the OS.
import { afterEach, describe, expect, it } from 'vitest';
import dgram from 'node:dgram';
import net from 'node:net';
import { serverAddress } from '../../../shared/hdlc/address.js';
import { ClientAssociation } from '../../../shared/dlms/association/client.js';
import { Obis } from '../../../shared/dlms/obis.js';
import { WrapperStream, decodeWrapper, encodeWrapper } from '../../../shared/wrapper/wrapper.js';
import { FaultInjector } from '../../../simulators/meter/transport/faults.js';
import { TcpHdlcServer } from '../../../simulators/meter/transport/tcp-hdlc.js';
import { WrapperTcpServer } from '../../../simulators/meter/transport/wrapper-tcp.js';
import { WrapperUdpServer } from '../../../simulators/meter/transport/wrapper-udp.js';
import { clientSettings, fakeMeter } from './fake-meter.js';
import { TestHdlcClient } from './hdlc-client.js';
import { ASSOCIATION_LN, expected, onLine, realMeters } from './real-meters.js';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const serialAttr = { classId: 1, instanceId: Obis.serialNumber, attributeId: 2 };
const objectList = { classId: 15, instanceId: ASSOCIATION_LN, attributeId: 2 };

function tcpConnect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
    closers.push(() => s.destroy());
  });
}

/** Runs one association operation over a request function until it is done. */
async function run(assoc: ClientAssociation, request: (apdu: Uint8Array) => Promise<Uint8Array>, first: Uint8Array) {
  let apdu = first;
  for (;;) {
    const step = assoc.receive(await request(apdu));
    if (step.kind === 'fail') throw step.error;
    if (step.kind === 'done') return step.result;
    apdu = step.apdu;
  }
}

describe('HDLC over TCP', () => {
  it('listens on a free port and serves two meters on one connection', async () => {
    const meters = realMeters(2);
    const server = await TcpHdlcServer.listen({ port: 0, meters: onLine(meters) });
    closers.push(() => server.close());
    expect(server.port).toBeGreaterThan(0);
    const socket = await tcpConnect(server.port);
    const io = { write: (b: Uint8Array) => void socket.write(b), onData: (l: (b: Uint8Array) => void) => void socket.on('data', (d) => l(new Uint8Array(d))) };
    for (const [sap, m] of [[1, meters[0]], [17, meters[1]]] as const) {
      const c = new TestHdlcClient(io, { client: sap, server: serverAddress(1, m.physical) });
      closers.push(() => c.stop());
      await c.connect();
      await c.associate();
      expect(await c.get(serialAttr)).toEqual(expected(m, serialAttr, sap));
      expect(await c.get(objectList)).toEqual(expected(m, objectList, sap));
      await c.release();
      await c.disconnect();
    }
    expect(server.stats.bytesToClient).toBeGreaterThan(500);
  });
});

describe('wrapper over TCP', () => {
  it('round trip on port 0 with the three associations', async () => {
    const [m] = realMeters(1);
    const server = await WrapperTcpServer.listen({ port: 0, meter: { server: m.server } });
    closers.push(() => server.close());
    const socket = await tcpConnect(server.port);
    const stream = new WrapperStream();
    const waiting: ((apdu: Uint8Array) => void)[] = [];
    socket.on('data', (d) => {
      for (const pdu of stream.push(new Uint8Array(d))) waiting.shift()?.(pdu.apdu);
    });
    for (const sap of [16, 17, 1]) {
      const request = (apdu: Uint8Array) =>
        new Promise<Uint8Array>((resolve) => {
          waiting.push(resolve);
          socket.write(encodeWrapper({ source: sap, destination: 1, apdu }));
        });
      const assoc = new ClientAssociation(clientSettings(sap));
      expect(await run(assoc, request, assoc.associate())).toMatchObject({ kind: 'associated' });
      expect(await run(assoc, request, assoc.get(serialAttr))).toEqual({ kind: 'data', value: expected(m, serialAttr, sap) });
      expect(await run(assoc, request, assoc.get(objectList))).toEqual({ kind: 'data', value: expected(m, objectList, sap) });
    }
    expect(server.stats.pdusIn).toBe(server.stats.pdusOut);
  });

  it('reboot fault: the meter drops the TCP connection', async () => {
    const server = await WrapperTcpServer.listen({ port: 0, meter: { server: fakeMeter(17), faults: new FaultInjector({ reboot: { every: 1 } }, 1, 17, 'wrapper') } });
    closers.push(() => server.close());
    const socket = await tcpConnect(server.port);
    const closed = new Promise((resolve) => socket.on('close', resolve));
    socket.write(encodeWrapper({ source: 16, destination: 1, apdu: new ClientAssociation(clientSettings(16)).associate() }));
    await closed;
  });
});

describe('wrapper over UDP', () => {
  async function udp(server: WrapperUdpServer) {
    const socket = dgram.createSocket('udp4');
    closers.push(() => socket.close());
    const received: Uint8Array[] = [];
    socket.on('message', (m) => received.push(new Uint8Array(m)));
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    const send = (bytes: Uint8Array) => socket.send(bytes, server.port, '127.0.0.1');
    const next = async (ms = 1000) => {
      const deadline = Date.now() + ms;
      while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      return received.shift() ?? null;
    };
    return { send, next };
  }

  it('round trip on port 0, HLS included; a repeated request gets the same answer', async () => {
    const [m] = realMeters(1, 18);
    const server = await WrapperUdpServer.listen({ port: 0, meter: { server: m.server } });
    closers.push(() => server.close());
    const { send, next } = await udp(server);
    const assoc = new ClientAssociation(clientSettings(1));
    const request = async (apdu: Uint8Array) => {
      send(encodeWrapper({ source: 1, destination: 1, apdu }));
      const got = await next();
      if (!got) throw new Error('no datagram');
      return decodeWrapper(got).apdu;
    };
    expect(await run(assoc, request, assoc.associate())).toMatchObject({ kind: 'associated' });
    const get = assoc.get(serialAttr);
    const first = await request(get);
    // The client's retry after a "lost" answer: same ciphered bytes, same counter.
    const repeat = await request(get);
    expect(repeat).toEqual(first);
    expect(assoc.receive(first)).toEqual({ kind: 'done', result: { kind: 'data', value: expected(m, serialAttr, 1) } });
  });

  it('silent and corrupt faults: no datagram, then one whose header a client rejects', async () => {
    const faults = new FaultInjector({ silent: { every: 2 }, corruptFcs: { every: 3 } }, 1, 18, 'wrapper');
    const server = await WrapperUdpServer.listen({ port: 0, meter: { server: fakeMeter(18), faults } });
    closers.push(() => server.close());
    const { send, next } = await udp(server);
    const aarq = () => encodeWrapper({ source: 16, destination: 1, apdu: new ClientAssociation(clientSettings(16)).associate() });
    send(aarq());
    expect(decodeWrapper((await next())!).destination).toBe(16); // frame 1: fine
    send(aarq());
    expect(await next(300)).toBeNull(); // frame 2: silent
    send(aarq());
    const bad = (await next())!; // frame 3: corrupted
    expect(() => decodeWrapper(bad)).toThrow(/version/);
  });
});
