// PostgreSQL for the tests of the cloud's scale store: TEST_DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/test). Each caller gets its own fresh schema, dropped
// afterwards, so runs never see each other. A test that needs it and cannot reach it FAILS
// with what to install or start — it never skips silently. `.ci/run` installs and starts it.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const POSTGRES_HELP =
  'install and start PostgreSQL (Debian: `apt-get install postgresql && service postgresql start`), ' +
  "create the database (`su postgres -c 'createdb test'`) and let 127.0.0.1 connect as postgres " +
  '(pg_hba.conf `host all all 127.0.0.1/32 trust`), or set TEST_DATABASE_URL to a database where the test may create schemas';

/** Throws an Error naming what to install/start when PostgreSQL is not reachable. */
export async function requirePostgres(url = POSTGRES_URL): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    const why = error instanceof Error ? error.message || String((error as { code?: string }).code) : String(error);
    throw new Error(`PostgreSQL is needed by this test and is not usable at ${url} (${why}): ${POSTGRES_HELP}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface PostgresSchema {
  url: string;
  schema: string;
  drop(): Promise<void>;
}

/** A name for a fresh schema (created by the store on open); drop() removes it and everything in it. */
export function freshPostgresSchema(url = POSTGRES_URL): PostgresSchema {
  const schema = `test_${randomBytes(6).toString('hex')}`;
  return {
    url,
    schema,
    async drop() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
