// The token identifier (TID): 24 bits of whole minutes from the key's base date
// (00:00 UTC on 1 January 1993, 2014 or 2035) to the issue time. The standard
// counts plain minutes; unlike NectarAPI we add nothing at minute-of-day 1.
// The clock is the caller's: nothing here reads the system time.
import { StsError } from './errors.js';

export type BaseDate = 1993 | 2014 | 2035;
export const BASE_DATES: readonly BaseDate[] = [1993, 2014, 2035];

export const TID_LIMIT = 1 << 24;
const MINUTE = 60_000;

export function isBaseDate(x: unknown): x is BaseDate {
  return x === 1993 || x === 2014 || x === 2035;
}

/** The base date given, or StsError('parameter', 'baseDate') when it is none of the three. */
export function checkBaseDate(x: number): BaseDate {
  if (!isBaseDate(x)) throw new StsError('parameter', 'baseDate', `must be 1993, 2014 or 2035, got ${x}`);
  return x;
}

export function baseDateMs(baseDate: BaseDate): number {
  return Date.UTC(baseDate, 0, 1);
}

/** The base date after a TID-rollover key change (1993 → 2014 → 2035). */
export function nextBaseDate(baseDate: BaseDate): BaseDate | undefined {
  return baseDate === 1993 ? 2014 : baseDate === 2014 ? 2035 : undefined;
}

export function toMs(time: Date | number, field: string): number {
  const ms = time instanceof Date ? time.getTime() : time;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new StsError('parameter', field, 'must be a valid time');
  return ms;
}

/** Minutes from the base date, floored; throws if outside the 24-bit range. */
export function tidFromTime(issuedAt: Date | number, baseDate: BaseDate, field = 'issuedAt'): number {
  const ms = toMs(issuedAt, field);
  const tid = Math.floor((ms - baseDateMs(baseDate)) / MINUTE);
  if (tid < 0 || tid >= TID_LIMIT) {
    throw new StsError(
      'parameter',
      field,
      `${new Date(ms).toISOString()} is outside the TID range of base date ${baseDate} ` +
        `(${new Date(baseDateMs(baseDate)).toISOString()} to ${new Date(baseDateMs(baseDate) + (TID_LIMIT - 1) * MINUTE).toISOString()})` +
        (tid >= TID_LIMIT && nextBaseDate(baseDate) ? `; after a TID-rollover key change use base date ${nextBaseDate(baseDate)}` : ''),
    );
  }
  return tid;
}

export function timeFromTid(tid: number, baseDate: BaseDate): Date {
  return new Date(baseDateMs(baseDate) + tid * MINUTE);
}

/** Key expiry (IEC 62055-41 KEN): a key may not carry TIDs whose top 8 bits exceed its KEN. */
export function tidExpired(tid: number, keyExpiryNumber: number): boolean {
  return tid >>> 16 > keyExpiryNumber;
}
