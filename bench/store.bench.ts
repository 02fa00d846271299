// bench store: rows/s into the DCU's reading buffer through the store's own API, with the
// key order the store uses — (ts, meter, obis, attribute) — against the same code and schema
// with the key index in meter-first order (meter, obis, ts, attribute). Limit: the chosen
// order must beat meter-first (ratio > 1) for bulk inserts arriving in time order.
//
// Set-up, like a DCU with a full directory: 1,000 meters × 4 load-profile channels (±A, ±R),
// hourly, the buffer already holding PREFILL_DAYS days. Then, timed:
//   bulk   one more day arriving in time order: per hour one insert of all meters' rows
//          (4,000 rows, one transaction) — pushes, register cycles, the outbox's natural order;
//   chunk  one more day in collection order: per meter one 24-h chunk (96 rows) stored with
//          its collection mark in one transaction (storeChunk) — what scheduled collection does.
// Both are printed; the RESULT's rows_per_s and ratio are for `bulk`, the chunk figures follow.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DcuStore, packObis, type Reading } from '../dcu/store/index.js';

const METERS = 1000;
const CHANNELS = ['1.0.1.8.0.255', '1.0.2.8.0.255', '1.0.3.8.0.255', '1.0.4.8.0.255'];
const PREFILL_DAYS = Number(process.env.STORE_BENCH_DAYS ?? 7);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2025, 0, 1);

const value = (meter: number, hour: number, c: number): number => meter * 10_000 + hour * 4 + c; // integral, like raw register values

function hourRows(meterIds: number[], hour: number): Reading[] {
  const rows: Reading[] = [];
  for (const meter of meterIds) {
    CHANNELS.forEach((obis, c) => rows.push({ ts: T0 + hour * HOUR, meter, obis, attribute: 2, value: value(meter, hour, c), unit: 30, scaler: 0, source: 'scheduled' }));
  }
  return rows;
}

function chunkRows(meter: number, day: number): Reading[] {
  const rows: Reading[] = [];
  for (let h = day * 24; h < (day + 1) * 24; h++) {
    CHANNELS.forEach((obis, c) => rows.push({ ts: T0 + h * HOUR, meter, obis, attribute: 2, value: value(meter, h, c), unit: 30, scaler: 0, source: 'scheduled' }));
  }
  return rows;
}

interface Figures {
  bulk: number;
  chunk: number;
  bytesPerRow: number;
  rangeMs: number;
}

let runs = 0;
function run(order: 'ts-first' | 'meter-first', dir: string): Figures {
  const file = join(dir, `${order}-${++runs}.db`);
  const store = DcuStore.open(file);
  try {
    const meterIds: number[] = [];
    store.transaction(() => {
      for (let i = 1; i <= METERS; i++) meterIds.push(store.meters.upsert({ serial: `SN-${i}`, link: 'rs485-1', physicalAddress: 16 + (i % 100) }).meter.id);
    });
    // Prefill without the key index (then build it), so that set-up takes seconds for both orders.
    store.db.exec('DROP INDEX readings_key');
    const prefill = store.db.prepare('INSERT INTO readings (ts, meter, obis, attribute, value, unit, scaler, source) VALUES (?, ?, ?, 2, ?, 30, 0, 0)');
    const packed = CHANNELS.map(packObis);
    store.transaction(() => {
      for (let h = 0; h < PREFILL_DAYS * 24; h++) {
        for (const m of meterIds) for (let c = 0; c < packed.length; c++) prefill.run(T0 + h * HOUR, m, packed[c], value(m, h, c));
      }
    });
    store.counts.recount('readings');
    const columns = order === 'ts-first' ? 'ts, meter, obis, attribute' : 'meter, obis, ts, attribute';
    store.db.exec(`CREATE UNIQUE INDEX readings_key ON readings (${columns})`);
    store.db.pragma('wal_checkpoint(TRUNCATE)');

    // bulk: one day in time order, one transaction per hour of all meters.
    const batches = Array.from({ length: 24 }, (_, i) => hourRows(meterIds, PREFILL_DAYS * 24 + i));
    let t = process.hrtime.bigint();
    let rows = 0;
    for (const b of batches) rows += store.insertReadings(b).inserted;
    const bulk = rows / (Number(process.hrtime.bigint() - t) / 1e9);
    if (rows !== 24 * METERS * CHANNELS.length) throw new Error(`bulk: ${rows} rows inserted`);

    // chunk: the next day in collection order, one chunk + mark per meter.
    const chunks = meterIds.map((m) => chunkRows(m, PREFILL_DAYS + 1));
    t = process.hrtime.bigint();
    rows = 0;
    for (const [i, c] of chunks.entries()) rows += store.storeChunk({ meter: meterIds[i]!, profile: '1.0.99.1.0.255', readings: c }).inserted;
    const chunk = rows / (Number(process.hrtime.bigint() - t) / 1e9);
    if (rows !== 24 * METERS * CHANNELS.length) throw new Error(`chunk: ${rows} rows inserted`);

    // A console-style query: one meter, one channel, two days.
    t = process.hrtime.bigint();
    let got = 0;
    for (let i = 0; i < 20; i++) {
      got += store.readings.range({ meter: meterIds[i * 37]!, obis: CHANNELS[0]!, from: T0 + PREFILL_DAYS * DAY, to: T0 + (PREFILL_DAYS + 2) * DAY }).length;
    }
    const rangeMs = Number(process.hrtime.bigint() - t) / 1e6 / 20;
    if (got !== 20 * 48) throw new Error(`range: ${got} rows`);

    store.db.pragma('wal_checkpoint(TRUNCATE)');
    const measured = store.retention.measuredBytes();
    const total = store.readings.count();
    const bytesPerRow = measured?.readings !== undefined ? measured.readings / total : (store.retention.size().usedBytes / total);
    return { bulk, chunk, bytesPerRow, rangeMs };
  } finally {
    store.db.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  }
}

/**
 * The table layout, measured with plain SQL on the same rows: the store's rowid table (seq =
 * rowid, AUTOINCREMENT) + a unique (ts, meter, obis, attribute) index, against a WITHOUT
 * ROWID table keyed by (ts, meter, obis, attribute) + an index on seq (which the outbox needs).
 */
function layout(kind: 'rowid' | 'without-rowid', dir: string): { bulk: number; chunk: number; bytesPerRow: number } {
  const file = join(dir, `layout-${kind}-${++runs}.db`);
  const store = DcuStore.open(file); // for the pragmas; the table is replaced below
  const db = store.db;
  try {
    db.exec('DROP VIEW readings_view; DROP TABLE readings');
    db.exec(
      kind === 'rowid'
        ? `CREATE TABLE readings (seq INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, meter INTEGER NOT NULL, obis INTEGER NOT NULL,
             attribute INTEGER NOT NULL, value REAL, raw, unit INTEGER, scaler INTEGER, status INTEGER NOT NULL DEFAULT 0, source INTEGER NOT NULL);
           CREATE UNIQUE INDEX readings_key ON readings (ts, meter, obis, attribute);`
        : `CREATE TABLE readings (ts INTEGER NOT NULL, meter INTEGER NOT NULL, obis INTEGER NOT NULL, attribute INTEGER NOT NULL,
             value REAL, raw, unit INTEGER, scaler INTEGER, status INTEGER NOT NULL DEFAULT 0, source INTEGER NOT NULL, seq INTEGER NOT NULL,
             PRIMARY KEY (ts, meter, obis, attribute)) WITHOUT ROWID;
           CREATE INDEX readings_seq ON readings (seq);`,
    );
    let seq = 0;
    const insert = db.prepare(
      kind === 'rowid'
        ? `INSERT INTO readings (ts, meter, obis, attribute, value, unit, scaler, source) VALUES (?, ?, ?, 2, ?, 30, 0, 0) ON CONFLICT DO NOTHING`
        : `INSERT INTO readings (ts, meter, obis, attribute, value, unit, scaler, source, seq) VALUES (?, ?, ?, 2, ?, 30, 0, 0, ?) ON CONFLICT DO NOTHING`,
    );
    const packed = CHANNELS.map(packObis);
    const put = db.transaction((rows: [number, number, number, number][]) => {
      for (const r of rows) (kind === 'rowid' ? insert.run(...r) : insert.run(...r, ++seq));
    });
    const hour = (h: number): [number, number, number, number][] =>
      Array.from({ length: METERS }, (_, m) => packed.map((o, c) => [T0 + h * HOUR, m + 1, o, value(m + 1, h, c)] as [number, number, number, number])).flat();
    const days = PREFILL_DAYS;
    for (let h = 0; h < days * 24; h++) put(hour(h));
    let t = process.hrtime.bigint();
    for (let h = days * 24; h < (days + 1) * 24; h++) put(hour(h));
    const bulk = (24 * METERS * CHANNELS.length) / (Number(process.hrtime.bigint() - t) / 1e9);
    const chunks = Array.from({ length: METERS }, (_, m) =>
      Array.from({ length: 24 }, (_, i) => packed.map((o, c) => [T0 + ((days + 1) * 24 + i) * HOUR, m + 1, o, value(m + 1, i, c)] as [number, number, number, number])).flat(),
    );
    t = process.hrtime.bigint();
    for (const c of chunks) put(c);
    const chunk = (24 * METERS * CHANNELS.length) / (Number(process.hrtime.bigint() - t) / 1e9);
    db.pragma('wal_checkpoint(TRUNCATE)');
    const bytes = store.retention.measuredBytes()?.readings ?? store.retention.size().usedBytes;
    return { bulk, chunk, bytesPerRow: bytes / ((days + 2) * 24 * METERS * CHANNELS.length) };
  } finally {
    db.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  }
}

const dir = mkdtempSync(join(tmpdir(), 'bench-store-'));
try {
  const fmt = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  console.log(`reading buffer: ${METERS} meters × ${CHANNELS.length} channels hourly, ${PREFILL_DAYS} days already stored (${fmt(PREFILL_DAYS * 24 * METERS * CHANNELS.length)} rows)`);
  // Warm-up run (file system, JIT), then the measured runs; the figures are the better of two.
  run('ts-first', dir);
  const best = (order: 'ts-first' | 'meter-first'): Figures => {
    const a = run(order, dir);
    const b = run(order, dir);
    return { bulk: Math.max(a.bulk, b.bulk), chunk: Math.max(a.chunk, b.chunk), bytesPerRow: a.bytesPerRow, rangeMs: Math.min(a.rangeMs, b.rangeMs) };
  };
  const ts = best('ts-first');
  const meter = best('meter-first');
  const ratio = ts.bulk / meter.bulk;
  const chunkRatio = ts.chunk / meter.chunk;
  console.log(`                      (ts, meter, obis, attr)   (meter, obis, ts, attr)   ratio`);
  console.log(`bulk, time order      ${fmt(ts.bulk).padStart(14)} rows/s   ${fmt(meter.bulk).padStart(14)} rows/s   ${fmt(ratio, 2)}×`);
  console.log(`chunks, per meter     ${fmt(ts.chunk).padStart(14)} rows/s   ${fmt(meter.chunk).padStart(14)} rows/s   ${fmt(chunkRatio, 2)}×`);
  console.log(`bytes per row         ${fmt(ts.bytesPerRow, 1).padStart(14)}          ${fmt(meter.bytesPerRow, 1).padStart(14)}`);
  console.log(`range, 1 meter 2 days ${fmt(ts.rangeMs, 2).padStart(14)} ms       ${fmt(meter.rangeMs, 2).padStart(14)} ms`);
  type Layout = ReturnType<typeof layout>;
  const better = (a: Layout, b: Layout): Layout => ({ bulk: Math.max(a.bulk, b.bulk), chunk: Math.max(a.chunk, b.chunk), bytesPerRow: a.bytesPerRow });
  let rowid = layout('rowid', dir);
  let withoutRowid = layout('without-rowid', dir);
  rowid = better(rowid, layout('rowid', dir));
  withoutRowid = better(withoutRowid, layout('without-rowid', dir));
  console.log(`table layout, key (ts, meter, obis, attr), plain SQL, ${PREFILL_DAYS} days stored:`);
  console.log(`  rowid table + unique key index (the store's):  bulk ${fmt(rowid.bulk)} rows/s, chunks ${fmt(rowid.chunk)} rows/s, ${fmt(rowid.bytesPerRow, 1)} bytes/row`);
  console.log(`  WITHOUT ROWID keyed table + seq index:         bulk ${fmt(withoutRowid.bulk)} rows/s, chunks ${fmt(withoutRowid.chunk)} rows/s, ${fmt(withoutRowid.bytesPerRow, 1)} bytes/row`);
  console.log(ratio > 1 ? `goal met: ratio ${fmt(ratio, 2)} > 1` : `BELOW GOAL: ratio ${fmt(ratio, 2)} ≤ 1`);
  console.log(
    `RESULT store rows_per_s=${Math.round(ts.bulk)} ratio_vs_meter_first=${ratio.toFixed(2)} ` +
      `chunk_rows_per_s=${Math.round(ts.chunk)} chunk_ratio_vs_meter_first=${chunkRatio.toFixed(2)} bytes_per_row=${ts.bytesPerRow.toFixed(1)}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
