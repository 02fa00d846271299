// Errors of the vending service are values with a kind; the HTTP layer maps each kind to one
// status code. `field` names the input that was wrong, when one was.
import { FriendlyPeriodsError } from '../../shared/prepayment/friendly.js';
import { AccountError } from './accounts/account.js';
import { MoneyError } from './money.js';
import { QuoteError } from './quote.js';
import { TariffError } from './tariffs/tariff.js';

export type VendingErrorKind =
  /** The request is malformed or a value is out of range (400). */
  | 'invalid'
  /** No or a wrong API key / operator token (401). */
  | 'unauthorized'
  /** The vendor is suspended (403). */
  | 'forbidden'
  /** The vendor's credit limit would be exceeded (402). */
  | 'credit-limit'
  /** Unknown account, meter, vend, tariff or vendor (404). */
  | 'not-found'
  /** A request id reused with a different request, a duplicate name, a reversal that is not allowed (409). */
  | 'conflict'
  /** The account is closed or cannot be sold to now (422). */
  | 'account-state'
  /** The database or the vending keys are not usable (503). */
  | 'unavailable';

export const HTTP_STATUS: Record<VendingErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  'credit-limit': 402,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'account-state': 422,
  unavailable: 503,
};

export class VendingError extends Error {
  override readonly name = 'VendingError';
  constructor(
    readonly kind: VendingErrorKind,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** The domain's refusals (quote, account, tariff, money, friendly periods) as vending errors; anything else is rethrown as is. */
export function fromDomainError(error: unknown): never {
  if (error instanceof QuoteError) {
    const kind = error.code === 'invalid' || error.code === 'amount-too-large' ? 'invalid' : 'account-state';
    throw new VendingError(kind, error.message, error.field === 'paid' ? 'amount' : error.field);
  }
  if (error instanceof AccountError) {
    const kind = error.code === 'invalid' ? 'invalid' : error.code === 'stale-quote' ? 'conflict' : 'account-state';
    throw new VendingError(kind, error.message, error.field);
  }
  if (error instanceof TariffError || error instanceof MoneyError || error instanceof FriendlyPeriodsError) {
    throw new VendingError('invalid', error.message, error.field);
  }
  throw error;
}

/** Runs `work`, turning domain refusals into vending errors. */
export function domain<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    return fromDomainError(error);
  }
}
