// Sales reports, the VAT report and reconciliation, read from the vends and the journal.
// Periods are local days ("YYYY-MM-DD") or months ("YYYY-MM") at a fixed UTC offset. A vend
// counts in the period it was issued, its reversal in the period it was reversed (the books
// of a closed day never change afterwards).
import { Books, fixedChargesTotal } from './ledger.js';
import type { VendingQueries, VendingStore, VendRecord } from './store/index.js';

export type Granularity = 'day' | 'month';

export interface ReportOptions {
  granularity: Granularity;
  /** UTC ms, inclusive. */
  from: number;
  /** UTC ms, exclusive. */
  to: number;
  /** Minutes east of UTC of the days and months (default 0). */
  timeZoneMinutes?: number;
  /** Only this vendor's sales. */
  vendor?: string;
}

export interface SalesLine {
  period: string;
  /** The vendor id, or null for the operator's totals (all vendors). */
  vendor: string | null;
  vendorName: string | null;
  count: number;
  /** Money paid (VAT included), minor units. */
  amount: number;
  vat: number;
  units: number;
  reversals: { count: number; amount: number; vat: number; units: number };
  /** amount − reversals.amount; vat − reversals.vat. */
  netAmount: number;
  netVat: number;
}

export function periodOf(utcMs: number, granularity: Granularity, timeZoneMinutes = 0): string {
  const iso = new Date(utcMs + timeZoneMinutes * 60_000).toISOString();
  return granularity === 'day' ? iso.slice(0, 10) : iso.slice(0, 7);
}

function emptyLine(period: string, vendor: string | null, vendorName: string | null): SalesLine {
  return { period, vendor, vendorName, count: 0, amount: 0, vat: 0, units: 0, reversals: { count: 0, amount: 0, vat: 0, units: 0 }, netAmount: 0, netVat: 0 };
}

/** Per period: one line per vendor and one operator line (vendor null) with the totals. */
export async function salesReport(store: VendingQueries, o: ReportOptions): Promise<SalesLine[]> {
  const names = new Map((await store.vendors()).map((v) => [v.id, v.name]));
  const lines = new Map<string, SalesLine>();
  const line = (period: string, vendor: string | null) => {
    const key = `${period}\u0000${vendor ?? ''}`;
    let l = lines.get(key);
    if (!l) lines.set(key, (l = emptyLine(period, vendor, vendor === null ? null : (names.get(vendor) ?? null))));
    return l;
  };
  const inRange = (t: number | null): t is number => t !== null && t >= o.from && t < o.to;
  for (const v of await store.vendsTouching(o.from, o.to)) {
    if (o.vendor !== undefined && v.vendor !== o.vendor) continue;
    if (inRange(v.issuedAt)) {
      for (const l of [line(periodOf(v.issuedAt, o.granularity, o.timeZoneMinutes), v.vendor), line(periodOf(v.issuedAt, o.granularity, o.timeZoneMinutes), null)]) {
        l.count += 1;
        l.amount += v.amount;
        l.vat += v.quote.vat;
        l.units += v.units;
      }
    }
    if (v.status === 'reversed' && inRange(v.reversedAt)) {
      for (const l of [line(periodOf(v.reversedAt, o.granularity, o.timeZoneMinutes), v.vendor), line(periodOf(v.reversedAt, o.granularity, o.timeZoneMinutes), null)]) {
        l.reversals.count += 1;
        l.reversals.amount += v.amount;
        l.reversals.vat += v.quote.vat;
        l.reversals.units += v.units;
      }
    }
  }
  const out = [...lines.values()].map((l) => ({ ...l, netAmount: l.amount - l.reversals.amount, netVat: l.vat - l.reversals.vat }));
  return out.sort((a, b) => (a.period < b.period ? -1 : a.period > b.period ? 1 : a.vendor === null ? 1 : b.vendor === null ? -1 : (a.vendorName ?? '').localeCompare(b.vendorName ?? '')));
}

export interface VatLine {
  period: string;
  /** VAT rate of the tariff version that priced the sales, basis points. */
  rateBasisPoints: number;
  /** Sales net of VAT (charges and energy; debt and emergency repayments and balances carry no VAT here). */
  net: number;
  vat: number;
  gross: number;
}

/**
 * VAT due per period and rate: VAT of vends issued minus VAT of vends reversed in the period,
 * plus the VAT in fixed charges settled when accounts closed.
 */
export async function vatReport(store: VendingQueries, o: Omit<ReportOptions, 'vendor'>): Promise<VatLine[]> {
  const rates = new Map<string, number>();
  const rateOf = async (tariff: { id: string; version: number }) => {
    const key = `${tariff.id}/${tariff.version}`;
    if (!rates.has(key)) rates.set(key, (await store.tariff(tariff.id, tariff.version))?.definition.vat.rateBasisPoints ?? -1);
    return rates.get(key)!;
  };
  const lines = new Map<string, VatLine>();
  const add = (period: string, rate: number, gross: number, vat: number) => {
    const key = `${period}/${rate}`;
    const l = lines.get(key) ?? { period, rateBasisPoints: rate, net: 0, vat: 0, gross: 0 };
    l.gross += gross;
    l.vat += vat;
    l.net = l.gross - l.vat;
    lines.set(key, l);
  };
  for (const v of await store.vendsTouching(o.from, o.to)) {
    const gross = fixedChargesTotal(v.quote) + v.quote.energyMoney;
    if (v.issuedAt >= o.from && v.issuedAt < o.to) add(periodOf(v.issuedAt, o.granularity, o.timeZoneMinutes), await rateOf(v.quote.tariff), gross, v.quote.vat);
    if (v.status === 'reversed' && v.reversedAt !== null && v.reversedAt >= o.from && v.reversedAt < o.to) {
      add(periodOf(v.reversedAt, o.granularity, o.timeZoneMinutes), await rateOf(v.quote.tariff), -gross, -v.quote.vat);
    }
  }
  for (const e of await store.eventsOfKind('closed', o.from, o.to)) {
    if (e.kind !== 'closed' || e.settlement.fixedCharges === 0) continue;
    add(periodOf(e.at, o.granularity, o.timeZoneMinutes), await rateOf(e.settlement.tariff), e.settlement.fixedCharges, e.settlement.fixedChargesVat);
  }
  return [...lines.values()].sort((a, b) => (a.period < b.period ? -1 : a.period > b.period ? 1 : a.rateBasisPoints - b.rateBasisPoints));
}

export interface Discrepancy {
  kind: 'unbalanced-entry' | 'vendor-balance' | 'vendor-sales' | 'vend-journal' | 'account-balance' | 'account-debt' | 'account-emergency' | 'duplicate-tid';
  subject: string;
  expected: number | string;
  actual: number | string;
  message: string;
}

/**
 * Checks that the books agree with themselves and with the vends and accounts:
 * every journal entry balances; per vendor, Σ vends − Σ reversals − Σ payments = the journal's
 * vendor book = the vendor's stored balance owed; every vend has its entry (and a reversed one
 * its reversal) of exactly its amount; per account, balance, debt and emergency credit equal
 * their journal books; no meter got one TID twice. Empty when all is well. Read on one
 * consistent view, so sales going on meanwhile never show as a discrepancy.
 */
export function reconcile(store: VendingStore): Promise<Discrepancy[]> {
  return store.snapshot((tx) => reconcileIn(tx));
}

async function reconcileIn(store: VendingQueries): Promise<Discrepancy[]> {
  const out: Discrepancy[] = [];
  const d = (kind: Discrepancy['kind'], subject: string, expected: number | string, actual: number | string, message: string) => out.push({ kind, subject, expected, actual, message });
  for (const e of await store.unbalancedEntries()) d('unbalanced-entry', e.entry, 0, e.sum, `journal entry ${e.entry} sums to ${e.sum}, not 0`);
  const books = await store.bookBalances();
  const journal = await store.journal();
  const vends = await store.allVends();

  for (const vendor of await store.vendors()) {
    const book = books.get(Books.vendor(vendor.id)) ?? 0;
    const own = vends.filter((v) => v.vendor === vendor.id);
    const sold = own.reduce((s, v) => s + v.amount, 0);
    const reversed = own.filter((v) => v.status === 'reversed').reduce((s, v) => s + v.amount, 0);
    const paid = journal.filter((l) => l.kind === 'payment' && l.vendor === vendor.id && l.book === Books.cash).reduce((s, l) => s + l.amount, 0);
    if (book !== vendor.balanceOwed) d('vendor-balance', vendor.id, book, vendor.balanceOwed, `vendor '${vendor.name}': stored balance owed ${vendor.balanceOwed} ≠ journal ${book}`);
    if (sold - reversed - paid !== book) d('vendor-sales', vendor.id, sold - reversed - paid, book, `vendor '${vendor.name}': vends ${sold} − reversals ${reversed} − payments ${paid} ≠ journal ${book}`);
  }

  const byVend = new Map<string, Map<string, number>>();
  for (const l of journal) {
    if (l.vend === null || l.book.startsWith('vendor:') === false) continue;
    const m = byVend.get(l.vend) ?? new Map<string, number>();
    m.set(l.kind, (m.get(l.kind) ?? 0) + l.amount);
    byVend.set(l.vend, m);
  }
  for (const v of vends) {
    const m = byVend.get(v.id);
    if ((m?.get('vend') ?? 0) !== v.amount) d('vend-journal', v.id, v.amount, m?.get('vend') ?? 0, `vend ${v.requestId}: journal charges its vendor ${m?.get('vend') ?? 0}, the vend is ${v.amount}`);
    const back = -(m?.get('reversal') ?? 0);
    const expected = v.status === 'reversed' ? v.amount : 0;
    if (back !== expected) d('vend-journal', v.id, expected, back, `vend ${v.requestId} (${v.status}): journal gives its vendor back ${back}, expected ${expected}`);
  }

  for (const a of await store.accounts()) {
    const balance = -(books.get(Books.balance(a.id)) ?? 0);
    const debt = books.get(Books.debt(a.id)) ?? 0;
    const emergency = books.get(Books.emergency(a.id)) ?? 0;
    if (balance !== a.state.balance) d('account-balance', a.id, a.state.balance, balance, `account ${a.id}: balance ${a.state.balance} ≠ journal ${balance}`);
    if (debt !== a.state.debt.amount) d('account-debt', a.id, a.state.debt.amount, debt, `account ${a.id}: debt ${a.state.debt.amount} ≠ journal ${debt}`);
    if (emergency !== a.state.emergencyCredit.taken) d('account-emergency', a.id, a.state.emergencyCredit.taken, emergency, `account ${a.id}: emergency credit ${a.state.emergencyCredit.taken} ≠ journal ${emergency}`);
    const tids = [...vends.filter((v) => v.account === a.id && v.tid !== null).map((v) => `${v.baseDate}/${v.tid}`), ...(await store.engineeringTokens(a.id)).filter((t) => t.tid !== null).map((t) => `${t.params.baseDate ?? a.sts.baseDate}/${t.tid}`)];
    const seen = new Set<string>();
    for (const t of tids) {
      if (seen.has(t)) d('duplicate-tid', a.id, 'unique', t, `account ${a.id}: TID ${t} was used for two tokens`);
      seen.add(t);
    }
  }
  return out;
}
