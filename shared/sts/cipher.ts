// Picks the token cipher for a decoder key: EA07 (STA) for 64-bit keys, EA11
// (MISTY1) for 128-bit keys. The key length must match the algorithm; a
// mismatch is a caller error, never a silent truncation.
import { ea07Decrypt, ea07Encrypt } from './ea07.js';
import { DECODER_KEY_BYTES, type EncryptionAlgorithm } from './decoder-key.js';
import { check } from './errors.js';
import { misty1Decrypt, misty1Encrypt, misty1ExpandKey } from './misty1.js';
import { bytesToBigint } from './uint64.js';

export interface BlockCipher {
  encrypt(block: bigint): bigint;
  decrypt(block: bigint): bigint;
}

export function blockCipher(algorithm: EncryptionAlgorithm, decoderKey: Uint8Array): BlockCipher {
  check(algorithm === 'EA07' || algorithm === 'EA11', 'algorithm', `must be EA07 or EA11, got '${algorithm}'`);
  const bytes = DECODER_KEY_BYTES[algorithm];
  check(decoderKey.length === bytes, 'decoderKey', `${algorithm} needs a ${bytes * 8}-bit decoder key, got ${decoderKey.length * 8} bits`);
  if (algorithm === 'EA07') {
    const dk = bytesToBigint(decoderKey);
    return { encrypt: (b) => ea07Encrypt(b, dk), decrypt: (b) => ea07Decrypt(b, dk) };
  }
  const ek = misty1ExpandKey(decoderKey);
  return { encrypt: (b) => misty1Encrypt(b, ek), decrypt: (b) => misty1Decrypt(b, ek) };
}
