// A DCU as the cloud sees it over MQTT: the real `mqtt` client publishing encoded batches
// (QoS 1) on its uplink topics and collecting the cloud's acks from dcu/{id}/down/acks (of
// either version: the cloud answers a v1 batch with a v1 ack), decoded and as bytes.
import mqtt, { type MqttClient } from 'mqtt';
import pino, { type Logger } from 'pino';
import { decodeMessage, encodeMessage } from '../../../shared/sync/codec.js';
import { Topics, type AckMessage, type UplinkMessage } from '../../../shared/sync/messages.js';

export class FakeDcu {
  readonly acks: AckMessage[] = [];
  /** The payloads of the acks, as they came. */
  readonly ackBytes: Uint8Array[] = [];
  #waiters: (() => void)[] = [];

  private constructor(readonly id: string, readonly client: MqttClient) {
    client.on('message', (topic, payload) => {
      if (topic !== Topics.acks(id)) return;
      const message = decodeMessage(payload);
      if (message && 'kind' in message && message.kind === 'ack') (this.acks.push(message), this.ackBytes.push(new Uint8Array(payload)));
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  static async connect(url: string, id: string, protocolVersion: 4 | 5 = 4): Promise<FakeDcu> {
    const client = await mqtt.connectAsync(url, { clientId: `fake-${id}`, protocolVersion, reconnectPeriod: 0 });
    const dcu = new FakeDcu(id, client);
    await client.subscribeAsync(Topics.acks(id), { qos: 1 });
    return dcu;
  }

  /** Publishes raw bytes at QoS 1 and waits for the broker's PUBACK. */
  async publish(topic: string, payload: Uint8Array): Promise<void> {
    await this.client.publishAsync(topic, Buffer.from(payload), { qos: 1 });
  }

  /** Encodes a message and publishes it on the topic its kind belongs to (or `topic`). */
  async send(message: UplinkMessage, topic?: string): Promise<void> {
    const t = topic ?? (message.kind === 'readings' ? Topics.readings(this.id) : message.kind === 'events' ? Topics.events(this.id) : message.kind === 'status' ? Topics.status(this.id) : Topics.results(this.id));
    await this.publish(t, encodeMessage(message));
  }

  /** Resolves once `count` acks in all have arrived. */
  async waitForAcks(count: number, ms = 10_000): Promise<AckMessage[]> {
    const deadline = Date.now() + ms;
    while (this.acks.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`DCU ${this.id}: ${this.acks.length} acks after ${ms} ms, expected ${count}: ${JSON.stringify(this.acks)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
    return this.acks.slice(0, count);
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}

/** A pino logger that keeps its records in memory, for asserting what was logged. */
export function memoryLogger(level = 'info'): { log: Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const log = pino({ level }, { write: (line: string) => void records.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, records };
}

/** Polls until check() is true (for effects that have no message of their own). */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
