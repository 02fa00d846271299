// The cloud's command workflow (minimal): sign a command for a DCU, publish it on the DCU's
// down/commands topic (QoS 1), and track it until the DCU's result arrives in the store.
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { CommandKind, SignedCommand } from '../../shared/sync/messages.js';
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
  /** Per-DCU sequence: time-based and strictly increasing, so it needs no storage of its own. */
  private lastSeq = 0;

  private constructor(keys: CloudKeys, private readonly client: MqttClient, private readonly store: CloudStore, private readonly now: () => number) {
    this.signer = new CommandSigner(keys);
  }

  static async connect(o: { keys: CloudKeys; url: string; store: CloudStore; mqtt?: IClientOptions; now?: () => number }): Promise<CommandService> {
    const client = await mqtt.connectAsync(o.url, { reconnectPeriod: 1000, ...o.mqtt });
    return new CommandService(o.keys, client, o.store, o.now ?? Date.now);
  }

  async send(request: CommandRequest): Promise<IssuedCommand> {
    const now = this.now();
    this.lastSeq = Math.max(this.lastSeq + 1, now);
    const signed: SignedCommand = this.signer.sign(request, this.lastSeq, now);
    const { topic, payload } = commandMessage(signed);
    await this.client.publishAsync(topic, Buffer.from(payload), { qos: 1 });
    const b = signed.body;
    const issued: IssuedCommand = { id: b.id, dcu: b.dcu, command: b.command, seq: b.seq, issuedAt: b.issuedAt, notAfter: b.notAfter };
    this.issued.set(`${b.dcu}/${b.id}`, issued);
    return issued;
  }

  /** The command as issued here (if this instance issued it) and the DCU's result, if any. */
  async status(dcu: string, id: string): Promise<{ issued: IssuedCommand | null; result: CommandResultRecord | null }> {
    return { issued: this.issued.get(`${dcu}/${id}`) ?? null, result: await this.store.result(dcu, id) };
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}
