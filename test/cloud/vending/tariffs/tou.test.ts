import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rateAt, timeWeightedPrice, type TouEnergy } from '../../../../cloud/vending/tariffs/index.js';
import { CET, local, touTariff } from '../fixtures.js';

const energy = touTariff.energy as TouEnergy;
const rate = (iso: string) => rateAt(energy, CET, local(iso, CET)).id;

describe('time-of-use rate at an instant', () => {
  it('follows the workday switching times (2026-12-18 is a Friday)', () => {
    expect(rate('2026-12-18T00:00')).toBe('off-peak');
    expect(rate('2026-12-18T06:59')).toBe('off-peak');
    expect(rate('2026-12-18T07:00')).toBe('peak'); // a switch applies from its own minute
    expect(rate('2026-12-18T10:59')).toBe('peak');
    expect(rate('2026-12-18T11:00')).toBe('mid');
    expect(rate('2026-12-18T17:00')).toBe('peak');
    expect(rate('2026-12-18T20:59')).toBe('peak');
    expect(rate('2026-12-18T21:00')).toBe('off-peak');
    expect(rate('2026-12-18T23:59')).toBe('off-peak');
  });

  it('changes day profile at local midnight', () => {
    // Friday peak hours vs the Saturday (rest profile) just after midnight and at 08:00
    expect(rate('2026-12-19T00:00')).toBe('off-peak');
    expect(rate('2026-12-19T08:00')).toBe('off-peak');
    // Sunday 23:59 → Monday 07:00 is peak again
    expect(rate('2026-12-20T23:59')).toBe('off-peak');
    expect(rate('2026-12-21T07:00')).toBe('peak');
  });

  it('a holiday on a weekday uses the holiday profile', () => {
    // Thursday 2026-12-17 08:00 is peak; Thursday 2026-12-24 08:00 is a holiday: off-peak
    expect(rate('2026-12-17T08:00')).toBe('peak');
    expect(rate('2026-12-24T08:00')).toBe('off-peak');
    expect(rate('2026-12-24T18:00')).toBe('off-peak');
    // the holiday ends at local midnight: 2026-12-28 (Monday) 08:00 is peak
    expect(rate('2026-12-28T08:00')).toBe('peak');
  });

  it('reads the calendar in local time, not UTC', () => {
    const instant = Date.UTC(2026, 11, 18, 6, 30); // 06:30 UTC = 07:30 CET
    expect(rateAt(energy, CET, instant).id).toBe('peak');
    expect(rateAt(energy, 0, instant).id).toBe('off-peak');
    // 23:30 UTC on Wednesday the 23rd is already the holiday (00:30 on the 24th) in CET
    const beforeHoliday = Date.UTC(2026, 11, 23, 6, 30); // Wednesday 07:30 CET
    expect(rateAt(energy, CET, beforeHoliday).id).toBe('peak');
    expect(rateAt(energy, CET, beforeHoliday + 86_400_000).id).toBe('off-peak');
    // a negative offset: 22:00 UTC Friday is 17:00 Friday at UTC−05:00 → peak
    expect(rateAt(energy, -300, Date.UTC(2026, 11, 18, 22, 0)).id).toBe('peak');
  });

  it('every instant has exactly the rate of the last switch at or before its local minute', () => {
    const profile = energy.dayProfiles[0]!;
    const switchMinutes = profile.switches.map((s) => Number(s.at.slice(0, 2)) * 60 + Number(s.at.slice(3)));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 1439 }), (dayOffset, minute) => {
        // Monday 2026-12-14 .. Friday 2026-12-18, all workdays without holidays
        const utc = Date.UTC(2026, 11, 14 + dayOffset) + minute * 60_000 - CET * 60_000;
        const last = switchMinutes.filter((m) => m <= minute).length - 1;
        expect(rateAt(energy, CET, utc).id).toBe(profile.switches[last]!.rate);
      }),
    );
  });
});

describe('time-weighted price', () => {
  it('averages the week by minutes', () => {
    // workday: off-peak 600 min (00–07, 21–24), peak 480 min, mid 360 min
    //   150 000·600 + 300 000·480 + 200 000·360 = 306 000 000 per workday, × 5 = 1 530 000 000
    // rest day: 150 000·1440 = 216 000 000, × 2 = 432 000 000
    // (1 530 000 000 + 432 000 000) / 10 080 min = 194 642.857 → 194 643
    expect(timeWeightedPrice(energy)).toBe(194_643);
  });
});
