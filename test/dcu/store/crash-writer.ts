// Child process for crash.test.ts: appends chunks to the store in a loop, forever, until it is
// killed. Chunk k holds ROWS readings with value k at ts T0 + (k·ROWS + i) s, stored with its
// mark in one transaction; after each commit it prints k. On start it resumes after its mark.
import { DcuStore } from '../../../dcu/store/index.js';

const [file, rowsArg] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: crash-writer FILE [ROWS]');
const ROWS = Number(rowsArg ?? 2000);
const T0 = Date.UTC(2025, 0, 1);
const PROFILE = '1.0.99.1.0.255';

const store = DcuStore.open(file);
const meter = store.meters.bySerial('CRASH-1')?.id ?? store.meters.upsert({ serial: 'CRASH-1', link: 'rs485-1', physicalAddress: 17 }).meter.id;
const mark = store.marks.get(meter, PROFILE);
let k = mark === undefined ? 0 : ((mark.upto - T0) / 1000 + 1) / ROWS;
if (!Number.isInteger(k)) throw new Error(`mark ${mark?.upto} is not at the end of a chunk`);
for (;;) {
  const readings = [];
  for (let i = 0; i < ROWS; i++) {
    readings.push({ ts: T0 + (k * ROWS + i) * 1000, meter, obis: '1.0.1.8.0.255', attribute: 2, value: k, source: 'scheduled' as const });
  }
  store.storeChunk({ meter, profile: PROFILE, readings });
  process.stdout.write(`${k}\n`);
  k++;
}
