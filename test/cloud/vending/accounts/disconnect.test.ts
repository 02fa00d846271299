import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isFriendly } from '../../../../shared/prepayment/friendly.js';
import { chargeConsumption, closeAccount, disconnectDecision, switchMode, type AccountState, type FriendlyPeriods } from '../../../../cloud/vending/accounts/index.js';
import { costOfConsumption } from '../../../../cloud/vending/tariffs/index.js';
import { KENYA, local, prepaidAccount, stepTariff } from '../fixtures.js';

// Friendly (fixtures): 20:00–07:00 every night, Saturdays and Sundays, 2026-12-25, Kenyan time.
const exhausted: AccountState = { ...prepaidAccount(), balance: 0 };
const k = (iso: string) => local(iso, KENYA);

describe('disconnectDecision', () => {
  it('disconnects an exhausted prepaid account on a weekday afternoon, at once', () => {
    // Wednesday 2026-03-11 10:00
    expect(disconnectDecision(exhausted, k('2026-03-11T10:00'))).toEqual({ disconnect: true, reason: 'credit-exhausted', notBefore: k('2026-03-11T10:00') });
    expect(disconnectDecision({ ...exhausted, balance: -250 }, k('2026-03-11T19:59')).disconnect).toBe(true);
  });

  it('waits out the night window', () => {
    // Wednesday 21:00 → friendly until Thursday 07:00
    expect(disconnectDecision(exhausted, k('2026-03-11T21:00'))).toEqual({ disconnect: false, reason: 'friendly-period', notBefore: k('2026-03-12T07:00') });
    // just after midnight, inside the window's second half
    expect(disconnectDecision(exhausted, k('2026-03-12T00:00')).notBefore).toBe(k('2026-03-12T07:00'));
    expect(disconnectDecision(exhausted, k('2026-03-12T07:00')).disconnect).toBe(true);
  });

  it('a friendly weekend runs from Friday night to Monday 07:00', () => {
    // Friday 2026-03-13: 19:59 is not friendly, 20:00 is, and the Saturday, Sunday and Monday night chain on
    expect(disconnectDecision(exhausted, k('2026-03-13T19:59')).disconnect).toBe(true);
    expect(disconnectDecision(exhausted, k('2026-03-13T20:00'))).toEqual({ disconnect: false, reason: 'friendly-period', notBefore: k('2026-03-16T07:00') });
    expect(disconnectDecision(exhausted, k('2026-03-15T14:00')).notBefore).toBe(k('2026-03-16T07:00'));
  });

  it('a holiday on a weekday is friendly all day', () => {
    // Friday 2026-12-25 at 10:00 → holiday, then the weekend, then Monday's night window
    expect(disconnectDecision(exhausted, k('2026-12-25T10:00'))).toEqual({ disconnect: false, reason: 'friendly-period', notBefore: k('2026-12-28T07:00') });
    // the Thursday before at 10:00 is an ordinary day
    expect(disconnectDecision(exhausted, k('2026-12-24T10:00')).disconnect).toBe(true);
  });

  it('cloud-side deduction: consumption eats the balance, then the supply goes, but not on a Saturday', () => {
    const a = prepaidAccount({ openingBalance: 1_392 }); // 13.92 KES
    // 1 kWh at 12 KES + 16 % = 13.92 KES: the balance reaches exactly 0
    const cost = costOfConsumption(stepTariff, [{ from: k('2026-03-13T10:00'), to: k('2026-03-13T11:00'), wh: 1000 }]);
    expect(cost.gross).toBe(1_392);
    const t = chargeConsumption(a, { amount: cost.gross, at: k('2026-03-13T11:00') });
    // opened below both low-credit thresholds, so only the exhaustion is new
    expect(t.events.map((e) => e.kind)).toEqual(['consumption-charged', 'credit-exhausted']);
    expect(disconnectDecision(t.account, k('2026-03-13T11:00')).disconnect).toBe(true); // Friday 11:00
    expect(disconnectDecision(t.account, k('2026-03-14T11:00'))).toMatchObject({ disconnect: false, reason: 'friendly-period' }); // Saturday
  });

  it('never disconnects an account in credit, a postpaid one or a closed one', () => {
    const at = k('2026-03-11T10:00');
    expect(disconnectDecision({ ...exhausted, balance: 1 }, at)).toEqual({ disconnect: false, reason: 'in-credit', notBefore: null });
    expect(disconnectDecision({ ...switchMode(exhausted, 'postpaid', at).account, balance: -10_000 }, at)).toEqual({ disconnect: false, reason: 'postpaid', notBefore: null });
    expect(disconnectDecision(closeAccount(exhausted, { at, tariff: stepTariff }).account, at)).toEqual({ disconnect: false, reason: 'closed', notBefore: null });
  });

  it('an always-friendly calendar never names a time', () => {
    const always = { ...exhausted, friendly: { daily: [], weekdays: [1, 2, 3, 4, 5, 6, 7], holidays: [], timeZoneMinutes: 0 } };
    expect(disconnectDecision(always, k('2026-03-11T10:00'))).toEqual({ disconnect: false, reason: 'friendly-period', notBefore: null });
  });

  it('is never true at a friendly instant; holds back only until a time that is not friendly', () => {
    const hhmm = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45)).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
    const periods: fc.Arbitrary<FriendlyPeriods> = fc.record({
      daily: fc.array(fc.record({ from: hhmm, to: hhmm }).filter((w) => w.from !== w.to), { maxLength: 3 }),
      weekdays: fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { maxLength: 3 }),
      holidays: fc.uniqueArray(fc.integer({ min: 0, max: 60 }).map((d) => new Date(Date.UTC(2026, 2, 1) + d * 86_400_000).toISOString().slice(0, 10)), { maxLength: 10 }),
      timeZoneMinutes: fc.integer({ min: -720, max: 840 }),
    });
    const instant = fc.integer({ min: Date.UTC(2026, 1, 25), max: Date.UTC(2026, 4, 5) });
    fc.assert(
      fc.property(periods, instant, fc.integer({ min: -5_000, max: 0 }), (p, now, balance) => {
        const d = disconnectDecision({ ...exhausted, balance, friendly: p }, now);
        if (isFriendly(p, now)) {
          expect(d.disconnect).toBe(false);
          expect(d.reason).toBe('friendly-period');
          if (d.notBefore !== null) {
            expect(d.notBefore).toBeGreaterThan(now);
            expect(isFriendly(p, d.notBefore)).toBe(false);
          }
        } else {
          expect(d).toEqual({ disconnect: true, reason: 'credit-exhausted', notBefore: now });
        }
      }),
    );
  });
});
