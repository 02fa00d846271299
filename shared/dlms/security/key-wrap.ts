// AES key wrap (RFC 3394), used by DLMS to transport new keys encrypted under the
// master key (KEK): Security setup key_transfer / global_key_transfer (Green Book 9.2.8).
// Node 20's OpenSSL provides it as 'id-aesNNN-wrap' with the RFC's default IV A6…A6,
// so no hand-written rounds are needed.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { ProtocolError, SecurityError } from '../../errors.js';

const DEFAULT_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');

function algorithmFor(kek: Uint8Array): string {
  if (kek.length === 16 || kek.length === 24 || kek.length === 32) return `id-aes${kek.length * 8}-wrap`;
  throw new RangeError(`key encryption key must be 16, 24 or 32 bytes, got ${kek.length}`);
}

/** Wraps key data (a multiple of 8 bytes, at least 16) under the KEK. Output is 8 bytes longer. */
export function wrapKey(kek: Uint8Array, keyData: Uint8Array): Uint8Array {
  const algorithm = algorithmFor(kek);
  if (keyData.length < 16 || keyData.length % 8 !== 0) {
    throw new RangeError(`key data to wrap must be a multiple of 8 bytes, at least 16; got ${keyData.length}`);
  }
  const cipher = createCipheriv(algorithm, kek, DEFAULT_IV);
  return new Uint8Array(Buffer.concat([cipher.update(keyData), cipher.final()]));
}

/**
 * Unwraps key data. Malformed length → ProtocolError (layer 'cipher'); a failed RFC 3394
 * integrity check (wrong KEK or altered data) → SecurityError('decryption-failed').
 */
export function unwrapKey(kek: Uint8Array, wrapped: Uint8Array, base = 0): Uint8Array {
  const algorithm = algorithmFor(kek);
  if (wrapped.length < 24 || wrapped.length % 8 !== 0) {
    throw new ProtocolError(
      `wrapped key must be a multiple of 8 bytes, at least 24; got ${wrapped.length}`,
      // The offset where the input ends: that is where the missing or extra bytes are.
      base + wrapped.length,
      'cipher',
    );
  }
  const decipher = createDecipheriv(algorithm, kek, DEFAULT_IV);
  try {
    return new Uint8Array(Buffer.concat([decipher.update(wrapped), decipher.final()]));
  } catch {
    throw new SecurityError(
      'key unwrap failed its integrity check: the wrapped key was made with a different ' +
        'master key (KEK) or was altered',
      'decryption-failed',
    );
  }
}
