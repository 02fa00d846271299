// Each injected fault, seen where a client would see it: on the wire of a real pty bus.
import { afterEach, describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { clientAddress, serverAddress } from '../../../shared/hdlc/address.js';
import { encodeFrame } from '../../../shared/hdlc/frame.js';
import { Obis } from '../../../shared/dlms/obis.js';
import { LinkTimeout, ProtocolError } from '../../../shared/errors.js';
import type { FaultsByMeter } from '../../../simulators/meter/transport/faults.js';
import { SerialBus } from '../../../simulators/meter/transport/serial-bus.js';
import type { EndpointEvent } from '../../../simulators/meter/transport/meter-endpoint.js';
import { type PtyPair, openPtyPair } from '../../helpers/pty-pair.js';
import { fakeMeter, serialOf } from './fake-meter.js';
import { TestHdlcClient } from './hdlc-client.js';
import { type SerialIo, openSerialIo } from './serial-io.js';

const BAUD = 38400;
const FAULTY = 17;
const HEALTHY = 18;
const BIG = { maxInfoTx: 512, maxInfoRx: 512, windowTx: 7, windowRx: 7 };

let pty: PtyPair | undefined;
let bus: SerialBus | undefined;
let io: SerialIo | undefined;
let clients: TestHdlcClient[] = [];
let events: { physical: number; event: EndpointEvent }[] = [];

afterEach(async () => {
  for (const c of clients) c.stop();
  clients = [];
  events = [];
  await io?.close();
  await bus?.close();
  await pty?.close();
  io = bus = pty = undefined;
});

/** A bus with a faulty meter (17) and a healthy one (18); returns a client factory. */
async function setup(faults: FaultsByMeter) {
  pty = await openPtyPair();
  bus = await SerialBus.open({
    path: pty.b,
    baud: BAUD,
    turnaround: 5,
    seed: 7,
    faults,
    meters: [FAULTY, HEALTHY].map((p) => ({ physical: p, server: fakeMeter(p), limits: BIG })),
    onEvent: (m, event) => events.push({ physical: m.physical, event }),
  });
  io = await openSerialIo(pty.a, BAUD);
  return (physical: number, extra: Partial<ConstructorParameters<typeof TestHdlcClient>[1]> = {}) => {
    const c = new TestHdlcClient(io!, { client: 16, server: serverAddress(1, physical), responseTimeout: 300, ...extra });
    clients.push(c);
    return c;
  };
}

const snrm = (physical: number) => encodeFrame({ segmented: false, dest: serverAddress(1, physical), src: clientAddress(16), control: { type: 'SNRM', pf: true }, info: new Uint8Array(0) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends a raw SNRM and collects what comes back within `ms`. */
async function probe(c: TestHdlcClient, physical: number, ms = 250) {
  c.wire.clear();
  const at = performance.now();
  c.raw(snrm(physical));
  await sleep(ms);
  return { at, wire: c.wire };
}

/** The UA the healthy meter gives to the same SNRM: what a faulty answer is compared with. */
async function healthyUa(client: ReturnType<Awaited<ReturnType<typeof setup>>>) {
  const { wire } = await probe(client, HEALTHY);
  return wire.chunks.reduce((n, c) => n + c.bytes.length, 0);
}

describe('fault injection on the serial bus', () => {
  it('silent: the meter puts no byte on the line; the client times out', async () => {
    const client = await setup({ [FAULTY]: { silent: { every: 1 } } });
    const c = client(FAULTY, { maxRetries: 1, responseTimeout: 150 });
    await expect(c.connect()).rejects.toBeInstanceOf(LinkTimeout);
    expect(c.wire.bytes).toBe(0);
    expect(bus!.meters[0].faults!.counts.silent).toBe(2);
  });

  it('corrupted FCS: a whole frame arrives and the deframer rejects it', async () => {
    const client = await setup({ [FAULTY]: { corruptFcs: { every: 1 } } });
    const c = client(FAULTY);
    const uaLength = await healthyUa(c);
    const { wire } = await probe(c, FAULTY);
    expect(wire.bytes).toBe(uaLength);
    expect(wire.frames).toEqual([]);
    expect(wire.errors.map((e) => e.message).join()).toMatch(/FCS/);
    expect(wire.errors[0]).toBeInstanceOf(ProtocolError);
  });

  it('truncated frame: only the first part of the frame arrives, and no frame comes out of it', async () => {
    const client = await setup({ [FAULTY]: { truncate: { every: 1, keep: 9 } } });
    const c = client(FAULTY);
    expect(await healthyUa(c)).toBeGreaterThan(9);
    const { wire } = await probe(c, FAULTY);
    expect(wire.bytes).toBe(9);
    expect(wire.frames).toEqual([]);
    expect(wire.pending).toBe(9);
  });

  it('late answer: the frame comes after the configured delay, beyond the client timeout', async () => {
    const client = await setup({ [FAULTY]: { late: { every: 1, delay: 400 } } });
    const c = client(FAULTY);
    const { at, wire } = await probe(c, FAULTY, 600);
    expect(wire.frames.map((f) => f.control.type)).toEqual(['UA']);
    expect(wire.chunks[0].at - at).toBeGreaterThanOrEqual(400);
  });

  it('garbage: random bytes on the line before the frame, which still decodes', async () => {
    const client = await setup({ [FAULTY]: { garbage: { every: 1, length: 24 } } });
    const c = client(FAULTY);
    const uaLength = await healthyUa(c);
    const { wire } = await probe(c, FAULTY);
    expect(wire.bytes).toBe(uaLength + 24);
    expect(wire.frames.map((f) => f.control.type)).toEqual(['UA']);
  });

  it('faults on the Nth frame only: every 2nd answer is lost, the client link recovers by repeating', async () => {
    const client = await setup({ [FAULTY]: { silent: { every: 2 } } });
    const c = client(FAULTY, { responseTimeout: 200, maxRetries: 3 });
    await c.connect(); // frame 1: UA
    await c.associate(); // frame 2 lost, the repeat gets frame 3
    const serial = await c.get({ classId: 1, instanceId: Obis.serialNumber, attributeId: 2 });
    expect(serial).toEqual({ type: 'octet-string', value: new TextEncoder().encode(serialOf(FAULTY)) });
    expect(bus!.meters[0].faults!.counts.silent).toBeGreaterThanOrEqual(1);
  });

  it('reboot mid-session: the connection is gone, the meter answers DM until a new SNRM', async () => {
    const client = await setup({ [FAULTY]: { reboot: { after: 2, times: 1 } } });
    const c = client(FAULTY, { responseTimeout: 200 });
    await c.connect(); // frame 1
    await c.associate(); // frame 2
    // Frame 3 would be the GET answer: the meter power-cycles instead; the repeat gets DM.
    await expect(c.get({ classId: 1, instanceId: Obis.serialNumber, attributeId: 2 })).rejects.toThrow(/DM/);
    expect(events.some((e) => e.physical === FAULTY && e.event.kind === 'rebooted')).toBe(true);
    expect(c.wire.frames.at(-1)!.control.type).toBe('DM');
    const again = client(FAULTY);
    await again.connect();
    await again.associate();
    expect(await again.get({ classId: 1, instanceId: Obis.serialNumber, attributeId: 2 })).toMatchObject({ type: 'octet-string' });
  });

  it("refusing a proposal ('clamp'): the meter holds window 1 / max info 128 whatever the client proposes", async () => {
    const client = await setup({ [FAULTY]: { refuseProposal: 'clamp' } });
    expect(await client(HEALTHY, { proposal: BIG }).connect()).toEqual(BIG);
    const c = client(FAULTY, { proposal: BIG });
    expect(await c.connect()).toEqual({ maxInfoTx: 128, maxInfoRx: 128, windowTx: 1, windowRx: 1 });
    await c.associate();
    expect(await c.get({ classId: 1, instanceId: Obis.serialNumber, attributeId: 2 })).toMatchObject({ type: 'octet-string' });
  });

  it("refusing a proposal ('dm'): an SNRM asking for more gets DM; the defaults connect", async () => {
    const client = await setup({ [FAULTY]: { refuseProposal: 'dm' } });
    await expect(client(FAULTY, { proposal: BIG }).connect()).rejects.toThrow(/connection refused.*DM/);
    expect(events.some((e) => e.event.kind === 'refused-proposal')).toBe(true);
    expect(await client(FAULTY).connect()).toEqual({ maxInfoTx: 128, maxInfoRx: 128, windowTx: 1, windowRx: 1 });
  });

  it('leaves the other meters on the bus alone', async () => {
    const client = await setup({ [FAULTY]: { silent: { every: 1 } } });
    const c = client(HEALTHY);
    await c.connect();
    await c.associate();
    expect(await c.get({ classId: 1, instanceId: Obis.serialNumber, attributeId: 2 })).toEqual({ type: 'octet-string', value: new TextEncoder().encode(serialOf(HEALTHY)) });
  });
});
