// Time synchronisation of one meter against the gateway clock (the authority, but only
// while it is synchronised: no meter clock is ever set from an unsynchronised gateway).
//
// Measure: GET clock.time (IC 8 attribute 2) with the gateway time taken before and after;
// the meter's answer is taken to describe the middle of that round trip, so half of it is
// compensated. A round trip that took unusually long (a retransmission, a reconnect) is
// measured again, and the shortest of up to three is kept.
//
// Policy (config.timeSync, per meter if the caller passes other thresholds), on |offset|:
//   < ignoreBelowS            nothing
//   ≤ shiftUpToS              shift_time (IC 8 method 6, long seconds, ±900): the Blue Book
//                             says it "shifts the time by n (-900 <= n <= 900) s", i.e. the
//                             meter's time becomes time + n; a meter 40 s ahead gets n = -40
//   ≤ correctUpToS            SET clock.time to the gateway time (a meter that refuses
//                             shift_time gets this too)
//   beyond, or unreadable     an alarm event and nothing else, unless forced (then SET)
// Every correction is verified by reading the clock again and is an event with the offsets
// before and after and the method used.
//
// Writing a date-time. The value written keeps the meter's own way of stating its zone:
//   - time_zone (attribute 3) is read: the deviation of local standard time, in the sign of
//     shared/dlms/datetime.ts (UTC = local + deviation; CET = -60, New York +300). The
//     simulator (and Gurux, and dlms-cosem) use this sign for both attribute 3 and the
//     deviation field of a date-time.
//   - The deviation field and the daylight-saving bit (clock_status 0x80) of the meter's own
//     reading say what it currently shows: with DST active the deviation is
//     time_zone - daylight_savings_deviation (CEST = -120).
//   - So the value written is the gateway instant as local time at the deviation the meter
//     reported, with that deviation in the field and the DST bit as the meter reported it;
//     invalid/doubtful bits are cleared (the time is now right). A meter that leaves the
//     deviation unspecified (0x8000) gets local time at time_zone (less
//     daylight_savings_deviation, attribute 7, when it reports DST) with the deviation left
//     unspecified, as it sends it; its readings are read the same way.
//   - A reported deviation that fits neither time_zone nor time_zone - DST is noted in the
//     result and events (a meter using the ISO sign shows -time_zone): the instant is still
//     computed from the deviation in the meter's own date-time, which is what the meter
//     itself will apply to the value written.
//   The SET goes out at a whole second (waiting < 1 s), hundredths 0, so a meter that
//   ignores hundredths is as right as one that honours them.
import { AccessError, ProtocolError } from '../../shared/errors.js';
import { type CosemDateTime, ClockStatus, asDateTime, dateTimeFromUtc, dateTimeToUtc, encodeDateTime } from '../../shared/dlms/datetime.js';
import { Obis } from '../../shared/dlms/obis.js';
import type { CosemData } from '../../shared/dlms/data.js';
import type { GatewayClock } from '../clock/gateway-clock.js';
import type { DcuConfig } from '../config.js';
import type { MeterLink } from '../links/bus.js';
import type { LinkConfig, MeterAccess } from '../meters/access.js';
import { AnswerLost, type DlmsSession } from '../session/session.js';
import type { DcuStore, MeterRecord } from '../store/index.js';

export type ClockSyncThresholds = Pick<DcuConfig['timeSync'], 'ignoreBelowS' | 'shiftUpToS' | 'correctUpToS'>;

export type ClockSyncAction = 'none' | 'shift' | 'set' | 'alarm' | 'not-synchronised';

export interface ClockSyncOptions {
  /** An associated session with the meter (the caller holds the bus, connects and closes). */
  session: DlmsSession;
  clock: GatewayClock;
  thresholds: ClockSyncThresholds;
  /** Correct an offset beyond correctUpToS (or an unreadable meter clock) by setting the clock. */
  force?: boolean;
  meter: Pick<MeterRecord, 'id' | 'serial'>;
  store: DcuStore;
  /** Round trips longer than this are measured again (up to 3 reads), ms. Default 2000. */
  maxRoundTripMs?: number;
  /** Waits (whole-second alignment of a SET); tests may replace it. */
  sleep?: (ms: number) => Promise<void>;
}

/** How the meter states its zone, as read. */
export interface MeterZone {
  /** Attribute 3 time_zone, minutes, Blue Book sign (CET = -60); null if the meter refused it. */
  timeZone: number | null;
  /** Attribute 7 daylight_savings_deviation, minutes (60 if the meter refused it). */
  dstDeviation: number;
  /** Deviation field of the meter's date-time, null = not specified. */
  deviation: number | null;
  /** Daylight saving active, per the meter's clock_status. */
  dst: boolean;
  /** Set when the reported deviation fits neither time_zone nor time_zone with DST. */
  note?: string;
}

export interface ClockSyncResult {
  /** Meter time − gateway time before any correction, ms (positive: the meter is ahead); null if not measured or unreadable. */
  offsetMs: number | null;
  action: ClockSyncAction;
  /** Offset after the correction, as read back; for 'none'/'alarm' the offset left; null if not known. */
  residualMs: number | null;
  /** The correction was made because `force` was given. */
  forced: boolean;
  /** Seconds passed to shift_time (action 'shift'). */
  shiftSeconds?: number;
  /** Round trip of the measuring read, ms (the offset is uncertain by about half of it). */
  roundTripMs?: number;
  zone?: MeterZone;
  /** One line for logs and operators. */
  message: string;
}

interface Measurement {
  offsetMs: number | null;
  roundTripMs: number;
  dateTime: CosemDateTime;
}

const MAX_SHIFT_S = 900;
const DST_DEVIATION_DEFAULT = 60;

/**
 * Checks the meter's clock against the gateway clock and corrects it by policy. Link and
 * protocol errors of the measuring read throw (the caller records them); a failed
 * verification read leaves residualMs null and is noted in the event.
 */
export async function syncMeterClock(o: ClockSyncOptions): Promise<ClockSyncResult> {
  const { session, clock, thresholds, store, meter } = o;
  const force = o.force ?? false;
  if (!(await clock.synchronised())) {
    return { offsetMs: null, action: 'not-synchronised', residualMs: null, forced: false, message: `meter ${meter.serial}: gateway clock is not synchronised; the meter clock was neither checked nor set` };
  }
  const zone = await readZone(session);
  const first = await measure(session, clock, zone, o.maxRoundTripMs ?? 2000);
  zone.deviation = first.dateTime.deviation;
  zone.dst = first.dateTime.clockStatus !== null && (first.dateTime.clockStatus & ClockStatus.daylightSavingActive) !== 0;
  const note = zoneNote(zone);
  if (note) zone.note = note;
  const offset = first.offsetMs;
  const base = { offsetMs: offset, roundTripMs: first.roundTripMs, zone };
  const abs = offset === null ? Infinity : Math.abs(offset);

  if (abs < thresholds.ignoreBelowS * 1000) {
    return { ...base, action: 'none', residualMs: offset, forced: false, message: `meter ${meter.serial}: offset ${seconds(offset)} is below ${thresholds.ignoreBelowS} s; nothing done` };
  }

  let forced = false;
  if (abs > thresholds.correctUpToS * 1000) {
    const what = offset === null ? `clock unreadable (${describe(first.dateTime)}), so its offset is unknown` : `offset ${seconds(offset)} is beyond ${thresholds.correctUpToS} s`;
    store.events.append({
      meter: meter.id,
      kind: 'clock-offset-alarm',
      severity: 'error',
      details: { serial: meter.serial, offsetMs: offset, limitS: thresholds.correctUpToS, forced: force, roundTripMs: first.roundTripMs, zone },
    });
    if (!force) {
      return { ...base, action: 'alarm', residualMs: offset, forced: false, message: `meter ${meter.serial}: ${what}; alarm raised, clock not set (force to set it)` };
    }
    forced = true;
  }

  // The gateway clock may have lost its synchronisation while the meter was read.
  if (!(await clock.synchronised())) {
    return { ...base, action: 'not-synchronised', residualMs: offset, forced: false, message: `meter ${meter.serial}: gateway clock lost its synchronisation; the meter clock (offset ${seconds(offset)}) was not set` };
  }
  let method: 'shift' | 'set' = !forced && offset !== null && abs <= thresholds.shiftUpToS * 1000 ? 'shift' : 'set';
  let shiftSeconds: number | undefined;
  let shiftRefused: string | undefined;
  if (method === 'shift') {
    shiftSeconds = -Math.round(offset! / 1000);
    if (shiftSeconds === 0) {
      return { ...base, action: 'none', residualMs: offset, forced: false, message: `meter ${meter.serial}: offset ${seconds(offset)} rounds to 0 s; nothing done` };
    }
    try {
      // Not idempotent (a second shift_time shifts again): never re-sent. If its answer was
      // lost after the meter took it, the clock is set instead, which is right either way.
      await session.action(8, Obis.clock, 6, { type: 'long', value: Math.max(-MAX_SHIFT_S, Math.min(MAX_SHIFT_S, shiftSeconds)) });
    } catch (e) {
      if (!(e instanceof AccessError || e instanceof AnswerLost)) throw e;
      shiftRefused = e.message;
      method = 'set';
      shiftSeconds = undefined;
    }
  }
  let setAnswerLost: string | undefined;
  if (method === 'set') {
    try {
      await setClock(session, clock, zone, first, o.sleep ?? sleep);
    } catch (e) {
      // The meter took the time but its answer was lost: reading the clock back tells the rest.
      if (!(e instanceof AnswerLost)) throw e;
      setAnswerLost = e.message;
    }
  }

  let residual: number | null = null;
  let verifyError: string | undefined;
  try {
    residual = (await measure(session, clock, zone, o.maxRoundTripMs ?? 2000)).offsetMs;
  } catch (e) {
    verifyError = (e as Error).message;
  }
  const verified = residual !== null && Math.abs(residual) < Math.max(thresholds.ignoreBelowS * 1000, 1000);
  store.events.append({
    meter: meter.id,
    kind: 'clock-corrected',
    severity: verified ? 'info' : 'warning',
    details: {
      serial: meter.serial,
      method,
      oldOffsetMs: offset,
      newOffsetMs: residual,
      forced,
      verified,
      roundTripMs: first.roundTripMs,
      ...(shiftSeconds !== undefined && { shiftSeconds }),
      ...(shiftRefused && { shiftRefused }),
      ...(setAnswerLost && { setAnswerLost }),
      ...(verifyError && { verifyError }),
      zone,
    },
  });
  const how = method === 'shift' ? `shift_time ${shiftSeconds! > 0 ? '+' : ''}${shiftSeconds} s` : `clock set${shiftRefused ? ' (shift_time refused)' : ''}${forced ? ' (forced)' : ''}`;
  const after = residual === null ? `not verified: ${verifyError ?? 'unreadable'}` : `now ${seconds(residual)}`;
  return {
    ...base,
    action: method,
    residualMs: residual,
    forced,
    ...(shiftSeconds !== undefined && { shiftSeconds }),
    message: `meter ${meter.serial}: offset ${offset === null ? 'unknown (clock unreadable)' : seconds(offset)}, ${how}, ${after}`,
  };
}

export interface ClockSyncOnBusOptions extends Omit<ClockSyncOptions, 'session' | 'meter'> {
  access: MeterAccess;
  bus: MeterLink;
  busConfig: LinkConfig;
  meter: MeterRecord;
  /** Bus priority; default 2 (relay and time). */
  priority?: number;
}

/**
 * The whole job for one meter: checks the gateway clock first (an unsynchronised gateway
 * does not even take the bus), then takes the bus, opens a session, syncs, closes. The
 * meter's communication statistics are updated; errors are rethrown after that.
 */
export async function syncMeterClockOnBus(o: ClockSyncOnBusOptions): Promise<ClockSyncResult> {
  if (!(await o.clock.synchronised())) {
    return { offsetMs: null, action: 'not-synchronised', residualMs: null, forced: false, message: `meter ${o.meter.serial}: gateway clock is not synchronised; the meter clock was neither checked nor set` };
  }
  return o.bus.exclusive(async () => {
    const session = o.access.controlSessionFor(o.bus, o.busConfig, o.meter);
    try {
      await session.connect();
      const result = await syncMeterClock({ ...o, session });
      o.store.meters.recordExchange(o.meter.id, { ok: true });
      return result;
    } catch (e) {
      o.store.meters.recordExchange(o.meter.id, { ok: false, error: (e as Error).message });
      throw e;
    } finally {
      await session.close();
      o.access.saveReceived();
    }
  }, o.priority ?? 2);
}

// ---------------------------------------------------------------- helpers

async function readZone(session: DlmsSession): Promise<MeterZone> {
  // time_zone and daylight_savings_deviation in one request where the meter takes lists;
  // a meter that refuses either gets the defaults (no zone known, 60 min DST).
  const [tz, dstDeviation] = await session.getList([
    { classId: 8, instanceId: Obis.clock, attributeId: 3 },
    { classId: 8, instanceId: Obis.clock, attributeId: 7 },
  ]);
  const int = (d: CosemData | AccessError): number | null =>
    d instanceof AccessError ? null : d.type === 'long' || d.type === 'integer' || d.type === 'double-long' ? d.value : null;
  return { timeZone: int(tz), dstDeviation: int(dstDeviation) ?? DST_DEVIATION_DEFAULT, deviation: null, dst: false };
}

function zoneNote(z: MeterZone): string | undefined {
  if (z.timeZone === null || z.deviation === null) return undefined;
  if (z.deviation === (z.dst ? z.timeZone - z.dstDeviation : z.timeZone)) return undefined;
  const hint = z.deviation === -z.timeZone || z.deviation === -(z.timeZone - z.dstDeviation) ? ' (the opposite sign: one of them uses the ISO convention)' : '';
  return `date-time deviation ${z.deviation} min does not fit time_zone ${z.timeZone} min${z.dst ? ` with DST (${z.dstDeviation} min)` : ''}${hint}; the deviation in the meter's date-time is used`;
}

/** The deviation to read an unspecified-deviation date-time with: time_zone, less DST when active. */
function assumedDeviation(zone: MeterZone, dt: CosemDateTime): number | undefined {
  if (zone.timeZone === null) return undefined;
  const dst = dt.clockStatus !== null && (dt.clockStatus & ClockStatus.daylightSavingActive) !== 0;
  return zone.timeZone - (dst ? zone.dstDeviation : 0);
}

async function measure(session: DlmsSession, clock: GatewayClock, zone: MeterZone, maxRoundTripMs: number): Promise<Measurement> {
  let best: Measurement | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = clock.now();
    const value = await session.get(8, Obis.clock, 2);
    const after = clock.now();
    const dateTime = asClockDateTime(value);
    const invalid = dateTime.clockStatus !== null && (dateTime.clockStatus & ClockStatus.invalidValue) !== 0;
    const utc = invalid ? null : dateTimeToUtc(dateTime, assumedDeviation(zone, dateTime));
    const roundTripMs = after - before;
    const m: Measurement = { offsetMs: utc === null ? null : utc - (before + roundTripMs / 2), roundTripMs, dateTime };
    if (best === null || m.roundTripMs < best.roundTripMs) best = m;
    if (roundTripMs <= maxRoundTripMs) break;
  }
  return best!;
}

function asClockDateTime(value: CosemData): CosemDateTime {
  const dt = asDateTime(value);
  if (dt === null) throw new ProtocolError(`clock time is ${value.type}, not a date-time`, 0, 'cosem');
  return dt;
}

async function setClock(session: DlmsSession, clock: GatewayClock, zone: MeterZone, read: Measurement, wait: (ms: number) => Promise<void>): Promise<void> {
  const latency = read.roundTripMs / 2;
  // Send so that the value arrives at a whole second: hundredths 0 are then right even for
  // a meter that ignores them.
  const arrival = clock.now() + latency;
  const pause = (1000 - (arrival % 1000)) % 1000;
  if (pause > 0) await wait(pause);
  const target = Math.round((clock.now() + latency) / 10) * 10;
  const reported = read.dateTime;
  const status = reported.clockStatus === null ? null : reported.clockStatus & ClockStatus.daylightSavingActive;
  let dt: CosemDateTime;
  if (reported.deviation !== null) {
    dt = dateTimeFromUtc(target, reported.deviation, status ?? 0);
  } else {
    const deviation = assumedDeviation(zone, reported) ?? 0;
    dt = { ...dateTimeFromUtc(target, deviation, status ?? 0), deviation: null };
  }
  if (status === null) dt = { ...dt, clockStatus: null };
  // Not idempotent: sent again after the meter's repeat window, this time would be stale.
  await session.set(8, Obis.clock, 2, { type: 'octet-string', value: encodeDateTime(dt) });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function seconds(ms: number | null): string {
  if (ms === null) return 'unknown';
  const s = ms / 1000;
  return `${s >= 0 ? '+' : ''}${Math.abs(s) >= 100 ? s.toFixed(0) : s.toFixed(2)} s`;
}

function describe(dt: CosemDateTime): string {
  const f = (v: number | null, n = 2) => (v === null ? '*'.repeat(n) : String(v).padStart(n, '0'));
  return `${f(dt.year, 4)}-${f(dt.month)}-${f(dt.dayOfMonth)} ${f(dt.hour)}:${f(dt.minute)}:${f(dt.second)} status ${dt.clockStatus === null ? 'unspecified' : `0x${dt.clockStatus.toString(16)}`}`;
}
