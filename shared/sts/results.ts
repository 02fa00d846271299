// STS token result codes as a meter reports them (IEC 62055-41 token result;
// numbering from the Conlog BEC62 technical manual, "STS token result"). The
// number is what goes into a DLMS token-status register or a display; the name
// is what logs and tests read.

export const STS_RESULT_CODES = {
  Accept: 1,
  /** A key-change section was accepted and the meter waits for the rest. */
  '1stKCT': 2,
  /** The last key-change section was accepted and the key has changed. */
  '2ndKCT': 3,
  /** Accepting the token would overflow a register. */
  Overflow: 4,
  /** The key change would break the key-type rules. */
  KeyType: 5,
  /** Not 20 digits of a 66-bit token number. */
  Format: 6,
  /** A value outside its defined range. */
  Range: 7,
  /** The meter does not implement this token type. */
  Function: 8,
  /** TID older than the oldest TID in the store. */
  Old: 9,
  /** TID already in the store. */
  Used: 10,
  /** The TID lies beyond the key's expiry number. */
  KeyExpired: 11,
  /** Credit tokens are refused under the default key (DDTK). */
  DDTK: 12,
  /** The CRC does not match: corrupt, or made for another meter or key. */
  CRC: 13,
  /** A class 1 token for another manufacturer. */
  MfrCode: 14,
  /** Keypad lockout after repeated rejects (vendor practice). */
  TokenLockout: 15,
  /** The previous remotely delivered token is still being processed. */
  TokenStatusNotReady: 16,
} as const;

export type StsResultName = keyof typeof STS_RESULT_CODES;
export type StsResultCode = (typeof STS_RESULT_CODES)[StsResultName];

export function isAccepted(result: StsResultName): boolean {
  return result === 'Accept' || result === '1stKCT' || result === '2ndKCT';
}
