// The vend flow on a real database (a SQLite file, and PostgreSQL): idempotency, conflicts,
// credit limits, TIDs, errors. Every token is checked the way a meter would take it
// (shared/sts acceptToken).
import { afterEach, describe, expect, it } from 'vitest';
import { startVending } from '../../../cloud/vending/index.js';
import type { VendResult } from '../../../cloud/vending/service.js';
import { reconcile } from '../../../cloud/vending/reports.js';
import { acceptToken, decodeToken } from '../../../shared/sts/index.js';
import { accountInput, BACKENDS, type Harness, openShop, refusal, T0, TARIFF } from './service-fixtures.js';

let h: (Harness & Awaited<ReturnType<typeof openShop>>) | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe.each(BACKENDS)('vend (%s)', (backend) => {
  it('sells a token the meter accepts once, with the breakdown worked out by hand', async () => {
    h = await openShop(backend);
    const { service } = h.vending;
    const r = await service.vend(h.vendor, { requestId: 'r-1', meter: 'MTR00000001', amount: 1100 });
    // 1.00 standing charge (VAT 17) + 10.00 of energy at 2 cents a unit = 500 units (VAT 167).
    expect(r).toMatchObject({ units: 500, kWh: 50, amount: 1100, replayed: false, status: 'issued', delivery: 'manual', account: 'ACC-1' });
    expect(r.breakdown).toMatchObject({ paid: 1100, vat: 184, fixedCharges: [{ name: 'standing', amount: 100 }], energyMoney: 1000, remainder: 0, tariff: { id: 'flat-eur', version: 1 } });
    expect(r.token).toMatch(/^\d{20}$/);
    expect(r.tokenGrouped).toBe(r.token!.replace(/(\d{4})(?=\d)/g, '$1 '));
    const meter = await h.meterOf('ACC-1');
    const first = acceptToken(meter, r.token!, T0);
    expect(first).toMatchObject({ result: 'Accept', credit: { transferUnits: 500 } });
    expect(acceptToken(first.newState, r.token!, T0).result).toBe('Used');
    // Another meter cannot use it.
    expect(acceptToken(await h.meterOf('ACC-2'), r.token!, T0).result).toBe('CRC');
    // The money: the vendor owes 11.00, the books balance.
    expect((await service.vendors.get(h.vendor.id)).balanceOwed).toBe(1100);
    expect(await reconcile(service.store)).toEqual([]);
  });

  it('answers the same request id 5 times with one token and one charge', async () => {
    h = await openShop(backend);
    const { service } = h.vending;
    const answers: VendResult[] = [];
    for (let i = 0; i < 5; i++) {
      h.clock.now += 60_000; // retries come later: they must not make a new TID or token
      answers.push(await service.vend(h.vendor, { requestId: 'same', meter: 'MTR00000001', amount: 500 }));
    }
    expect(new Set(answers.map((a) => a.token)).size).toBe(1);
    expect(answers.map((a) => a.replayed)).toEqual([false, true, true, true, true]);
    expect(answers.every((a) => a.vendId === answers[0]!.vendId && a.units === answers[0]!.units)).toBe(true);
    expect(await service.store.allVends()).toHaveLength(1);
    expect((await service.vendors.get(h.vendor.id)).balanceOwed).toBe(500);
    expect((await service.store.journal()).filter((l) => l.kind === 'vend' && l.book.startsWith('vendor:'))).toHaveLength(1);
    expect((await service.store.account('ACC-1'))!.state.revision).toBe((await service.store.vend(answers[0]!.vendId))!.quote.accountRevision + 1);
    // The account id names the same account: still the same request.
    expect((await service.vend(h.vendor, { requestId: 'same', account: 'ACC-1', amount: 500 })).token).toBe(answers[0]!.token);
    expect((await service.vend(h.vendor, { requestId: 'same', meter: (await service.store.account('ACC-1'))!.sts.pan, amount: 500 })).token).toBe(answers[0]!.token);
  });

  it('answers one request id sent many times at once with one token and one charge', async () => {
    h = await openShop(backend);
    const { service } = h.vending;
    const answers = await Promise.all(Array.from({ length: 8 }, () => service.vend(h!.vendor, { requestId: 'burst', meter: 'MTR00000001', amount: 700 })));
    expect(new Set(answers.map((a) => a.token)).size).toBe(1);
    expect(answers.filter((a) => !a.replayed)).toHaveLength(1);
    expect(await service.store.allVends()).toHaveLength(1);
    expect((await service.vendors.get(h.vendor.id)).balanceOwed).toBe(700);
    expect(await reconcile(service.store)).toEqual([]);
  });

  it('reads a committed vend back after the process restarts on the same database', async () => {
    h = await openShop(backend);
    const first = await h.vending.service.vend(h.vendor, { requestId: 'restart', meter: 'MTR00000001', amount: 700 });
    await h.vending.close();
    await h.cloud.close();
    const cloud = await h.reopen();
    const again = await startVending({ store: cloud, keyring: h.keyring, now: () => T0 + 3_600_000 });
    const vendor = await again.service.vendors.get(h.vendor.id);
    const replay = await again.service.vend(vendor, { requestId: 'restart', meter: 'MTR00000001', amount: 700 });
    expect(replay).toMatchObject({ token: first.token, vendId: first.vendId, replayed: true });
    expect((await again.service.vendors.get(h.vendor.id)).balanceOwed).toBe(700);
    expect(await reconcile(again.service.store)).toEqual([]);
  });

  it('refuses a reused request id with another amount or meter, and charges nothing', async () => {
    h = await openShop(backend);
    const { service } = h.vending;
    await service.vend(h.vendor, { requestId: 'x', meter: 'MTR00000001', amount: 500 });
    const changed = await refusal(() => service.vend(h!.vendor, { requestId: 'x', meter: 'MTR00000001', amount: 501 }));
    expect(changed).toMatchObject({ kind: 'conflict', field: 'requestId' });
    expect(changed.message).toContain('already used for a vend of 500');
    expect(await refusal(() => service.vend(h!.vendor, { requestId: 'x', meter: 'MTR00000002', amount: 500 }))).toMatchObject({ kind: 'conflict' });
    expect(await service.store.allVends()).toHaveLength(1);
    expect((await service.vendors.get(h.vendor.id)).balanceOwed).toBe(500);
    // Request ids are per vendor: another vendor may use 'x'.
    const other = (await service.vendors.create({ name: 'Kiosk', creditLimit: 10_000 })).vendor;
    expect((await service.vend(other, { requestId: 'x', meter: 'MTR00000001', amount: 501 })).replayed).toBe(false);
  });

  it('keeps a vendor within its credit limit until it pays', async () => {
    h = await openShop(backend, { creditLimit: 2000 });
    const { service } = h.vending;
    await service.vend(h.vendor, { requestId: 'a', meter: 'MTR00000001', amount: 1500 });
    const over = await refusal(() => service.vend(h!.vendor, { requestId: 'b', meter: 'MTR00000002', amount: 600 }));
    expect(over).toMatchObject({ kind: 'credit-limit', field: 'amount' });
    expect(over.message).toContain('owes 1500 of a credit limit of 2000');
    expect(await service.store.vendByRequest(h.vendor.id, 'b')).toBeNull();
    expect((await service.vend(h.vendor, { requestId: 'c', meter: 'MTR00000002', amount: 500 })).amount).toBe(500); // exactly up to the limit
    await service.vendors.recordPayment(h.vendor.id, { amount: 1000, reference: 'BANK-1' });
    await service.vendors.recordPayment(h.vendor.id, { amount: 1000, reference: 'BANK-1' }); // the same payment again: once
    expect((await service.vendors.get(h.vendor.id)).balanceOwed).toBe(1000);
    expect(await refusal(() => service.vendors.recordPayment(h!.vendor.id, { amount: 999, reference: 'BANK-1' }))).toMatchObject({ kind: 'conflict' });
    expect((await service.vend(h.vendor, { requestId: 'b', meter: 'MTR00000002', amount: 600 })).replayed).toBe(false);
    await service.vendors.setTerms(h.vendor.id, { status: 'suspended' });
    expect(await refusal(() => service.vendors.authenticate(h!.apiKey))).toMatchObject({ kind: 'forbidden' });
    expect(await reconcile(service.store)).toEqual([]);
  });

  it('says clearly what is wrong with a request', async () => {
    h = await openShop(backend);
    const { service, operations } = h.vending;
    expect(await refusal(() => service.vend(h!.vendor, { requestId: 'u', meter: 'NOPE', amount: 500 }))).toMatchObject({ kind: 'not-found', field: 'meter', message: 'no account for meter NOPE' });
    expect(await refusal(() => service.vend(h!.vendor, { requestId: 'u', account: 'ACC-9', amount: 500 }))).toMatchObject({ kind: 'not-found', field: 'account' });
    expect(await refusal(() => service.vend(h!.vendor, { requestId: 'u', meter: 'MTR00000001', amount: 12.5 }))).toMatchObject({ kind: 'invalid', field: 'amount' });
    expect(await refusal(() => service.vend(h!.vendor, { requestId: 'has space', meter: 'MTR00000001', amount: 500 }))).toMatchObject({ kind: 'invalid', field: 'requestId' });
    expect(await refusal(() => service.vend(h!.vendor, { requestId: 'u', amount: 500 }))).toMatchObject({ kind: 'invalid', field: 'meter' });
    expect(await refusal(() => service.vend(h!.vendor, { requestId: 'u', meter: 'MTR00000001', amount: 50 }))).toMatchObject({ kind: 'account-state', field: 'amount' }); // below the standing charge
    await operations.close('ACC-2');
    expect(await refusal(() => service.vend(h!.vendor, { requestId: 'u', meter: 'MTR00000002', amount: 500 }))).toMatchObject({ kind: 'account-state', message: expect.stringContaining('closed') });
    expect(await refusal(() => service.vendors.authenticate('mev_0000000000000000_' + 'A'.repeat(43)))).toMatchObject({ kind: 'unauthorized' });
    expect(await service.store.allVends()).toHaveLength(0);
    expect((await service.vendors.get(h.vendor.id)).balanceOwed).toBe(0);
  });

  it('gives every token of a meter its own TID, also within one minute', async () => {
    h = await openShop(backend);
    const { service } = h.vending;
    const tokens: VendResult[] = [];
    for (const i of [1, 2, 3]) tokens.push(await service.vend(h.vendor, { requestId: `t${i}`, meter: 'MTR00000001', amount: 200 + i }));
    const tids = await Promise.all(tokens.map(async (t) => (await service.store.vend(t.vendId))!.tid!));
    expect(tids[1]).toBe(tids[0]! + 1);
    expect(tids[2]).toBe(tids[0]! + 2);
    let meter = await h.meterOf('ACC-1');
    for (const t of tokens) {
      const r = acceptToken(meter, t.token!, T0);
      expect(r.result).toBe('Accept');
      meter = r.newState;
    }
    // Another meter's sequence is its own.
    const other = await service.vend(h.vendor, { requestId: 'o', meter: 'MTR00000002', amount: 300 });
    expect((await service.store.vend(other.vendId))!.tid).toBe(tids[0]);
    expect(decodeToken(other.token!, h.keyring.decoderKey((await service.store.account('ACC-2'))!.sts), 'EA07', { baseDate: 2014 }).issuedAt!.getTime()).toBe(T0);
  });

  it('opens accounts only with valid STS parameters and a vending key for them', async () => {
    h = await openShop(backend);
    const { operations } = h.vending;
    expect(await refusal(() => operations.open({ ...accountInput(3), sts: { ...accountInput(3).sts, pan: '600727000000000008' } }))).toMatchObject({ kind: 'invalid', field: 'sts.pan' });
    expect(await refusal(() => operations.open({ ...accountInput(3), sts: { ...accountInput(3).sts, keyRevisionNumber: 7 } }))).toMatchObject({ kind: 'invalid', field: 'sts' });
    expect(await refusal(() => operations.open({ ...accountInput(3), meterSerial: 'MTR00000001' }))).toMatchObject({ kind: 'conflict', field: 'meterSerial' });
    expect(await refusal(() => operations.open({ ...accountInput(3), tariffId: 'nope' }))).toMatchObject({ kind: 'invalid', field: 'tariffId' });
    expect(JSON.stringify(await operations.open(accountInput(3)))).not.toMatch(/abababab/i);
  });

  it('prices a step tariff by the units vended so far this month (reversed vends not counted)', async () => {
    h = await openShop(backend);
    const { service, operations } = h.vending;
    // Up to 50 kWh a month at 2 cents per 0.1 kWh, above that 4 cents.
    await operations.addTariff({ ...TARIFF, id: 'steps-eur', energy: { kind: 'steps', steps: [{ upToUnits: 500, pricePerKwh: 200_000 }, { upToUnits: null, pricePerKwh: 400_000 }] } });
    await operations.changeTariff('ACC-1', 'steps-eur');
    expect((await service.vend(h.vendor, { requestId: 's1', meter: 'MTR00000001', amount: 1100 })).units).toBe(500); // 1.00 charge + 500 units at 2 cents
    expect((await service.vend(h.vendor, { requestId: 's2', meter: 'MTR00000001', amount: 400 })).units).toBe(100); // all at 4 cents now
    await service.reverse(h.vendor, 's2');
    expect((await service.vend(h.vendor, { requestId: 's3', meter: 'MTR00000001', amount: 400 })).units).toBe(100);
    h.clock.now = Date.UTC(2026, 3, 2); // a new month: step 1 again (after April's standing charge)
    expect((await service.vend(h.vendor, { requestId: 's4', meter: 'MTR00000001', amount: 500 })).units).toBe(200);
    expect(await reconcile(service.store)).toEqual([]);
  });
});

describe.each(BACKENDS)('vending store (%s)', (backend) => {
  it('keeps the journal and the tariff versions append-only, whoever writes', async () => {
    h = await openShop(backend);
    await h.vending.service.vend(h.vendor, { requestId: 'j', meter: 'MTR00000001', amount: 500 });
    await expect(h.sql(`UPDATE journal SET amount = 0`)).rejects.toThrow(/append-only/);
    await expect(h.sql(`DELETE FROM journal`)).rejects.toThrow(/append-only/);
    await expect(h.sql(`UPDATE tariffs SET valid_from = 0`)).rejects.toThrow(/append-only/);
    await expect(h.sql(`DELETE FROM tariffs`)).rejects.toThrow(/append-only/);
    // One request id per vendor, also for a writer that skips the service.
    await expect(
      h.sql(
        `INSERT INTO vends (id, vendor, request_id, account, pan, amount, quote, units, account_before, account_after, status, issued_at, delivery)
         SELECT 'copy', vendor, request_id, account, pan, amount, quote, units, account_before, account_after, status, issued_at, delivery FROM vends`,
      ),
    ).rejects.toThrow(/unique|UNIQUE/);
    // One tariff version per instant, also for a writer that skips the service's check.
    await expect(h.sql(`INSERT INTO tariffs (id, version, valid_from, definition, created_at) SELECT id, version + 100, valid_from, definition, created_at FROM tariffs`)).rejects.toThrow(/unique|UNIQUE/);
    expect(await reconcile(h.vending.service.store)).toEqual([]);
  });

  it('commits nothing of a transaction that fails, and refuses store queries that bypass it', async () => {
    h = await openShop(backend);
    const { store } = h.vending.service;
    const failing = store.transaction(async (tx) => {
      await tx.addToVendorBalance(h!.vendor.id, 123);
      await tx.post({ entry: 'half', kind: 'adjustment', at: T0, lines: [{ book: 'cash', amount: 123 }, { book: 'adjustments', amount: -123 }] });
      throw new Error('stop here');
    });
    await expect(failing).rejects.toThrow('stop here');
    expect((await store.vendor(h.vendor.id))!.balanceOwed).toBe(0);
    expect(await store.journal({ entry: 'half' })).toEqual([]);
    // The store itself inside its own transaction would not see (or would wait for) the transaction's rows.
    await expect(store.transaction(async () => store.vendors())).rejects.toThrow(/inside its own transaction/);
  });
});

describe('SQLite vending transactions', () => {
  it('roll back a transaction that waits for something other than its queries', async () => {
    // Between BEGIN and COMMIT nothing else may use the cloud's connection: the whole
    // transaction must run within one turn of the event loop.
    h = await openShop('sqlite');
    const { store } = h.vending.service;
    const waiting = store.transaction(async (tx) => {
      await tx.addToVendorBalance(h!.vendor.id, 50);
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
    await expect(waiting).rejects.toThrow(/waited for something other than its queries/);
    expect((await store.vendor(h.vendor.id))!.balanceOwed).toBe(0);
  });
});
