// Opening databases the store must not touch, and the "fail loudly" path of the services helper.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { PostgresCloudStore, SqliteCloudStore } from '../../../cloud/store/index.js';
import { POSTGRES_URL, freshPostgresSchema, requirePostgres } from '../../helpers/postgres.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempFile = () => {
  const d = mkdtempSync(join(tmpdir(), 'cloud-schema-'));
  dirs.push(d);
  return join(d, 'cloud.db');
};

describe('cloud store schema', () => {
  it('SQLite: creates file and folder, WAL, and reopens at the current version', async () => {
    const file = join(tempFile(), '..', 'sub', 'cloud.db');
    const store = await SqliteCloudStore.open(file);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    await store.close();
    const again = await SqliteCloudStore.open(file);
    expect(again.db.pragma('user_version', { simple: true })).toBe(3);
    await again.close();
  });

  it('SQLite: refuses a database of another program and one from newer software, changing nothing', async () => {
    const foreign = tempFile();
    const db = new Database(foreign);
    db.exec('CREATE TABLE notes (x)');
    db.close();
    await expect(SqliteCloudStore.open(foreign)).rejects.toMatchObject({ kind: 'foreign-database' });
    const newer = tempFile();
    const store = await SqliteCloudStore.open(newer);
    store.db.pragma('user_version = 99');
    await store.close();
    await expect(SqliteCloudStore.open(newer)).rejects.toMatchObject({ kind: 'newer-schema' });
  });

  it('PostgreSQL: refuses a schema from newer software', async () => {
    await requirePostgres();
    const schema = freshPostgresSchema();
    try {
      const store = await PostgresCloudStore.open({ connectionString: schema.url, schema: schema.schema });
      await store.pool.query('INSERT INTO cloud_schema (version) VALUES (99)');
      await store.close();
      await expect(PostgresCloudStore.open({ connectionString: schema.url, schema: schema.schema })).rejects.toMatchObject({ kind: 'newer-schema' });
    } finally {
      await schema.drop();
    }
  });

  it('PostgreSQL: an unreachable server is a CloudStoreError(unavailable) without the password', async () => {
    await expect(PostgresCloudStore.open({ connectionString: 'postgres://u:secret@127.0.0.1:1/x' })).rejects.toMatchObject({
      kind: 'unavailable',
      message: expect.not.stringContaining('secret'),
    });
  });

  it('a test that needs PostgreSQL and cannot reach it says what to install', async () => {
    await expect(requirePostgres('postgres://postgres@127.0.0.1:1/test')).rejects.toThrow(/apt-get install postgresql/);
    expect(POSTGRES_URL).toMatch(/^postgres(ql)?:\/\//);
  });
});
