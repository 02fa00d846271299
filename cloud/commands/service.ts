// The cloud's command workflow (minimal): sign a command for a DCU, publish it on the DCU's
// down/commands topic (QoS 1), and track it until the DCU's result arrives in the store.
// A command published before a DCU's first subscription ever (no persistent session yet)
// reaches nobody: when a DCU announces itself online, the unanswered commands still valid
// are published again — the same signed bytes, which a DCU that already has them ignores.
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { decodeUplink } from '../../shared/sync/codec.js';
import { type CommandKind, type SignedCommand, parseTopic } from '../../shared/sync/messages.js';
import type { CloudKeys } from '../provisioning/cloud-keys.js';
import type { CloudStore, CommandResultRecord } from '../store/index.js';
import { CommandSigner, type CommandRequest, commandMessage } from './issue.js';

export interface IssuedCommand {
  id: string;
  dcu: string;
  command: CommandKind;
  seq: number;
  issuedAt: number;
  notAfter: number;
}

export class CommandService {
  private readonly signer: CommandSigner;
  private readonly issued = new Map<string, IssuedCommand>();
  /** Signed commands not yet answered, by DCU then id: what goes out again when the DCU comes online. */
  private readonly unanswered = new Map<string, Map<string, { topic: string; payload: Uint8Array; notAfter: number }>>();
  /** Per-DCU sequence: time-based and strictly increasing, so it needs no storage of its own. */
  private lastSeq = 0;

  private constructor(keys: CloudKeys, private readonly client: MqttClient, private readonly store: CloudStore, private readonly now: () => number) {
    this.signer = new CommandSigner(keys);
    client.on('message', (topic, payload) => void this.onStatus(topic, payload));
  }

  static async connect(o: { keys: CloudKeys; url: string; store: CloudStore; mqtt?: IClientOptions; now?: () => number }): Promise<CommandService> {
    const client = await mqtt.connectAsync(o.url, { reconnectPeriod: 1000, ...o.mqtt });
    const service = new CommandService(o.keys, client, o.store, o.now ?? Date.now);
    await client.subscribeAsync('dcu/+/up/status', { qos: 1 });
    return service;
  }

  async send(request: CommandRequest): Promise<IssuedCommand> {
    const now = this.now();
    this.lastSeq = Math.max(this.lastSeq + 1, now);
    const signed: SignedCommand = this.signer.sign(request, this.lastSeq, now);
    const { topic, payload } = commandMessage(signed);
    const b = signed.body;
    const pending = this.unanswered.get(b.dcu) ?? new Map();
    for (const [id, c] of pending) if (c.notAfter <= now) pending.delete(id); // a DCU that never comes back holds nothing for long
    this.unanswered.set(b.dcu, pending.set(b.id, { topic, payload, notAfter: b.notAfter }));
    await this.client.publishAsync(topic, Buffer.from(payload), { qos: 1 });
    const issued: IssuedCommand = { id: b.id, dcu: b.dcu, command: b.command, seq: b.seq, issuedAt: b.issuedAt, notAfter: b.notAfter };
    this.issued.set(`${b.dcu}/${b.id}`, issued);
    return issued;
  }

  /** The command as issued here (if this instance issued it) and the DCU's result, if any. */
  async status(dcu: string, id: string): Promise<{ issued: IssuedCommand | null; result: CommandResultRecord | null }> {
    return { issued: this.issued.get(`${dcu}/${id}`) ?? null, result: await this.store.result(dcu, id) };
  }

  /** A DCU came online: what it has not answered and is still valid goes out again. */
  private async onStatus(topic: string, payload: Uint8Array): Promise<void> {
    const dcu = parseTopic(topic)?.dcu;
    const pending = dcu === undefined ? undefined : this.unanswered.get(dcu);
    if (!dcu || !pending) return;
    let online = false;
    try {
      const message = decodeUplink(payload);
      online = message.kind === 'status' && message.state === 'online';
    } catch {
      return; // not ours to judge here; ingest records malformed uplinks
    }
    if (!online) return;
    const now = this.now();
    for (const [id, command] of pending) {
      if (command.notAfter <= now || (await this.store.result(dcu, id)) !== null) {
        pending.delete(id);
        continue;
      }
      await this.client.publishAsync(command.topic, Buffer.from(command.payload), { qos: 1 }).catch(() => undefined);
    }
    if (pending.size === 0) this.unanswered.delete(dcu);
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}
