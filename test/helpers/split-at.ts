// Cuts a byte stream into chunks, as a serial line or a socket may deliver it: property tests
// of stream decoders feed the pieces one by one and expect what the whole gives.

/** The chunks between the cut points (each taken modulo length + 1; duplicates merged; empty chunks kept). */
export function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let last = 0;
  for (const p of points) {
    out.push(bytes.subarray(last, p));
    last = p;
  }
  out.push(bytes.subarray(last));
  return out;
}
