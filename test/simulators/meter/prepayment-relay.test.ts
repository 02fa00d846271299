// Credit and relay of a simulated prepayment meter, through a real DLMS association: the
// credit falls with the energy the meter registers, the relay opens when it is exhausted
// (IC 70 local_disconnect) but never inside a friendly period, and a purchase that brings
// the credit above zero closes it again (local_reconnect, control mode 5).
import { describe, expect, it } from 'vitest';
import { Obis } from '../../../shared/dlms/obis.js';
import { ControlState } from '../../../simulators/meter/disconnect.js';
import { EventCode } from '../../../simulators/meter/events.js';
import type { SimulatedMeter } from '../../../simulators/meter/meter.js';
import { ACCOUNT, CREDIT, DAY, HOUR, LIFE, MINUTE, credit, creditToken, enterAndRead, openPrepaid, prepaidBenches, relay } from './prepayment-helpers.js';

const bench = prepaidBenches();

const PREPAID = { prepayment: { mode: 'prepayment' as const, initialCreditWh: 3_000 } };
const { connected, readyForReconnection, disconnected } = ControlState;

function relayEvents(m: SimulatedMeter, now: number): { time: number; code: number }[] {
  const codes: number[] = [EventCode.localDisconnection, EventCode.localReconnection, EventCode.remoteDisconnection, EventCode.manualConnection];
  return m.events(now).filter((e) => codes.includes(e.code));
}

/** Import energy the model registers in [from, to) with the relay closed. */
const used = (m: SimulatedMeter, from: number, to: number) => m.model.energy(to).importTotal - m.model.energy(from).importTotal;

const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

describe('credit runs out', () => {
  it('opens the relay (local disconnect) at the first instant the credit is exhausted; nothing is drawn after', async () => {
    const b = await bench(PREPAID);
    const s = await b.session(17);
    const m = b.running.meter;
    expect(await relay(s)).toEqual({ output: false, control: readyForReconnection });
    const [off] = relayEvents(m, b.clock.now);
    expect(off.code).toBe(EventCode.localDisconnection);
    // Exactly when the energy since the start of life reached the credit.
    expect(used(m, LIFE, off.time)).toBeGreaterThanOrEqual(3_000);
    expect(used(m, LIFE, off.time - 1)).toBeLessThan(3_000);
    const left = 3_000 - used(m, LIFE, off.time);
    expect(await credit(s)).toBe(left);
    b.clock.now += DAY;
    expect(await credit(s)).toBe(left); // the relay is open: no energy, no credit drawn
    expect(await s.get(112, CREDIT, 8)).toEqual({ type: 'enum', value: 4 }); // exhausted
    const status = await s.get(111, ACCOUNT, 4);
    expect(status.type === 'bit-string' && status.value.bytes[0]).toBe(0x40 | 0x02); // low credit, out of credit
    expect(await s.get(111, ACCOUNT, 2)).toEqual({ type: 'structure', value: [{ type: 'enum', value: 2 }, { type: 'enum', value: 2 }] });
    expect(await s.get(70, Obis.disconnectControl, 4)).toEqual({ type: 'enum', value: 5 });
  }, 30_000);

  it('is evaluated lazily: reading often or once, across a restart, gives the same disconnection', async () => {
    const once = await bench(PREPAID);
    const [expected] = relayEvents(once.running.meter, once.clock.now);

    const often = await openPrepaid(PREPAID, undefined, LIFE + HOUR);
    const s = await often.session(17);
    while (often.clock.now < expected.time - 2 * HOUR) {
      expect((await relay(s)).control).toBe(connected);
      expect(await credit(s)).toBe(3_000 - used(often.running.meter, LIFE, often.clock.now));
      often.clock.now += 47 * MINUTE;
    }
    await often.stop();
    const resumed = await bench(PREPAID, often.stateDir, LIFE + 10 * DAY);
    const s2 = await resumed.session(17);
    expect((await relay(s2)).control).toBe(readyForReconnection);
    expect(relayEvents(resumed.running.meter, resumed.clock.now)).toEqual([expected]);
  }, 60_000);
});

describe('friendly periods', () => {
  it('a night window keeps the relay closed; it opens when the window ends, still without credit', async () => {
    const plain = await bench(PREPAID);
    const [ranOut] = relayEvents(plain.running.meter, plain.clock.now);
    // A daily window from the hour before to three hours after the credit runs out.
    const from = Math.floor(ranOut.time / HOUR) * HOUR - HOUR;
    const to = from + 4 * HOUR;
    const friendly = { daily: [{ from: hhmm(from), to: hhmm(to) }], weekdays: [], holidays: [], timeZoneMinutes: 0 };
    const b = await bench({ ...PREPAID, friendlyPeriods: friendly }, undefined, ranOut.time + HOUR);
    const s = await b.session(17);
    const m = b.running.meter;
    expect(await relay(s)).toEqual({ output: true, control: connected });
    expect(await credit(s)).toBe(3_000 - used(m, LIFE, b.clock.now)); // below zero, still drawn
    expect(await credit(s)).toBeLessThan(0);

    b.clock.now = to - 1;
    expect((await relay(s)).control).toBe(connected);
    b.clock.now = to + MINUTE;
    expect(await relay(s)).toEqual({ output: false, control: readyForReconnection });
    expect(relayEvents(m, b.clock.now)).toEqual([{ time: to, code: EventCode.localDisconnection }]);
    expect(await credit(s)).toBe(3_000 - used(m, LIFE, to));
  }, 30_000);

  it('a holiday is friendly for the whole local day (UTC+01:00): the relay opens at local midnight', async () => {
    const plain = await bench(PREPAID);
    const [ranOut] = relayEvents(plain.running.meter, plain.clock.now);
    const local = ranOut.time + HOUR;
    const holiday = new Date(local).toISOString().slice(0, 10);
    const nextLocalMidnight = Date.parse(`${holiday}T00:00:00Z`) + DAY - HOUR;
    const b = await bench({ ...PREPAID, friendlyPeriods: { daily: [], weekdays: [], holidays: [holiday], timeZoneMinutes: 60 } }, undefined, nextLocalMidnight + HOUR);
    const s = await b.session(17);
    expect((await relay(s)).control).toBe(readyForReconnection);
    expect(relayEvents(b.running.meter, b.clock.now)).toEqual([{ time: nextLocalMidnight, code: EventCode.localDisconnection }]);
  }, 30_000);
});

describe('a purchase reconnects', () => {
  it('a token that brings the credit above zero closes the relay (local reconnect); one that does not, does not', async () => {
    const plain = await bench(PREPAID);
    const [ranOut] = relayEvents(plain.running.meter, plain.clock.now);
    const to = Math.floor(ranOut.time / HOUR) * HOUR + 3 * HOUR;
    const friendly = { daily: [{ from: hhmm(to - 5 * HOUR), to: hhmm(to) }], weekdays: [], holidays: [], timeZoneMinutes: 0 };
    const b = await bench({ ...PREPAID, friendlyPeriods: friendly }, undefined, to + HOUR);
    const m = b.running.meter;
    const mgmt = await b.session(1);
    const debt = await credit(mgmt);
    expect(debt).toBeLessThan(-100); // used inside the friendly window

    // 0.1 kWh is not enough.
    expect((await enterAndRead(mgmt, creditToken(m.sts.decoderKey, 0.1, b.clock.now - MINUTE))).status).toBe(3);
    expect(await credit(mgmt)).toBe(debt + 100);
    expect((await relay(mgmt)).control).toBe(readyForReconnection);

    b.clock.now += MINUTE;
    expect((await enterAndRead(mgmt, creditToken(m.sts.decoderKey, 20, b.clock.now))).status).toBe(3);
    const reconnectedAt = b.clock.now;
    expect(await relay(mgmt)).toEqual({ output: true, control: connected });
    expect(await credit(mgmt)).toBe(debt + 20_100);
    expect(relayEvents(m, b.clock.now).map((e) => e.code)).toEqual([EventCode.localDisconnection, EventCode.localReconnection]);
    expect(relayEvents(m, b.clock.now)[1].time).toBe(reconnectedAt);

    // Consumption draws the new credit down again.
    b.clock.now += 2 * HOUR;
    expect(await credit(mgmt)).toBe(debt + 20_100 - used(m, reconnectedAt, b.clock.now));
  }, 30_000);

  it('does not undo a remote disconnection', async () => {
    const b = await bench({ prepayment: { mode: 'prepayment', initialCreditWh: 1_000_000 } });
    const mgmt = await b.session(1);
    await mgmt.action(70, Obis.disconnectControl, 1, { type: 'integer', value: 0 });
    expect((await enterAndRead(mgmt, creditToken(b.running.meter.sts.decoderKey, 5, b.clock.now))).status).toBe(3);
    expect((await relay(mgmt)).control).toBe(disconnected);
  }, 30_000);

  it('control mode 1 (no local reconnection): after a purchase the customer presses the button', async () => {
    const b = await bench({ prepayment: { mode: 'prepayment', initialCreditWh: 0 }, controlMode: 1 });
    const mgmt = await b.session(1);
    expect((await relay(mgmt)).control).toBe(readyForReconnection);
    expect((await enterAndRead(mgmt, creditToken(b.running.meter.sts.decoderKey, 5, b.clock.now))).status).toBe(3);
    expect((await relay(mgmt)).control).toBe(readyForReconnection);
    expect(b.running.meter.trigger('manual-reconnect', b.clock.now)).toBe(true);
    expect(await relay(mgmt)).toEqual({ output: true, control: connected });
  }, 30_000);
});

describe('payment mode', () => {
  it('a postpaid meter draws nothing and never disconnects; switching it to prepayment over DLMS starts both', async () => {
    const b = await bench({ prepayment: { initialCreditWh: 500 } });
    const mgmt = await b.session(1);
    expect(await credit(mgmt)).toBe(500);
    expect((await relay(mgmt)).control).toBe(connected);
    const prepaid = { type: 'structure' as const, value: [{ type: 'enum' as const, value: 2 }, { type: 'enum' as const, value: 2 }] };
    await mgmt.set(111, ACCOUNT, 2, prepaid);
    const switchedAt = b.clock.now;
    b.clock.now += 10 * DAY;
    expect((await relay(mgmt)).control).toBe(readyForReconnection);
    const [off] = relayEvents(b.running.meter, b.clock.now);
    expect(used(b.running.meter, switchedAt, off.time)).toBeGreaterThanOrEqual(500);
    expect(used(b.running.meter, switchedAt, off.time - 1)).toBeLessThan(500);
    // Back to postpaid: control mode 1 has no local reconnection, so the customer closes the relay.
    await mgmt.set(111, ACCOUNT, 2, { ...prepaid, value: [{ type: 'enum', value: 1 }, { type: 'enum', value: 2 }] });
    expect(await mgmt.get(111, ACCOUNT, 2)).toEqual({ type: 'structure', value: [{ type: 'enum', value: 1 }, { type: 'enum', value: 2 }] });
    expect((await relay(mgmt)).control).toBe(readyForReconnection);
    expect(b.running.meter.trigger('manual-reconnect', b.clock.now)).toBe(true);
    b.clock.now += 10 * DAY;
    expect((await relay(mgmt)).control).toBe(connected); // postpaid: never disconnected for credit
    await expect(mgmt.set(111, ACCOUNT, 2, { ...prepaid, value: [{ type: 'enum', value: 3 }, { type: 'enum', value: 2 }] })).rejects.toMatchObject({ result: 'other-reason' });
  }, 30_000);
});
