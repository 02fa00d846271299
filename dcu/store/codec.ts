// How values cross between TypeScript and the SQL columns of the store. One place for the
// compact encodings, so that every module writes and reads them the same way:
// - OBIS codes in the reading buffer are one INTEGER (the six groups as a 48-bit big-endian
//   number): 6 bytes on disk instead of 13–19 of text, compared as one integer in the key,
//   and ordered like the groups themselves. Elsewhere (marks, capabilities) they stay text.
// - reading sources are small integers; JSON goes into TEXT columns (bigint as a decimal string).
import type { Obis } from '../../shared/dlms/obis.js';
import { obisGroups, tryParseObis } from '../../shared/dlms/obis.js';
import { StoreError } from './errors.js';

const packed = new Map<string, number>();
const unpacked = new Map<number, Obis>();
const CACHE_LIMIT = 10_000; // distinct OBIS codes in practice: tens; the bound only guards memory

/** '1.0.1.8.0.255' → 0x0100_0108_00ff. Throws a StoreError for text that is not an OBIS code. */
export function packObis(obis: Obis | string): number {
  const hit = packed.get(obis);
  if (hit !== undefined) return hit;
  const canonical = tryParseObis(obis);
  if (canonical === null) throw new StoreError(`not an OBIS code: ${JSON.stringify(obis)}`, 'invalid');
  const [a, b, c, d, e, f] = obisGroups(canonical);
  const n = ((a * 256 + b) * 256 + c) * 2 ** 24 + ((d * 256 + e) * 256 + f);
  if (packed.size < CACHE_LIMIT) packed.set(obis, n);
  return n;
}

/** The inverse of packObis. */
export function unpackObis(n: number): Obis {
  const hit = unpacked.get(n);
  if (hit !== undefined) return hit;
  const high = Math.floor(n / 2 ** 24);
  const low = n % 2 ** 24;
  const text = `${high >>> 16}.${(high >>> 8) & 255}.${high & 255}.${low >>> 16}.${(low >>> 8) & 255}.${low & 255}` as Obis;
  if (unpacked.size < CACHE_LIMIT) unpacked.set(n, text);
  return text;
}

/** SQL expression that formats a packed OBIS column back to 'A.B.C.D.E.F' (for views). */
export function obisSql(column: string): string {
  const g = (shift: number): string => `((${column} >> ${shift}) & 255)`;
  return `${g(40)} || '.' || ${g(32)} || '.' || ${g(24)} || '.' || ${g(16)} || '.' || ${g(8)} || '.' || ${g(0)}`;
}

export const READING_SOURCES = ['scheduled', 'recollected', 'on-demand', 'pushed'] as const;
export type ReadingSource = (typeof READING_SOURCES)[number];
const SOURCE_CODES: Record<string, number> = Object.fromEntries(READING_SOURCES.map((s, i) => [s, i]));

export function sourceCode(source: ReadingSource): number {
  const code = SOURCE_CODES[source];
  if (code === undefined) throw new StoreError(`unknown reading source ${JSON.stringify(source)} (one of ${READING_SOURCES.join(', ')})`, 'invalid');
  return code;
}

export function sourceName(code: number): ReadingSource {
  const name = READING_SOURCES[code];
  if (name === undefined) throw new StoreError(`unknown reading source code ${code} in the buffer`, 'corrupt');
  return name;
}

/** SQL CASE expression naming a source code (for views). */
export function sourceSql(column: string): string {
  return `CASE ${column} ${READING_SOURCES.map((s, i) => `WHEN ${i} THEN '${s}'`).join(' ')} END`;
}

/** JSON for a TEXT column. bigint becomes a decimal string (JSON has no 64-bit integers); undefined becomes null. */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

export function fromJson<T = unknown>(text: string | null): T {
  return (text === null ? null : JSON.parse(text)) as T;
}

/** A timestamp the store accepts: an integer number of ms (UTC, since 1970). */
export function checkTime(ts: number, what: string): number {
  if (!Number.isSafeInteger(ts)) throw new StoreError(`${what} must be an integer UTC timestamp in ms, got ${String(ts)}`, 'invalid');
  return ts;
}

/** bigint columns (statements with safeIntegers) back to numbers; null stays null. */
export function num(v: unknown): number {
  return typeof v === 'bigint' ? Number(v) : (v as number);
}
export function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}
