// Readings travel column-wise: a batch of load profile is 50 meters × a few registers × many
// timestamps, so each column is highly regular. Per reading the wire carries, in the typical
// case, one small integer for the value change and a fraction of a byte for everything else.
//
// Wire form (after version, kind, dcu, seq):
//   n, meters[] (serials), obis[] (48-bit packed int, or the text when not canonical),
//   ts, meter, obis, attribute, unit, scaler, nulls, status, source, valueKind  (int columns),
//   values[] (n items, meaning given by valueKind)
// An int column is either one integer (every row has it) or [mode, scale, items]:
//   mode bit 0 = items are differences from the previous row (first from 0),
//   mode >> 1 = 0 plain (n items), 1 runs ([value, count]…), 2 periodic (items repeat),
//   scale = every (difference) value is a multiple of it (3,600,000 for hourly timestamps).
// Numeric values are differences from the previous value of the same series (meter, obis,
// attribute): a register's hourly increase instead of its 8-digit total.
import { invalid, malformed, toWire } from './cbor.js';
import { SyncError } from './errors.js';
import { MAX_BATCH_ITEMS, type SyncReading } from './messages.js';

const SOURCES = ['scheduled', 'recollected', 'on-demand', 'pushed'] as const;
export const READING_FIELDS = 14;

/** How a value item reads. */
const V = {
  Int: 0, // safe integer, difference from the series' previous integer
  BigDelta: 1, // bigint, difference (a safe integer) from the series' previous bigint
  Number: 2, // any other number, as itself
  Text: 3,
  Bytes: 4,
  Null: 5,
  BigInt: 6, // bigint as itself (when the difference is too large)
} as const;

interface Series {
  num: number;
  big: bigint;
}

const seriesOf = (all: Map<string, Series>, m: number, o: number, a: number): Series => {
  const key = `${m},${o},${a}`;
  let s = all.get(key);
  if (s === undefined) all.set(key, (s = { num: 0, big: 0n }));
  return s;
};

const OBIS = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function packObis(text: string): number | string {
  const m = OBIS.exec(text);
  if (m === null) return text;
  let n = 0;
  for (let i = 1; i <= 6; i++) {
    const g = Number(m[i]);
    if (g > 255 || String(g) !== m[i]) return text; // only what unpacks to the same text
    n = n * 256 + g;
  }
  return n;
}

function unpackObis(n: number): string {
  const g: number[] = [];
  for (let i = 0; i < 6; i++, n = Math.floor(n / 256)) g.unshift(n % 256);
  return g.join('.');
}

export function encodeReadings(readings: readonly SyncReading[]): unknown[] {
  const n = readings.length;
  if (n > MAX_BATCH_ITEMS) throw new SyncError('invalid', `${n} readings, at most ${MAX_BATCH_ITEMS} per batch`, 'readings');
  const meters = new Map<string, number>();
  const obisCodes = new Map<string, number>();
  const index = (dict: Map<string, number>, key: string): number => {
    let i = dict.get(key);
    if (i === undefined) dict.set(key, (i = dict.size));
    return i;
  };
  const cols = Array.from({ length: 10 }, () => new Array<number>(n));
  const values = new Array<unknown>(n);
  const series = new Map<string, Series>();
  for (let i = 0; i < n; i++) {
    const r = readings[i];
    const w = `readings[${i}]`;
    const m = index(meters, invalid.str(r.meter, `${w}.meter`));
    const o = index(obisCodes, invalid.str(r.obis, `${w}.obis`));
    const a = invalid.int(r.attribute, `${w}.attribute`);
    const source = SOURCES.indexOf(invalid.oneOf(r.source, SOURCES, `${w}.source`));
    const unit = r.unit === null ? 0 : invalid.int(r.unit, `${w}.unit`);
    const scaler = r.scaler === null ? 0 : invalid.int(r.scaler, `${w}.scaler`);
    const nulls = (r.unit === null ? 1 : 0) | (r.scaler === null ? 2 : 0);
    const s = seriesOf(series, m, o, a);
    let kind: number;
    const v = r.value;
    if (typeof v === 'number') {
      const d = v - s.num;
      if (Number.isSafeInteger(v) && Number.isSafeInteger(d)) [kind, values[i], s.num] = [V.Int, d, v];
      else {
        [kind, values[i]] = [V.Number, v];
        if (Number.isSafeInteger(v)) s.num = v;
      }
    } else if (typeof v === 'bigint') {
      const d = v - s.big;
      if (d >= BigInt(Number.MIN_SAFE_INTEGER) && d <= BigInt(Number.MAX_SAFE_INTEGER)) [kind, values[i]] = [V.BigDelta, Number(d)];
      else [kind, values[i]] = [V.BigInt, toWire(v, `${w}.value`)];
      s.big = v;
    } else if (typeof v === 'string') [kind, values[i]] = [V.Text, v];
    else if (v instanceof Uint8Array) [kind, values[i]] = [V.Bytes, v];
    else if (v === null) [kind, values[i]] = [V.Null, null];
    else return invalid.fail('expected a number, bigint, text, bytes or null', `${w}.value`);
    const row = [invalid.int(r.ts, `${w}.ts`), m, o, a, unit, scaler, nulls, invalid.int(r.status, `${w}.status`), source, kind];
    for (let c = 0; c < 10; c++) cols[c][i] = row[c];
  }
  return [n, [...meters.keys()], [...obisCodes.keys()].map(packObis), ...cols.map(encodeColumn), values];
}

/** `f` is the READING_FIELDS items after the batch header. */
export function decodeReadings(f: unknown[]): SyncReading[] {
  const values = malformed.array(f[13], 'readings.values');
  // n is bounded by the input: every reading has its own value item.
  const n = malformed.int(f[0], 'readings.n', values.length, values.length);
  if (n > MAX_BATCH_ITEMS) throw new SyncError('too-large', `${n} readings, at most ${MAX_BATCH_ITEMS}`, 'readings');
  const meters = malformed.array(f[1], 'readings.meters').map((x, i) => malformed.str(x, `readings.meters[${i}]`));
  const obisCodes = malformed.array(f[2], 'readings.obis').map((x, i) =>
    typeof x === 'string' ? x : unpackObis(malformed.int(x, `readings.obis[${i}]`, 0, 2 ** 48 - 1)),
  );
  const names = ['ts', 'meter', 'obis', 'attribute', 'unit', 'scaler', 'nulls', 'status', 'source', 'valueKind'];
  const [ts, mi, oi, attribute, unit, scaler, nulls, status, source, kind] = names.map((name, c) =>
    decodeColumn(f[3 + c], n, `readings.${name}`),
  );
  const series = new Map<string, Series>();
  const out = new Array<SyncReading>(n);
  for (let i = 0; i < n; i++) {
    const w = (field: string): string => `readings.${field}[${i}]`;
    const m = malformed.int(mi[i], w('meter'), 0, meters.length - 1);
    const o = malformed.int(oi[i], w('obis'), 0, obisCodes.length - 1);
    malformed.int(nulls[i], w('nulls'), 0, 3);
    malformed.int(source[i], w('source'), 0, SOURCES.length - 1);
    const s = seriesOf(series, m, o, attribute[i]);
    const item = values[i];
    let value: SyncReading['value'];
    switch (kind[i]) {
      case V.Int:
        value = malformed.int(s.num + malformed.int(item, w('values')), w('values'));
        s.num = value;
        break;
      case V.BigDelta:
        value = s.big = s.big + BigInt(malformed.int(item, w('values')));
        break;
      case V.Number:
        if (typeof item !== 'number') return malformed.fail('expected a number', w('values'));
        value = item;
        if (Number.isSafeInteger(item)) s.num = item;
        break;
      case V.Text:
        value = malformed.str(item, w('values'));
        break;
      case V.Bytes:
        value = new Uint8Array(malformed.bytes(item, w('values')));
        break;
      case V.Null:
        if (item !== null) return malformed.fail('expected null', w('values'));
        value = null;
        break;
      case V.BigInt:
        if (typeof item !== 'bigint') return malformed.fail('expected a bigint', w('values'));
        value = s.big = item;
        break;
      default:
        return malformed.fail(`unknown value kind ${kind[i]}`, w('valueKind'));
    }
    out[i] = {
      ts: ts[i],
      meter: meters[m],
      obis: obisCodes[o],
      attribute: attribute[i],
      value,
      unit: nulls[i] & 1 ? null : unit[i],
      scaler: nulls[i] & 2 ? null : scaler[i],
      status: status[i],
      source: SOURCES[source[i]],
    };
  }
  return out;
}

// Int columns ---------------------------------------------------------------------------

/** Bytes cbor-x spends on an integer (ints beyond 32 bits go out as float64). */
function intSize(x: number): number {
  const m = x < 0 ? -1 - x : x;
  return m < 24 ? 1 : m < 256 ? 2 : m < 65536 ? 3 : m < 2 ** 31 ? 5 : 9;
}

const gcd = (a: number, b: number): number => {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
};

/** Smallest p with s[i] = s[i − p] for all i ≥ p (Knuth–Morris–Pratt prefix function). */
function period(s: readonly number[]): number {
  const pi = new Int32Array(s.length);
  for (let i = 1, k = 0; i < s.length; i++) {
    while (k > 0 && s[i] !== s[k]) k = pi[k - 1];
    if (s[i] === s[k]) k++;
    pi[i] = k;
  }
  return s.length - pi[s.length - 1];
}

/** Tries plain/runs/periodic on values and on differences, scaled by their gcd; keeps the smallest. */
export function encodeColumn(v: readonly number[]): number | [number, number, number[]] {
  const n = v.length;
  if (n === 0) return 0;
  if (v.every((x) => x === v[0])) return v[0];
  let best: [number, number, number[]] = [0, 1, [...v]];
  let bestSize = Infinity;
  for (const delta of [0, 1]) {
    const d = delta ? v.map((x, i) => x - (i === 0 ? 0 : v[i - 1])) : [...v];
    if (!d.every(Number.isSafeInteger)) continue;
    const scale = d.reduce((g, x) => gcd(g, Math.abs(x)), 0) || 1;
    const s = scale === 1 ? d : d.map((x) => x / scale);
    const runs: number[] = [];
    for (let i = 0; i < n; i++) {
      if (i > 0 && s[i] === s[i - 1]) runs[runs.length - 1]++;
      else runs.push(s[i], 1);
    }
    const forms = [s, runs, s.slice(0, period(s))];
    for (let form = 0; form < 3; form++) {
      const size = forms[form].reduce((t, x) => t + intSize(x), intSize(scale));
      if (size < bestSize) [best, bestSize] = [[delta | (form << 1), scale, forms[form]], size];
    }
  }
  return best;
}

/** Expands a column to exactly n safe integers, or throws SyncError('malformed'). */
export function decodeColumn(raw: unknown, n: number, where: string): number[] {
  if (typeof raw === 'number') return new Array<number>(n).fill(malformed.int(raw, where));
  const [m, sc, list] = malformed.array(raw, where, 3);
  const mode = malformed.int(m, `${where}.mode`, 0, 5);
  const scale = malformed.int(sc, `${where}.scale`, 1);
  const items = malformed.array(list, `${where}.items`).map((x, i) => malformed.int(x, `${where}.items[${i}]`));
  const form = mode >> 1;
  let out: number[];
  if (form === 0) {
    if (items.length !== n) malformed.fail(`${items.length} items for ${n} readings`, where);
    out = items;
  } else if (form === 1) {
    if (items.length % 2 !== 0) malformed.fail('runs come in pairs', where);
    out = new Array<number>(n);
    let k = 0;
    for (let j = 0; j < items.length; j += 2) {
      const count = malformed.int(items[j + 1], `${where}.items[${j + 1}]`, 1, n - k); // never past n
      out.fill(items[j], k, (k += count));
    }
    if (k !== n) malformed.fail(`runs cover ${k} of ${n} readings`, where);
  } else {
    if (items.length < 1 || items.length > n) malformed.fail(`period ${items.length} for ${n} readings`, where);
    out = Array.from({ length: n }, (_, i) => items[i % items.length]);
  }
  let prev = 0;
  for (let i = 0; i < n; i++) {
    let x = out[i] * scale;
    if (mode & 1) x += prev;
    prev = out[i] = malformed.int(x, `${where}[${i}]`);
  }
  return out;
}
