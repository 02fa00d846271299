// What the vending store holds, as the service sees it, and the row ↔ record mapping.
// Domain objects (Tariff, AccountState, VendQuote) are stored as JSON (TEXT in SQLite, JSONB
// in PostgreSQL) and parsed back unchanged; the store does not interpret them.
import type { AccountState } from '../accounts/account.js';
import type { VendQuote } from '../quote.js';
import type { EncryptionAlgorithm, KeyDerivationAlgorithm, KeyType } from '../sts-engine.js';
import type { Tariff } from '../tariffs/tariff.js';

/** STS key parameters of a meter: who it is and which key generation it uses. No key material. */
export interface StsMeterParameters {
  /** 18-digit MeterPAN (IIN ‖ DRN ‖ check digit). */
  pan: string;
  keyType: KeyType;
  supplyGroupCode: string;
  tariffIndex: string;
  keyRevisionNumber: number;
  /** KEN: 255 = never expires. */
  keyExpiryNumber: number;
  baseDate: 1993 | 2014 | 2035;
  keyDerivation: KeyDerivationAlgorithm;
  algorithm: EncryptionAlgorithm;
}

export interface MeterCredit {
  amount: number;
  scaler: number;
  unit: string;
  /** amount × 10^scaler, in `unit`. */
  value: number;
  tokenStatus?: number;
  tokenStatusName?: string;
}

export interface AccountRecord {
  id: string;
  sts: StsMeterParameters;
  /** The domain's account (meter serial, mode, status, balance, delivery, friendly periods…). */
  state: AccountState;
  meterCredit: MeterCredit | null;
  meterCreditAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface TariffRecord {
  id: string;
  version: number;
  validFrom: number;
  definition: Tariff;
  createdAt: number;
}

export type VendorStatus = 'active' | 'suspended';

export interface VendorRecord {
  id: string;
  name: string;
  keyId: string;
  creditLimit: number;
  balanceOwed: number;
  status: VendorStatus;
  createdAt: number;
}

/**
 * manual: a token for the customer to key in (no remote delivery); pending: to be sent to the
 * DCU; sent: a token command is out, waiting for its result; delivered: the meter accepted it
 * (or had it already); rejected: the meter refused it (the digits stay valid for keying in only
 * if the refusal was not about the token itself); failed: attempts used up; cancelled: reversed
 * before it was sent.
 */
export type DeliveryState = 'manual' | 'pending' | 'sent' | 'delivered' | 'rejected' | 'failed' | 'cancelled';

export interface VendRecord {
  id: string;
  vendor: string;
  requestId: string;
  account: string;
  pan: string;
  amount: number;
  quote: VendQuote;
  units: number;
  /** 20 digits; null when the payment bought no units (it all went to charges and debt). */
  token: string | null;
  tid: number | null;
  baseDate: number | null;
  accountBefore: AccountState;
  accountAfter: AccountState;
  status: 'issued' | 'reversed';
  issuedAt: number;
  reversedAt: number | null;
  reversalReason: string | null;
  delivery: DeliveryState;
  deliveryAttempts: number;
  deliveryCommand: string | null;
  deliveryDcu: string | null;
  deliveryNextAt: number | null;
  deliveryResult: Record<string, unknown> | null;
  deliveryAt: number | null;
}

export interface EngineeringTokenRecord {
  id: string;
  account: string;
  kind: string;
  tokens: string[];
  tid: number | null;
  params: Record<string, unknown>;
  issuedAt: number;
}

export type JournalKind = 'vend' | 'reversal' | 'payment' | 'adjustment';

/** One line of a journal entry: debit positive, credit negative. */
export interface JournalLine {
  book: string;
  amount: number;
  memo?: string;
}

export interface JournalEntry {
  entry: string;
  kind: JournalKind;
  at: number;
  vendor?: string | null;
  account?: string | null;
  vend?: string | null;
  lines: JournalLine[];
}

export interface JournalRow {
  id: number;
  entry: string;
  kind: JournalKind;
  at: number;
  vendor: string | null;
  account: string | null;
  vend: string | null;
  book: string;
  amount: number;
  memo: string;
}

// ---- row mapping -------------------------------------------------------------------------

type Row = Record<string, unknown>;

/** A JSON column: text from SQLite, already parsed by pg from JSONB (our values are never bare strings). */
export function parseJson<T>(v: unknown): T {
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}
const json = parseJson;
const jsonOrNull = <T>(v: unknown): T | null => (v === null || v === undefined ? null : json<T>(v));

export function accountRecord(r: Row): AccountRecord {
  return {
    id: r.id as string,
    sts: json<StsMeterParameters>(r.sts),
    state: json(r.state),
    meterCredit: jsonOrNull<MeterCredit>(r.meter_credit),
    meterCreditAt: (r.meter_credit_at as number | null) ?? null,
    createdAt: r.created_at as number,
    updatedAt: r.updated_at as number,
  };
}

export function tariffRecord(r: Row): TariffRecord {
  return { id: r.id as string, version: r.version as number, validFrom: r.valid_from as number, definition: json(r.definition), createdAt: r.created_at as number };
}

export function vendorRecord(r: Row): VendorRecord {
  return {
    id: r.id as string,
    name: r.name as string,
    keyId: r.key_id as string,
    creditLimit: r.credit_limit as number,
    balanceOwed: r.balance_owed as number,
    status: r.status as VendorStatus,
    createdAt: r.created_at as number,
  };
}

export function vendRecord(r: Row): VendRecord {
  return {
    id: r.id as string,
    vendor: r.vendor as string,
    requestId: r.request_id as string,
    account: r.account as string,
    pan: r.pan as string,
    amount: r.amount as number,
    quote: json(r.quote),
    units: r.units as number,
    token: (r.token as string | null) ?? null,
    tid: (r.tid as number | null) ?? null,
    baseDate: (r.base_date as number | null) ?? null,
    accountBefore: json(r.account_before),
    accountAfter: json(r.account_after),
    status: r.status as VendRecord['status'],
    issuedAt: r.issued_at as number,
    reversedAt: (r.reversed_at as number | null) ?? null,
    reversalReason: (r.reversal_reason as string | null) ?? null,
    delivery: r.delivery as DeliveryState,
    deliveryAttempts: r.delivery_attempts as number,
    deliveryCommand: (r.delivery_command as string | null) ?? null,
    deliveryDcu: (r.delivery_dcu as string | null) ?? null,
    deliveryNextAt: (r.delivery_next_at as number | null) ?? null,
    deliveryResult: jsonOrNull(r.delivery_result),
    deliveryAt: (r.delivery_at as number | null) ?? null,
  };
}

export function engineeringRecord(r: Row): EngineeringTokenRecord {
  return {
    id: r.id as string,
    account: r.account as string,
    kind: r.kind as string,
    tokens: json(r.tokens),
    tid: (r.tid as number | null) ?? null,
    params: json(r.params),
    issuedAt: r.issued_at as number,
  };
}

export function journalRow(r: Row): JournalRow {
  return {
    id: Number(r.id),
    entry: r.entry as string,
    kind: r.kind as JournalKind,
    at: Number(r.at),
    vendor: (r.vendor as string | null) ?? null,
    account: (r.account as string | null) ?? null,
    vend: (r.vend as string | null) ?? null,
    book: r.book as string,
    amount: Number(r.amount),
    memo: r.memo as string,
  };
}
