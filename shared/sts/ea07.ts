// EA07, the STS "Standard Transfer Algorithm" (IEC 62055-41): a 16-round
// substitution–permutation cipher on one 64-bit block under a 64-bit decoder key.
// It is not DES. Bit 0 is the least significant bit throughout.
//
// Round r (0..15) of encryption: for each nibble i (0 = least significant) pick
// S-box 2 if bit 4i+3 of the round key is set, else S-box 1; then move input bit j
// to output bit PERMUTATION[j]. Round key r = rotl64(K0, r) with K0 = rotr64(~DK, 12).
// Decryption walks the rounds backwards: inverse permutation, then the inverse of
// the S-box the same key bit selected.
//
// Speed: the block lives in two 32-bit words; the bit permutation is done a byte at a
// time from tables built once (output bits of every input byte value at every byte
// position), and each round's 16 S-box choices are one 16-bit mask.
import {
  EA07_DECRYPT_PERMUTATION,
  EA07_DECRYPT_SUBSTITUTION_1,
  EA07_DECRYPT_SUBSTITUTION_2,
  EA07_ENCRYPT_PERMUTATION,
  EA07_ENCRYPT_SUBSTITUTION_1,
  EA07_ENCRYPT_SUBSTITUTION_2,
} from './tables.js';
import { MASK64, rotr64 } from './uint64.js';

const ROUNDS = 16;

/** For byte position p (0 = least significant) and value v: the permuted bits, low and high word. */
interface ByteTables {
  lo: Uint32Array;
  hi: Uint32Array;
}

function byteTables(table: readonly number[]): ByteTables {
  const lo = new Uint32Array(8 * 256);
  const hi = new Uint32Array(8 * 256);
  for (let p = 0; p < 8; p++) {
    for (let v = 0; v < 256; v++) {
      for (let b = 0; b < 8; b++) {
        if (((v >> b) & 1) === 0) continue;
        const to = table[p * 8 + b]!;
        if (to < 32) lo[p * 256 + v]! |= 1 << to;
        else hi[p * 256 + v]! |= 1 << (to - 32);
      }
    }
  }
  return { lo, hi };
}

const ENCRYPT_BYTES = byteTables(EA07_ENCRYPT_PERMUTATION);
const DECRYPT_BYTES = byteTables(EA07_DECRYPT_PERMUTATION);

/** The 16 S-box selector bits of every round: bit i of mask r = bit 4i+3 of rotl64(K0, r). */
function selectors(decoderKey: bigint): Uint16Array {
  const k0 = rotr64(~decoderKey & MASK64, 12);
  const lo = Number(k0 & 0xffffffffn);
  const hi = Number(k0 >> 32n);
  const masks = new Uint16Array(ROUNDS);
  for (let r = 0; r < ROUNDS; r++) {
    let m = 0;
    for (let i = 0; i < 16; i++) {
      const j = (4 * i + 3 - r + 64) % 64; // bit j of rotl64(K0, r) is bit j - r of K0
      const bit = j < 32 ? (lo >>> j) & 1 : (hi >>> (j - 32)) & 1;
      m |= bit << i;
    }
    masks[r] = m;
  }
  return masks;
}

/** S-boxes on the 8 nibbles of one word; `mask` holds their selector bits. */
function substituteWord(w: number, mask: number, box1: readonly number[], box2: readonly number[]): number {
  let out = 0;
  for (let i = 0; i < 8; i++) {
    const n = (w >>> (4 * i)) & 15;
    out |= ((mask >> i) & 1 ? box2 : box1)[n]! << (4 * i);
  }
  return out >>> 0;
}

/** Applies a permutation to the block (lo, hi) through its byte tables; the result in `out`. */
function permuteWords(lo: number, hi: number, t: ByteTables, out: Uint32Array): void {
  let a = 0;
  let b = 0;
  for (let p = 0; p < 4; p++) {
    const x = p * 256 + ((lo >>> (8 * p)) & 0xff);
    const y = (p + 4) * 256 + ((hi >>> (8 * p)) & 0xff);
    a |= t.lo[x]! | t.lo[y]!;
    b |= t.hi[x]! | t.hi[y]!;
  }
  out[0] = a >>> 0;
  out[1] = b >>> 0;
}

/** Encrypts one 64-bit block under a 64-bit decoder key. */
export function ea07Encrypt(block: bigint, decoderKey: bigint): bigint {
  const masks = selectors(decoderKey);
  const w = new Uint32Array([Number(block & 0xffffffffn), Number((block >> 32n) & 0xffffffffn)]);
  for (let r = 0; r < ROUNDS; r++) {
    const m = masks[r]!;
    const lo = substituteWord(w[0]!, m & 0xff, EA07_ENCRYPT_SUBSTITUTION_1, EA07_ENCRYPT_SUBSTITUTION_2);
    const hi = substituteWord(w[1]!, m >> 8, EA07_ENCRYPT_SUBSTITUTION_1, EA07_ENCRYPT_SUBSTITUTION_2);
    permuteWords(lo, hi, ENCRYPT_BYTES, w);
  }
  return (BigInt(w[1]!) << 32n) | BigInt(w[0]!);
}

/** Decrypts one 64-bit block under a 64-bit decoder key. */
export function ea07Decrypt(block: bigint, decoderKey: bigint): bigint {
  const masks = selectors(decoderKey);
  const w = new Uint32Array([Number(block & 0xffffffffn), Number((block >> 32n) & 0xffffffffn)]);
  for (let r = ROUNDS - 1; r >= 0; r--) {
    permuteWords(w[0]!, w[1]!, DECRYPT_BYTES, w);
    // A set key bit chose encryption box 2, whose inverse is decryption box 1.
    const m = masks[r]!;
    w[0] = substituteWord(w[0]!, m & 0xff, EA07_DECRYPT_SUBSTITUTION_2, EA07_DECRYPT_SUBSTITUTION_1);
    w[1] = substituteWord(w[1]!, m >> 8, EA07_DECRYPT_SUBSTITUTION_2, EA07_DECRYPT_SUBSTITUTION_1);
  }
  return (BigInt(w[1]!) << 32n) | BigInt(w[0]!);
}
