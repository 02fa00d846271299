// `npx tsx cloud/main.ts`: the cloud service from the environment.
//   MQTT_URL        broker to consume from; unset: start the embedded broker (aedes, MQTT 3.1.1)
//   CLOUD_MQTT_PORT port of the embedded broker (default 0: a free one, logged), CLOUD_MQTT_HOST (127.0.0.1)
//   DATABASE_URL    PostgreSQL store (DATABASE_SCHEMA for a schema); unset: SQLite in CLOUD_DB (./data/cloud.db)
//   INGEST_CLIENT_ID fixed MQTT client id = persistent session; LOG_LEVEL (info)
//   CLOUD_KEYS      folder of the cloud's CA and signing keys (./data/keys, created on first use);
//                   the signing key signs commands and acks
//   CLOUD_API_PORT  HTTP API for commands and DCUs (8090), CLOUD_API_HOST (127.0.0.1)
//   STS_VENDING_KEYS JSON file of the STS vending keys (vending; see cloud/vending/keyring.ts);
//                   unset: no keys, tokens cannot be made. CLOUD_OPERATOR_TOKEN: bearer token of
//                   the operator routes of /vending (unset: they answer 503). Vending keeps its
//                   tables in the cloud store's database (SQLite or PostgreSQL).
// Logs are JSON (pino) on stdout. SIGTERM/SIGINT: finish the message in hand, close, exit 0.
import { join } from 'node:path';
import pino from 'pino';
import { buildCloudApi } from './api/server.js';
import { CommandService } from './commands/service.js';
import { loadOrCreateCloudKeys } from './provisioning/cloud-keys.js';
import { startCloud } from './service.js';
import { DEFAULT_SQLITE_FILE, redact } from './store/index.js';
import { startVending, VendingKeyring, type Vending } from './vending/index.js';

async function main(env: NodeJS.ProcessEnv): Promise<number> {
  const log = pino({ level: env.LOG_LEVEL ?? 'info', base: { service: 'cloud' } });
  const port = env.CLOUD_MQTT_PORT ? Number(env.CLOUD_MQTT_PORT) : 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`cloud: CLOUD_MQTT_PORT must be a port number (0 for a free one), got ${JSON.stringify(env.CLOUD_MQTT_PORT)}`);
    return 2;
  }
  const keys = await loadOrCreateCloudKeys(env.CLOUD_KEYS ?? join(process.cwd(), 'data', 'keys'));
  const cloud = await startCloud({
    mqttUrl: env.MQTT_URL,
    brokerPort: port,
    ...(env.CLOUD_MQTT_HOST ? { brokerHost: env.CLOUD_MQTT_HOST } : {}),
    store: { databaseUrl: env.DATABASE_URL, schema: env.DATABASE_SCHEMA, sqliteFile: env.CLOUD_DB ?? DEFAULT_SQLITE_FILE },
    ingestClientId: env.INGEST_CLIENT_ID,
    signing: keys.signing,
    log,
  });
  const commands = await CommandService.connect({ keys, url: cloud.mqttUrl, store: cloud.store });
  const keyring = env.STS_VENDING_KEYS ? VendingKeyring.load(env.STS_VENDING_KEYS) : new VendingKeyring([]);
  const vending: Vending = await startVending({ store: cloud.store, commands, keyring });
  const api = buildCloudApi({
    store: cloud.store,
    commands,
    vending: { service: vending.service, operations: vending.operations, operatorToken: env.CLOUD_OPERATOR_TOKEN || undefined },
  });
  await api.listen({ host: env.CLOUD_API_HOST ?? '127.0.0.1', port: Number(env.CLOUD_API_PORT ?? 8090) });
  log.info(
    {
      api: `http://${env.CLOUD_API_HOST ?? '127.0.0.1'}:${(api.server.address() as { port: number }).port}`,
      mqtt: cloud.mqttUrl,
      broker: cloud.broker ? 'embedded' : 'external',
      vending: 'on',
      store: cloud.store.kind === 'postgres' ? `postgres ${redact(env.DATABASE_URL ?? '')}` : `sqlite ${env.CLOUD_DB ?? DEFAULT_SQLITE_FILE}`,
    },
    'cloud running',
  );
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log.info({ signal }, 'stopping');
  await api.close();
  await vending.close();
  await commands.close();
  await cloud.close();
  log.info('stopped');
  return 0;
}

main(process.env).then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`cloud: ${e.message}`);
    process.exit(1);
  },
);
