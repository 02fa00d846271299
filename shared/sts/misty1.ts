// EA11 = MISTY1 (RFC 2994): 64-bit block, 128-bit key, 8 Feistel rounds with the
// FL layers. STS applies it to the token block as 8 big-endian bytes with no
// extra twist, so this is the plain cipher. Written from the RFC's description;
// checked against its test vector in the tests.
import { MISTY1_S7, MISTY1_S9 } from './tables.js';

/** Expanded key: EK[0..7] = K (16-bit words), EK[8..15] = K' = FI(K[i], K[i+1]). */
export type Misty1Key = Uint16Array;

function fi(input: number, key: number): number {
  let d9 = input >>> 7;
  let d7 = input & 0x7f;
  d9 = MISTY1_S9[d9]! ^ d7;
  d7 = (MISTY1_S7[d7]! ^ d9) & 0x7f;
  d7 ^= key >>> 9;
  d9 ^= key & 0x1ff;
  d9 = MISTY1_S9[d9]! ^ d7;
  return ((d7 << 9) | d9) & 0xffff;
}

export function misty1ExpandKey(key: Uint8Array): Misty1Key {
  if (key.length !== 16) throw new RangeError('MISTY1 needs a 16-byte key');
  const ek = new Uint16Array(16);
  for (let i = 0; i < 8; i++) ek[i] = (key[2 * i]! << 8) | key[2 * i + 1]!;
  for (let i = 0; i < 8; i++) ek[i + 8] = fi(ek[i]!, ek[(i + 1) % 8]!);
  return ek;
}

/** FO for round k (0..7): three FI layers keyed by KO (raw words) and KI (K'). */
function fo(input: number, ek: Misty1Key, k: number): number {
  let t0 = input >>> 16;
  let t1 = input & 0xffff;
  t0 ^= ek[k]!;
  t0 = fi(t0, ek[((k + 5) % 8) + 8]!);
  t0 ^= t1;
  t1 ^= ek[(k + 2) % 8]!;
  t1 = fi(t1, ek[((k + 1) % 8) + 8]!);
  t1 ^= t0;
  t0 ^= ek[(k + 7) % 8]!;
  t0 = fi(t0, ek[((k + 3) % 8) + 8]!);
  t0 ^= t1;
  t1 ^= ek[(k + 4) % 8]!;
  return ((t1 << 16) | t0) >>> 0;
}

/** The two FL subkeys for layer k (0..9): even layers use K then K', odd ones K' then K. */
function flKeys(ek: Misty1Key, k: number): [number, number] {
  if (k % 2 === 0) return [ek[k / 2]!, ek[((k / 2 + 6) % 8) + 8]!];
  const h = (k - 1) / 2;
  return [ek[((h + 2) % 8) + 8]!, ek[(h + 4) % 8]!];
}

function fl(input: number, ek: Misty1Key, k: number): number {
  const [kl1, kl2] = flKeys(ek, k);
  let d0 = input >>> 16;
  let d1 = input & 0xffff;
  d1 ^= d0 & kl1;
  d0 ^= d1 | kl2;
  return ((d0 << 16) | d1) >>> 0;
}

function flInverse(input: number, ek: Misty1Key, k: number): number {
  const [kl1, kl2] = flKeys(ek, k);
  let d0 = input >>> 16;
  let d1 = input & 0xffff;
  d0 ^= d1 | kl2;
  d1 ^= d0 & kl1;
  return ((d0 << 16) | d1) >>> 0;
}

function split(block: bigint): [number, number] {
  return [Number((block >> 32n) & 0xffffffffn), Number(block & 0xffffffffn)];
}

function join(left: number, right: number): bigint {
  return (BigInt(left >>> 0) << 32n) | BigInt(right >>> 0);
}

export function misty1Encrypt(block: bigint, ek: Misty1Key): bigint {
  let [d0, d1] = split(block);
  for (let k = 0; k < 8; k += 2) {
    d0 = fl(d0, ek, k);
    d1 = fl(d1, ek, k + 1);
    d1 = (d1 ^ fo(d0, ek, k)) >>> 0;
    d0 = (d0 ^ fo(d1, ek, k + 1)) >>> 0;
  }
  d0 = fl(d0, ek, 8);
  d1 = fl(d1, ek, 9);
  return join(d1, d0);
}

export function misty1Decrypt(block: bigint, ek: Misty1Key): bigint {
  let [d1, d0] = split(block);
  d0 = flInverse(d0, ek, 8);
  d1 = flInverse(d1, ek, 9);
  for (let k = 6; k >= 0; k -= 2) {
    d0 = (d0 ^ fo(d1, ek, k + 1)) >>> 0;
    d1 = (d1 ^ fo(d0, ek, k)) >>> 0;
    d0 = flInverse(d0, ek, k);
    d1 = flInverse(d1, ek, k + 1);
  }
  return join(d0, d1);
}
