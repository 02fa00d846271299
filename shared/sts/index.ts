// Public surface of the STS prepaid token engine (IEC 62055-41).
export { StsError, type StsErrorKind } from './errors.js';
export { type BaseDate, BASE_DATES, tidFromTime, timeFromTid, tidExpired, nextBaseDate } from './tid.js';
export { luhnCheckDigit, meterIdentity, keyParameters, type MeterIdentity, type KeyParameters, type KeyParametersInput, type KeyType } from './identity.js';
export {
  deriveDecoderKey,
  deriveDkga02,
  deriveDkga04,
  dkga04Message,
  parseHexKey,
  toHex,
  type EncryptionAlgorithm,
  type KeyDerivationAlgorithm,
  type DeriveDecoderKeyInput,
} from './decoder-key.js';
export { ea07Encrypt, ea07Decrypt } from './ea07.js';
export { misty1Encrypt, misty1Decrypt, misty1ExpandKey } from './misty1.js';
export { blockCipher, type BlockCipher } from './cipher.js';
export { encodeAmount, decodeAmount, AMOUNT_MAX } from './amount.js';
export { tokenCrc } from './crc.js';
export { transposeClass, untransposeClass, parseTokenDigits, groupDigits } from './token-number.js';
export { tokenName, CREDIT_UNITS, type TokenClass, type CreditSubclass } from './token-types.js';
export { generateToken, type GenerateTokenInput, type GeneratedToken } from './generate.js';
export { decodeToken, type DecodedToken, type DecodedKeyChange, type DecodeOptions } from './decode.js';
export { generateKeyChangeTokens, type KeyChangeInput } from './key-change.js';
export { STS_RESULT_CODES, type StsResultName, type StsResultCode, isAccepted } from './results.js';
export { createMeterState, type StsMeterState, type StagedKeyChange, type CreateMeterStateInput } from './meter-state.js';
export { acceptToken, type AcceptResult, type AcceptedCredit } from './meter.js';
