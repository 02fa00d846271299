import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AccountError,
  addDebt,
  applyPayment,
  applyVend,
  chargeConsumption,
  changeTariff,
  closeAccount,
  openAccount,
  switchMode,
  takeEmergencyCredit,
  type AccountState,
} from '../../../../cloud/vending/accounts/index.js';
import { quoteVend } from '../../../../cloud/vending/quote.js';
import { friendly, KENYA, local, prepaidAccount, stepTariff } from '../fixtures.js';

function refusal(f: () => unknown): AccountError {
  try {
    f();
  } catch (e) {
    if (e instanceof AccountError) return e;
    throw e;
  }
  throw new Error('the transition was not refused');
}

const day = (d: number, hh = '12:00') => local(`2026-03-${String(d).padStart(2, '0')}T${hh}`, KENYA);

describe('openAccount', () => {
  it('opens with the charges of the opening period due and no warnings yet', () => {
    const t = openAccount({ id: 'a', meterSerial: 'M1', mode: 'prepaid', currency: 'KES', tariffId: 'domestic-steps', delivery: { kind: 'token' }, friendly, at: day(10), lowCreditThresholds: [2_000, 10_000, 2_000] });
    expect(t.events).toEqual([{ kind: 'opened', at: day(10) }]);
    expect(t.account).toMatchObject({
      revision: 0,
      status: 'open',
      balance: 0,
      chargesPaidThrough: { daily: day(10), monthly: day(10) },
      // sorted, deduplicated; both already below: armed only once the balance rises
      lowCredit: { thresholds: [10_000, 2_000], warned: [10_000, 2_000] },
      emergencyCredit: { limit: 0, taken: 0 },
      debt: { amount: 0, recoveryBasisPoints: 0 },
    });
  });

  it.each([
    [{ currency: 'kes' }, 'currency', /ISO 4217/],
    [{ id: '' }, 'id', /non-empty/],
    [{ mode: 'credit' }, 'mode', /'prepaid' or 'postpaid'/],
    [{ delivery: { kind: 'remote' } }, 'delivery.dcuId', /non-empty/],
    [{ delivery: { kind: 'pigeon' } }, 'delivery', /token/],
    [{ friendly: { ...friendly, daily: [{ from: '20:00', to: '25:00' }] } }, 'friendly.daily[0].to', /not a time of day/],
    [{ emergencyCreditLimit: -1 }, 'emergencyCreditLimit', /must not be negative/],
    [{ lowCreditThresholds: [100.5] }, 'lowCreditThresholds[0]', /no fractions/],
    [{ debt: { amount: 100, recoveryBasisPoints: 10_001 } }, 'debt.recoveryBasisPoints', /basis points/],
    [{ at: Number.NaN }, 'at', /UTC milliseconds/],
  ])('names the bad field %#', (change, field, message) => {
    const e = refusal(() => prepaidAccount(change as never));
    expect(e.code).toBe('invalid');
    expect(e.field).toBe(field);
    expect(e.message).toMatch(message);
  });
});

describe('balance, warnings and emergency credit', () => {
  it('warns once per threshold crossed downwards, flags exhaustion once, re-arms on the way up', () => {
    let a = prepaidAccount({ openingBalance: 15_000 }); // thresholds 100.00 and 20.00
    expect(a.lowCredit.warned).toEqual([]);
    const step = (amount: number) => {
      const t = chargeConsumption(a, { amount, at: day(11) });
      a = t.account;
      return t.events.filter((e) => e.kind !== 'consumption-charged');
    };
    expect(step(4_000)).toEqual([]); // 110.00
    expect(step(2_000)).toEqual([{ kind: 'low-credit', at: day(11), threshold: 10_000, balance: 9_000 }]);
    expect(step(1_000)).toEqual([]); // 80.00: already warned
    expect(step(7_000)).toEqual([{ kind: 'low-credit', at: day(11), threshold: 2_000, balance: 1_000 }]);
    expect(step(1_000)).toEqual([{ kind: 'credit-exhausted', at: day(11), balance: 0 }]);
    expect(step(500)).toEqual([]); // −5.00: consumption in a friendly period runs on
    expect(a.balance).toBe(-500);
    // emergency credit of 50.00 lifts it to 45.00: the 20.00 warning re-arms, 100.00 stays warned
    const t = takeEmergencyCredit(a, { at: day(11, '13:00') });
    expect(t.events).toEqual([{ kind: 'emergency-credit-taken', at: day(11, '13:00'), amount: 5_000, outstanding: 5_000 }]);
    expect(t.account).toMatchObject({ balance: 4_500, emergencyCredit: { limit: 5_000, taken: 5_000 }, lowCredit: { warned: [10_000] } });
  });

  it('a postpaid account is billed without warnings', () => {
    const a = switchMode(prepaidAccount({ openingBalance: 15_000 }), 'postpaid', day(11)).account;
    const t = chargeConsumption(a, { amount: 20_000, at: day(12) });
    expect(t.events).toEqual([{ kind: 'consumption-charged', at: day(12), amount: 20_000, balance: -5_000 }]);
  });

  it('emergency credit: partial takes up to the limit, then refused', () => {
    const a = prepaidAccount();
    const first = takeEmergencyCredit(a, { at: day(11), amount: 2_000 }).account;
    expect(refusal(() => takeEmergencyCredit(first, { at: day(11), amount: 3_001 })).message).toMatch(/must be 1 to 3000/);
    const all = takeEmergencyCredit(first, { at: day(11) }).account;
    expect(all.emergencyCredit.taken).toBe(5_000);
    expect(refusal(() => takeEmergencyCredit(all, { at: day(11) })).code).toBe('no-emergency-credit');
    expect(refusal(() => takeEmergencyCredit(switchMode(a, 'postpaid', day(11)).account, { at: day(11) })).code).toBe('not-prepaid');
  });

  it('every transition bumps the revision', () => {
    const a = prepaidAccount();
    expect(chargeConsumption(a, { amount: 0, at: day(11) }).account.revision).toBe(1);
    expect(addDebt(a, { amount: 1, at: day(11) }).account.revision).toBe(1);
    expect(changeTariff(a, 'x', day(11)).account.revision).toBe(1);
  });
});

describe('applyVend', () => {
  const a = prepaidAccount();
  const q = quoteVend({ account: a, tariff: stepTariff, paid: 50_000, at: day(15), monthToDateUnits: 0 });

  it('applies the quote once and reports what happened', () => {
    const t = applyVend(a, q);
    expect(t.account).toMatchObject({ revision: 1, balance: q.remainder, lastPurchaseAt: day(15), chargesPaidThrough: q.chargesPaidThrough });
    expect(t.events.map((e) => e.kind)).toEqual(['fixed-charges', 'purchase']);
    expect(t.events[0]).toEqual({ kind: 'fixed-charges', at: day(15), amount: 23_200 + 580 });
  });

  it('refuses to apply the same quote twice, or a quote for another state', () => {
    const once = applyVend(a, q).account;
    expect(refusal(() => applyVend(once, q)).code).toBe('stale-quote');
    const charged = chargeConsumption(a, { amount: 0, at: day(14) }).account; // same balance, new revision
    expect(refusal(() => applyVend(charged, q)).code).toBe('stale-quote');
    expect(refusal(() => applyVend({ ...a, id: 'acc-2' }, q)).code).toBe('mismatch');
  });
});

describe('closeAccount', () => {
  it('settles emergency credit, debt and the charges due, leaving the rest owed', () => {
    const a: AccountState = { ...prepaidAccount(), balance: 10_000, debt: { amount: 3_000, recoveryBasisPoints: 500 }, emergencyCredit: { limit: 5_000, taken: 2_000 } };
    // March service still due: 200.00 + 16 % VAT = 232.00; 100.00 − 20.00 − 30.00 − 232.00 = −182.00
    const t = closeAccount(a, { at: day(20), tariff: stepTariff });
    expect(t.settlement).toEqual({ balance: 10_000, fixedCharges: 23_200, fixedChargesVat: 3_200, tariff: { id: stepTariff.id, version: 1 }, debt: 3_000, emergencyCredit: 2_000, refund: 0, owed: 18_200 });
    expect(t.account).toMatchObject({ status: 'closed', closedAt: day(20), balance: -18_200, debt: { amount: 0 }, emergencyCredit: { taken: 0 } });
    // the amount owed can still be paid; nothing else is allowed
    expect(applyPayment(t.account, { paid: 18_200, at: day(21) }).account.balance).toBe(0);
    expect(refusal(() => chargeConsumption(t.account, { amount: 1, at: day(21) })).code).toBe('closed');
    expect(refusal(() => closeAccount(t.account, { at: day(21), tariff: stepTariff })).code).toBe('closed');
  });

  it('refunds what is left when everything is paid', () => {
    const paidMarch = { daily: day(16), monthly: local('2026-04-01T00:00', KENYA) };
    const a: AccountState = { ...prepaidAccount(), balance: 10_000, debt: { amount: 3_000, recoveryBasisPoints: 500 }, chargesPaidThrough: paidMarch };
    const t = closeAccount(a, { at: day(20), tariff: stepTariff });
    expect(t.settlement).toMatchObject({ fixedCharges: 0, refund: 7_000, owed: 0 });
    expect(t.account.balance).toBe(0);
  });

  it('refuses a tariff that is not the account\'s', () => {
    expect(refusal(() => closeAccount(prepaidAccount(), { at: day(20), tariff: { ...stepTariff, id: 'x' } })).code).toBe('mismatch');
  });
});

describe('switchMode and payments', () => {
  it('to postpaid: outstanding emergency credit comes off the balance', () => {
    const a: AccountState = { ...prepaidAccount(), balance: 1_000, emergencyCredit: { limit: 5_000, taken: 2_000 } };
    const t = switchMode(a, 'postpaid', day(12));
    expect(t.account).toMatchObject({ mode: 'postpaid', balance: -1_000, emergencyCredit: { taken: 0 } });
    expect(t.events).toEqual([{ kind: 'mode-switched', at: day(12), from: 'prepaid', to: 'postpaid', movedToDebt: 0, emergencyToBalance: 2_000 }]);
    expect(refusal(() => switchMode(t.account, 'postpaid', day(12))).message).toMatch(/already postpaid/);
  });

  it('to prepaid: an unpaid bill becomes debt recovered from purchases', () => {
    const a = switchMode(prepaidAccount(), 'postpaid', day(12)).account;
    const billed = chargeConsumption(a, { amount: 4_000, at: day(13) }).account;
    const t = switchMode(billed, 'prepaid', day(14));
    expect(t.account).toMatchObject({ mode: 'prepaid', balance: 0, debt: { amount: 4_000 } });
  });

  it('a postpaid payment recovers debt at its percentage', () => {
    const a = addDebt(switchMode(prepaidAccount(), 'postpaid', day(12)).account, { amount: 300, at: day(12), recoveryBasisPoints: 1_000 }).account;
    // 10 % of 50.00 = 5.00, but only 3.00 is owed
    const t = applyPayment(a, { paid: 5_000, at: day(13) });
    expect(t.account).toMatchObject({ balance: 4_700, debt: { amount: 0 } });
    expect(t.events[0]).toEqual({ kind: 'debt-recovered', at: day(13), amount: 300, outstanding: 0 });
    expect(refusal(() => applyPayment(prepaidAccount(), { paid: 1, at: day(13) })).message).toMatch(/a payment is a purchase/);
  });

  it('no money is lost across any sequence of mode switches', () => {
    fc.assert(
      fc.property(fc.integer({ min: -100_000, max: 100_000 }), fc.integer({ min: 0, max: 50_000 }), fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 1, max: 6 }), (balance, debt, taken, switches) => {
        let a: AccountState = { ...prepaidAccount(), balance, debt: { amount: debt, recoveryBasisPoints: 0 }, emergencyCredit: { limit: 5_000, taken } };
        // the customer's net position: money held minus everything owed
        const position = (x: AccountState) => x.balance - x.debt.amount - x.emergencyCredit.taken;
        const before = position(a);
        for (let i = 0; i < switches; i++) a = switchMode(a, a.mode === 'prepaid' ? 'postpaid' : 'prepaid', day(12)).account;
        expect(position(a)).toBe(before);
        if (a.mode === 'prepaid') expect(a.balance).toBeGreaterThanOrEqual(Math.min(0, balance));
      }),
    );
  });
});
