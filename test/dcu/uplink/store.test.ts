// What the uplink adds to the DCU store (migration 2): batch numbering per stream, stored
// before publishing and surviving a reopen; acknowledgement by batch number moving the
// outbox's delivered mark; cloud command records.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DcuStore, MIGRATIONS, StoreError } from '../../../dcu/store/index.js';
import { migrate } from '../../../dcu/store/migrations.js';
import { openStore, tempDir, testClock } from '../store/helpers.js';
import { seedReadings } from './helpers.js';

describe('uplink batches in the store', () => {
  it('numbers runs of rows per stream, keeps them across a reopen, and acknowledges by number', () => {
    const file = join(tempDir(), 'dcu.db');
    const store = DcuStore.open(file, { clock: testClock() });
    seedReadings(store, 1, 10); // rows 1–20
    const ranges = store.batches.assign('readings', [
      { firstRow: 1, lastRow: 8, rows: 8 },
      { firstRow: 9, lastRow: 16, rows: 8 },
    ]);
    expect(ranges.map((r) => r.seq)).toEqual([1, 2]);
    expect(() => store.batches.assign('readings', [{ firstRow: 10, lastRow: 18, rows: 9 }])).toThrow(/overlap rows already batched/);
    expect(store.batches.position('readings')).toEqual({ lastSeq: 2, ackedSeq: 0, batchedUpTo: 16 });
    expect(store.batches.position('events')).toMatchObject({ lastSeq: 0 }); // streams are numbered on their own
    expect(store.batches.unbatchedRows('readings')).toBe(4);
    store.close();

    const again = DcuStore.open(file, { clock: testClock() });
    expect(again.batches.pending('readings').map((b) => [b.seq, b.firstRow, b.lastRow])).toEqual([
      [1, 1, 8],
      [2, 9, 16],
    ]);
    expect(() => again.batches.acknowledge('readings', 3)).toThrow(StoreError); // never numbered
    expect(again.batches.acknowledge('readings', 1)).toEqual({ ackedSeq: 1, advanced: true, deliveredUpTo: 8 });
    expect(again.batches.acknowledge('readings', 1)).toEqual({ ackedSeq: 1, advanced: false, deliveredUpTo: 8 }); // repeated
    expect(again.batches.acknowledge('readings', 0).advanced).toBe(false); // stale
    expect(again.readings.undeliveredCount()).toBe(12);
    expect(again.batches.get('readings', 1)).toBeUndefined(); // acknowledged ranges go
    const next = again.batches.assign('readings', [{ firstRow: 17, lastRow: 20, rows: 4 }]);
    expect(next[0]!.seq).toBe(3);
    expect(again.batches.acknowledge('readings', 3)).toMatchObject({ ackedSeq: 3, deliveredUpTo: 20 });
    expect(again.batches.pending('readings')).toEqual([]);
    again.close();
  });

  it('a version 1 database is upgraded with the delivered mark as the batched mark', () => {
    const file = join(tempDir(), 'v1.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    migrate(db, file, MIGRATIONS.slice(0, 1));
    db.exec(`INSERT INTO meters (serial, first_seen, last_seen) VALUES ('SN-1', 0, 0)`);
    db.exec(`INSERT INTO readings (ts, meter, obis, attribute, value, source) VALUES (1, 1, 1, 2, 1, 0), (2, 1, 1, 2, 1, 0), (3, 1, 1, 2, 1, 0)`);
    db.exec(`UPDATE outbox SET delivered_upto = 2 WHERE stream = 'readings'`);
    db.close();
    const store = openStore({ file });
    expect(store.batches.position('readings')).toEqual({ lastSeq: 0, ackedSeq: 0, batchedUpTo: 2 });
    expect(store.batches.unbatchedRows('readings')).toBe(1);
  });

  it('cloud commands: the sequence counts accepted commands only; results wait until published', () => {
    const store = openStore();
    expect(store.cloudCommands.lastSeq()).toBeNull();
    expect(store.cloudCommands.record({ id: 'a', seq: 5, digest: 'd1', kind: 'relay', status: 'accepted' })).toBe(true);
    expect(store.cloudCommands.record({ id: 'a', seq: 9, digest: 'd2', kind: 'relay', status: 'accepted' })).toBe(false);
    store.cloudCommands.record({ id: 'b', seq: 7, digest: 'd3', kind: 'read', status: 'refused', result: { status: 'refused' } });
    expect(store.cloudCommands.lastSeq()).toBe(5);
    expect(store.cloudCommands.awaitingResult().map((c) => c.id)).toEqual(['a']);
    expect(store.cloudCommands.unpublished().map((c) => c.id)).toEqual(['b']);
    store.cloudCommands.setResult('a', { status: 'done' });
    store.cloudCommands.markPublished('b');
    expect(store.cloudCommands.unpublished().map((c) => c.id)).toEqual(['a']);
    expect(store.cloudCommands.get('b')?.publishedAt).not.toBeNull();
  });
});
