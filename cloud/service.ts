// The cloud as one object: its store, the MQTT broker (the embedded one unless a URL is
// given) and the ingest. cloud/main.ts runs it from the environment; the system launcher and
// tests run it in-process.
import type { Logger } from 'pino';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker.js';
import { startIngest, type Ingest, type IngestOptions } from './ingest/ingest.js';
import type { CloudKeys } from './provisioning/cloud-keys.js';
import { openCloudStore, type CloudStore, type OpenCloudStoreOptions } from './store/index.js';

export interface CloudOptions {
  /** An external broker (mqtt://, mqtts://); without it the embedded broker is started. */
  mqttUrl?: string | undefined;
  /** Port of the embedded broker (default 0: a free one; its URL is in `mqttUrl` of the result). */
  brokerPort?: number;
  brokerHost?: string;
  store: OpenCloudStoreOptions;
  /** Fixed MQTT client id: a persistent session on the broker. */
  ingestClientId?: string | undefined;
  ingest?: Partial<Omit<IngestOptions, 'url' | 'store' | 'log' | 'signing'>>;
  /** The cloud's signing key (cloud-keys.ts): acks are signed with it, as commands are. */
  signing?: CloudKeys['signing'];
  log: Logger;
}

export interface Cloud {
  readonly mqttUrl: string;
  readonly store: CloudStore;
  readonly broker: EmbeddedBroker | null;
  readonly ingest: Ingest;
  /** Stops the ingest (finishing the message in hand), then the broker, then closes the store. */
  close(): Promise<void>;
}

export async function startCloud(options: CloudOptions): Promise<Cloud> {
  const { log } = options;
  const store = await openCloudStore(options.store);
  let broker: EmbeddedBroker | null = null;
  try {
    if (!options.mqttUrl) {
      broker = await startEmbeddedBroker({
        log: log.child({ part: 'broker' }),
        ...(options.brokerPort !== undefined ? { port: options.brokerPort } : {}),
        ...(options.brokerHost !== undefined ? { host: options.brokerHost } : {}),
      });
    }
    const mqttUrl = options.mqttUrl || broker!.url;
    const ingest = await startIngest({
      ...options.ingest,
      url: mqttUrl,
      store,
      log: log.child({ part: 'ingest' }),
      ...(options.ingestClientId ? { clientId: options.ingestClientId } : {}),
      ...(options.signing && { signing: options.signing }),
    });
    let closing: Promise<void> | undefined;
    return {
      mqttUrl,
      store,
      broker,
      ingest,
      close() {
        closing ??= (async () => {
          await ingest.close();
          await broker?.close();
          await store.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    await broker?.close();
    await store.close();
    throw error;
  }
}
