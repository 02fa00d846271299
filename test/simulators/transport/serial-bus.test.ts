// Multi-drop HDLC over a real pty pair (socat) with the real serialport package and the
// real simulated meters: several meters on one bus, each answering only its own physical
// address, paced at the line's baud rate, one talking at a time.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { clientAddress, serverAddress } from '../../../shared/hdlc/address.js';
import { encodeFrame } from '../../../shared/hdlc/frame.js';
import { Obis } from '../../../shared/dlms/obis.js';
import { LinkTimeout } from '../../../shared/errors.js';
import type { RunningMeter } from '../../../simulators/meter/transport/meter-set.js';
import { SerialBus } from '../../../simulators/meter/transport/serial-bus.js';
import { type PtyPair, openPtyPair } from '../../helpers/pty-pair.js';
import { TestHdlcClient } from './hdlc-client.js';
import { ASSOCIATION_LN, INVOCATION_COUNTER, expected, onLine, realMeters } from './real-meters.js';
import { type SerialIo, openSerialIo } from './serial-io.js';

const BAUD = 9600;
const TURNAROUND = 20;

describe('serial bus on a pty pair', () => {
  let pty: PtyPair;
  let bus: SerialBus;
  let io: SerialIo;
  let meters: RunningMeter[];
  const clients: TestHdlcClient[] = [];

  beforeEach(async () => {
    pty = await openPtyPair();
    meters = realMeters(3); // physical addresses 17, 18, 19
    bus = await SerialBus.open({ path: pty.b, baud: BAUD, turnaround: TURNAROUND, meters: onLine(meters) });
    io = await openSerialIo(pty.a, BAUD);
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.stop();
    await io?.close();
    await bus?.close();
    await pty?.close();
  });

  const client = (sap: number, physical: number, extra: Partial<ConstructorParameters<typeof TestHdlcClient>[1]> = {}) => {
    const c = new TestHdlcClient(io, { client: sap, server: serverAddress(1, physical), ...extra });
    clients.push(c);
    return c;
  };
  const serialNumber = { classId: 1, instanceId: Obis.serialNumber, attributeId: 2 };

  it('reads meters at different physical addresses in turn, each through one of the three associations', async () => {
    const runs: [number, RunningMeter][] = [[16, meters[0]], [17, meters[1]], [1, meters[2]], [16, meters[1]]];
    for (const [sap, m] of runs) {
      const c = client(sap, m.physical);
      await c.connect();
      expect(await c.associate()).toMatchObject({ kind: 'associated' });
      expect(await c.get(serialNumber)).toEqual(expected(m, serialNumber, sap));
      if (sap !== 16) {
        // Not in the public client's view; the value moves with time, so only its type is checked.
        const energy = await c.get({ classId: 3, instanceId: Obis.activeEnergyImport, attributeId: 2 });
        expect(energy.type).toBe('double-long-unsigned');
      }
      await c.release();
      await c.disconnect();
      c.stop();
      // Every frame that came back was from the addressed meter, and intact.
      expect(c.wire.errors).toEqual([]);
      expect(c.wire.frames.every((f) => f.src.physical === m.physical)).toBe(true);
    }
    // The management association used the meter's invocation counter.
    expect(meters[2].counter.value).toBeGreaterThan(0);
    // The bus counted every byte both ways.
    const written = clients.reduce((n, c) => n + c.written, 0);
    expect(bus.stats.bytesFromClient).toBe(written);
    expect(bus.stats.bytesToClient).toBe(io.received);
    expect(bus.airtimeMs).toBeCloseTo(((written + io.received) * 10 * 1000) / BAUD, 6);
  });

  it('reads the object list with HDLC segmentation and windows, and the live invocation counter', async () => {
    const c = client(16, 18, { proposal: { maxInfoTx: 128, maxInfoRx: 128, windowTx: 3, windowRx: 3 } });
    expect(await c.connect()).toEqual({ maxInfoTx: 128, maxInfoRx: 128, windowTx: 3, windowRx: 3 });
    await c.associate();
    const list = { classId: 15, instanceId: ASSOCIATION_LN, attributeId: 2 };
    expect(await c.get(list)).toEqual(expected(meters[1], list, 16));
    expect(c.wire.frames.some((f) => f.segmented)).toBe(true);
    expect(await c.get({ classId: 1, instanceId: INVOCATION_COUNTER, attributeId: 2 })).toEqual({ type: 'double-long-unsigned', value: meters[1].counter.value });
  });

  it('gets no answer at an address where no meter is', async () => {
    const c = client(16, 42, { responseTimeout: 150, maxRetries: 1 });
    await expect(c.connect()).rejects.toBeInstanceOf(LinkTimeout);
    expect(c.wire.bytes).toBe(0);
  });

  it('paces answers at the baud rate after the turnaround: n bytes take at least n × 10 / baud', async () => {
    const c = client(16, 17);
    await c.connect();
    await c.associate();
    c.wire.clear();
    const before = c.written;
    const writesBefore = c.writes.length;
    const sentAt = performance.now();
    await c.get({ classId: 15, instanceId: ASSOCIATION_LN, attributeId: 2 });
    const lastAt = c.wire.chunks.at(-1)!.at;
    // Request bytes reach the meter no earlier than the line allows, then the turnaround,
    // then the answer at the baud rate; poll frames go the same way. The lower bound holds
    // by construction; no upper bound is asserted (timers on a loaded host may be late).
    const byteMs = (10 * 1000) / BAUD;
    const lineBytes = c.written - before + c.wire.bytes;
    expect(c.wire.bytes).toBeGreaterThan(200);
    expect(lastAt - sentAt).toBeGreaterThanOrEqual(lineBytes * byteMs + TURNAROUND);
    // The first answer byte comes after the whole request, the turnaround and its own bit time.
    const request = c.writes[writesBefore];
    expect(c.wire.chunks[0].at - request.at).toBeGreaterThanOrEqual(request.length * byteMs + TURNAROUND + byteMs);
  });

  it('never lets two meters talk at once: a 1-byte (all-station) address makes every meter answer, one after the other', async () => {
    const c = client(16, 17);
    c.raw(encodeFrame({ segmented: false, dest: serverAddress(1), src: clientAddress(16), control: { type: 'SNRM', pf: true }, info: new Uint8Array(0) }));
    const deadline = performance.now() + 2000;
    while (c.wire.frames.length < meters.length && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(c.wire.frames.map((f) => f.control.type)).toEqual(meters.map(() => 'UA'));
    expect(c.wire.errors).toEqual([]);
  });
});
