// Issue 7 acceptance: the same vend request retried 5 times yields one token and one charge,
// also when the cloud is killed between attempts. The cloud runs as its own process
// (`cloud/main.ts`, embedded broker) on a SQLite file, then on PostgreSQL; it is killed with SIGKILL after an answer,
// and once right after a request went out, before its answer — then restarted on the same
// database, where every retry must answer the same digits and nothing is charged twice.
import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openVendingStore } from '../../cloud/vending/store/index.js';
import { reconcile } from '../../cloud/vending/reports.js';
import { freshPostgresSchema, POSTGRES_URL, type PostgresSchema, requirePostgres } from '../helpers/postgres.js';
import { accountInput, BACKENDS, type DatabaseLocation, KEYS, openCloudStoreAt, TARIFF } from '../cloud/vending/service-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'vend-crash-'));
const OPERATOR = 'crash-test-operator';
const keysFile = join(dir, 'sts-keys.json');
writeFileSync(keysFile, JSON.stringify({ vendingKeys: KEYS }), { mode: 0o600 });
let env: NodeJS.ProcessEnv = {};
let child: ChildProcess | null = null;
const schemas: PostgresSchema[] = [];
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  for (const s of schemas) await s.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** The cloud's environment for a database: CLOUD_DB, or DATABASE_URL with DATABASE_SCHEMA. */
function cloudEnv(at: DatabaseLocation): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CLOUD_DB: at.kind === 'sqlite' ? at.file : '',
    DATABASE_URL: at.kind === 'postgres' ? at.url : '',
    DATABASE_SCHEMA: at.kind === 'postgres' ? at.schema : '',
    CLOUD_KEYS: join(dir, 'keys'),
    CLOUD_API_PORT: '0',
    MQTT_URL: '',
    CLOUD_MQTT_PORT: '',
    STS_VENDING_KEYS: keysFile,
    CLOUD_OPERATOR_TOKEN: OPERATOR,
  };
}

/** Starts cloud/main.ts and resolves with its API URL once it logs "cloud running". */
function startCloud(): Promise<{ api: string; child: ChildProcess }> {
  const c = spawn(process.execPath, ['--import', 'tsx', 'cloud/main.ts'], { stdio: ['ignore', 'pipe', 'pipe'], env });
  child = c;
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`the cloud did not start; output:\n${seen}`)), 30_000);
    const on = (d: Buffer) => {
      seen += d.toString();
      const line = seen.split('\n').find((l) => l.includes('"cloud running"'));
      if (line) {
        clearTimeout(timer);
        resolve({ api: (JSON.parse(line) as { api: string }).api, child: c });
      }
    };
    c.stdout!.on('data', on);
    c.stderr!.on('data', on);
    c.once('exit', (code) => reject(new Error(`the cloud exited (${code}) before it ran; output:\n${seen}`)));
  });
}

async function kill9(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGKILL');
  await exited;
}

async function call(api: string, method: string, path: string, auth: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(`${api}${path}`, {
    method,
    headers: { authorization: `Bearer ${auth}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

/** Sends a POST and resolves as soon as the whole request is on the wire, without waiting for the answer. */
function sendOnly(api: string, path: string, auth: string, body: unknown): Promise<void> {
  const url = new URL(path, api);
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } });
    req.on('error', () => undefined); // the server dies under it: expected
    req.on('finish', () => resolve());
    req.end(data, () => undefined);
    setTimeout(() => reject(new Error('request not sent')), 10_000).unref();
  });
}

describe.each(BACKENDS)('vend across kill -9 (%s)', (backend) => {
  it('gives one token and one charge for a request retried across kill -9 of the cloud', async () => {
    let location: DatabaseLocation;
    if (backend === 'postgres') {
      await requirePostgres(POSTGRES_URL);
      const schema = freshPostgresSchema(POSTGRES_URL);
      schemas.push(schema);
      location = { kind: 'postgres', url: schema.url, schema: schema.schema };
    } else location = { kind: 'sqlite', file: join(dir, 'cloud.db') };
    env = cloudEnv(location);
    let cloud = await startCloud();
    expect((await call(cloud.api, 'POST', '/vending/tariffs', OPERATOR, TARIFF)).status).toBe(201);
    expect((await call(cloud.api, 'POST', '/vending/accounts', OPERATOR, accountInput(1))).status).toBe(201);
    const vendor = await call(cloud.api, 'POST', '/vending/vendors', OPERATOR, { name: 'Crash shop', creditLimit: 100_000 });
    const key = vendor.json.apiKey as string;
    const vendorId = (vendor.json.vendor as { id: string }).id;

    // 1. Answered, then killed: every retry after a restart reads the same vend back.
    const first = { requestId: 'crash-1', meter: 'MTR00000001', amount: 1100 };
    const answer = await call(cloud.api, 'POST', '/vending/vends', key, first);
    expect(answer.status).toBe(201);
    const digits = answer.json.token as string;
    expect(digits).toMatch(/^\d{20}$/);
    for (let i = 0; i < 5; i++) {
      await kill9(cloud.child);
      cloud = await startCloud();
      const retry = await call(cloud.api, 'POST', '/vending/vends', key, first);
      expect([retry.status, retry.json.token, retry.json.replayed]).toEqual([200, digits, true]);
    }

    // 2. Killed right after the request went out, before any answer: committed or not, the
    // retries (with a kill between each) agree on one token.
    const second = { requestId: 'crash-2', meter: 'MTR00000001', amount: 700 };
    await sendOnly(cloud.api, '/vending/vends', key, second);
    await kill9(cloud.child);
    const tokens: string[] = [];
    for (let i = 0; i < 5; i++) {
      cloud = await startCloud();
      const retry = await call(cloud.api, 'POST', '/vending/vends', key, second);
      expect([200, 201]).toContain(retry.status);
      tokens.push(retry.json.token as string);
      await kill9(cloud.child);
    }
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).toMatch(/^\d{20}$/);
    expect(tokens[0]).not.toBe(digits);

    // The database after all that: two vends, two charges, books in agreement.
    const store = await openCloudStoreAt(location);
    try {
      const vending = await openVendingStore(store);
      expect((await vending.allVends()).map((v) => [v.requestId, v.amount, v.token])).toEqual([
        ['crash-1', 1100, digits],
        ['crash-2', 700, tokens[0]],
      ]);
      expect((await vending.vendor(vendorId))!.balanceOwed).toBe(1800);
      expect((await vending.journal()).filter((l) => l.book === `vendor:${vendorId}`).map((l) => l.amount)).toEqual([1100, 700]);
      expect(await reconcile(vending)).toEqual([]);
    } finally {
      await store.close();
    }
  }, 180_000);
});
