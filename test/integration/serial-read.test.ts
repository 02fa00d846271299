// The DCU's DLMS client reads simulated meters over a real serial line: socat pty pair,
// the real serialport package on both ends, 9600 baud pacing and 20 ms turnaround.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecurityError } from '../../shared/errors.js';
import { Obis, parseObis } from '../../shared/dlms/obis.js';
import { readClock, readProfile, readRegister, readRegisters, readRelay, switchRelay } from '../../dcu/session/readers.js';
import { AccessError } from '../../shared/errors.js';
import { type Bus, openBus } from './helpers.js';
import { expected, readBracketed } from '../simulators/transport/real-meters.js';

const REGISTERS = ['1.0.1.8.0.255', '1.0.1.8.1.255', '1.0.1.8.2.255', '1.0.1.8.3.255', '1.0.1.8.4.255', '1.0.2.8.0.255'].map(parseObis);
const DAY = 86_400_000;

let bus: Bus;
beforeAll(async () => {
  bus = await openBus(8);
}, 30_000);
afterAll(async () => {
  await bus?.close();
});

describe('reading meters over a serial line (pty, 9600 baud)', () => {
  it('reads the clock and every register with its scaler and unit (reader client, LLS)', async () => {
    const m = bus.meters[0];
    const s = bus.session(m, 17);
    await s.connect();
    try {
      const before = Date.now();
      const clock = await readClock(s);
      expect(clock.utc).not.toBeNull();
      expect(Math.abs(clock.utc! - before)).toBeLessThan(5000);
      for (const obis of REGISTERS) {
        let r!: Awaited<ReturnType<typeof readRegister>>;
        await readBracketed(m, { classId: 3, instanceId: obis, attributeId: 2 }, 17, async () => (r = await readRegister(s, obis)).raw);
        expect(r.unit).toBe('Wh');
        expect(r.value).toBeGreaterThanOrEqual(0);
      }
      expect((await readRegister(s, REGISTERS[0])).value).toBeGreaterThan(0);
      const total = await readRegister(s, REGISTERS[0]);
      const tariffs = await Promise.all(REGISTERS.slice(1, 5).map(async (o) => (await readRegister(s, o)).value!));
      expect(tariffs.reduce((a, b) => a + b, 0)).toBe(total.value);
    } finally {
      await s.close();
    }
  }, 60_000);

  it('reads every register with GET-with-list (a request per 10 attributes), as single GETs would, and falls back to single GETs', async () => {
    const m = bus.meters[6];
    const s = bus.session(m, 17);
    await s.connect();
    try {
      expect(s.canGetList).toBe(true);
      const before = await Promise.all(REGISTERS.map((o) => readRegister(s, o)));
      const frames = bus.bus.stats.framesToClient;
      const list = await readRegisters(s, REGISTERS);
      expect(bus.bus.stats.framesToClient - frames).toBe(2); // 12 attributes: 10 + 2, one answer frame each
      const after = await Promise.all(REGISTERS.map((o) => readRegister(s, o)));
      list.forEach((r, i) => {
        expect(r.obis).toBe(REGISTERS[i]);
        expect({ unit: r.unit, scaler: r.scaler, type: r.raw.type }).toEqual({ unit: before[i].unit, scaler: before[i].scaler, type: before[i].raw.type });
        expect(r.value).toBeGreaterThanOrEqual(before[i].value!);
        expect(r.value).toBeLessThanOrEqual(after[i].value!);
      });
      // One answer is one instant of the meter: the tariffs add up to the total exactly.
      expect(list.slice(1, 5).reduce((a, r) => a + r.value!, 0)).toBe(list[0].value);
      // A refused attribute is a value of its own; the others still come.
      const mixed = await s.getList([
        { classId: 3, instanceId: REGISTERS[0], attributeId: 3 },
        { classId: 3, instanceId: parseObis('1.0.99.99.99.255'), attributeId: 2 },
      ]);
      expect(mixed[0]).toEqual({ type: 'structure', value: [{ type: 'integer', value: before[0].scaler }, { type: 'enum', value: before[0].unitCode }] });
      expect(mixed[1]).toBeInstanceOf(AccessError);
      expect((mixed[1] as AccessError).message).toContain(`meter ${m.serial}`);
    } finally {
      await s.close();
    }
    const single = bus.session(m, 17, { maxListItems: 1 });
    await single.connect();
    try {
      expect(single.canGetList).toBe(false);
      const frames = bus.bus.stats.framesToClient;
      const list = await readRegisters(single, REGISTERS);
      expect(bus.bus.stats.framesToClient - frames).toBe(12);
      expect(list.map((r) => r.unit)).toEqual(REGISTERS.map(() => 'Wh'));
    } finally {
      await single.close();
    }
  }, 60_000);

  it('reads a 1-day load profile by range (96 rows, block transfer, HDLC segmentation) and by entry', async () => {
    const m = bus.meters[1];
    const s = bus.session(m, 17, { proposal: { maxInfoTx: 128, maxInfoRx: 128, windowTx: 1, windowRx: 1 } });
    await s.connect();
    try {
      const dayStart = Math.floor(Date.now() / DAY) * DAY - DAY;
      const byRange = await readProfile(s, Obis.loadProfile, { kind: 'range', from: dayStart, to: dayStart + DAY - 15 * 60_000 });
      expect(byRange.rows).toHaveLength(96);
      expect(byRange.columns[0]).toMatchObject({ classId: 8, logicalName: Obis.clock, attributeIndex: 2 });
      const direct = m.meter.objects.get({ classId: 7, instanceId: Obis.loadProfile, attributeId: 2 }, undefined, { clientSap: 17, authentication: 'low', now: Date.now() });
      if (!('data' in direct) || direct.data.type !== 'array') throw new Error('model has no profile');
      const modelRows = direct.data.value.map((r) => (r.type === 'structure' ? r.value : []));
      const first = modelRows.findIndex((r) => JSON.stringify(r[0]) === JSON.stringify(byRange.rows[0][0]));
      expect(first).toBeGreaterThanOrEqual(0);
      expect(byRange.rows).toEqual(modelRows.slice(first, first + 96));
      const byEntry = await readProfile(s, Obis.loadProfile, { kind: 'entries', from: first + 1, to: first + 4 });
      expect(byEntry.rows).toEqual(modelRows.slice(first, first + 4));
    } finally {
      await s.close();
    }
  }, 120_000);

  it('reads the standard event log', async () => {
    const m = bus.meters[2];
    const s = bus.session(m, 17);
    await s.connect();
    try {
      const log = await readProfile(s, Obis.standardEventLog);
      const direct = expected(m, { classId: 7, instanceId: Obis.standardEventLog, attributeId: 2 }, 17);
      expect({ type: 'array', value: log.rows.map((value) => ({ type: 'structure', value })) }).toEqual(direct);
    } finally {
      await s.close();
    }
  }, 60_000);

  it('disconnects and reconnects the relay with the state read back (management client, HLS-GMAC)', async () => {
    const m = bus.meters[3];
    const s = bus.session(m, 1);
    await s.connect();
    try {
      expect(await readRelay(s)).toEqual({ outputState: true, controlState: 1 });
      expect(await switchRelay(s, false)).toEqual({ outputState: false, controlState: 0 });
      // Control mode 1 (Blue Book IC 70): a remote reconnect only makes the relay ready for
      // reconnection (transition d); the customer closes it by hand.
      expect(await switchRelay(s, true)).toEqual({ outputState: false, controlState: 2 });
      // Control mode 2: remote reconnect closes the relay at once (transition a).
      await s.set(70, Obis.disconnectControl, 4, { type: 'enum', value: 2 });
      expect(await switchRelay(s, false)).toEqual({ outputState: false, controlState: 0 });
      expect(await switchRelay(s, true)).toEqual({ outputState: true, controlState: 1 });
    } finally {
      await s.close();
    }
  }, 60_000);

  it('opens each of the three associations and sees its own view', async () => {
    const m = bus.meters[4];
    for (const sap of [16, 17, 1] as const) {
      const s = bus.session(m, sap);
      const negotiated = await s.connect();
      expect(negotiated.serverMaxReceivePduSize).toBeGreaterThan(0);
      const serial = await s.get(1, Obis.serialNumber, 2);
      expect(serial).toEqual(expected(m, { classId: 1, instanceId: Obis.serialNumber, attributeId: 2 }, sap));
      const list = await s.get(15, Obis.associationLn, 2);
      expect(list).toEqual(expected(m, { classId: 15, instanceId: Obis.associationLn, attributeId: 2 }, sap));
      await s.close();
    }
  }, 60_000);

  it('names the meter and the cause for a wrong password and a wrong key', async () => {
    const m = bus.meters[5];
    const lls = bus.session(m, 17, { association: { password: new TextEncoder().encode('nope') } });
    const e1 = await lls.connect().catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(SecurityError);
    expect((e1 as Error).message).toContain(`meter ${m.serial}`);
    expect((e1 as Error).message).toMatch(/wrong password/);
    await lls.close();
    const hls = bus.session(m, 1, { association: { security: { systemTitle: new Uint8Array(8).fill(1), blockCipherKey: new Uint8Array(16), authenticationKey: new Uint8Array(16), counter: new (await import('../../shared/dlms/security/invocation-counter.js')).SendingCounter(1), guard: new (await import('../../shared/dlms/security/invocation-counter.js')).ReplayGuard() } } });
    const e2 = await hls.connect().catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(SecurityError);
    expect((e2 as Error).message).toContain(`meter ${m.serial}`);
    await hls.close();
  }, 60_000);

  it('reads 8 meters on one bus in turn', async () => {
    for (const m of bus.meters) {
      const s = bus.session(m, 16);
      await s.connect();
      expect(await s.get(1, Obis.logicalDeviceName, 2)).toEqual(expected(m, { classId: 1, instanceId: Obis.logicalDeviceName, attributeId: 2 }, 16));
      await s.close();
    }
  }, 120_000);
});
