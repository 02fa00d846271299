// EA07, the STS "Standard Transfer Algorithm" (IEC 62055-41): a 16-round
// substitution–permutation cipher on one 64-bit block under a 64-bit decoder key.
// It is not DES. Bit 0 is the least significant bit throughout.
//
// Round r (0..15) of encryption: for each nibble i (0 = least significant) pick
// S-box 2 if bit 4i+3 of the round key is set, else S-box 1; then move input bit j
// to output bit PERMUTATION[j]. Round key r = rotl64(K0, r) with K0 = rotr64(~DK, 12).
// Decryption walks the rounds backwards: inverse permutation, then the inverse of
// the S-box the same key bit selected.
import {
  EA07_DECRYPT_PERMUTATION,
  EA07_DECRYPT_SUBSTITUTION_1,
  EA07_DECRYPT_SUBSTITUTION_2,
  EA07_ENCRYPT_PERMUTATION,
  EA07_ENCRYPT_SUBSTITUTION_1,
  EA07_ENCRYPT_SUBSTITUTION_2,
} from './tables.js';
import { MASK64, bigintToBits, bitsToBigint, rotr64 } from './uint64.js';

const ROUNDS = 16;

/** The starting round key as 64 bits; round r reads bit j of it at (j - r) mod 64. */
function roundKeyBits(decoderKey: bigint): Uint8Array {
  return bigintToBits(rotr64(~decoderKey & MASK64, 12));
}

/** Bit j of rotl64(K0, round), without rotating anything. */
function keyBit(k0: Uint8Array, round: number, j: number): number {
  return k0[(j - round + 64) % 64]!;
}

function substitute(bits: Uint8Array, k0: Uint8Array, round: number, box1: readonly number[], box2: readonly number[]): void {
  for (let i = 0; i < 16; i++) {
    const at = 4 * i;
    const nibble = bits[at]! | (bits[at + 1]! << 1) | (bits[at + 2]! << 2) | (bits[at + 3]! << 3);
    const out = (keyBit(k0, round, at + 3) ? box2 : box1)[nibble]!;
    bits[at] = out & 1;
    bits[at + 1] = (out >> 1) & 1;
    bits[at + 2] = (out >> 2) & 1;
    bits[at + 3] = (out >> 3) & 1;
  }
}

function permute(bits: Uint8Array, table: readonly number[]): Uint8Array {
  const out = new Uint8Array(64);
  for (let i = 0; i < 64; i++) out[table[i]!] = bits[i]!;
  return out;
}

/** Encrypts one 64-bit block under a 64-bit decoder key. */
export function ea07Encrypt(block: bigint, decoderKey: bigint): bigint {
  const k0 = roundKeyBits(decoderKey);
  let bits = bigintToBits(block);
  for (let round = 0; round < ROUNDS; round++) {
    substitute(bits, k0, round, EA07_ENCRYPT_SUBSTITUTION_1, EA07_ENCRYPT_SUBSTITUTION_2);
    bits = permute(bits, EA07_ENCRYPT_PERMUTATION);
  }
  return bitsToBigint(bits);
}

/** Decrypts one 64-bit block under a 64-bit decoder key. */
export function ea07Decrypt(block: bigint, decoderKey: bigint): bigint {
  const k0 = roundKeyBits(decoderKey);
  let bits = bigintToBits(block);
  for (let round = ROUNDS - 1; round >= 0; round--) {
    bits = permute(bits, EA07_DECRYPT_PERMUTATION);
    // A set key bit chose encryption box 2, whose inverse is decryption box 1.
    substitute(bits, k0, round, EA07_DECRYPT_SUBSTITUTION_2, EA07_DECRYPT_SUBSTITUTION_1);
  }
  return bitsToBigint(bits);
}
