// The STS token CRC-16 (IEC 62055-41): reflected polynomial 0xA001, init 0xFFFF,
// no final XOR, computed over the 2 class bits followed by the upper 48 bits of the
// block (7 bytes, most significant first), and stored byte-swapped in bits 15..0.
// The class bits are included so a token whose class bits were altered by the
// transposition step fails the check after decryption.

function crc16(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

/** The 16-bit value for bits 15..0 of a block whose upper 48 bits are `block >> 16`. */
export function tokenCrc(tokenClass: number, block: bigint): number {
  const value = (BigInt(tokenClass & 3) << 48n) | ((block >> 16n) & 0xffffffffffffn);
  const bytes = new Uint8Array(7);
  let v = value;
  for (let i = 6; i >= 0; i--) {
    bytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  const crc = crc16(bytes);
  return ((crc & 0xff) << 8) | (crc >>> 8);
}

/** Replaces bits 15..0 of `block` with its CRC. */
export function withCrc(tokenClass: number, block: bigint): bigint {
  return (block & ~0xffffn) | BigInt(tokenCrc(tokenClass, block));
}

export function crcMatches(tokenClass: number, block: bigint): boolean {
  return Number(block & 0xffffn) === tokenCrc(tokenClass, block);
}
