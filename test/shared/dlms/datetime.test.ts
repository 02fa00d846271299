import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../../shared/bytes.js';
import { ProtocolError } from '../../../shared/errors.js';
import {
  asDateTime, ClockStatus, type CosemDateTime, dateTimeFromUtc, dateTimeToUtc, dayOfWeek, DayOfMonthSpecial,
  decodeDate, decodeDateTime, decodeTime, encodeDate, encodeDateTime, encodeTime, MonthSpecial,
} from '../../../shared/dlms/datetime.js';
import { cosemDate, cosemDateTime, cosemTime } from './arbitraries.js';

function protocolError(f: () => unknown): ProtocolError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    expect((e as ProtocolError).layer).toBe('cosem-time');
    return e as ProtocolError;
  }
  throw new Error('expected a ProtocolError, got a value');
}

const unspecified: CosemDateTime = {
  year: null, month: null, dayOfMonth: null, dayOfWeek: null, hour: null, minute: null, second: null,
  hundredths: null, deviation: null, clockStatus: null,
};

describe('date-time octets', () => {
  it('the clock value from the captured GET-Response', () => {
    const dt = decodeDateTime(fromHex('07ea0b150617391400000000'));
    expect(dt).toEqual({
      year: 2026, month: 11, dayOfMonth: 21, dayOfWeek: 6, hour: 23, minute: 57, second: 20, hundredths: 0,
      deviation: 0, clockStatus: 0,
    });
    expect(dayOfWeek(2026, 11, 21)).toBe(6);
    expect(dateTimeToUtc(dt)).toBe(Date.UTC(2026, 10, 21, 23, 57, 20));
    expect(hex(encodeDateTime(dt))).toBe('07ea0b150617391400000000');
  });

  it('every field not specified', () => {
    const bytes = fromHex('ffffffffffffffffff8000ff');
    expect(decodeDateTime(bytes)).toEqual(unspecified);
    expect(hex(encodeDateTime(unspecified))).toBe('ffffffffffffffffff8000ff');
    expect(dateTimeToUtc(unspecified)).toBeNull();
  });

  it('deviation is signed, Blue Book sign (local + deviation = UTC)', () => {
    // 2024-07-01 14:30 CEST, deviation -120, daylight saving active.
    const dt = decodeDateTime(fromHex('07e80701010e1e0000ff8880'));
    expect(dt.deviation).toBe(-120);
    expect(dt.clockStatus).toBe(ClockStatus.daylightSavingActive);
    expect(dateTimeToUtc(dt)).toBe(Date.UTC(2024, 6, 1, 12, 30));
    // New York in winter: UTC-05:00 is +300.
    const ny = dateTimeFromUtc(Date.UTC(2024, 0, 15, 17, 0), 300);
    expect([ny.hour, ny.deviation]).toEqual([12, 300]);
    expect(hex(encodeDateTime(ny)).slice(-6)).toBe('012c00');
  });

  it('dateTimeFromUtc puts the local wall-clock time in the fields', () => {
    const dt = dateTimeFromUtc(Date.UTC(2023, 11, 31, 23, 30, 15, 678), -60, ClockStatus.doubtfulValue);
    expect(dt).toEqual({
      year: 2024, month: 1, dayOfMonth: 1, dayOfWeek: 1, hour: 0, minute: 30, second: 15, hundredths: 67,
      deviation: -60, clockStatus: 2,
    });
    expect(dateTimeToUtc(dt)).toBe(Date.UTC(2023, 11, 31, 23, 30, 15, 670));
    expect(dateTimeFromUtc(Date.UTC(2023, 11, 31)).dayOfWeek).toBe(7); // Sunday
    expect(dateTimeFromUtc(Date.UTC(1969, 11, 31, 23, 59, 59, 999)).hundredths).toBe(99);
  });

  it('special month and day values keep their raw numbers and name no instant', () => {
    const bytes = fromHex('ffff' + 'fe' + 'fe' + '07' + '02000000' + '8000' + 'ff');
    const dt = decodeDateTime(bytes);
    expect(dt.month).toBe(MonthSpecial.daylightSavingsBegin);
    expect(dt.dayOfMonth).toBe(DayOfMonthSpecial.lastDay);
    expect(dt.dayOfWeek).toBe(7);
    expect(hex(encodeDateTime(dt))).toBe(hex(bytes));
    expect(dateTimeToUtc({ ...dt, year: 2024 }, 0)).toBeNull();
    const d = decodeDate(fromHex('07e8fd fd ff'));
    expect(d).toEqual({ year: 2024, month: 0xfd, dayOfMonth: 0xfd, dayOfWeek: null });
  });

  it('dateTimeToUtc: unspecified hundredths/seconds count as 0, unspecified deviation needs an assumption', () => {
    const dt = decodeDateTime(fromHex('07ea0b15ff173914ff8000ff'));
    expect(dateTimeToUtc(dt)).toBeNull();
    expect(dateTimeToUtc(dt, -60)).toBe(Date.UTC(2026, 10, 21, 22, 57, 20));
    expect(dateTimeToUtc({ ...dt, second: null, deviation: 0 })).toBe(Date.UTC(2026, 10, 21, 23, 57));
    expect(dateTimeToUtc({ ...dt, minute: null, deviation: 0 })).toBeNull();
    expect(dateTimeToUtc({ ...dt, month: 2, dayOfMonth: 30, deviation: 0 })).toBeNull();
    expect(dateTimeToUtc({ ...dt, year: 2024, month: 2, dayOfMonth: 29, deviation: 0 })).toBe(Date.UTC(2024, 1, 29, 23, 57, 20));
    // Years below 100 are not shifted to 19xx.
    expect(dateTimeToUtc({ ...dt, year: 50, month: 1, dayOfMonth: 1, deviation: 0 })).toBe(
      new Date(0).setUTCFullYear(50, 0, 1) + (23 * 3600 + 57 * 60 + 20) * 1000,
    );
  });

  it('refuses out-of-range fields with the offset of the field', () => {
    const base = '07ea0b150617391400000000';
    const withByte = (i: number, b: string) => fromHex(base.slice(0, 2 * i) + b + base.slice(2 * i + 2));
    expect(protocolError(() => decodeDateTime(withByte(2, '0d'))).offset).toBe(2); // month 13
    expect(protocolError(() => decodeDateTime(withByte(2, '00'))).offset).toBe(2); // month 0
    expect(protocolError(() => decodeDateTime(withByte(3, '20'))).offset).toBe(3); // day 32
    expect(protocolError(() => decodeDateTime(withByte(3, 'e0'))).offset).toBe(3); // reserved
    expect(protocolError(() => decodeDateTime(withByte(4, '08'))).offset).toBe(4); // day of week 8
    expect(protocolError(() => decodeDateTime(withByte(5, '19'))).offset).toBe(5); // hour 25
    expect(protocolError(() => decodeDateTime(withByte(6, '3c'))).offset).toBe(6); // minute 60
    expect(protocolError(() => decodeDateTime(withByte(7, '3c'))).offset).toBe(7); // second 60
    expect(protocolError(() => decodeDateTime(withByte(8, '64'))).offset).toBe(8); // hundredths 100
    expect(protocolError(() => decodeDateTime(fromHex('07ea0b1506173914000400' + '00'))).offset).toBe(9); // +1024 min
    expect(decodeDateTime(fromHex('07ea0b150617391400' + 'fcc0' + '00')).deviation).toBe(-832);
  });

  it('refuses bad lengths; an explicit offset reads from the middle of a buffer', () => {
    protocolError(() => decodeDateTime(fromHex('07ea0b1506173914000000')));
    protocolError(() => decodeDateTime(fromHex('07ea0b15061739140000000000')));
    protocolError(() => decodeDate(fromHex('07ea0b15')));
    protocolError(() => decodeTime(fromHex('1739140000')));
    const framed = fromHex('aabb' + '07ea0b150617391400000000' + 'cc');
    expect(decodeDateTime(framed, 2).minute).toBe(57);
    expect(protocolError(() => decodeDateTime(framed, 4)).offset).toBe(4);
    const e = protocolError(() => decodeDateTime(fromHex('aa07ea0d150617391400000000'), 1));
    expect(e.offset).toBe(3);
  });

  it('asDateTime accepts the date-time type and 12-byte octet-strings', () => {
    const dt = dateTimeFromUtc(Date.UTC(2025, 2, 3, 4, 5, 6));
    expect(asDateTime({ type: 'date-time', value: dt })).toEqual(dt);
    expect(asDateTime({ type: 'octet-string', value: encodeDateTime(dt) })).toEqual(dt);
    expect(asDateTime({ type: 'octet-string', value: new Uint8Array(6) })).toBeNull();
    expect(asDateTime({ type: 'unsigned', value: 1 })).toBeNull();
  });

  it('encoders refuse values out of range', () => {
    const ok = dateTimeFromUtc(0);
    expect(() => encodeDateTime({ ...ok, month: 13 })).toThrow(RangeError);
    expect(() => encodeDateTime({ ...ok, hour: 24 })).toThrow(RangeError);
    expect(() => encodeDateTime({ ...ok, deviation: 900 })).toThrow(RangeError);
    expect(() => encodeDateTime({ ...ok, clockStatus: 0xff })).toThrow(RangeError);
    expect(() => encodeDate({ year: 0xffff, month: 1, dayOfMonth: 1, dayOfWeek: 1 })).toThrow(RangeError);
    expect(() => encodeTime({ hour: 1, minute: 1, second: 1, hundredths: 100 })).toThrow(RangeError);
    expect(() => dateTimeFromUtc(NaN)).toThrow(RangeError);
    expect(() => dateTimeFromUtc(0, 1000)).toThrow(RangeError);
  });
});

describe('date-time properties', () => {
  it('decode(encode(x)) = x for date, time and date-time', () => {
    fc.assert(fc.property(cosemDateTime, (dt) => { expect(decodeDateTime(encodeDateTime(dt))).toEqual(dt); }), { numRuns: 2000 });
    fc.assert(fc.property(cosemDate, (d) => { expect(decodeDate(encodeDate(d))).toEqual(d); }));
    fc.assert(fc.property(cosemTime, (t) => { expect(decodeTime(encodeTime(t))).toEqual(t); }));
  });

  it('UTC -> date-time -> octets -> date-time -> UTC loses only the sub-10 ms part', () => {
    const minMs = Date.UTC(1, 0, 2);
    const maxMs = Date.UTC(9999, 11, 30);
    fc.assert(
      fc.property(fc.integer({ min: minMs, max: maxMs }), fc.integer({ min: -840, max: 840 }), (ms, dev) => {
        const dt = dateTimeFromUtc(ms, dev);
        const back = decodeDateTime(encodeDateTime(dt));
        expect(dateTimeToUtc(back)).toBe(ms - (((ms % 10) + 10) % 10));
        // Cross-check the fields against the host's Date, on the local wall-clock time.
        const local = new Date(ms - dev * 60_000);
        expect([dt.year, dt.month, dt.dayOfMonth, dt.hour, dt.minute, dt.second]).toEqual([
          local.getUTCFullYear(), local.getUTCMonth() + 1, local.getUTCDate(),
          local.getUTCHours(), local.getUTCMinutes(), local.getUTCSeconds(),
        ]);
        expect(dt.dayOfWeek).toBe(local.getUTCDay() === 0 ? 7 : local.getUTCDay());
      }),
      { numRuns: 3000 },
    );
  });

  it('arbitrary bytes: a value (re-encoding to the same bytes) or a ProtocolError inside the input', () => {
    const check = (decode: () => unknown, encode: (v: never) => Uint8Array, bytes: Uint8Array) => {
      let v: unknown;
      try {
        v = decode();
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        expect(e.offset).toBeGreaterThanOrEqual(0);
        expect(e.offset).toBeLessThanOrEqual(bytes.length);
        return;
      }
      expect(hex(encode(v as never))).toBe(hex(bytes));
    };
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 10, maxLength: 14 }), (b) => check(() => decodeDateTime(b), encodeDateTime, b)),
      { numRuns: 5000 },
    );
    fc.assert(fc.property(fc.uint8Array({ minLength: 4, maxLength: 6 }), (b) => check(() => decodeDate(b), encodeDate, b)));
    fc.assert(fc.property(fc.uint8Array({ minLength: 3, maxLength: 5 }), (b) => check(() => decodeTime(b), encodeTime, b)));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 30 }), fc.nat(30), (b, at) => {
        const offset = Math.min(at, b.length);
        try {
          decodeDateTime(b, offset);
        } catch (e) {
          if (!(e instanceof ProtocolError)) throw e;
          expect(e.offset).toBeGreaterThanOrEqual(0);
          expect(e.offset).toBeLessThanOrEqual(b.length);
        }
      }),
    );
  });
});
