// Issue 7 end to end: prepaid vending with remote credit. The cloud (embedded MQTT broker,
// SQLite, vending service and API, remote-credit worker) and the DCU runtime with simulated
// STS meters on a socat pty bus:
//
//   a vendor buys through the vending API → the cloud makes the STS token and sends it as a
//   signed `token` command → the DCU enters it through the meter's token gateway (IC 115)
//   and reads the credit back → the credit is visible in the cloud's account API;
//   the credit runs out during a friendly period (holidays) → the meter keeps the supply on
//   and disconnects at the first minute after it; a purchase → the meter reconnects; the
//   meter's event log, collected by the DCU, shows the cloud both.
//
// The meters' clocks are moved forward (the simulator's clock jump) to let days pass; the
// cloud and the DCU run on real time. A simulated meter consumes a few hundred Wh an hour.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCloudApi } from '../../cloud/api/server.js';
import { CommandService } from '../../cloud/commands/service.js';
import { loadOrCreateCloudKeys } from '../../cloud/provisioning/cloud-keys.js';
import { type Cloud, startCloud } from '../../cloud/service.js';
import { type Vending, VendingKeyring, startVending } from '../../cloud/vending/index.js';
import { ManualClock } from '../../dcu/clock/gateway-clock.js';
import { parseConfig } from '../../dcu/config.js';
import { DcuRuntime } from '../../dcu/runtime.js';
import type { FriendlyPeriods } from '../../shared/prepayment/friendly.js';
import { luhnCheckDigit, meterIdentity } from '../../shared/sts/index.js';
import { type PtyBus, openPtyBus } from '../../simulators/feeder/pty-bus.js';
import { type RunningMeter, createMeterSet } from '../../simulators/meter/transport/meter-set.js';

const DAY = 86_400_000;
const DCU = 'dcu-vend';
const OPERATOR = 'operator-secret-for-the-test';
const silent = pino({ level: 'silent' });

// Meter local time = UTC (the simulated meters' default). Today and tomorrow are holidays:
// friendly, nobody is disconnected; the day after is an ordinary day.
const DAY0 = Math.floor(Date.now() / DAY) * DAY;
const isoDate = (t: number) => new Date(t).toISOString().slice(0, 10);
const FRIENDLY: FriendlyPeriods = { daily: [], weekdays: [], holidays: [isoDate(DAY0), isoDate(DAY0 + DAY)], timeZoneMinutes: 0 };

let dir: string;
let feeder: PtyBus;
let meter: RunningMeter;
let cloud: Cloud;
let commands: CommandService;
let vending: Vending;
let api: FastifyInstance;
let runtime: DcuRuntime;
let vendorKey: string;
const dcuClock = new ManualClock(Date.now(), true);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vending-e2e-'));
  // Prepayment meters from yesterday on, no credit: the relay is open (ready for reconnection).
  const meters = createMeterSet({
    count: 2,
    firstAddress: 17,
    seed: 7,
    firstSerial: 74000001,
    startOfLife: DAY0 - DAY,
    configure: () => ({ clock: { offsetMs: 0, driftPpm: 0 }, pv: false, prepayment: { mode: 'prepayment', initialCreditWh: 0 }, friendlyPeriods: FRIENDLY }),
  });
  meter = meters[0];
  feeder = await openPtyBus({ meters, baud: 115200 });

  const keys = await loadOrCreateCloudKeys(join(dir, 'keys'));
  cloud = await startCloud({ store: { sqliteFile: join(dir, 'cloud.db') }, signing: keys.signing, log: silent });
  commands = await CommandService.connect({ keys, url: cloud.mqttUrl, store: cloud.store });
  // The simulated meters' documented test vending key (simulators/meter/prepayment/sts-identity.ts).
  const keyring = new VendingKeyring([{ supplyGroupCode: '123456', keyRevisionNumber: 1, keyDerivation: 'DKGA02', key: 'abababababababab' }]);
  vending = await startVending({ store: cloud.store, commands, keyring, remoteCredit: { pollMs: 200, retryDelayMs: 1000 } });
  api = buildCloudApi({ store: cloud.store, commands, vending: { service: vending.service, operations: vending.operations, operatorToken: OPERATOR } });

  runtime = await DcuRuntime.open(
    parseConfig({
      dcuId: DCU,
      database: join(dir, 'dcu.db'),
      systemTitle: '4443550000000077',
      buses: [{ name: 'rs485-1', path: feeder.path, baud: 115200, profile: 'reader', controlProfile: 'management', discovery: { from: 16, to: 19, timeoutMs: 150 } }],
      profiles: {
        reader: { clientSap: 17, authentication: 'low', password: '12345678' },
        management: { clientSap: 1, authentication: 'high-gmac', blockCipherKey: '000102030405060708090a0b0c0d0e0f', authenticationKey: 'd0d1d2d3d4d5d6d7d8d9dadbdcdddedf' },
      },
      assumeClockSynchronised: true,
      uplink: { url: cloud.mqttUrl, development: true, trustedKeys: { [keys.signing.keyId]: Buffer.from(keys.signing.publicKey).toString('hex') }, pollMs: 100, reconnectMinMs: 100 },
    }),
    // A clock that stands still unless the test moves it: no scheduled task comes due.
    { log: silent, clock: dcuClock },
  );
  await runtime.discover();
  runtime.start();
  // The DCU subscribes to its command topic before it publishes 'online': once the cloud has
  // that status, a command sent now reaches it.
  await until('the DCU online in the cloud', async () => ((await cloud.store.dcus()).find((d) => d.id === DCU && d.status === 'online') ? true : null));

  // The operator sets up a flat tariff (1.00 EUR/kWh, no VAT, no fixed charges: 10 cents a
  // token unit of 0.1 kWh), the customer's prepaid account on remote delivery, and a vendor.
  await call('POST', '/vending/tariffs', OPERATOR, {
    id: 'flat', currency: 'EUR', validFrom: Date.UTC(2026, 0, 1), timeZoneMinutes: 0,
    vat: { rateBasisPoints: 0, pricesIncludeVat: true },
    energy: { kind: 'steps', steps: [{ upToUnits: null, pricePerKwh: 1_000_000 }] },
    fixedCharges: [],
  }, 201);
  const drn = meter.serial.padStart(10, '0');
  const pan = meterIdentity({ iin: '600727', drn: drn + String(luhnCheckDigit(drn)) }).pan;
  await call('POST', '/vending/accounts', OPERATOR, {
    id: 'acc-1', meterSerial: meter.serial, mode: 'prepaid', currency: 'EUR', tariffId: 'flat',
    delivery: { kind: 'remote', dcuId: DCU }, friendly: FRIENDLY,
    sts: { pan, keyType: 2, supplyGroupCode: '123456', tariffIndex: '01', keyRevisionNumber: 1, baseDate: 2014, keyDerivation: 'DKGA02', algorithm: 'EA07' },
  }, 201);
  vendorKey = ((await call('POST', '/vending/vendors', OPERATOR, { name: 'corner shop', creditLimit: 1_000_000 }, 201)) as { apiKey: string }).apiKey;
}, 120_000);

afterAll(async () => {
  await runtime?.close();
  await api?.close();
  await vending?.close();
  await commands?.close();
  await cloud?.close();
  await feeder?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function call(method: 'GET' | 'POST', url: string, bearer: string, payload?: unknown, expected?: number): Promise<Record<string, unknown>> {
  const r = await api.inject({ method, url, headers: { authorization: `Bearer ${bearer}` }, ...(payload !== undefined && { payload: payload as object }) });
  if (expected !== undefined) expect(r.statusCode, `${method} ${url}: ${r.body}`).toBe(expected);
  return r.json();
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== null && v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Vend {
  token: string;
  units: number;
  delivery: string;
  deliveryResult: { tokenStatus?: number; accepted?: boolean; credit?: { value: number; unit: string }; relay?: { outputState: boolean; controlState: number }; verdict?: string } | null;
}

/** A purchase through the vendor API, followed until the cloud records the meter's answer. */
async function buy(requestId: string, cents: number): Promise<Vend> {
  const sold = (await call('POST', '/vending/vends', vendorKey, { requestId, meter: meter.serial, amount: cents }, 201)) as unknown as Vend;
  expect(sold.token).toMatch(/^\d{20}$/);
  return until(`the delivery of ${requestId}`, async () => {
    const v = (await call('GET', `/vending/vends/${requestId}`, vendorKey)) as unknown as Vend;
    return v.delivery === 'pending' || v.delivery === 'sent' ? null : v;
  });
}

const relay = () => meter.meter.state.relay;
/** Moves the meter's clock so that its time is `target` (meter time = UTC here). */
const setMeterTime = (target: number) => meter.meter.jumpClock(target - meter.meter.meterTime(Date.now()));

describe('prepaid vending end to end', () => {
  it('vend through the API → token entered remotely through the DCU → the credit read back is in the cloud; the purchase closes the relay', async () => {
    expect(relay()).toMatchObject({ controlState: 2 }); // no credit yet: ready for reconnection
    const vend = await buy('sale-1', 100); // 1.00 EUR = 10 units = 1 kWh
    expect(vend.units).toBe(10);
    expect(vend.delivery).toBe('delivered');
    expect(vend.deliveryResult).toMatchObject({ tokenStatus: 3, accepted: true, relay: { outputState: true, controlState: 1 } });
    // The meter took exactly the token's credit, once.
    expect(meter.meter.state.prepayment.creditWh).toBe(1000);
    expect(meter.meter.state.prepayment.lastToken).toMatchObject({ deliveryMethod: 0, statusCode: 3 });
    expect(relay().controlState).toBe(1);
    // The cloud shows what the meter said, through the DCU (1000 Wh less the few seconds used since).
    const account = await call('GET', '/vending/accounts/acc-1', OPERATOR, undefined, 200);
    expect(account.meterCredit).toMatchObject({ unit: 'Wh', scaler: 0, tokenStatus: 3 });
    const credit = (account.meterCredit as { value: number }).value;
    expect(credit).toBe(vend.deliveryResult!.credit!.value);
    expect(credit).toBeGreaterThan(990);
    expect(credit).toBeLessThanOrEqual(1000);
    // The DCU journaled one token command for it, done.
    const dcuCommands = runtime.store.commands.list({ limit: 100 }).filter((c) => c.kind === 'token');
    expect(dcuCommands).toHaveLength(1);
    expect(dcuCommands[0]).toMatchObject({ status: 'done', meter: meter.serial, params: { token: vend.token } });
  }, 120_000);

  it('credit exhausted during the holidays: the supply stays on, and the relay opens at the first minute after them', async () => {
    setMeterTime(DAY0 + DAY + 12 * 3_600_000); // tomorrow noon: still a holiday
    expect(meter.meter.credit(Date.now())).toBeLessThan(0); // used up, and more used since
    expect(relay()).toMatchObject({ controlState: 1 });
    setMeterTime(DAY0 + 2 * DAY + 30 * 60_000); // the day after, 00:30: an ordinary day
    const now = Date.now();
    expect(meter.meter.credit(now)).toBeLessThan(0);
    expect(relay()).toMatchObject({ controlState: 2, openSince: DAY0 + 2 * DAY }); // opened at 00:00, not before
    const energy = meter.meter.energy(now).importTotal;
    setMeterTime(DAY0 + 2 * DAY + 3 * 3_600_000);
    expect(meter.meter.energy(Date.now()).importTotal).toBe(energy); // no supply while open
  }, 60_000);

  it('a purchase that covers what was used closes the relay again, as the DCU reports to the cloud', async () => {
    const owedWh = -meter.meter.credit(Date.now());
    const units = Math.ceil(owedWh / 100) + 20; // the debt in units, plus 2 kWh
    const vend = await buy('sale-2', units * 10);
    expect(vend.units).toBe(units);
    expect(vend.delivery).toBe('delivered');
    expect(vend.deliveryResult).toMatchObject({ tokenStatus: 3, accepted: true, relay: { outputState: true, controlState: 1 } });
    expect(relay().controlState).toBe(1);
    const account = await call('GET', '/vending/accounts/acc-1', OPERATOR, undefined, 200);
    const credit = (account.meterCredit as { value: number }).value;
    expect(credit).toBe(vend.deliveryResult!.credit!.value);
    expect(credit).toBeGreaterThan(units * 100 - owedWh - 50);
    expect(credit).toBeLessThanOrEqual(units * 100 - owedWh);
    // The same vend request again: the same token, no second charge, no second delivery.
    const again = await call('POST', '/vending/vends', vendorKey, { requestId: 'sale-2', meter: meter.serial, amount: units * 10 }, 200);
    expect(again).toMatchObject({ token: vend.token, replayed: true });
    expect(runtime.store.commands.list({ limit: 100 }).filter((c) => c.kind === 'token')).toHaveLength(2);
  }, 120_000);

  it("the meter's event log, collected by the DCU, shows the cloud when the relay opened and closed", async () => {
    const meterNow = meter.meter.meterTime(Date.now());
    dcuClock.time = meterNow; // the DCU collects up to the meter's (moved) time
    const runs = await runtime.scheduler.fire('event-log');
    expect(runs.find((r) => r.meter === meter.serial)).toMatchObject({ outcome: 'ok' });
    const relayEvents = async () =>
      (await cloud.store.readings({ dcu: DCU, meter: meter.serial }))
        .filter((r) => r.obis === '0.0.96.11.0.255' && r.ts >= DAY0 && (r.value === 63 || r.value === 68))
        .map((r) => ({ ts: r.ts, code: r.value }));
    const events = await until('the event log in the cloud', async () => {
      const e = await relayEvents();
      return e.length >= 3 ? e : null;
    });
    // 68 local reconnection (the first purchase), 63 local disconnection at the first minute
    // after the holidays, none during them, 68 again (the second purchase).
    expect(events.map((e) => e.code)).toEqual([68, 63, 68]);
    expect(events[0]!.ts).toBeLessThan(DAY0 + DAY);
    expect(events[1]!.ts).toBe(DAY0 + 2 * DAY);
    expect(events[2]!.ts).toBeGreaterThan(DAY0 + 2 * DAY + 3 * 3_600_000 - 1000);
    expect(events[2]!.ts).toBeLessThanOrEqual(meterNow);
  }, 120_000);
});
