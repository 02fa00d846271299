// COSEM date, time and date-time (IEC 62056-6-2 / Blue Book 4.1.6.1): the 5-, 4- and
// 12-byte octet forms, with "not specified" fields as null. Pure: the caller passes
// every instant in; nothing here reads a clock.
//
// Sign of the deviation. The Blue Book defines it as "deviation: long -720...+720: in
// minutes of local time to UTC; 0x8000 = not specified", i.e. the number of minutes
// to ADD to the local time to get UTC:   UTC = local + deviation.
// So Central European Time (UTC+01:00) is deviation -60, New York in winter (UTC-05:00)
// is +300. This is the opposite of ISO 8601 offsets. Gurux (unless "UseUtc2NormalTime")
// and dlms-cosem read it the same way; a few companion standards send the ISO sign, and a
// session that meets such a meter negates the value before it reaches this module.
//
// Special values kept as their raw numbers (they are not dates, they are rules):
//   month       0xFD daylight_savings_end, 0xFE daylight_savings_begin
//   dayOfMonth  0xFD second-last day of the month, 0xFE last day of the month
// Range checked on decode: month 1..12, dayOfMonth 1..31, dayOfWeek 1..7 (1 = Monday),
// hour 0..23, minute/second 0..59, hundredths 0..99, deviation -840..840 (the Blue Book
// says ±720, but UTC+13/+14 zones exist, and rejecting a real meter's clock helps nobody),
// clockStatus any byte except 0xFF (= not specified). dayOfMonth 0xE0..0xFC are reserved.
import { ByteReader, ByteWriter } from '../bytes.js';
import { ProtocolError } from '../errors.js';
import type { CosemData } from './data.js';

export interface CosemDate {
  /** 0..0xFFFE, null = not specified (0xFFFF). */
  year: number | null;
  /** 1..12, or MonthSpecial (0xFD/0xFE) as a raw number; null = not specified. */
  month: number | null;
  /** 1..31, or DayOfMonthSpecial (0xFD/0xFE) as a raw number; null = not specified. */
  dayOfMonth: number | null;
  /** 1 = Monday .. 7 = Sunday; null = not specified. */
  dayOfWeek: number | null;
}

export interface CosemTime {
  hour: number | null;
  minute: number | null;
  second: number | null;
  hundredths: number | null;
}

export interface CosemDateTime extends CosemDate, CosemTime {
  /** Minutes to add to the local time to get UTC (CET = -60); null = not specified. */
  deviation: number | null;
  /** ClockStatus bits; null = not specified (0xFF). */
  clockStatus: number | null;
}

export const MonthSpecial = { daylightSavingsEnd: 0xfd, daylightSavingsBegin: 0xfe } as const;
export const DayOfMonthSpecial = { secondLastDay: 0xfd, lastDay: 0xfe } as const;

/** clock_status bits (Blue Book 4.1.6.1). Bits 4..6 are reserved and kept as they came. */
export const ClockStatus = {
  invalidValue: 0x01,
  doubtfulValue: 0x02,
  differentClockBase: 0x04,
  invalidClockStatus: 0x08,
  daylightSavingActive: 0x80,
} as const;

export const DATE_LENGTH = 5;
export const TIME_LENGTH = 4;
export const DATE_TIME_LENGTH = 12;
const DEVIATION_LIMIT = 840;
const LAYER = 'cosem-time';

// ---------------------------------------------------------------- decoding

function bad(r: ByteReader, message: string, at: number): never {
  throw new ProtocolError(message, r.base + at, LAYER);
}

/** Reads a byte field that is null at 0xFF and otherwise within [min, max]. */
function field(r: ByteReader, name: string, min: number, max: number): number | null {
  const at = r.pos;
  const v = r.bytes[r.pos++];
  if (v === 0xff) return null;
  if (v < min || v > max) bad(r, `${name} ${v} is out of range ${min}..${max}`, at);
  return v;
}

function specialField(r: ByteReader, name: string, max: number): number | null {
  const at = r.pos;
  const v = r.bytes[r.pos++];
  if (v === 0xff) return null;
  if ((v >= 1 && v <= max) || v === 0xfd || v === 0xfe) return v;
  return bad(r, `${name} ${v} is out of range 1..${max} (or 0xFD/0xFE)`, at);
}

function readDateFields(r: ByteReader, into: CosemDate): void {
  const year = (r.bytes[r.pos] << 8) | r.bytes[r.pos + 1];
  r.pos += 2;
  into.year = year === 0xffff ? null : year;
  into.month = specialField(r, 'month', 12);
  into.dayOfMonth = specialField(r, 'day of month', 31);
  into.dayOfWeek = field(r, 'day of week', 1, 7);
}

function readTimeFields(r: ByteReader, into: CosemTime): void {
  into.hour = field(r, 'hour', 0, 23);
  into.minute = field(r, 'minute', 0, 59);
  into.second = field(r, 'second', 0, 59);
  into.hundredths = field(r, 'hundredths', 0, 99);
}

/** Reads a 12-byte date-time at r.pos and advances. Shortage is r's error, bad fields 'cosem-time'. */
export function readDateTime(r: ByteReader): CosemDateTime {
  r.need(DATE_TIME_LENGTH, 'date-time');
  // One object literal with every field, so all date-times share one hidden class.
  const dt: CosemDateTime = {
    year: null, month: null, dayOfMonth: null, dayOfWeek: null,
    hour: null, minute: null, second: null, hundredths: null,
    deviation: null, clockStatus: null,
  };
  readDateFields(r, dt);
  readTimeFields(r, dt);
  const at = r.pos;
  const raw = (r.bytes[at] << 8) | r.bytes[at + 1];
  r.pos += 2;
  if (raw !== 0x8000) {
    const deviation = raw >= 0x8000 ? raw - 0x10000 : raw;
    if (deviation < -DEVIATION_LIMIT || deviation > DEVIATION_LIMIT) {
      bad(r, `deviation ${deviation} min is out of range ±${DEVIATION_LIMIT}`, at);
    }
    dt.deviation = deviation;
  }
  const status = r.bytes[r.pos++];
  dt.clockStatus = status === 0xff ? null : status;
  return dt;
}

export function readDate(r: ByteReader): CosemDate {
  r.need(DATE_LENGTH, 'date');
  const d: CosemDate = { year: null, month: null, dayOfMonth: null, dayOfWeek: null };
  readDateFields(r, d);
  return d;
}

export function readTime(r: ByteReader): CosemTime {
  r.need(TIME_LENGTH, 'time');
  const t: CosemTime = { hour: null, minute: null, second: null, hundredths: null };
  readTimeFields(r, t);
  return t;
}

// Without an offset the input must be exactly the value (an octet-string's contents);
// with one, the value is read there and whatever follows is the caller's business.
function decodeWith<T>(bytes: Uint8Array, offset: number | undefined, size: number, what: string,
  read: (r: ByteReader) => T): T {
  if (offset === undefined && bytes.length !== size) {
    throw new ProtocolError(`${what} must be ${size} bytes, got ${bytes.length}`, 0, LAYER);
  }
  const start = offset ?? 0;
  if (!Number.isInteger(start) || start < 0 || start > bytes.length) {
    throw new RangeError(`offset ${start} is outside the ${bytes.length}-byte input`);
  }
  return read(new ByteReader(bytes, LAYER, start));
}

export function decodeDateTime(bytes: Uint8Array, offset?: number): CosemDateTime {
  return decodeWith(bytes, offset, DATE_TIME_LENGTH, 'date-time', readDateTime);
}

export function decodeDate(bytes: Uint8Array, offset?: number): CosemDate {
  return decodeWith(bytes, offset, DATE_LENGTH, 'date', readDate);
}

export function decodeTime(bytes: Uint8Array, offset?: number): CosemTime {
  return decodeWith(bytes, offset, TIME_LENGTH, 'time', readTime);
}

// ---------------------------------------------------------------- encoding
// Encoders check the same ranges and throw RangeError: a bad value here is a bug in the
// caller, never something that came over the wire.

function put(w: ByteWriter, name: string, v: number | null, min: number, max: number, special = false): void {
  if (v === null) {
    w.u8(0xff);
    return;
  }
  if (!Number.isInteger(v) || !((v >= min && v <= max) || (special && (v === 0xfd || v === 0xfe)))) {
    throw new RangeError(`${name} ${v} is out of range ${min}..${max}`);
  }
  w.u8(v);
}

export function writeDate(w: ByteWriter, d: CosemDate): void {
  if (d.year === null) w.u16(0xffff);
  else if (Number.isInteger(d.year) && d.year >= 0 && d.year < 0xffff) w.u16(d.year);
  else throw new RangeError(`year ${d.year} is out of range 0..65534`);
  put(w, 'month', d.month, 1, 12, true);
  put(w, 'day of month', d.dayOfMonth, 1, 31, true);
  put(w, 'day of week', d.dayOfWeek, 1, 7);
}

export function writeTime(w: ByteWriter, t: CosemTime): void {
  put(w, 'hour', t.hour, 0, 23);
  put(w, 'minute', t.minute, 0, 59);
  put(w, 'second', t.second, 0, 59);
  put(w, 'hundredths', t.hundredths, 0, 99);
}

export function writeDateTime(w: ByteWriter, dt: CosemDateTime): void {
  writeDate(w, dt);
  writeTime(w, dt);
  const dev = dt.deviation;
  if (dev === null) w.u16(0x8000);
  else if (Number.isInteger(dev) && dev >= -DEVIATION_LIMIT && dev <= DEVIATION_LIMIT) w.i16(dev);
  else throw new RangeError(`deviation ${dev} is out of range ±${DEVIATION_LIMIT}`);
  put(w, 'clock status', dt.clockStatus, 0, 0xfe);
}

export function encodeDateTime(dt: CosemDateTime): Uint8Array {
  const w = new ByteWriter(DATE_TIME_LENGTH);
  writeDateTime(w, dt);
  return w.toBytes();
}

export function encodeDate(d: CosemDate): Uint8Array {
  const w = new ByteWriter(DATE_LENGTH);
  writeDate(w, d);
  return w.toBytes();
}

export function encodeTime(t: CosemTime): Uint8Array {
  const w = new ByteWriter(TIME_LENGTH);
  writeTime(w, t);
  return w.toBytes();
}

// ---------------------------------------------------------------- UTC conversion
// Proleptic Gregorian day arithmetic (days since 1970-01-01), so years 0..99 do not fall
// into Date.UTC's "19xx" trap and nothing depends on the host's time zone.

const MS_PER_DAY = 86_400_000;

function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * ((month + 9) % 12) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(days: number): [year: number, month: number, day: number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [month <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, month, day];
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** ISO day of week (1 = Monday .. 7 = Sunday) of a calendar date. */
export function dayOfWeek(year: number, month: number, day: number): number {
  const days = daysFromCivil(year, month, day);
  return ((((days + 3) % 7) + 7) % 7) + 1; // 1970-01-01 was a Thursday (4)
}

/**
 * The date-time a meter at `deviationMinutes` (Blue Book sign: CET = -60) shows at the
 * UTC instant `ms`. Sub-10 ms parts are truncated to hundredths.
 */
export function dateTimeFromUtc(ms: number, deviationMinutes = 0, clockStatus = 0): CosemDateTime {
  if (!Number.isFinite(ms)) throw new RangeError(`not a time: ${ms}`);
  if (!Number.isInteger(deviationMinutes) || Math.abs(deviationMinutes) > DEVIATION_LIMIT) {
    throw new RangeError(`deviation ${deviationMinutes} is out of range ±${DEVIATION_LIMIT}`);
  }
  if (!Number.isInteger(clockStatus) || clockStatus < 0 || clockStatus > 0xfe) {
    throw new RangeError(`clock status ${clockStatus} is out of range 0..254`);
  }
  const local = Math.floor(ms) - deviationMinutes * 60_000;
  const days = Math.floor(local / MS_PER_DAY);
  const inDay = local - days * MS_PER_DAY;
  const [year, month, dayOfMonth] = civilFromDays(days);
  if (year < 0 || year > 0xfffe) throw new RangeError(`year ${year} cannot be encoded`);
  return {
    year,
    month,
    dayOfMonth,
    dayOfWeek: ((((days + 3) % 7) + 7) % 7) + 1,
    hour: Math.floor(inDay / 3_600_000),
    minute: Math.floor(inDay / 60_000) % 60,
    second: Math.floor(inDay / 1000) % 60,
    hundredths: Math.floor((inDay % 1000) / 10),
    deviation: deviationMinutes,
    clockStatus,
  };
}

/**
 * The UTC instant (ms) of a date-time, or null when it names no single instant: year,
 * month, day, hour or minute not specified, a special month/day (DST rule, last day), or
 * a day the month does not have. Unspecified seconds/hundredths count as 0 (meters often
 * leave hundredths at 0xFF). An unspecified deviation uses `assumedDeviation` (the meter's
 * known zone, Blue Book sign) if given, else null. The day of week is not cross-checked.
 */
export function dateTimeToUtc(dt: CosemDateTime, assumedDeviation?: number): number | null {
  const { year, month, dayOfMonth, hour, minute } = dt;
  if (year === null || month === null || dayOfMonth === null || hour === null || minute === null) return null;
  if (month < 1 || month > 12 || dayOfMonth < 1 || dayOfMonth > daysInMonth(year, month)) return null;
  const deviation = dt.deviation ?? assumedDeviation;
  if (deviation === undefined) return null;
  const local =
    daysFromCivil(year, month, dayOfMonth) * MS_PER_DAY +
    hour * 3_600_000 + minute * 60_000 + (dt.second ?? 0) * 1000 + (dt.hundredths ?? 0) * 10;
  return local + deviation * 60_000;
}

/**
 * A date-time out of COSEM data as meters send it: the date-time type (tag 25) or, far
 * more often, an octet-string of 12 bytes (the clock's attribute 2, profile columns).
 * Null if `d` is neither; ProtocolError if the 12 bytes hold an impossible value.
 */
export function asDateTime(d: CosemData): CosemDateTime | null {
  if (d.type === 'date-time') return d.value;
  if (d.type === 'octet-string' && d.value.length === DATE_TIME_LENGTH) return decodeDateTime(d.value);
  return null;
}
