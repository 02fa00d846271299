// 64-bit helpers on bigint. Tokens are 64-bit blocks (66 bits with the class),
// and bigint keeps the arithmetic exact where a JS number would round.

export const MASK64 = (1n << 64n) - 1n;

export function rotl64(x: bigint, n: number): bigint {
  const s = BigInt(((n % 64) + 64) % 64);
  return ((x << s) | (x >> ((64n - s) % 64n))) & MASK64;
}

export function rotr64(x: bigint, n: number): bigint {
  return rotl64(x, 64 - (((n % 64) + 64) % 64));
}

/** 64 bits, index 0 = least significant. */
export function bigintToBits(x: bigint): Uint8Array {
  const bits = new Uint8Array(64);
  let lo = Number(x & 0xffffffffn);
  let hi = Number((x >> 32n) & 0xffffffffn);
  for (let i = 0; i < 32; i++) {
    bits[i] = lo & 1;
    bits[i + 32] = hi & 1;
    lo >>>= 1;
    hi >>>= 1;
  }
  return bits;
}

export function bitsToBigint(bits: Uint8Array): bigint {
  let lo = 0;
  let hi = 0;
  for (let i = 31; i >= 0; i--) {
    lo = ((lo << 1) | bits[i]!) >>> 0;
    hi = ((hi << 1) | bits[i + 32]!) >>> 0;
  }
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Big-endian bytes → unsigned bigint. */
export function bytesToBigint(bytes: Uint8Array): bigint {
  let x = 0n;
  for (const b of bytes) x = (x << 8n) | BigInt(b);
  return x;
}

/** Unsigned bigint → `length` big-endian bytes (the value must fit). */
export function bigintToBytes(x: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** Bits [from, from+width) of x as a number (width ≤ 48). */
export function field(x: bigint, from: number, width: number): number {
  return Number((x >> BigInt(from)) & ((1n << BigInt(width)) - 1n));
}
