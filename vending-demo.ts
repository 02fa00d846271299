// The prepaid-vending part of `npm start`: the cloud's vending service with the simulated
// meters' documented test vending key, set up through its own HTTP API the way a utility
// would — a flat tariff, a vendor, and one account per simulated RS485 meter on remote
// delivery through the demo DCU. Run again on the same data folder, it keeps what exists and
// gives the vendor a fresh API key (keys are shown only once).
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { CommandService } from './cloud/commands/service.js';
import type { CloudStore } from './cloud/store/index.js';
import { type Vending, VendingKeyring, startVending } from './cloud/vending/index.js';
import { luhnCheckDigit, meterIdentity } from './shared/sts/index.js';

/** The simulators' test vending key (simulators/meter/prepayment/sts-identity.ts) — a simulator's, never a utility's. */
const TEST_KEYRING = [{ supplyGroupCode: '123456', keyRevisionNumber: 1, keyDerivation: 'DKGA02' as const, key: 'abababababababab' }];
const TARIFF = 'demo-flat';
const VENDOR = 'demo shop';

export interface VendingDemo {
  vending: Vending;
  operatorToken: string;
  /** Sets up tariff, vendor and accounts (call once the API is built); returns the vendor's API key. */
  provision(api: FastifyInstance, o: { dcuId: string; meters: readonly string[] }): Promise<string>;
}

export async function startVendingDemo(o: { store: CloudStore; commands: CommandService }): Promise<VendingDemo> {
  const vending = await startVending({ store: o.store, commands: o.commands, keyring: new VendingKeyring(TEST_KEYRING) });
  const operatorToken = process.env.CLOUD_OPERATOR_TOKEN || randomBytes(16).toString('hex');
  return { vending, operatorToken, provision: (api, p) => provision(api, operatorToken, p) };
}

async function provision(api: FastifyInstance, operatorToken: string, o: { dcuId: string; meters: readonly string[] }): Promise<string> {
  const call = async (method: 'GET' | 'POST', url: string, payload?: object): Promise<{ status: number; body: Record<string, unknown> }> => {
    const r = await api.inject({ method, url, headers: { authorization: `Bearer ${operatorToken}` }, ...(payload && { payload }) });
    return { status: r.statusCode, body: r.json() };
  };
  const must = (r: { status: number; body: Record<string, unknown> }, what: string) => {
    if (r.status >= 300) throw new Error(`vending demo: ${what} failed (${r.status}): ${JSON.stringify(r.body)}`);
    return r.body;
  };
  if ((await call('GET', `/vending/tariffs/${TARIFF}`)).status === 404) {
    // 1.00 EUR per kWh, VAT included at 0: ten cents buy one STS unit of 0.1 kWh.
    must(await call('POST', '/vending/tariffs', {
      id: TARIFF, currency: 'EUR', validFrom: Date.UTC(2026, 0, 1), timeZoneMinutes: 0,
      vat: { rateBasisPoints: 0, pricesIncludeVat: true },
      energy: { kind: 'steps', steps: [{ upToUnits: null, pricePerKwh: 1_000_000 }] },
      fixedCharges: [],
    }), 'the demo tariff');
  }
  for (const serial of o.meters) {
    if ((await call('GET', `/vending/accounts/acc-${serial}`)).status !== 404) continue;
    // The meter's STS identity, derived the way the simulator documents it (README, Simulators).
    const drn = serial.padStart(10, '0');
    const pan = meterIdentity({ iin: '600727', drn: drn + String(luhnCheckDigit(drn)) }).pan;
    must(await call('POST', '/vending/accounts', {
      id: `acc-${serial}`, meterSerial: serial, mode: 'prepaid', currency: 'EUR', tariffId: TARIFF,
      delivery: { kind: 'remote', dcuId: o.dcuId },
      // Nobody is cut off at night, at weekends or on the (example) public holidays.
      friendly: { daily: [{ from: '17:00', to: '08:00' }], weekdays: [6, 7], holidays: ['2026-12-25', '2026-12-26', '2027-01-01'], timeZoneMinutes: 0 },
      sts: { pan, keyType: 2, supplyGroupCode: '123456', tariffIndex: '01', keyRevisionNumber: 1, baseDate: 2014, keyDerivation: 'DKGA02', algorithm: 'EA07' },
    }), `the account of meter ${serial}`);
  }
  const vendors = (await call('GET', '/vending/vendors')).body as unknown as { id: string; name: string }[];
  const existing = vendors.find((v) => v.name === VENDOR);
  const created = existing
    ? must(await call('POST', `/vending/vendors/${existing.id}/key`), 'a new key for the demo vendor')
    : must(await call('POST', '/vending/vendors', { name: VENDOR, creditLimit: 100_000 }), 'the demo vendor');
  return String(created.apiKey);
}
