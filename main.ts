// `npm start`: the most complete system that exists so far, on its embedded defaults —
// a feeder of simulated DLMS meters on an RS485 bus (a socat pty pair at 38400 baud) and a
// G3-PLC network of simulated meters behind a simulated modem (a second pty pair, g3-demo.ts);
// the DCU runtime finding them, collecting profiles, billing, events and registers, keeping
// their clocks, serving its local API; and the cloud (embedded MQTT broker, SQLite) taking
// the DCU's readings exactly once and sending it signed commands. Ctrl-C stops everything.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { buildCloudApi } from './cloud/api/server.js';
import { CommandService } from './cloud/commands/service.js';
import { loadOrCreateCloudKeys } from './cloud/provisioning/cloud-keys.js';
import { startCloud } from './cloud/service.js';
import { startApi } from './dcu/api/server.js';
import { parseConfig } from './dcu/config.js';
import { DcuRuntime } from './dcu/runtime.js';
import { openPtyBus } from './simulators/feeder/pty-bus.js';
import { g3Summary, startG3Demo, waitForG3Meters } from './g3-demo.js';
import { startVendingDemo } from './vending-demo.js';

const METERS = 8;
const BAUD = 38400;
const G3_METERS = 20;
/** The simulated PLC runs this many times faster than real (see g3-demo.ts). */
const G3_TIME_SCALE = 0.02;
const START_OF_LIFE = Date.UTC(2026, 0, 1);
const dataDir = process.env.DATA_DIR ?? join(process.cwd(), 'data');

async function main(): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  const log = pino({ level: 'info', transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss', ignore: 'pid,hostname,dcu', singleLine: true } } });
  console.log(`starting ${METERS} simulated meters on an RS485 bus (socat pty, ${BAUD} baud)…`);
  const feeder = await openPtyBus({ count: METERS, baud: BAUD, firstAddress: 17, startOfLife: START_OF_LIFE, stateDir: join(dataDir, 'meters') }).catch((e: Error) => {
    throw new Error(`${e.message}\nnpm start needs socat for the simulated RS485 bus: apt-get install socat`);
  });
  console.log(`starting ${G3_METERS} simulated G3-PLC meters behind a simulated modem (socat pty, 230400 baud; the PLC runs ${1 / G3_TIME_SCALE}× faster than real)…`);
  const g3 = await startG3Demo({ name: 'plc-1', panId: 0x4d45, meters: G3_METERS, timeScale: G3_TIME_SCALE, startOfLife: START_OF_LIFE, dataDir, profile: 'reader', controlProfile: 'management' });
  const keys = await loadOrCreateCloudKeys(join(dataDir, 'keys'));
  const cloud = await startCloud({ store: { sqliteFile: join(dataDir, 'cloud.db') }, signing: keys.signing, log: log.child({ service: 'cloud' }) });
  const commands = await CommandService.connect({ keys, url: cloud.mqttUrl, store: cloud.store });
  const vending = await startVendingDemo({ store: cloud.store, commands });
  const cloudApi = buildCloudApi({ store: cloud.store, commands, vending: { service: vending.vending.service, operations: vending.vending.operations, operatorToken: vending.operatorToken } });
  await cloudApi.listen({ host: '127.0.0.1', port: Number(process.env.CLOUD_API_PORT ?? 8090) });
  console.log(`cloud: embedded MQTT broker ${cloud.mqttUrl}, API on http://127.0.0.1:${(cloudApi.server.address() as { port: number }).port} (GET /dcus, POST /commands)`);
  const config = parseConfig({
    dcuId: 'dcu-demo',
    database: join(dataDir, 'dcu.db'),
    systemTitle: '4443550000000001',
    buses: [{ name: 'rs485-1', path: feeder.path, baud: BAUD, profile: 'reader', controlProfile: 'management', discovery: { from: 16, to: 32, timeoutMs: 150 } }],
    g3: [g3.config],
    // The simulated meters' associations: reader (client 17, LLS) and management (client 1,
    // HLS-GMAC with the well-known Gurux test keys — a simulator's, never a real meter's).
    profiles: {
      reader: { clientSap: 17, authentication: 'low', password: '12345678' },
      management: { clientSap: 1, authentication: 'high-gmac', blockCipherKey: '000102030405060708090a0b0c0d0e0f', authenticationKey: 'd0d1d2d3d4d5d6d7d8d9dadbdcdddedf' },
    },
    backfillDays: 1,
    assumeClockSynchronised: true,
    api: { host: '127.0.0.1', port: Number(process.env.DCU_API_PORT ?? 8080) },
    // Development mode: plain MQTT to the embedded broker on this machine. A gateway uses the
    // identity bundle from `cloud/provision.ts` and mqtts://.
    uplink: { url: cloud.mqttUrl, development: true, trustedKeys: { [keys.signing.keyId]: Buffer.from(keys.signing.publicKey).toString('hex') } },
  });
  const runtime = await DcuRuntime.open(config, { log });
  const api = await startApi({ runtime });
  console.log(`DCU local API on http://127.0.0.1:${api.port} (GET /meters, POST /commands)`);

  // Discovery (the G3 meters find themselves: they join the PAN and the DCU identifies
  // them), then one round of every task at once instead of waiting for the schedule; the
  // uplink then carries the readings to the cloud.
  await Promise.all([runtime.discover(), waitForG3Meters(runtime, 'plc-1', G3_METERS, 120_000)]);
  runtime.start();
  const cloudUrl = `http://127.0.0.1:${(cloudApi.server.address() as { port: number }).port}`;
  const vendorKey = await vending.provision(cloudApi, { dcuId: config.dcuId, meters: feeder.meters.map((m) => m.serial) });
  console.log(`vending: operator token ${vending.operatorToken} (CLOUD_OPERATOR_TOKEN), vendor "demo shop" API key ${vendorKey}; sell 1 kWh to the first meter, delivered through the DCU:`);
  console.log(`  curl -s -X POST ${cloudUrl}/vending/vends -H 'authorization: Bearer ${vendorKey}' -H 'content-type: application/json' -d '{"requestId":"sale-1","meter":"${feeder.meters[0].serial}","amount":100}'`);
  const cycle = async () => {
    for (const task of ['load-profile', 'daily-billing', 'event-log', 'registers', 'clock-sync']) await runtime.scheduler.fire(task);
    for (let i = 0; i < 100 && runtime.store.readings.undeliveredCount() > 0; i++) await new Promise((r) => setTimeout(r, 200));
    await report(runtime, cloud);
    console.log(g3Summary(g3.sim));
  };
  await cycle();
  const timer = setInterval(() => void cycle(), 5 * 60_000);
  console.log('running; the schedule takes over (hourly profiles, nightly discovery); a summary every 5 minutes. Ctrl-C to stop.');

  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  clearInterval(timer);
  console.log('stopping…');
  await api.close();
  await runtime.close();
  await cloudApi.close();
  await vending.vending.close();
  await commands.close();
  await cloud.close();
  await feeder.close();
  await g3.close();
}

async function report(runtime: DcuRuntime, cloud: Awaited<ReturnType<typeof startCloud>>): Promise<void> {
  const meters = runtime.store.meters.list();
  const inCloud = await cloud.store.countReadings({ dcu: runtime.config.dcuId });
  const links = [...new Set(meters.map((m) => m.link ?? '?'))].map((l) => `${meters.filter((m) => m.link === l).length} on ${l}`).join(', ');
  console.log(`\n${meters.length} meter(s) in the directory (${links}), ${runtime.store.readings.count()} reading(s) in the DCU buffer (${runtime.store.readings.undeliveredCount()} not yet acknowledged), ${inCloud} in the cloud`);
  for (const m of meters) {
    const latest = runtime.store.readings.range({ from: Date.now() - 86_400_000, to: Date.now(), meter: m.id, obis: '1.0.1.8.0.255', attribute: 2 }).at(-1);
    const value = latest ? `${latest.value} Wh at ${new Date(latest.ts).toISOString()}` : 'no reading yet';
    const where = m.physicalAddress !== null ? `address ${m.physicalAddress}` : `G3 ${m.networkAddress} short 0x${(m.shortAddress ?? 0).toString(16).padStart(4, '0')}${m.hops !== null ? ` ${m.hops} hop(s)` : ''}`;
    console.log(`  ${m.serial}  ${where.padEnd(40)}  ${m.status.padEnd(11)}  import ${value}`);
  }
}

main().catch((e: Error) => {
  console.error(`npm start failed: ${e.message}`);
  process.exit(1);
});
