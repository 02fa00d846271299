// A vending service on a real database — a SQLite file, or a fresh schema of the machine's
// PostgreSQL (test/helpers/postgres.ts; missing, the PostgreSQL runs FAIL saying what to
// start) — a clock the test moves, and a tariff whose results can be worked out by hand:
//   EUR, prices include 20 % VAT, energy 0.20 EUR/kWh flat (2 cents per 0.1 kWh token unit),
//   a monthly standing charge of 1.00 EUR (VAT inside: 17 cents, half-up of 16.67).
// So the first purchase of a month of 11.00 EUR pays 1.00 charge + 10.00 energy = 500 units
// (50 kWh); VAT 17 + 167 = 184. Later purchases that month: every 2 cents buy one unit.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CloudStore, PostgresCloudStore, SqliteCloudStore } from '../../../cloud/store/index.js';
import { startVending, type Vending, VendingError, VendingKeyring } from '../../../cloud/vending/index.js';
import type { VendingKeyEntry } from '../../../cloud/vending/keyring.js';
import type { StsMeterParameters } from '../../../cloud/vending/store/index.js';
import { createMeterState, keyParameters, luhnCheckDigit, meterIdentity, type StsMeterState } from '../../../shared/sts/index.js';
import { freshPostgresSchema, POSTGRES_URL, requirePostgres } from '../../helpers/postgres.js';

export const T0 = Date.UTC(2026, 2, 10, 10, 0);

export const KEYS: VendingKeyEntry[] = [
  { supplyGroupCode: '123456', keyRevisionNumber: 1, keyDerivation: 'DKGA02', key: 'abababababababab' },
  { supplyGroupCode: '123456', keyRevisionNumber: 2, keyDerivation: 'DKGA02', key: '0123456789abcdef' },
];

export const TARIFF = {
  id: 'flat-eur',
  currency: 'EUR',
  validFrom: Date.UTC(2026, 0, 1),
  timeZoneMinutes: 0,
  vat: { rateBasisPoints: 2000, pricesIncludeVat: true },
  energy: { kind: 'steps', steps: [{ upToUnits: null, pricePerKwh: 200_000 }] },
  fixedCharges: [{ name: 'standing', kind: 'periodic', period: 'monthly', amount: 100 }],
};

export const NO_FRIENDLY = { daily: [], weekdays: [], holidays: [], timeZoneMinutes: 0 };

/** A valid 18-digit MeterPAN for meter number n (IIN 600727, DRN with its Luhn digit). */
export function panFor(n: number): string {
  const body = String(n).padStart(10, '0');
  return meterIdentity({ iin: '600727', drn: body + String(luhnCheckDigit(body)) }).pan;
}

export function stsFor(n: number, extra: Partial<StsMeterParameters> = {}) {
  return { pan: panFor(n), keyType: 2, supplyGroupCode: '123456', tariffIndex: '01', keyRevisionNumber: 1, baseDate: 2014, ...extra };
}

export function accountInput(n: number, delivery: { kind: 'token' } | { kind: 'remote'; dcuId: string } = { kind: 'token' }) {
  return {
    id: `ACC-${n}`,
    meterSerial: `MTR${String(n).padStart(8, '0')}`,
    mode: 'prepaid' as const,
    currency: 'EUR',
    tariffId: TARIFF.id,
    delivery,
    friendly: NO_FRIENDLY,
    sts: stsFor(n),
  };
}

export type Backend = 'sqlite' | 'postgres';
/** describe.each(BACKENDS): every service test runs on both stores. */
export const BACKENDS: Backend[] = ['sqlite', 'postgres'];

/** Where a test's database is: enough for another connection or another process to open it. */
export type DatabaseLocation = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string; schema: string };

export function openCloudStoreAt(at: DatabaseLocation): Promise<CloudStore> {
  return at.kind === 'sqlite' ? SqliteCloudStore.open(at.file) : PostgresCloudStore.open({ connectionString: at.url, schema: at.schema });
}

/** Raw SQL (`?` placeholders) on a cloud store's database: the tests' way to tamper like a bug or an intruder would. */
export async function rawSql(cloud: CloudStore, statement: string, params: unknown[] = []): Promise<void> {
  if (cloud instanceof SqliteCloudStore) cloud.db.prepare(statement).run(...params);
  else {
    let n = 0;
    await (cloud as PostgresCloudStore).pool.query(statement.replace(/\?/g, () => `$${++n}`), params);
  }
}

export interface Harness {
  backend: Backend;
  location: DatabaseLocation;
  cloud: CloudStore;
  vending: Vending;
  clock: { now: number };
  keyring: VendingKeyring;
  /** The simulated STS meter of an account (its decoder key derived from the same keyring). */
  meterOf(accountId: string): Promise<StsMeterState>;
  sql(statement: string, params?: unknown[]): Promise<void>;
  /** Another connection to the same database (closed by close()). */
  reopen(): Promise<CloudStore>;
  close(): Promise<void>;
}

export async function openHarness(backend: Backend = 'sqlite', o: { reversalWindowMs?: number } = {}): Promise<Harness> {
  let location: DatabaseLocation;
  let drop: () => Promise<void>;
  if (backend === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'vending-'));
    location = { kind: 'sqlite', file: join(dir, 'cloud.db') };
    drop = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    await requirePostgres(POSTGRES_URL);
    const fresh = freshPostgresSchema(POSTGRES_URL);
    location = { kind: 'postgres', url: fresh.url, schema: fresh.schema };
    drop = () => fresh.drop();
  }
  const cloud = await openCloudStoreAt(location);
  const opened: CloudStore[] = [cloud];
  const clock = { now: T0 };
  const keyring = new VendingKeyring(KEYS);
  const vending = await startVending({ store: cloud, keyring, now: () => clock.now, ...o });
  return {
    backend,
    location,
    cloud,
    vending,
    clock,
    keyring,
    async meterOf(accountId) {
      const sts = (await vending.service.store.account(accountId))!.sts;
      return createMeterState({ algorithm: sts.algorithm, decoderKey: keyring.decoderKey(sts), keyParameters: keyParameters(sts) });
    },
    sql: (statement, params) => rawSql(cloud, statement, params),
    async reopen() {
      const again = await openCloudStoreAt(location);
      opened.push(again);
      return again;
    },
    async close() {
      await vending.close();
      for (const c of opened) await c.close();
      await drop();
    },
  };
}

/** A harness with the tariff, accounts ACC-1 and ACC-2 and one vendor (credit limit 100.00 EUR). */
export async function openShop(backend: Backend = 'sqlite', o: { reversalWindowMs?: number; creditLimit?: number } = {}) {
  const h = await openHarness(backend, o);
  await h.vending.operations.addTariff(TARIFF);
  await h.vending.operations.open(accountInput(1));
  await h.vending.operations.open(accountInput(2));
  const { vendor, apiKey } = await h.vending.service.vendors.create({ name: 'Corner shop', creditLimit: o.creditLimit ?? 10_000 });
  return { ...h, vendor, apiKey };
}

/** The VendingError `work` fails with (anything else fails the test). */
export async function refusal(work: () => Promise<unknown>): Promise<VendingError> {
  try {
    await work();
  } catch (error) {
    if (error instanceof VendingError) return error;
    throw error;
  }
  throw new Error('expected a VendingError');
}
