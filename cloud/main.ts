// `npx tsx cloud/main.ts`: the cloud service from the environment.
//   MQTT_URL        broker to consume from; unset: start the embedded broker (aedes, MQTT 3.1.1)
//   CLOUD_MQTT_PORT port of the embedded broker (default 0: a free one, logged), CLOUD_MQTT_HOST (127.0.0.1)
//   DATABASE_URL    PostgreSQL store (DATABASE_SCHEMA for a schema); unset: SQLite in CLOUD_DB (./data/cloud.db)
//   INGEST_CLIENT_ID fixed MQTT client id = persistent session; LOG_LEVEL (info)
// Logs are JSON (pino) on stdout. SIGTERM/SIGINT: finish the message in hand, close, exit 0.
import pino from 'pino';
import { startCloud } from './service.js';
import { DEFAULT_SQLITE_FILE, redact } from './store/index.js';

async function main(env: NodeJS.ProcessEnv): Promise<number> {
  const log = pino({ level: env.LOG_LEVEL ?? 'info', base: { service: 'cloud' } });
  const port = env.CLOUD_MQTT_PORT ? Number(env.CLOUD_MQTT_PORT) : 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`cloud: CLOUD_MQTT_PORT must be a port number (0 for a free one), got ${JSON.stringify(env.CLOUD_MQTT_PORT)}`);
    return 2;
  }
  const cloud = await startCloud({
    mqttUrl: env.MQTT_URL,
    brokerPort: port,
    ...(env.CLOUD_MQTT_HOST ? { brokerHost: env.CLOUD_MQTT_HOST } : {}),
    store: { databaseUrl: env.DATABASE_URL, schema: env.DATABASE_SCHEMA, sqliteFile: env.CLOUD_DB ?? DEFAULT_SQLITE_FILE },
    ingestClientId: env.INGEST_CLIENT_ID,
    log,
  });
  log.info(
    {
      mqtt: cloud.mqttUrl,
      broker: cloud.broker ? 'embedded' : 'external',
      store: cloud.store.kind === 'postgres' ? `postgres ${redact(env.DATABASE_URL ?? '')}` : `sqlite ${env.CLOUD_DB ?? DEFAULT_SQLITE_FILE}`,
    },
    'cloud running',
  );
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log.info({ signal }, 'stopping');
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
