// The money journal's books and entries. Double entry: every entry's lines sum to zero,
// debit positive, credit negative. Assets (what others owe the utility: vendors, customers'
// debt and emergency advances, cash) carry positive balances; liabilities and income (the
// customers' money held, VAT due, revenue) carry negative ones.
//
// A vend is one entry:   vendor  +paid
//                        account balance  −(new balance − old balance)
//                        account debt     −debt recovered
//                        account emergency −emergency credit repaid
//                        revenue:sales    −(fixed charges + energy money − VAT)
//                        tax:vat          −VAT
// It balances exactly when paid + old balance = charges + debt + emergency + energy + new
// balance, i.e. when the quote lost and invented nothing; post() refuses it otherwise.
// A reversal is the same lines negated. Any other change of an account's money (emergency
// credit taken, debt added, closing) is an adjustment entry from the state difference.
import type { AccountState } from './accounts/account.js';
import type { VendQuote } from './quote.js';
import type { JournalEntry, JournalLine, VendRecord } from './store/index.js';

export const Books = {
  cash: 'cash',
  sales: 'revenue:sales',
  vat: 'tax:vat',
  /** Money owed back to customers of closed accounts. */
  refunds: 'refunds:payable',
  /** Counterpart of account changes that are not sales (opening debt, write-offs, refunds). */
  adjustments: 'adjustments',
  vendor: (id: string) => `vendor:${id}`,
  balance: (account: string) => `account:${account}:balance`,
  debt: (account: string) => `account:${account}:debt`,
  emergency: (account: string) => `account:${account}:emergency`,
} as const;

export function fixedChargesTotal(quote: VendQuote): number {
  return quote.fixedCharges.reduce((s, c) => s + c.amount, 0);
}

/** The lines of a vend (see the header); `sign` −1 gives the reversal's lines. */
export function vendLines(vendor: string, account: string, quote: VendQuote, balanceBefore: number, balanceAfter: number, sign: 1 | -1 = 1): JournalLine[] {
  const lines: JournalLine[] = [
    { book: Books.vendor(vendor), amount: quote.paid, memo: 'paid' },
    { book: Books.balance(account), amount: -(balanceAfter - balanceBefore), memo: 'balance change' },
    { book: Books.debt(account), amount: -quote.debtRecovered, memo: 'debt recovered' },
    { book: Books.emergency(account), amount: -quote.emergencyRepaid, memo: 'emergency credit repaid' },
    { book: Books.sales, amount: -(fixedChargesTotal(quote) + quote.energyMoney - quote.vat), memo: 'charges and energy, net of VAT' },
    { book: Books.vat, amount: -quote.vat, memo: 'VAT' },
  ];
  return lines.map((l) => ({ ...l, amount: sign * l.amount || 0 }));
}

/** The journal entry of a vend, or of its reversal (the same lines negated). */
export function vendEntry(kind: 'vend' | 'reversal', v: VendRecord, at: number): JournalEntry {
  return {
    entry: `${kind}:${v.id}`,
    kind,
    at,
    vendor: v.vendor,
    account: v.account,
    vend: v.id,
    lines: vendLines(v.vendor, v.account, v.quote, v.accountBefore.balance, v.accountAfter.balance, kind === 'vend' ? 1 : -1),
  };
}

/**
 * An adjustment entry for a change of an account's money outside a vend: the balance, debt
 * and emergency books follow the state, `counterpart` takes the difference.
 */
export function adjustmentEntry(entry: string, before: AccountState | null, after: AccountState, at: number, counterpart: string = Books.adjustments): JournalEntry | null {
  const d = (f: (s: AccountState) => number) => f(after) - (before ? f(before) : 0);
  const lines: JournalLine[] = [
    { book: Books.balance(after.id), amount: -d((s) => s.balance), memo: 'balance' },
    { book: Books.debt(after.id), amount: d((s) => s.debt.amount), memo: 'debt' },
    { book: Books.emergency(after.id), amount: d((s) => s.emergencyCredit.taken), memo: 'emergency credit' },
  ].filter((l) => l.amount !== 0);
  if (lines.length === 0) return null;
  const sum = lines.reduce((s, l) => s + l.amount, 0);
  if (sum !== 0) lines.push({ book: counterpart, amount: -sum, memo: entry.split(':')[0] ?? 'adjustment' });
  return { entry, kind: 'adjustment', at, account: after.id, lines };
}
