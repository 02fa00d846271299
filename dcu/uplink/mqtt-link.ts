// The MQTT connection of the uplink (`mqtt` package): TLS with the pinned CA and the client
// certificate (identity.ts), a persistent session (clean: false, the DCU id as client id;
// on MQTT 5 a session expiry), QoS 1 everywhere, a retained last will, reconnects with
// backoff. Everything essential is in the payloads, so it works on MQTT 3.1.1 (aedes, the
// embedded broker) as on MQTT 5 (Mosquitto): with protocolVersion 'auto' it asks for 5 and
// falls back to 3.1.1 when the broker refuses that version; MQTT 5 properties (session and
// message expiry) are sent only on a connection that negotiated 5.
//
// Each attempt is a new client object with reconnectPeriod 0: the link owns the backoff and
// the protocol choice, and nothing the `mqtt` package queued for a dead connection is sent
// again behind the outbox's back (the outbox decides what goes out again).
//
// Incoming messages are handed to `onMessage`; the PUBACK goes out when it has resolved, so
// a message is acknowledged to the broker only after the DCU has recorded it.
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { UplinkConfig } from '../config.js';
import type { ConnectionIdentity } from './identity.js';
import type { UplinkLog } from './log.js';

export type ProtocolVersion = 4 | 5;

export class UplinkOffline extends Error {
  override readonly name = 'UplinkOffline';
}

export interface LinkUp {
  protocolVersion: ProtocolVersion;
  sessionPresent: boolean;
}

export interface PublishOptions {
  retain?: boolean;
  /** MQTT 5 message expiry, s (ignored on 3.1.1). */
  expiryS?: number;
}

export interface MqttLinkOptions {
  identity: ConnectionIdentity;
  clientId: string;
  config: Pick<UplinkConfig, 'protocolVersion' | 'keepaliveS' | 'sessionExpiryS' | 'reconnectMinMs' | 'reconnectMaxMs' | 'connectTimeoutMs'>;
  /** Topics subscribed (QoS 1) on every connection. */
  subscriptions: readonly string[];
  /** The last will (retained, QoS 1), made fresh for each attempt. */
  will(): { topic: string; payload: Uint8Array };
  onUp(up: LinkUp): void;
  onDown(): void;
  onMessage(topic: string, payload: Uint8Array): Promise<void> | void;
  log: UplinkLog;
}

type Timer = ReturnType<typeof setTimeout>;

export class MqttLink {
  private client: MqttClient | null = null;
  private version: ProtocolVersion | null;
  private up = false;
  private stopping = false;
  private attempt = 0;
  private delay: number;
  private timer: Timer | null = null;
  private pending = new Set<(e: Error) => void>();

  constructor(private readonly options: MqttLinkOptions) {
    const v = options.config.protocolVersion;
    this.version = v === 'auto' ? null : v;
    this.delay = options.config.reconnectMinMs;
  }

  get connected(): boolean {
    return this.up;
  }

  /** The protocol of the current (or last) connection; null before the first. */
  get protocolVersion(): ProtocolVersion | null {
    return this.client === null ? null : (this.client.options.protocolVersion as ProtocolVersion);
  }

  start(): void {
    this.stopping = false;
    this.connect();
  }

  /**
   * Publishes with QoS 1; resolves on the broker's PUBACK (which says the broker has it —
   * not that the cloud stored it). Rejects with UplinkOffline when not connected or when the
   * connection goes before the PUBACK.
   */
  publish(topic: string, payload: Uint8Array, options: PublishOptions = {}): Promise<void> {
    const client = this.client;
    if (client === null || !this.up) return Promise.reject(new UplinkOffline('the uplink is not connected'));
    const v5 = client.options.protocolVersion === 5;
    return new Promise<void>((resolve, reject) => {
      const fail = (e: Error): void => {
        this.pending.delete(fail);
        reject(e);
      };
      this.pending.add(fail);
      client.publish(
        topic,
        Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
        { qos: 1, retain: options.retain ?? false, ...(v5 && options.expiryS !== undefined && { properties: { messageExpiryInterval: options.expiryS } }) },
        (error) => {
          if (!this.pending.delete(fail)) return;
          if (error) reject(error);
          else resolve();
        },
      );
    });
  }

  /** Publishes `last` (if connected), then disconnects cleanly; no reconnect after. */
  async stop(last?: { topic: string; payload: Uint8Array; retain?: boolean }): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const client = this.client;
    if (client === null) return;
    if (last && this.up) {
      await Promise.race([this.publish(last.topic, last.payload, { retain: last.retain ?? false }).catch(() => undefined), sleep(2000)]);
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        client.end(true);
        resolve();
      }, 2000);
      client.end(false, {}, () => {
        clearTimeout(t);
        resolve();
      });
    });
    this.dropPending();
    this.setDown();
  }

  private connect(): void {
    if (this.stopping) return;
    const { identity, config, clientId, log } = this.options;
    const version: ProtocolVersion = this.version ?? 5;
    const will = this.options.will();
    const options: IClientOptions = {
      clientId,
      clean: false,
      protocolVersion: version,
      keepalive: config.keepaliveS,
      reconnectPeriod: 0,
      connectTimeout: config.connectTimeoutMs,
      resubscribe: false,
      will: { topic: will.topic, payload: Buffer.from(will.payload), qos: 1, retain: true },
      ...(version === 5 && { properties: { sessionExpiryInterval: config.sessionExpiryS } }),
      ...(identity.tls !== null && { ...identity.tls, rejectUnauthorized: true }),
    };
    this.attempt++;
    log.info({ url: identity.url, protocolVersion: version, attempt: this.attempt, tls: identity.tls !== null }, 'uplink connecting');
    const client = mqtt.connect(identity.url, options);
    this.client = client;
    let fallback = false;
    let closed = false;

    client.handleMessage = (packet: IPublishPacket, done) => {
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      Promise.resolve()
        .then(() => this.options.onMessage(packet.topic, payload))
        .catch((e: unknown) => log.error({ topic: packet.topic, error: (e as Error).message }, 'uplink message handler failed'))
        .finally(() => done());
    };

    client.on('connect', (connack) => {
      if (this.client !== client) return;
      this.version = version;
      this.up = true;
      this.attempt = 0;
      this.delay = config.reconnectMinMs;
      const up: LinkUp = { protocolVersion: version, sessionPresent: connack.sessionPresent };
      log.info({ ...up, clientId }, 'uplink connected');
      client.subscribe(this.options.subscriptions.map((topic) => topic), { qos: 1 }, (error, granted) => {
        if (error) log.error({ error: error.message }, 'uplink subscribe failed');
        else if (granted?.some((g) => g.qos > 2)) log.error({ granted }, 'the broker refused a subscription (ACL?)');
      });
      this.options.onUp(up);
    });

    client.on('error', (error: Error & { code?: number | string }) => {
      if (this.client !== client) return;
      const refusedVersion = version === 5 && (error.code === 1 || error.code === 132 || /protocol version/i.test(error.message));
      if (refusedVersion && config.protocolVersion === 'auto') {
        fallback = true;
        this.version = 4;
        log.info({ error: error.message }, 'the broker does not take MQTT 5; using MQTT 3.1.1');
        return;
      }
      log.warn({ error: error.message, code: error.code }, 'uplink connection error');
    });

    client.on('close', () => {
      if (this.client !== client || closed) return;
      closed = true;
      client.end(true);
      this.dropPending();
      if (this.up && !this.stopping) log.warn({}, 'uplink connection lost');
      this.setDown();
      if (this.stopping) return;
      const wait = fallback ? 0 : this.nextDelay();
      if (wait > 0) log.info({ inMs: wait }, 'uplink reconnecting');
      this.timer = setTimeout(() => {
        this.timer = null;
        this.connect();
      }, wait);
    });
  }

  private nextDelay(): number {
    const { reconnectMinMs, reconnectMaxMs } = this.options.config;
    const base = this.delay;
    this.delay = Math.min(reconnectMaxMs, this.delay * 2);
    const jittered = base * (0.8 + 0.4 * Math.random());
    return Math.round(Math.min(reconnectMaxMs, Math.max(reconnectMinMs, jittered)));
  }

  private setDown(): void {
    if (!this.up) return;
    this.up = false;
    this.options.onDown();
  }

  private dropPending(): void {
    for (const fail of [...this.pending]) fail(new UplinkOffline('the connection closed before the broker acknowledged'));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
