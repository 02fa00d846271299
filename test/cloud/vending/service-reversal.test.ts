// Reversals (the newest standing vend of an account, within the window, never one a meter
// accepted remotely), reports, the VAT report and reconciliation on a worked example, and
// engineering tokens — on a SQLite file and on PostgreSQL.
import { afterEach, describe, expect, it } from 'vitest';
import { reconcile, salesReport, vatReport } from '../../../cloud/vending/reports.js';
import { acceptToken, decodeToken } from '../../../shared/sts/index.js';
import { accountInput, BACKENDS, type Harness, openShop, refusal, T0, TARIFF } from './service-fixtures.js';

let h: (Harness & Awaited<ReturnType<typeof openShop>>) | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const HOUR = 3_600_000;

describe.each(BACKENDS)('reversal (%s)', (backend) => {
  it('gives the money back to the vendor and undoes the vend on the account, once', async () => {
    h = await openShop(backend);
    const { service } = h.vending;
    const before = (await service.store.account('ACC-1'))!.state;
    const vend = await service.vend(h.vendor, { requestId: 'r', meter: 'MTR00000001', amount: 1101 });
    expect((await service.store.account('ACC-1'))!.state.balance).toBe(1); // the odd cent stays as money
    h.clock.now += HOUR;
    const reversed = await service.reverse(h.vendor, 'r', 'customer changed their mind');
    expect(reversed).toMatchObject({ status: 'reversed', reversedAt: T0 + HOUR, token: vend.token });
    const after = (await service.store.account('ACC-1'))!.state;
    expect(after).toMatchObject({ balance: before.balance, chargesPaidThrough: before.chargesPaidThrough, lastPurchaseAt: null });
    expect((await service.vendors.get(h.vendor.id)).balanceOwed).toBe(0);
    expect((await service.reverse(h.vendor, 'r')).reversedAt).toBe(T0 + HOUR); // again: the same answer, nothing more
    expect((await service.store.journal({ vend: vend.vendId })).filter((l) => l.kind === 'reversal' && l.book.startsWith('vendor:'))).toEqual([expect.objectContaining({ amount: -1101 })]);
    // The standing charge is due again: the next purchase pays it.
    expect((await service.vend(h.vendor, { requestId: 'r2', meter: 'MTR00000001', amount: 1100 })).breakdown.fixedCharges).toEqual([{ name: 'standing', amount: 100 }]);
    expect(await reconcile(service.store)).toEqual([]);
  });

  it('refuses an older vend, one past the window, and unknown ones', async () => {
    h = await openShop(backend, { reversalWindowMs: 2 * HOUR });
    const { service } = h.vending;
    await service.vend(h.vendor, { requestId: 'old', meter: 'MTR00000001', amount: 500 });
    await service.vend(h.vendor, { requestId: 'new', meter: 'MTR00000001', amount: 500 });
    expect(await refusal(() => service.reverse(h!.vendor, 'old'))).toMatchObject({ kind: 'conflict', message: expect.stringContaining('vend new came after') });
    h.clock.now += 3 * HOUR;
    expect(await refusal(() => service.reverse(h!.vendor, 'new'))).toMatchObject({ kind: 'conflict', message: expect.stringContaining('within 2 h') });
    expect(await refusal(() => service.reverse(h!.vendor, 'none'))).toMatchObject({ kind: 'not-found' });
    const other = (await service.vendors.create({ name: 'Other', creditLimit: 1000 })).vendor;
    expect(await refusal(() => service.reverse(other, 'new'))).toMatchObject({ kind: 'not-found' }); // not its vend
    expect((await service.vendors.get(h.vendor.id)).balanceOwed).toBe(1000);
  });

  it('refuses a token the meter accepted through remote delivery', async () => {
    h = await openShop(backend);
    const { service } = h.vending;
    const v = await service.vend(h.vendor, { requestId: 'd', meter: 'MTR00000001', amount: 500 });
    await service.store.updateDelivery(v.vendId, { delivery: 'delivered' });
    expect(await refusal(() => service.reverse(h!.vendor, 'd'))).toMatchObject({ kind: 'conflict', message: expect.stringContaining('accepted') });
  });

  it('reverses once when the same reversal is sent many times at once', async () => {
    h = await openShop(backend);
    const { service } = h.vending;
    await service.vend(h.vendor, { requestId: 'twice', meter: 'MTR00000001', amount: 900 });
    const answers = await Promise.all(Array.from({ length: 6 }, () => service.reverse(h!.vendor, 'twice')));
    expect(answers.every((a) => a.status === 'reversed' && a.reversedAt === answers[0]!.reversedAt)).toBe(true);
    expect((await service.vendors.get(h.vendor.id)).balanceOwed).toBe(0);
    expect((await service.store.journal()).filter((l) => l.kind === 'reversal' && l.book.startsWith('vendor:'))).toHaveLength(1);
    expect(await reconcile(service.store)).toEqual([]);
  });
});

describe.each(BACKENDS)('reports and reconciliation (%s)', (backend) => {
  it('adds up a worked example per vendor, for the operator, and for VAT', async () => {
    h = await openShop(backend);
    const { service } = h.vending;
    const kiosk = (await service.vendors.create({ name: 'Kiosk', creditLimit: 10_000 })).vendor;
    // Day 1 (10 March): shop sells 11.00 to ACC-1 (charge 1.00 + 500 units; VAT 17 + 167)
    // and 4.00 to ACC-2... ACC-2's first purchase also pays the standing charge: 1.00 + 150 units (VAT 17 + 50).
    await service.vend(h.vendor, { requestId: 's1', meter: 'MTR00000001', amount: 1100 });
    await service.vend(h.vendor, { requestId: 's2', meter: 'MTR00000002', amount: 400 });
    // Day 2: kiosk sells 6.00 to ACC-1 (300 units, VAT 100), the shop sells 2.00 to ACC-2 (VAT 33) and reverses it.
    h.clock.now = T0 + 24 * HOUR;
    await service.vend(kiosk, { requestId: 'k1', meter: 'MTR00000001', amount: 600 });
    await service.vend(h.vendor, { requestId: 's3', meter: 'MTR00000002', amount: 200 });
    await service.reverse(h.vendor, 's3');

    const days = await salesReport(service.store, { granularity: 'day', from: Date.UTC(2026, 2, 1), to: Date.UTC(2026, 3, 1) });
    const brief = days.map((l) => [l.period, l.vendorName ?? 'ALL', l.count, l.amount, l.vat, l.reversals.count, l.reversals.amount, l.netAmount, l.netVat]);
    expect(brief).toEqual([
      ['2026-03-10', 'Corner shop', 2, 1500, 251, 0, 0, 1500, 251],
      ['2026-03-10', 'ALL', 2, 1500, 251, 0, 0, 1500, 251],
      ['2026-03-11', 'Corner shop', 1, 200, 33, 1, 200, 0, 0],
      ['2026-03-11', 'Kiosk', 1, 600, 100, 0, 0, 600, 100],
      ['2026-03-11', 'ALL', 2, 800, 133, 1, 200, 600, 100],
    ]);
    const months = await salesReport(service.store, { granularity: 'month', from: Date.UTC(2026, 2, 1), to: Date.UTC(2026, 3, 1), vendor: h.vendor.id });
    expect(months.map((l) => [l.period, l.vendorName ?? 'ALL', l.count, l.amount, l.reversals.amount, l.netAmount])).toEqual([
      ['2026-03', 'Corner shop', 3, 1700, 200, 1500],
      ['2026-03', 'ALL', 3, 1700, 200, 1500],
    ]);
    // VAT at 20 %: gross 2100 net of the reversal, VAT 351.
    expect(await vatReport(service.store, { granularity: 'month', from: Date.UTC(2026, 2, 1), to: Date.UTC(2026, 3, 1) })).toEqual([
      { period: '2026-03', rateBasisPoints: 2000, gross: 2100, vat: 351, net: 1749 },
    ]);
    expect(await reconcile(service.store)).toEqual([]);

    // ACC-2 closes in April: its balance pays April's standing charge (1.00, VAT 17 at 20 %
    // included), which the VAT report counts in April; March is unchanged.
    h.clock.now = Date.UTC(2026, 3, 15, 12);
    const closed = await h.vending.operations.close('ACC-2');
    expect(closed.settlement).toMatchObject({ fixedCharges: 100, fixedChargesVat: 17, tariff: { id: TARIFF.id, version: 1 } });
    expect(await vatReport(service.store, { granularity: 'month', from: Date.UTC(2026, 2, 1), to: Date.UTC(2026, 4, 1) })).toEqual([
      { period: '2026-03', rateBasisPoints: 2000, gross: 2100, vat: 351, net: 1749 },
      { period: '2026-04', rateBasisPoints: 2000, gross: 100, vat: 17, net: 83 },
    ]);
    expect(await reconcile(service.store)).toEqual([]);

    // A stored balance that drifts from the books is found.
    await h.sql(`UPDATE vendors SET balance_owed = balance_owed + 1 WHERE id = ?`, [kiosk.id]);
    expect(await reconcile(service.store)).toEqual([expect.objectContaining({ kind: 'vendor-balance', subject: kiosk.id, expected: 600, actual: 601 })]);
    const state = (await service.store.account('ACC-1'))!.state;
    await service.store.setAccountState({ ...state, balance: state.balance + 5 }, h.clock.now);
    expect((await reconcile(service.store)).map((d) => d.kind)).toEqual(['vendor-balance', 'account-balance']);
    // The journal itself cannot be edited.
    await expect(h.sql(`UPDATE journal SET amount = 0`)).rejects.toThrow(/append-only/);
    await expect(h.sql(`DELETE FROM journal`)).rejects.toThrow(/append-only/);
  });

  it('books emergency credit, debt, mode switches and closing so the accounts still reconcile', async () => {
    h = await openShop(backend);
    const { service, operations } = h.vending;
    await operations.open({ ...accountInput(5), emergencyCreditLimit: 300 });
    await operations.emergencyCredit('ACC-5', 200);
    await operations.addDebt('ACC-5', 1000, 2500);
    const v = await service.vend(h.vendor, { requestId: 'e', account: 'ACC-5', amount: 2000 });
    // 1.00 charge, then debt 25 % of 20.00 = 5.00, then the 2.00 emergency credit; the rest buys energy.
    expect(v.breakdown).toMatchObject({ debtRecovered: 500, emergencyRepaid: 200 });
    await operations.switchMode('ACC-5', 'postpaid');
    const closed = await operations.close('ACC-5');
    expect(closed.state.status).toBe('closed');
    expect(await reconcile(service.store)).toEqual([]);
  });
});

describe.each(BACKENDS)('engineering tokens (%s)', (backend) => {
  it('makes clear-credit and clear-tamper tokens with fresh TIDs, and key changes the meter follows', async () => {
    h = await openShop(backend);
    const { service, operations } = h.vending;
    const vend = await service.vend(h.vendor, { requestId: 'v', meter: 'MTR00000001', amount: 500 });
    const key = h.keyring.decoderKey((await service.store.account('ACC-1'))!.sts);
    const clear = await operations.engineering('ACC-1', 'clear-credit');
    expect(clear.tid).toBe((await service.store.vend(vend.vendId))!.tid! + 1);
    expect(decodeToken(clear.tokens[0]!, key, 'EA07', { baseDate: 2014 })).toMatchObject({ class: 2, subclass: 1, crcOk: true });
    expect(decodeToken((await operations.engineering('ACC-1', 'clear-tamper')).tokens[0]!, key, 'EA07')).toMatchObject({ class: 2, subclass: 5 });

    let meter = await h.meterOf('ACC-1');
    const change = await operations.engineering('ACC-1', 'key-change', { keyRevisionNumber: 2 });
    expect(change.tokens).toHaveLength(2);
    expect((await service.store.account('ACC-1'))!.sts.keyRevisionNumber).toBe(2);
    const oldMeter = meter;
    for (const t of change.tokens) meter = acceptToken(meter, t, T0).newState;
    const next = await service.vend(h.vendor, { requestId: 'after-kc', meter: 'MTR00000001', amount: 500 });
    expect(acceptToken(meter, next.token!, T0).result).toBe('Accept');
    expect(acceptToken(oldMeter, next.token!, T0).result).toBe('CRC');
    await expect(operations.engineering('ACC-1', 'key-change', { keyRevisionNumber: 3 })).rejects.toThrow(/no DKGA02 vending key/);
  });
});
