// What a DCU reads and calls on a prepayment meter (Blue Book payment metering classes):
// the token gateway (IC 115: enter a token, its status and description), the credit
// (IC 112: current_credit_amount) and the account (IC 111: mode, status, currency). The
// decoders take the COSEM data a meter sent and give a value or a ProtocolError naming the
// attribute — never a crash on a meter that answers something odd.
import { ProtocolError } from '../../shared/errors.js';
import type { BitString, CosemData } from '../../shared/dlms/data.js';
import { parseObis } from '../../shared/dlms/obis.js';
import { TOKEN_STATUS_NAMES } from '../../shared/sync/messages.js';
import { numeric, scale } from './readers.js';
import type { DlmsSession } from './session.js';

export const PrepaymentObis = {
  tokenGateway: parseObis('0.0.19.40.0.255'),
  credit: parseObis('0.0.19.10.0.255'),
  account: parseObis('0.0.19.0.0.255'),
} as const;

export const TokenGatewayClass = 115;
export const CreditClass = 112;
export const AccountClass = 111;

/** IC 115 attributes and method. */
export const TokenGateway = { token: 2, tokenTime: 3, description: 4, deliveryMethod: 5, status: 6, enter: 1 } as const;
/** IC 111 attributes read here. */
export const Account = { modeAndStatus: 2, creditInUse: 3, creditStatus: 4, availableCredit: 5, currency: 15 } as const;
/** IC 112 current_credit_amount. */
export const CREDIT_AMOUNT = 2;

/** IC 115 token_status.status_code. */
export const TokenStatusCode = {
  formatOk: 0, authenticationOk: 1, validationOk: 2, executionOk: 3,
  formatFailure: 4, authenticationFailure: 5, validationFailure: 6, executionFailure: 7, received: 8,
} as const;

export interface TokenStatus {
  code: number;
  name: string;
  /** data_value: what the bits mean is the meter maker's; kept as '0'/'1' text, first bit first. */
  dataValue: string;
}

export function tokenStatusName(code: number): string {
  return TOKEN_STATUS_NAMES[code] ?? `unknown (${code})`;
}

/** The 20 token digits as the octet-string of enter: their ASCII codes. */
export function tokenOctets(digits: string): Uint8Array {
  if (!/^[0-9]{20}$/.test(digits)) throw new TypeError(`a token is 20 decimal digits, got ${JSON.stringify(digits)}`);
  return new TextEncoder().encode(digits);
}

/** token_gateway.enter(token): the meter takes the token and works on it (status 8 until it is done). */
export async function enterToken(s: DlmsSession, digits: string): Promise<void> {
  await s.action(TokenGatewayClass, PrepaymentObis.tokenGateway, TokenGateway.enter, { type: 'octet-string', value: tokenOctets(digits) });
}

export async function readTokenStatus(s: DlmsSession): Promise<TokenStatus> {
  return tokenStatusFromData(await s.get(TokenGatewayClass, PrepaymentObis.tokenGateway, TokenGateway.status));
}

export async function readTokenDescription(s: DlmsSession): Promise<string[]> {
  return tokenDescriptionFromData(await s.get(TokenGatewayClass, PrepaymentObis.tokenGateway, TokenGateway.description));
}

/** token (attribute 2): the last token the meter received, as text when it is printable. */
export async function readLastToken(s: DlmsSession): Promise<string> {
  return lastTokenFromData(await s.get(TokenGatewayClass, PrepaymentObis.tokenGateway, TokenGateway.token));
}

export interface Currency {
  name: string;
  /** Scaler of amounts in this currency: value = amount × 10^scale. */
  scale: number;
  /** 0 time, 1 consumption, 2 monetary. */
  unit: number;
  unitName: string;
}

export interface CreditReading {
  /** current_credit_amount as the meter holds it. */
  amount: number;
  scaler: number;
  unit: string;
  /** amount × 10^scaler. */
  value: number;
}

/**
 * IC 112 current_credit_amount, scaled by the account's currency (IC 111 attribute 15)
 * when the meter gives it; otherwise scaler 0 and unit '' (the amount as it is).
 */
export async function readCredit(s: DlmsSession): Promise<CreditReading> {
  const [amount, currency] = await s.getList([
    { classId: CreditClass, instanceId: PrepaymentObis.credit, attributeId: CREDIT_AMOUNT },
    { classId: AccountClass, instanceId: PrepaymentObis.account, attributeId: Account.currency },
  ]);
  if (amount instanceof Error) throw amount;
  return creditFromData(amount, currency instanceof Error ? null : currency);
}

export interface AccountReading {
  /** 1 credit mode, 2 prepayment mode. */
  paymentMode: number;
  paymentModeName: string;
  /** 1 new (inactive), 2 active, 3 closed. */
  accountStatus: number;
  accountStatusName: string;
  /** current_credit_status bits, '0'/'1' text, bit 0 (in credit) first; null if not given. */
  creditStatus: string | null;
  /** available_credit (sum of the credits available), in the currency; null if not given. */
  availableCredit: number | null;
  currency: Currency | null;
}

/** IC 111: account_mode_and_status, current_credit_status, available_credit, currency (one request where the meter takes lists). */
export async function readAccount(s: DlmsSession): Promise<AccountReading> {
  const [mode, status, available, currency] = await s.getList(
    [Account.modeAndStatus, Account.creditStatus, Account.availableCredit, Account.currency].map((attributeId) => ({ classId: AccountClass, instanceId: PrepaymentObis.account, attributeId })),
  );
  if (mode instanceof Error) throw mode;
  return accountFromData(mode, status instanceof Error ? null : status, available instanceof Error ? null : available, currency instanceof Error ? null : currency);
}

// ---- decoders of what the meter sent ----

function bad(what: string, d: CosemData, expected: string): ProtocolError {
  return new ProtocolError(`${what} is ${describe(d)}, expected ${expected}`, 0, 'cosem');
}

function describe(d: CosemData): string {
  return d.type === 'structure' || d.type === 'array' ? `${d.type} of ${d.value.length}` : d.type;
}

export function bitsText(b: BitString): string {
  let out = '';
  for (let i = 0; i < b.length; i++) out += (b.bytes[i >> 3] ?? 0) & (0x80 >> (i & 7)) ? '1' : '0';
  return out;
}

/** token_status = structure { enum status_code, bit-string data_value }. */
export function tokenStatusFromData(d: CosemData): TokenStatus {
  if (d.type !== 'structure' || d.value.length < 1) throw bad('token_status (IC 115 attribute 6)', d, 'structure{enum, bit-string}');
  const [code, data] = d.value;
  if (code.type !== 'enum') throw bad('token_status.status_code', code, 'enum');
  if (data !== undefined && data.type !== 'bit-string' && data.type !== 'null-data') throw bad('token_status.data_value', data, 'bit-string');
  return { code: code.value, name: tokenStatusName(code.value), dataValue: data?.type === 'bit-string' ? bitsText(data.value) : '' };
}

/** token_description = array of octet-string (text: the STS verdict and more). */
export function tokenDescriptionFromData(d: CosemData): string[] {
  if (d.type === 'null-data') return [];
  if (d.type !== 'array') throw bad('token_description (IC 115 attribute 4)', d, 'array of octet-string');
  return d.value.map((e, i) => {
    const t = text(e);
    if (t === null) throw bad(`token_description[${i}]`, e, 'octet-string');
    return t;
  });
}

export function lastTokenFromData(d: CosemData): string {
  const t = d.type === 'null-data' ? '' : text(d);
  if (t === null) throw bad('token (IC 115 attribute 2)', d, 'octet-string');
  return t;
}

/** Printable bytes as text, anything else as hex (a description is for people, but must not lie). */
function text(d: CosemData): string | null {
  if (d.type === 'visible-string' || d.type === 'utf8-string') return d.value;
  if (d.type !== 'octet-string') return null;
  const printable = d.value.every((b) => b >= 0x20 && b < 0x7f);
  return printable ? String.fromCharCode(...d.value) : `0x${Buffer.from(d.value).toString('hex')}`;
}

const CURRENCY_UNITS = ['time', 'consumption', 'monetary'];

/** currency = structure { currency_name (string), currency_scale integer, currency_unit enum }. */
export function currencyFromData(d: CosemData): Currency {
  if (d.type !== 'structure' || d.value.length !== 3) throw bad('currency (IC 111 attribute 15)', d, 'structure{string, integer, enum}');
  const [name, scaleField, unit] = d.value;
  const n = text(name);
  if (n === null) throw bad('currency.currency_name', name, 'a string');
  if (scaleField.type !== 'integer') throw bad('currency.currency_scale', scaleField, 'integer');
  if (unit.type !== 'enum') throw bad('currency.currency_unit', unit, 'enum');
  return { name: n, scale: scaleField.value, unit: unit.value, unitName: CURRENCY_UNITS[unit.value] ?? `unknown (${unit.value})` };
}

/** current_credit_amount (double-long) with the currency's scale and name. */
export function creditFromData(amount: CosemData, currency: CosemData | null): CreditReading {
  const n = amount.type === 'double-long' || amount.type === 'double-long-unsigned' || amount.type === 'long64' ? numeric(amount) : null;
  if (n === null) throw bad('current_credit_amount (IC 112 attribute 2)', amount, 'double-long');
  const c = currency === null ? null : currencyFromData(currency);
  const scaler = c?.scale ?? 0;
  return { amount: n, scaler, unit: c?.name ?? '', value: scale(n, scaler) };
}

const PAYMENT_MODES: Record<number, string> = { 1: 'credit', 2: 'prepayment' };
const ACCOUNT_STATUSES: Record<number, string> = { 1: 'new', 2: 'active', 3: 'closed' };

/**
 * account_mode_and_status = structure { enum payment_mode, enum account_status }: the Blue
 * Book's order (Gurux's Python library writes the two the other way round).
 */
export function accountFromData(modeAndStatus: CosemData, creditStatus: CosemData | null, available: CosemData | null, currency: CosemData | null): AccountReading {
  if (modeAndStatus.type !== 'structure' || modeAndStatus.value.length !== 2) throw bad('account_mode_and_status (IC 111 attribute 2)', modeAndStatus, 'structure{enum, enum}');
  const [mode, status] = modeAndStatus.value;
  if (status.type !== 'enum') throw bad('account_mode_and_status.account_status', status, 'enum');
  if (mode.type !== 'enum') throw bad('account_mode_and_status.payment_mode', mode, 'enum');
  if (creditStatus !== null && creditStatus.type !== 'bit-string') throw bad('current_credit_status (IC 111 attribute 4)', creditStatus, 'bit-string');
  const availableCredit = available === null ? null : available.type === 'double-long' ? available.value : null;
  if (available !== null && availableCredit === null) throw bad('available_credit (IC 111 attribute 5)', available, 'double-long');
  return {
    paymentMode: mode.value,
    paymentModeName: PAYMENT_MODES[mode.value] ?? `unknown (${mode.value})`,
    accountStatus: status.value,
    accountStatusName: ACCOUNT_STATUSES[status.value] ?? `unknown (${status.value})`,
    creditStatus: creditStatus === null ? null : bitsText(creditStatus.value),
    availableCredit,
    currency: currency === null ? null : currencyFromData(currency),
  };
}
