import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../dcu/store/database.js';
import { APPLICATION_ID, DcuStore, MIGRATIONS, StoreError, quarantineDatabase, schemaVersion } from '../../../dcu/store/index.js';
import { migrate, type Migration } from '../../../dcu/store/migrations.js';
import { addMeters, openStore, profileRows, T0, tempDir } from './helpers.js';

function expectStoreError(fn: () => unknown, kind: string): StoreError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).kind).toBe(kind);
    return error as StoreError;
  }
  throw new Error(`expected a StoreError of kind ${kind}`);
}

describe('opening and migrations', () => {
  it('creates the schema in an empty file with the connection settings', () => {
    const store = openStore();
    expect(schemaVersion(store.db)).toBe(MIGRATIONS.length);
    expect(store.db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.db.pragma('busy_timeout', { simple: true })).toBe(5000);
    const tables = store.db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`).pluck().all();
    for (const t of ['meters', 'tasks', 'task_runs', 'readings', 'collection_marks', 'events', 'commands', 'config', 'outbox']) {
      expect(tables).toContain(t);
    }
    expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('re-opening is idempotent and keeps the data', () => {
    const dir = tempDir();
    const file = join(dir, 'dcu.db');
    const first = openStore({ file });
    const [meter] = addMeters(first, 1);
    first.readings.insert(profileRows(meter!, T0, 3));
    const schema = first.db.prepare(`SELECT sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_stat%' ORDER BY name`).pluck().all();
    first.close();

    for (let i = 0; i < 3; i++) {
      const again = openStore({ file });
      expect(schemaVersion(again.db)).toBe(MIGRATIONS.length);
      expect(again.db.prepare(`SELECT sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_stat%' ORDER BY name`).pluck().all()).toEqual(schema);
      expect(again.readings.count()).toBe(6);
      expect(again.meters.bySerial('SN-0001')?.id).toBe(meter);
      again.close();
    }
  });

  it('a migration that fails leaves the file at the previous version, with nothing of it applied', () => {
    const db = new Database(join(tempDir(), 'm.db'));
    const good: Migration = { version: 1, name: 'a', up: (d) => d.exec('CREATE TABLE a (x)') };
    const bad: Migration = {
      version: 2,
      name: 'b',
      up: (d) => {
        d.exec('CREATE TABLE b (x)');
        throw new Error('power cut');
      },
    };
    expect(() => migrate(db, 'm.db', [good, bad])).toThrow('power cut');
    expect(schemaVersion(db)).toBe(1);
    expect(db.prepare(`SELECT name FROM sqlite_schema`).pluck().all()).toEqual(['a']);
    expect(migrate(db, 'm.db', [good, { ...bad, up: (d) => d.exec('CREATE TABLE b (x)') }])).toEqual({ from: 1, to: 2 });
    db.close();
  });

  it('refuses a schema from newer software without changing the file', () => {
    const file = join(tempDir(), 'dcu.db');
    openStore({ file }).close();
    const raw = new Database(file);
    raw.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    raw.close();
    const before = readFileSync(file);
    const e = expectStoreError(() => DcuStore.open(file), 'newer-schema');
    expect(e.message).toContain('newer');
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('refuses a database of another program', () => {
    const file = join(tempDir(), 'other.db');
    const raw = new Database(file);
    raw.exec('CREATE TABLE customers (name TEXT)');
    raw.close();
    expectStoreError(() => DcuStore.open(file), 'foreign-database');
    const raw2 = new Database(file);
    expect(raw2.prepare('SELECT name FROM sqlite_schema').pluck().all()).toEqual(['customers']);
    raw2.close();
  });

  it('a damaged file gives a clear error and a recovery path; nothing is overwritten', () => {
    const dir = tempDir();
    const file = join(dir, 'dcu.db');
    writeFileSync(file, Buffer.alloc(8192, 0x5a));
    const e = expectStoreError(() => openDatabase(file), 'corrupt');
    expect(e.message).toMatch(/not a SQLite database|damaged/);
    expect(e.message).toContain('To recover');
    expect(readFileSync(file).equals(Buffer.alloc(8192, 0x5a))).toBe(true);

    const moved = quarantineDatabase(file, T0);
    expect(existsSync(file)).toBe(false);
    expect(readFileSync(moved).equals(Buffer.alloc(8192, 0x5a))).toBe(true);
    const fresh = openStore({ file });
    expect(fresh.readings.count()).toBe(0);
  });
});
