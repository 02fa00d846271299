// Time sync against simulated meters with wrong clocks on a real pty bus (9600 baud), with
// a real SQLite store: each offset ends as the policy says, the meter's clock is checked
// directly afterwards, and every correction is an event. A fake session covers what the
// simulator does not do (DST, an unspecified deviation, a meter that refuses shift_time,
// an invalid clock).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessError } from '../../../shared/errors.js';
import type { CosemData } from '../../../shared/dlms/data.js';
import { type CosemDateTime, asDateTime, dateTimeFromUtc, dateTimeToUtc, encodeDateTime } from '../../../shared/dlms/datetime.js';
import { syncMeterClock, syncMeterClockOnBus } from '../../../dcu/tasks/clock-sync.js';
import type { DlmsSession } from '../../../dcu/session/session.js';
import { EventCode } from '../../../simulators/meter/events.js';
import type { RunningMeter } from '../../../simulators/meter/transport/meter-set.js';
import { type MeterBus, TestGatewayClock, openMeterBus } from '../fixtures/meter-bus.js';
import { openStore } from '../store/helpers.js';

const S = 1000;
const THRESHOLDS = { ignoreBelowS: 10, shiftUpToS: 60, correctUpToS: 600 };
/** How close a corrected meter clock must be (the read is compensated for half the round trip). */
const TOLERANCE = 500;

const OFFSETS = {
  small: 3 * S, // nothing
  shiftAhead: 40 * S, // shift_time -40
  shiftBehind: -30 * S, // shift_time +30
  setBehind: -240 * S, // set
  set: 300 * S, // set
  setCet: 300 * S, // set, on a meter in CET (deviation -60)
  far: 2 * 3600 * S, // alarm; forced: set
  unsynchronised: 40 * S,
};
const NAMES = Object.keys(OFFSETS) as (keyof typeof OFFSETS)[];

let mb: MeterBus;
const meter = (name: keyof typeof OFFSETS): RunningMeter => mb.meters[NAMES.indexOf(name)];

beforeAll(async () => {
  mb = await openMeterBus(NAMES.map((n) => ({ clock: { offsetMs: OFFSETS[n] }, ...(n === 'setCet' && { timeZoneMinutes: 60 }) })));
}, 30_000);
afterAll(async () => {
  await mb?.close();
});

const sync = (m: RunningMeter, o: { force?: boolean; clock?: TestGatewayClock } = {}) =>
  syncMeterClockOnBus({ access: mb.access, bus: mb.bus, busConfig: mb.busConfig, meter: mb.record(m), clock: o.clock ?? mb.clock, thresholds: THRESHOLDS, store: mb.store, ...(o.force !== undefined && { force: o.force }) });

const eventsOf = (m: RunningMeter, kind?: string) => mb.store.events.list({ meter: mb.record(m).id, ...(kind && { kind }) });
const clockAdjustments = (m: RunningMeter) => m.meter.events(Date.now()).filter((e) => e.code === EventCode.clockAdjustedNewTime).length;

describe('syncMeterClock over a pty bus', () => {
  it('leaves a 3 s offset alone: no write, no event', async () => {
    const m = meter('small');
    const r = await sync(m);
    expect(r.action).toBe('none');
    expect(Math.abs(r.offsetMs! - OFFSETS.small)).toBeLessThan(TOLERANCE);
    expect(Math.abs(mb.offsetOf(m) - OFFSETS.small)).toBeLessThan(5);
    expect(clockAdjustments(m)).toBe(0);
    expect(eventsOf(m)).toEqual(eventsOf(m).filter((e) => e.kind === 'meter-added'));
  }, 30_000);

  it.each([
    ['shiftAhead', -40],
    ['shiftBehind', 30],
  ] as const)('corrects %s with shift_time (%i s), verified by reading back', async (name, seconds) => {
    const m = meter(name);
    const r = await sync(m);
    expect(r).toMatchObject({ action: 'shift', shiftSeconds: seconds, forced: false });
    expect(Math.abs(r.offsetMs! - OFFSETS[name])).toBeLessThan(TOLERANCE);
    expect(Math.abs(r.residualMs!)).toBeLessThan(TOLERANCE);
    expect(Math.abs(mb.offsetOf(m))).toBeLessThan(TOLERANCE);
    expect(clockAdjustments(m)).toBe(1);
    const [event] = eventsOf(m, 'clock-corrected');
    expect(event).toMatchObject({ severity: 'info', details: { method: 'shift', shiftSeconds: seconds, verified: true } });
    expect(Math.abs((event.details.oldOffsetMs as number) - OFFSETS[name])).toBeLessThan(TOLERANCE);
    expect(Math.abs(event.details.newOffsetMs as number)).toBeLessThan(TOLERANCE);
  }, 30_000);

  it.each(['setBehind', 'set', 'setCet'] as const)('sets the clock of %s (attribute 2, the meter zone kept)', async (name) => {
    const m = meter(name);
    const r = await sync(m);
    expect(r.action).toBe('set');
    expect(Math.abs(r.offsetMs! - OFFSETS[name])).toBeLessThan(TOLERANCE);
    expect(Math.abs(r.residualMs!)).toBeLessThan(TOLERANCE);
    expect(Math.abs(mb.offsetOf(m))).toBeLessThan(TOLERANCE);
    expect(clockAdjustments(m)).toBe(1);
    // CET: time_zone and the date-time deviation are -60 (Blue Book sign, UTC = local + deviation);
    // a value written with the ISO sign would have put this meter 2 h off.
    expect(r.zone).toMatchObject(name === 'setCet' ? { timeZone: -60, deviation: -60, dst: false } : { timeZone: 0, deviation: 0 });
    expect(r.zone?.note).toBeUndefined();
    expect(eventsOf(m, 'clock-corrected')[0].details).toMatchObject({ method: 'set', verified: true, forced: false });
  }, 30_000);

  it('raises an alarm for 2 h and sets nothing; forced, sets the clock', async () => {
    const m = meter('far');
    const r = await sync(m);
    expect(r.action).toBe('alarm');
    expect(r.message).toMatch(/beyond 600 s; alarm raised, clock not set/);
    expect(Math.abs(mb.offsetOf(m) - OFFSETS.far)).toBeLessThan(5);
    expect(clockAdjustments(m)).toBe(0);
    expect(eventsOf(m, 'clock-offset-alarm')).toHaveLength(1);
    expect(eventsOf(m, 'clock-offset-alarm')[0]).toMatchObject({ severity: 'error', details: { forced: false, limitS: 600 } });
    expect(eventsOf(m, 'clock-corrected')).toHaveLength(0);

    const forced = await sync(m, { force: true });
    expect(forced).toMatchObject({ action: 'set', forced: true });
    expect(Math.abs(forced.offsetMs! - OFFSETS.far)).toBeLessThan(TOLERANCE);
    expect(Math.abs(mb.offsetOf(m))).toBeLessThan(TOLERANCE);
    expect(eventsOf(m, 'clock-offset-alarm')).toHaveLength(2);
    expect(eventsOf(m, 'clock-corrected')[0].details).toMatchObject({ method: 'set', forced: true, verified: true });
  }, 30_000);

  it('does nothing while the gateway clock is not synchronised: the bus is not even used', async () => {
    const m = meter('unsynchronised');
    const frames = mb.framesToClient();
    const r = await sync(m, { clock: new TestGatewayClock(false) });
    expect(r).toMatchObject({ action: 'not-synchronised', offsetMs: null, residualMs: null });
    expect(r.message).toMatch(/not synchronised/);
    expect(mb.framesToClient()).toBe(frames);
    expect(Math.abs(mb.offsetOf(m) - OFFSETS.unsynchronised)).toBeLessThan(5);
    expect(clockAdjustments(m)).toBe(0);

    // Also when the caller brings its own open session.
    const session = mb.access.sessionFor(mb.bus, mb.busConfig, mb.record(m));
    const direct = await syncMeterClock({ session, clock: new TestGatewayClock(false), thresholds: THRESHOLDS, meter: mb.record(m), store: mb.store });
    expect(direct.action).toBe('not-synchronised');
    expect(session.connected).toBe(false);
  }, 30_000);
});

// ---------------------------------------------------------------- a fake meter clock

/** Enough of DlmsSession for the clock: time held as an offset, what the meter reports configurable. */
class FakeClockSession {
  offsetMs: number;
  written: CosemDateTime[] = [];
  shifts: number[] = [];
  constructor(
    offsetMs: number,
    readonly zone: { timeZone: number; dst: boolean; reportDeviation: boolean; refuseShift?: boolean; invalid?: boolean },
  ) {
    this.offsetMs = offsetMs;
  }
  /** The deviation the meter shows (time_zone less 60 min under DST). */
  get deviation(): number {
    return this.zone.timeZone - (this.zone.dst ? 60 : 0);
  }
  async get(_c: number, _o: unknown, attribute: number): Promise<CosemData> {
    if (attribute === 3) return { type: 'long', value: this.zone.timeZone };
    if (attribute === 7) return { type: 'integer', value: 60 };
    const status = (this.zone.dst ? 0x80 : 0) | (this.zone.invalid ? 0x01 : 0);
    const dt = dateTimeFromUtc(Date.now() + this.offsetMs, this.deviation, status);
    return { type: 'octet-string', value: encodeDateTime(this.zone.reportDeviation ? dt : { ...dt, deviation: null }) };
  }
  async getList(items: { attributeId: number }[]): Promise<CosemData[]> {
    return Promise.all(items.map((i) => this.get(8, null, i.attributeId)));
  }
  async set(_c: number, _o: unknown, _a: number, value: CosemData): Promise<void> {
    const dt = asDateTime(value)!;
    this.written.push(dt);
    this.offsetMs = dateTimeToUtc(dt, this.deviation)! - Date.now();
    this.zone.invalid = false;
  }
  async action(_c: number, _o: unknown, method: number, p?: CosemData): Promise<CosemData | null> {
    if (this.zone.refuseShift) throw new AccessError('ACTION refused by the meter: object-unavailable', 'object-unavailable', 11);
    expect(method).toBe(6);
    expect(p?.type).toBe('long');
    this.shifts.push((p as { value: number }).value);
    this.offsetMs += (p as { value: number }).value * 1000;
    return null;
  }
}

describe('syncMeterClock: the date-time written', () => {
  const run = async (fake: FakeClockSession, force = false) => {
    const store = openStore({ clock: Date.now });
    const m = store.meters.upsert({ serial: 'FAKE-1' }).meter;
    const result = await syncMeterClock({ session: fake as unknown as DlmsSession, clock: new TestGatewayClock(), thresholds: THRESHOLDS, meter: m, store, force, sleep: async () => {} });
    return { result, events: store.events.list({ meter: m.id }) };
  };

  it('keeps daylight saving as the meter reports it: CEST deviation -120 with the DST bit', async () => {
    const fake = new FakeClockSession(200 * S, { timeZone: -60, dst: true, reportDeviation: true });
    const { result } = await run(fake);
    expect(result).toMatchObject({ action: 'set', zone: { timeZone: -60, dstDeviation: 60, deviation: -120, dst: true } });
    const [w] = fake.written;
    expect(w.deviation).toBe(-120);
    expect(w.clockStatus).toBe(0x80);
    // local = UTC + 2 h
    const utc = dateTimeToUtc(w)!;
    expect((w.hour! - new Date(utc).getUTCHours() + 24) % 24).toBe(2);
    expect(Math.abs(result.residualMs!)).toBeLessThan(100);
  });

  it('writes local time with the deviation unspecified to a meter that sends it so', async () => {
    const fake = new FakeClockSession(-500 * S, { timeZone: -60, dst: false, reportDeviation: false });
    const { result } = await run(fake);
    expect(result.action).toBe('set');
    expect(Math.abs(result.offsetMs! + 500 * S)).toBeLessThan(100);
    const [w] = fake.written;
    expect(w.deviation).toBeNull();
    expect(Math.abs(dateTimeToUtc(w, -60)! - Date.now())).toBeLessThan(1500);
    expect(Math.abs(result.residualMs!)).toBeLessThan(100);
  });

  it('sets the clock when the meter refuses shift_time, and says so in the event', async () => {
    const fake = new FakeClockSession(20 * S, { timeZone: 0, dst: false, reportDeviation: true, refuseShift: true });
    const { result, events } = await run(fake);
    expect(result.action).toBe('set');
    expect(events.find((e) => e.kind === 'clock-corrected')?.details).toMatchObject({ method: 'set', shiftRefused: expect.stringMatching(/object-unavailable/) });
  });

  it('shifts by whole seconds with the Blue Book sign (positive = forward)', async () => {
    const fake = new FakeClockSession(-12_400, { timeZone: 0, dst: false, reportDeviation: true });
    const { result } = await run(fake);
    expect(fake.shifts).toEqual([12]);
    expect(result).toMatchObject({ action: 'shift', shiftSeconds: 12 });
    expect(Math.abs(result.residualMs! + 400)).toBeLessThan(100);
  });

  it('treats a clock the meter marks invalid as unreadable: an alarm, set only when forced', async () => {
    const fake = new FakeClockSession(0, { timeZone: 0, dst: false, reportDeviation: true, invalid: true });
    const { result, events } = await run(fake);
    expect(result).toMatchObject({ action: 'alarm', offsetMs: null });
    expect(fake.written).toHaveLength(0);
    expect(events.map((e) => e.kind)).toContain('clock-offset-alarm');
    const forced = await run(fake, true);
    expect(forced.result).toMatchObject({ action: 'set', forced: true });
    expect(fake.written).toHaveLength(1);
    expect(Math.abs(forced.result.residualMs!)).toBeLessThan(100);
  });

  it('notes a deviation that does not fit time_zone (the ISO sign), and still uses what the meter sends', async () => {
    const fake = new FakeClockSession(100 * S, { timeZone: 60, dst: false, reportDeviation: true });
    // The meter reports time_zone +60 but its date-time carries -60 (deviation getter uses timeZone): flip it.
    Object.defineProperty(fake, 'deviation', { get: () => -60 });
    const { result } = await run(fake);
    expect(result.zone?.note).toMatch(/opposite sign/);
    expect(result.action).toBe('set');
    expect(Math.abs(result.residualMs!)).toBeLessThan(100);
  });
});
