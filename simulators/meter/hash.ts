// Deterministic pseudo-random numbers for the meter model: a pure function of its integer
// inputs, the same on every machine and every run (no Math.random, no floating-point
// transcendental functions whose last bit could differ between engines).

/** MurmurHash3's 32-bit finaliser: a cheap, well-mixed bijection on 32-bit words. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function feed(h: number, x: number): number {
  // Integers up to 2^53 in two 32-bit halves, so interval indices and seeds of any size mix in.
  const lo = x >>> 0;
  const hi = Math.floor(x / 0x1_0000_0000) >>> 0;
  h = fmix32((h ^ lo) + 0x9e3779b9);
  return fmix32((h ^ hi) + 0x7f4a7c15);
}

/** A 32-bit hash of a list of integers. */
export function hashInts(a: number, b = 0, c = 0, d = 0, e = 0): number {
  return feed(feed(feed(feed(feed(0x2545f491, a), b), c), d), e);
}

/** A uniform number in [0, 1) from a list of integers. */
export function unitFrom(a: number, b = 0, c = 0, d = 0, e = 0): number {
  return hashInts(a, b, c, d, e) / 0x1_0000_0000;
}

/** FNV-1a of a string's UTF-16 code units: turns a serial number into a model key. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
