// The cloud's MQTT consumer. Connects to the broker (MQTT 5 when it speaks it, else 3.1.1 —
// aedes, the embedded broker, is 3.1.1 only), subscribes at QoS 1 to every DCU's uplink —
// as the shared subscription `$share/cloud/dcu/+/up/#` on MQTT 5, so several cloud
// instances split the load — and hands each message to handleUplink. Messages are handled
// one at a time per instance; the broker's PUBACK goes out after the message was handled,
// and the application ack on dcu/{id}/down/acks only after the store committed.
// A message that cannot be handled is logged with its topic and the reason and dropped;
// nothing a DCU sends can stop the consumer. Acks are signed with the cloud's signing key (the
// one commands are signed with) when it is given; a DCU that trusts cloud keys takes no other.
// A DCU heard of under a new epoch (a new database) is logged as a warning.
import { createPrivateKey, randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import pino, { type Logger } from 'pino';
import { encodeMessage } from '../../shared/sync/codec.js';
import { SYNC_VERSION, Topics } from '../../shared/sync/messages.js';
import { signAck } from '../../shared/sync/signing.js';
import type { CloudKeys } from '../provisioning/cloud-keys.js';
import type { CloudStore, EpochChange } from '../store/index.js';
import { handleUplink, type AckSigner, type IngestOutcome } from './handle.js';

export interface IngestOptions {
  /** mqtt://host:port or mqtts://… */
  url: string;
  store: CloudStore;
  log?: Logger;
  /** The cloud's command signing key: acks are signed with it. Without it they go unsigned (development). */
  signing?: CloudKeys['signing'];
  /** 'auto' (default): MQTT 5 if the broker accepts it, else 3.1.1. */
  protocol?: 'auto' | 4 | 5;
  /** Shared-subscription group on MQTT 5 (default 'cloud'); null subscribes without sharing. */
  shareGroup?: string | null;
  /** A fixed client id makes a persistent session: the broker keeps QoS 1 messages while this instance is away. */
  clientId?: string;
  /** MQTT 5 session expiry for a persistent session, in s (default 1 day). */
  sessionExpirySeconds?: number;
  /** More client options (TLS: ca, cert, key; username…). */
  mqtt?: IClientOptions;
  /** Keep trying while the broker is unreachable at start (default true); false rejects at once. */
  waitForBroker?: boolean;
  now?: () => number;
  /** Called after each message was handled (tests, metrics). */
  onOutcome?: (outcome: IngestOutcome, topic: string) => void;
}

export interface IngestStats {
  received: number;
  /** Batches acknowledged (new and replays). */
  acked: number;
  duplicates: number;
  /** Readings and events inserted. */
  inserted: number;
  /** Readings and events the store could not take, kept aside (CloudStore.rejectedItems). */
  rejected: number;
  recorded: number;
  dropped: number;
  failed: number;
}

export interface Ingest {
  readonly protocolVersion: 4 | 5;
  /** The topic filter subscribed to. */
  readonly subscription: string;
  readonly clientId: string;
  readonly stats: Readonly<IngestStats>;
  /** Finishes the message in hand, then disconnects (the store stays open: it is the caller's). */
  close(): Promise<void>;
}

const RETRY_MS = 1000;
const UNSUPPORTED_PROTOCOL = new Set([1, 132]); // MQTT 3.1.1 CONNACK 1; MQTT 5 reason 0x84

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Signs v2 acks with the cloud's signing key; a v1 ack stays unsigned (its DCU cannot check one). */
export function ackSigner(signing: CloudKeys['signing']): AckSigner {
  const key = createPrivateKey(signing.privateKeyPem);
  return (ack) => (ack.v === SYNC_VERSION ? signAck(ack, signing.keyId, key) : ack);
}

function logEpochChange(log: Logger, change: EpochChange): void {
  const before = change.previous === '' ? "'' (from before epochs)" : change.previous;
  log.warn(
    { dcu: change.dcu, epoch: change.epoch, previousEpoch: change.previous },
    `DCU ${change.dcu} started a new database (epoch ${change.epoch}, before ${before}); its batches are numbered from 1 again`,
  );
}

/** Which protocol version the broker accepts: a short probe connection with a throwaway id. */
async function probeProtocol(url: string, extra: IClientOptions): Promise<4 | 5> {
  for (const version of [5, 4] as const) {
    const probe = mqtt.connect(url, { ...extra, protocolVersion: version, clientId: `probe-${randomBytes(6).toString('hex')}`, clean: true, reconnectPeriod: 0, connectTimeout: 5000 });
    try {
      await new Promise<void>((resolve, reject) => {
        probe.once('connect', () => resolve());
        probe.once('error', reject);
        probe.once('close', () => reject(new Error(`connection to ${url} closed`)));
      });
      return version;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (version === 5 && typeof code === 'number' && UNSUPPORTED_PROTOCOL.has(code)) continue;
      throw error;
    } finally {
      probe.end(true);
    }
  }
  throw new Error(`${url} accepts neither MQTT 5 nor 3.1.1`);
}

export async function startIngest(options: IngestOptions): Promise<Ingest> {
  const log = options.log ?? pino({ name: 'ingest' });
  const now = options.now ?? Date.now;
  const sign = options.signing ? ackSigner(options.signing) : undefined;
  if (!sign) log.warn({}, 'acks are not signed (no signing key): only DCUs in development mode without trusted keys take them');
  const extra = options.mqtt ?? {};
  let closed = false;

  let protocolVersion: 4 | 5;
  for (;;) {
    try {
      protocolVersion = options.protocol === 4 || options.protocol === 5 ? options.protocol : await probeProtocol(options.url, extra);
      break;
    } catch (error) {
      if (options.waitForBroker === false) throw new Error(`cannot connect to the MQTT broker at ${options.url}: ${(error as Error).message}`);
      log.warn({ url: options.url, err: (error as Error).message }, 'MQTT broker unreachable; retrying');
      await sleep(RETRY_MS);
    }
  }

  const persistent = options.clientId !== undefined;
  const clientId = options.clientId ?? `cloud-ingest-${randomBytes(6).toString('hex')}`;
  const group = options.shareGroup === undefined ? 'cloud' : options.shareGroup;
  let subscription = protocolVersion === 5 && group !== null ? (group === 'cloud' ? Topics.sharedUplink : `$share/${group}/${Topics.allUplink}`) : Topics.allUplink;
  const stats: IngestStats = { received: 0, acked: 0, duplicates: 0, inserted: 0, rejected: 0, recorded: 0, dropped: 0, failed: 0 };

  const client: MqttClient = mqtt.connect(options.url, {
    ...extra,
    protocolVersion,
    clientId,
    clean: !persistent,
    reconnectPeriod: RETRY_MS,
    // The ingest subscribes again itself after a reconnect without a kept session (below). The
    // client's own resubscription would make that call a no-op answered with an empty SUBACK
    // list, which looked like a refused shared subscription: the ingest then added the plain
    // one and got every batch twice.
    resubscribe: false,
    ...(protocolVersion === 5 && persistent ? { properties: { sessionExpiryInterval: options.sessionExpirySeconds ?? 86_400 } } : {}),
  });
  client.on('error', (error) => log.warn({ err: error.message }, 'MQTT error'));
  client.on('offline', () => log.warn({ url: options.url }, 'MQTT connection lost; reconnecting'));

  let inFlight: Promise<void> = Promise.resolve();
  client.handleMessage = (packet: IPublishPacket, done) => {
    if (closed) return; // no PUBACK: the broker delivers it again to whoever is there
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const work = handle(packet.topic, payload).finally(() => done());
    inFlight = work;
  };

  async function handle(topic: string, payload: Uint8Array): Promise<void> {
    stats.received += 1;
    let outcome: IngestOutcome;
    try {
      outcome = await handleUplink(options.store, topic, payload, now(), sign);
    } catch (error) {
      outcome = { kind: 'dropped', reason: 'malformed', error: `unexpected: ${(error as Error).message}` };
    }
    if ((outcome.kind === 'ack' || outcome.kind === 'recorded') && outcome.epochChange) logEpochChange(log, outcome.epochChange);
    switch (outcome.kind) {
      case 'ack':
        stats.acked += 1;
        stats.inserted += outcome.inserted;
        if (outcome.duplicate) stats.duplicates += 1;
        stats.rejected += outcome.rejected;
        if (outcome.rejected > 0) log.warn({ topic, dcu: outcome.dcu, rejected: outcome.rejected }, 'items the store cannot take were kept aside (rejected_items); the rest of the batch is stored');
        log.debug({ topic, ack: outcome.ack, inserted: outcome.inserted, duplicate: outcome.duplicate }, 'batch stored');
        // Not awaited: the PUBACK for it arrives on the stream this handler holds.
        client.publish(outcome.topic, Buffer.from(encodeMessage(outcome.ack)), { qos: 1 }, (error) => {
          if (error) log.warn({ topic: outcome.topic, err: error.message }, 'ack not published; the DCU will send again');
        });
        break;
      case 'recorded':
        stats.recorded += 1;
        break;
      case 'dropped':
        stats.dropped += 1;
        log.warn({ topic, reason: outcome.reason, err: outcome.error, bytes: payload.byteLength }, 'uplink message dropped');
        break;
      case 'failed':
        stats.failed += 1;
        log.error({ topic, err: outcome.error }, 'store failed; not acknowledged, the DCU will send again');
        break;
    }
    options.onOutcome?.(outcome, topic);
  }

  async function subscribe(): Promise<void> {
    const granted = await client.subscribeAsync(subscription, { qos: 1 });
    // An empty list: the client sent nothing, as it holds the subscription already — not a refusal.
    if (granted.length === 0) return;
    const code = granted[0]!.qos;
    if (code < 128) return;
    if (subscription !== Topics.allUplink) {
      log.warn({ subscription, code }, 'shared subscription refused by the broker; subscribing without sharing');
      subscription = Topics.allUplink;
      return subscribe();
    }
    throw new Error(`the broker refused the subscription ${subscription} (code ${code})`);
  }

  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => subscribe().then(resolve, reject));
  });
  // After a reconnect without a kept session the subscription is gone: make it again.
  client.on('connect', (connack) => {
    if (!connack.sessionPresent) subscribe().catch((error: Error) => log.error({ err: error.message }, 'resubscribe failed'));
  });
  log.info({ url: options.url, protocolVersion, subscription, clientId, persistent }, 'ingest subscribed');

  return {
    protocolVersion,
    get subscription() {
      return subscription;
    },
    clientId,
    stats,
    async close() {
      if (closed) return;
      closed = true;
      await inFlight.catch(() => undefined);
      await client.endAsync();
    },
  };
}
