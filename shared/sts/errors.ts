// The one error type of the STS engine. Bad digits from a keypad or a caller are
// data, not bugs: every public function either returns a value or throws an
// StsError whose `kind` says what to do and whose `field` names the culprit, so a
// CLI or an API handler can answer "--drn: Luhn check digit should be 3" instead
// of a stack trace.

export type StsErrorKind =
  /** A generate/derive parameter is missing, malformed or out of range. */
  | 'parameter'
  /** A token string is not 20 decimal digits of a 66-bit number. */
  | 'format'
  /** The token's TID lies beyond the key's expiry number (KEN). */
  | 'key-expired';

export class StsError extends Error {
  override readonly name = 'StsError';
  constructor(
    readonly kind: StsErrorKind,
    /** The parameter or input the problem is in, e.g. 'drn', 'amount', 'token'. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** Throws a parameter error unless `ok`. Keeps validation one line per rule. */
export function check(ok: boolean, field: string, message: string): asserts ok {
  if (!ok) throw new StsError('parameter', field, message);
}
