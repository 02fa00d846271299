// Money is never lost or counted twice, whatever a day of selling looks like: random
// sequences of vends (some retried, some with a reused request id and another amount),
// reversals, vendor payments, emergency credit and debt, with the clock moving on. After
// each sequence the books reconcile, every vendor owes exactly Σ sold − Σ reversed − Σ paid,
// and every retried request answered its first token. On a SQLite file and on PostgreSQL.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VendingError } from '../../../cloud/vending/index.js';
import { reconcile } from '../../../cloud/vending/reports.js';
import { accountInput, BACKENDS, openShop } from './service-fixtures.js';

type Step =
  | { kind: 'vend'; request: number; account: 1 | 2; amount: number }
  | { kind: 'reverse'; request: number }
  | { kind: 'pay'; amount: number; reference: number }
  | { kind: 'emergency'; amount: number }
  | { kind: 'debt'; amount: number }
  | { kind: 'wait'; minutes: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('vend' as const), request: fc.nat(12), account: fc.constantFrom(1 as const, 2 as const), amount: fc.integer({ min: 1, max: 3000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reverse' as const), request: fc.nat(12) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pay' as const), amount: fc.integer({ min: 1, max: 5000 }), reference: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('emergency' as const), amount: fc.integer({ min: 1, max: 300 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('debt' as const), amount: fc.integer({ min: 0, max: 2000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wait' as const), minutes: fc.integer({ min: 0, max: 60 * 24 * 20 }) }) },
);

describe.each(BACKENDS)('money conservation (%s)', (backend) => {
  it('reconciles after any sequence of sales, retries, reversals and payments', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        const h = await openShop(backend, { creditLimit: 20_000 });
        try {
          const { service, operations } = h.vending;
          await operations.open({ ...accountInput(3), emergencyCreditLimit: 500 });
          const first = new Map<string, { token: string | null; amount: number; account: string }>();
          let paid = 0;
          for (const s of steps) {
            try {
              if (s.kind === 'vend') {
                const id = `q-${s.request}`;
                const account = s.account === 1 ? 'ACC-1' : 'ACC-3';
                const r = await service.vend(h.vendor, { requestId: id, account, amount: s.amount });
                const seen = first.get(id);
                if (seen) expect([r.token, r.amount, r.account]).toEqual([seen.token, seen.amount, seen.account]);
                else first.set(id, { token: r.token, amount: r.amount, account });
              } else if (s.kind === 'reverse') await service.reverse(h.vendor, `q-${s.request}`);
              else if (s.kind === 'pay') {
                const before = (await service.vendors.get(h.vendor.id)).balanceOwed;
                paid += before - (await service.vendors.recordPayment(h.vendor.id, { amount: s.amount, reference: `p-${s.reference}-${s.amount}` })).balanceOwed;
              } else if (s.kind === 'emergency') await operations.emergencyCredit('ACC-3', s.amount);
              else if (s.kind === 'debt') await operations.addDebt('ACC-3', s.amount, 2000);
              else h.clock.now += s.minutes * 60_000;
            } catch (error) {
              if (!(error instanceof VendingError)) throw error; // refusals are fine; anything else is a bug
            }
          }
          const vends = await service.store.allVends();
          const sold = vends.reduce((t, v) => t + v.amount, 0);
          const reversed = vends.filter((v) => v.status === 'reversed').reduce((t, v) => t + v.amount, 0);
          expect((await service.vendors.get(h.vendor.id)).balanceOwed).toBe(sold - reversed - paid);
          expect(vends.length).toBe(first.size);
          expect(await reconcile(service.store)).toEqual([]);
        } finally {
          await h.close();
        }
      }),
      { numRuns: 30 },
    );
  }, 120_000);
});
