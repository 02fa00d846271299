// The database epoch (migration 4): a new database gets 16 random bytes as hex, kept across
// reopening; an existing database that already numbered uplink batches keeps the legacy epoch
// '' the cloud filed them under (so it goes on numbering where it was); one that never did gets
// a random one.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DcuStore, MIGRATIONS, schemaVersion } from '../../../dcu/store/index.js';
import { migrate } from '../../../dcu/store/migrations.js';
import { addMeters, openStore, profileRows, T0, tempDir } from './helpers.js';

/** A database as the software before epochs left it (migrations 1–3). */
function olderDatabase(file: string, numberBatches: boolean): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  migrate(db, file, MIGRATIONS.slice(0, 3));
  if (numberBatches) {
    db.exec(`INSERT INTO uplink_batches (stream, seq, first_row, last_row, rows, created_at) VALUES ('readings', 5, 41, 50, 10, ${T0})`);
    db.exec(`UPDATE outbox SET last_seq = 5, acked_seq = 4, batched_upto = 50, delivered_upto = 40 WHERE stream = 'readings'`);
  }
  db.close();
}

describe('the database epoch', () => {
  it('a new database gets a random epoch that survives reopening', () => {
    const file = join(tempDir(), 'dcu.db');
    const first = DcuStore.open(file);
    const epoch = first.batches.epoch;
    expect(epoch).toMatch(/^[0-9a-f]{32}$/);
    first.close();
    const again = DcuStore.open(file);
    expect(again.batches.epoch).toBe(epoch);
    again.close();
    expect(openStore().batches.epoch).not.toBe(epoch); // another database, another epoch
  });

  it('a database that numbered batches before epochs keeps the legacy epoch and its numbering', () => {
    const file = join(tempDir(), 'old.db');
    olderDatabase(file, true);
    const store = DcuStore.open(file);
    expect(schemaVersion(store.db)).toBe(MIGRATIONS.length);
    expect(store.batches.epoch).toBe('');
    expect(store.batches.position('readings')).toEqual({ lastSeq: 5, ackedSeq: 4, batchedUpTo: 50 });
    store.close();
  });

  it('an older database that never numbered a batch gets a random epoch', () => {
    const file = join(tempDir(), 'quiet.db');
    olderDatabase(file, false);
    const store = DcuStore.open(file);
    expect(store.batches.epoch).toMatch(/^[0-9a-f]{32}$/);
    const [meter] = addMeters(store, 1);
    store.readings.insert(profileRows(meter!, T0, 2)); // the data is untouched by the migration
    expect(store.readings.count()).toBe(4);
  });

  it('the table takes one well-formed epoch only', () => {
    const store = openStore();
    expect(() => store.db.exec(`INSERT INTO store_epoch (id, epoch, created_at) VALUES (2, '${'a'.repeat(32)}', 0)`)).toThrow(/CHECK/);
    expect(() => store.db.exec(`UPDATE store_epoch SET epoch = '${'A'.repeat(32)}'`)).toThrow(/CHECK/);
    expect(() => store.db.exec(`UPDATE store_epoch SET epoch = 'abc'`)).toThrow(/CHECK/);
  });
});
