// How an STS verdict (IEC 62055-41 token result) shows in the token gateway (IC 115,
// Blue Book 4.6.5): token_status.status_code says which stage the token passed or failed,
// the STS result code travels in data_value, and token_description names the result.
//
//   Accept, 1stKCT, 2ndKCT           → 3 token execution result OK
//   Format                           → 4 token format failure (not 20 digits of a token)
//   CRC                              → 5 authentication failure (another meter's or key's token)
//   Overflow                         → 7 token execution result failure (could not be applied)
//   Old, Used, KeyExpired, DDTK,     → 6 validation result failure (authentic, but refused)
//   Range, Function, KeyType,
//   MfrCode, TokenLockout
import type { BitString } from '../../../shared/dlms/data.js';
import { isAccepted, type StsResultName } from '../../../shared/sts/index.js';

/** IC 115 token_status.status_code. */
export const TokenStatusCode = {
  formatOk: 0,
  authenticationOk: 1,
  validationOk: 2,
  executionOk: 3,
  formatFailure: 4,
  authenticationFailure: 5,
  validationFailure: 6,
  executionFailure: 7,
  received: 8,
} as const;

export function tokenStatusCode(result: StsResultName): number {
  if (isAccepted(result)) return TokenStatusCode.executionOk;
  if (result === 'Format') return TokenStatusCode.formatFailure;
  if (result === 'CRC') return TokenStatusCode.authenticationFailure;
  if (result === 'Overflow') return TokenStatusCode.executionFailure;
  return TokenStatusCode.validationFailure;
}

/** data_value: the STS result code as 8 bits, most significant first (the Blue Book leaves the bits to the maker). */
export function stsCodeBits(code: number): BitString {
  return { length: 8, bytes: Uint8Array.of(code & 0xff) };
}
