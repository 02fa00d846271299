// Time of use: which rate applies at an instant. Holidays override the weekday;
// within the day profile the last switch at or before the local time wins.
import { localTime, parseTimeOfDay } from '../../../shared/prepayment/local-time.js';
import { TariffError, type TouEnergy, type TouRate } from './tariff.js';

function profileFor(energy: TouEnergy, date: string, isoWeekday: number): string {
  const holiday = energy.holidays.find((h) => h.dates.includes(date));
  if (holiday) return holiday.dayProfile;
  const day = energy.week.find((w) => w.isoWeekdays.includes(isoWeekday));
  if (!day) throw new TariffError('energy.week', `no day profile for ISO weekday ${isoWeekday}`);
  return day.dayProfile;
}

/** The rate in force at utcMs (local time = UTC + timeZoneMinutes). */
export function rateAt(energy: TouEnergy, timeZoneMinutes: number, utcMs: number): TouRate {
  const t = localTime(utcMs, timeZoneMinutes);
  const profileId = profileFor(energy, t.date, t.isoWeekday);
  const profile = energy.dayProfiles.find((p) => p.id === profileId);
  if (!profile) throw new TariffError('energy.dayProfiles', `unknown day profile '${profileId}'`);
  let rateId: string | undefined;
  for (const s of profile.switches) {
    const at = parseTimeOfDay(s.at);
    if (at === undefined) throw new TariffError(`energy.dayProfiles.${profileId}`, `bad switch time "${s.at}"`);
    if (at <= t.minuteOfDay) rateId = s.rate;
  }
  const rate = energy.rates.find((r) => r.id === rateId);
  if (!rate) throw new TariffError(`energy.dayProfiles.${profileId}`, `no rate at local ${t.date} minute ${t.minuteOfDay} (the first switch must be at 00:00)`);
  return rate;
}

/**
 * The plain time-weighted average price of a scheme over an ordinary week (holidays
 * ignored), in price units per kWh rounded half-up: a starting point for
 * `vendPricePerKwh` when no load profile is at hand.
 */
export function timeWeightedPrice(energy: TouEnergy): number {
  let sum = 0n;
  for (let weekday = 1; weekday <= 7; weekday++) {
    const day = energy.week.find((w) => w.isoWeekdays.includes(weekday));
    const profile = energy.dayProfiles.find((p) => p.id === day?.dayProfile);
    if (!profile) throw new TariffError('energy.week', `no day profile for ISO weekday ${weekday}`);
    profile.switches.forEach((s, i) => {
      const from = parseTimeOfDay(s.at) ?? 0;
      const next = profile.switches[i + 1];
      const to = next ? (parseTimeOfDay(next.at) ?? 1440) : 1440;
      const rate = energy.rates.find((r) => r.id === s.rate);
      if (!rate) throw new TariffError('energy.dayProfiles', `unknown rate '${s.rate}'`);
      sum += BigInt(rate.pricePerKwh) * BigInt(to - from);
    });
  }
  const minutes = 7n * 1440n;
  return Number((2n * sum + minutes) / (2n * minutes)); // half-up for a positive sum
}
