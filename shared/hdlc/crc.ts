// CRC-16/X.25 as used for HDLC HCS and FCS (IEC 62056-46 §5.3.3, Green Book 8.4.1.4):
// polynomial 0x1021 reflected (0x8408), init 0xFFFF, final XOR 0xFFFF, sent low byte first.
// Table-driven because the deframer checks every byte on a hot path.

const TABLE = new Uint16Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x8408 : c >>> 1;
  TABLE[n] = c;
}

export function crc16x25(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ TABLE[(crc ^ bytes[i]) & 0xff];
  return (crc ^ 0xffff) & 0xffff;
}

/** Writes the CRC of bytes[start, end) at bytes[end], bytes[end + 1] (low byte first). */
export function putCrc(bytes: Uint8Array, start: number, end: number): void {
  const crc = crc16x25(bytes, start, end);
  bytes[end] = crc & 0xff;
  bytes[end + 1] = crc >>> 8;
}

/** True when bytes[end], bytes[end + 1] hold the CRC of bytes[start, end). */
export function checkCrc(bytes: Uint8Array, start: number, end: number): boolean {
  const crc = crc16x25(bytes, start, end);
  return bytes[end] === (crc & 0xff) && bytes[end + 1] === crc >>> 8;
}
