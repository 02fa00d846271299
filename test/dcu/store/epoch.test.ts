// The database epoch (migration 4): a new database gets 16 random bytes as hex, kept across
// reopening; an existing database that already numbered uplink batches keeps the legacy epoch
// '' the cloud filed them under (so it goes on numbering where it was); one that never did gets
// a random one. An older copy of a database that is behind the cloud restarts its epoch.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DcuStore, MIGRATIONS, schemaVersion } from '../../../dcu/store/index.js';
import { migrate } from '../../../dcu/store/migrations.js';
import { addMeters, openStore, profileRows, T0, tempDir, testClock } from './helpers.js';

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

describe('restarting the epoch (an older copy of the database is behind the cloud)', () => {
  it('a new epoch, both streams renumbered from 1 at their delivered marks, an event; it survives reopening', () => {
    const file = join(tempDir(), 'dcu.db');
    const store = DcuStore.open(file, { clock: testClock() });
    const [meter] = addMeters(store, 1); // event 1: meter-added
    store.readings.insert(profileRows(meter!, T0, 10)); // readings 1–20
    store.batches.assign('readings', [{ firstRow: 1, lastRow: 8, rows: 8 }, { firstRow: 9, lastRow: 16, rows: 8 }]);
    store.batches.acknowledge('readings', 1);
    store.batches.assign('events', [{ firstRow: 1, lastRow: 1, rows: 1 }]);
    store.batches.acknowledge('events', 1);
    store.events.append({ kind: 'test', severity: 'info' }); // event 2, batched, not acknowledged
    store.batches.assign('events', [{ firstRow: 2, lastRow: 2, rows: 1 }]);
    const old = store.batches.epoch;

    // Only an ack of this epoch above the last number restarts it; a refusal changes nothing.
    expect(() => store.batches.restartEpoch({ epoch: old, stream: 'readings', upTo: 2 })).toThrow(/were numbered here/);
    expect(() => store.batches.restartEpoch({ epoch: 'a'.repeat(32), stream: 'readings', upTo: 9 })).toThrow(/not this database's/);
    expect(store.batches.epoch).toBe(old);
    expect(store.batches.position('readings')).toEqual({ lastSeq: 2, ackedSeq: 1, batchedUpTo: 16 });

    const r = store.batches.restartEpoch({ epoch: old, stream: 'readings', upTo: 9 });
    expect(r.epoch).toMatch(/^[0-9a-f]{32}$/);
    expect(r.epoch).not.toBe(old);
    expect(r).toMatchObject({ previousEpoch: old, unsent: { readings: 12, events: 1 } });
    expect(store.batches.epoch).toBe(r.epoch);
    expect(store.batches.position('readings')).toEqual({ lastSeq: 0, ackedSeq: 0, batchedUpTo: 8 });
    expect(store.batches.position('events')).toEqual({ lastSeq: 0, ackedSeq: 0, batchedUpTo: 1 });
    expect(store.db.prepare('SELECT count(*) FROM uplink_batches').pluck().get()).toBe(0);
    expect([store.outbox.deliveredUpTo('readings'), store.outbox.deliveredUpTo('events')]).toEqual([8, 1]); // delivered stays delivered
    const [event] = store.events.list({ kind: 'uplink-epoch-restarted' });
    expect(event).toMatchObject({
      id: r.eventId,
      severity: 'warning',
      details: { previousEpoch: old, epoch: r.epoch, stream: 'readings', cloudUpTo: 9, lastSeq: 2, rowsToSendAgain: { readings: 12, events: 1 } },
    });
    // The old epoch cannot restart anything again (its late acks are refused anyway).
    expect(() => store.batches.restartEpoch({ epoch: old, stream: 'events', upTo: 5 })).toThrow(/not this database's/);

    // Every undelivered row is batched again from 1: readings 9–20, events 2 and the restart event.
    expect(store.batches.unbatchedRows('readings')).toBe(12);
    expect(store.batches.unbatchedRows('events')).toBe(2);
    const rows = store.readings.after(store.batches.position('readings').batchedUpTo, 100);
    expect(rows.map((x) => x.seq)).toEqual(Array.from({ length: 12 }, (_, i) => 9 + i));
    const [batch] = store.batches.assign('readings', [{ firstRow: rows[0]!.seq, lastRow: rows.at(-1)!.seq, rows: rows.length }]);
    expect(batch).toMatchObject({ seq: 1, firstRow: 9, lastRow: 20 });
    expect(store.batches.acknowledge('readings', 1)).toEqual({ ackedSeq: 1, advanced: true, deliveredUpTo: 20 });
    store.close();

    const again = DcuStore.open(file, { clock: testClock() });
    expect(again.batches.epoch).toBe(r.epoch);
    expect(again.batches.position('readings')).toEqual({ lastSeq: 1, ackedSeq: 1, batchedUpTo: 20 });
    expect(again.batches.position('events')).toEqual({ lastSeq: 0, ackedSeq: 0, batchedUpTo: 1 });
    again.close();
  });
});
