// The uplink: one MQTT link, the outbox sender and the command intake on the DCU's store.
//
//   const uplink = Uplink.start({ store, config: config.uplink, dcuId: config.dcuId, execute, log });
//   uplink.notify();      // new rows in the buffer (optional: it also looks every pollMs)
//   await uplink.stop();  // retained 'offline', clean disconnect
//
// start() refuses (UplinkIdentityError) when the identity bundle is missing outside
// development mode; otherwise it connects in the background and keeps reconnecting.
// Batches and status carry the database's epoch; an ack is applied only when acks.ts says so
// (this DCU, signed by a trusted cloud key, this epoch) — anything else is logged and dropped.
// When the outbox starts a new epoch (an older copy of the database, outbox.ts) a fresh status
// names it; the epoch is always read from the store, never kept here.
import { decodeDownlink, encodeMessage } from '../../shared/sync/codec.js';
import { STREAMS, SYNC_VERSION, Topics, type StatusMessage, type Stream } from '../../shared/sync/messages.js';
import type { UplinkConfig } from '../config.js';
import type { DcuStore } from '../store/index.js';
import { checkAck } from './acks.js';
import { CommandIntake, type CommandExecutor } from './commands.js';
import { loadIdentity } from './identity.js';
import { silentLog, type UplinkLog } from './log.js';
import { MqttLink, type LinkUp, type ProtocolVersion } from './mqtt-link.js';
import { OutboxSender, type StreamStatus } from './outbox.js';
import { trustedKeysFromConfig, type TrustedKeys } from './verify.js';

export interface UplinkOptions {
  store: DcuStore;
  config: UplinkConfig;
  /** The DCU id when config.dcuId is not set (the top-level dcuId of the DCU's config). */
  dcuId: string;
  execute: CommandExecutor;
  log?: UplinkLog;
  /** UTC ms for messages and the command checks (expiry). Default Date.now. */
  clock?: () => number;
  /** Software version for the status message. */
  software?: string;
}

export interface UplinkStatus {
  connected: boolean;
  /** The database epoch the batches are numbered in. */
  epoch: string;
  protocolVersion: ProtocolVersion | null;
  streams: Record<Stream, StreamStatus>;
  /** Batches published since start (resends included). */
  published: number;
}

export class Uplink {
  readonly dcuId: string;
  private readonly link: MqttLink;
  private readonly outbox: OutboxSender;
  private readonly intake: CommandIntake;
  private readonly trustedKeys: TrustedKeys;
  private readonly clock: () => number;
  private readonly log: UplinkLog;
  private poll: ReturnType<typeof setInterval> | null = null;
  private stopped = false;

  private constructor(private readonly options: UplinkOptions) {
    const { store, config } = options;
    this.dcuId = config.dcuId ?? options.dcuId;
    this.clock = options.clock ?? Date.now;
    this.log = options.log ?? silentLog;
    const identity = loadIdentity(config);
    this.trustedKeys = trustedKeysFromConfig(config.trustedKeys);
    this.link = new MqttLink({
      identity,
      clientId: this.dcuId,
      config,
      subscriptions: [Topics.commands(this.dcuId), Topics.acks(this.dcuId)],
      will: () => ({ topic: Topics.status(this.dcuId), payload: this.statusPayload('offline') }),
      onUp: (up) => this.up(up),
      onDown: () => this.down(),
      onMessage: (topic, payload) => this.message(topic, payload),
      log: this.log,
    });
    this.outbox = new OutboxSender({
      store,
      dcuId: this.dcuId,
      settings: config,
      publish: (topic, payload, opts) => this.link.publish(topic, payload, opts),
      log: this.log,
      clock: this.clock,
      onEpochRestarted: () => this.publishStatus(), // the cloud learns the new epoch before its batch 1
    });
    this.intake = new CommandIntake({
      store,
      dcuId: this.dcuId,
      trustedKeys: this.trustedKeys,
      execute: options.execute,
      publish: (payload) => this.link.publish(Topics.results(this.dcuId), payload),
      log: this.log,
      clock: this.clock,
    });
  }

  /** Checks the identity (throws UplinkIdentityError naming a missing file), then connects in the background. */
  static start(options: UplinkOptions): Uplink {
    const uplink = new Uplink(options);
    uplink.intake.resume();
    if (uplink.trustedKeys.size === 0) {
      uplink.log.warn({}, options.config.development
        ? 'uplink: no trusted cloud keys configured — every cloud command will be refused; acknowledgements are taken unsigned (development mode)'
        : 'uplink: no trusted cloud keys configured — every cloud command and every acknowledgement will be refused, so nothing leaves the outbox');
    }
    uplink.log.info({ epoch: options.store.batches.epoch }, 'uplink: batches are numbered in this database epoch');
    uplink.link.start();
    uplink.poll = setInterval(() => {
      uplink.outbox.pump();
      uplink.outbox.checkTimeouts();
    }, options.config.pollMs);
    uplink.poll.unref?.();
    return uplink;
  }

  get connected(): boolean {
    return this.link.connected;
  }

  /** New rows are in the buffer (or events in the log): batch and send them now. */
  notify(): void {
    this.outbox.pump();
  }

  status(): UplinkStatus {
    const streams = Object.fromEntries(STREAMS.map((s) => [s, this.outbox.status(s)])) as Record<Stream, StreamStatus>;
    return { connected: this.link.connected, epoch: this.options.store.batches.epoch, protocolVersion: this.link.protocolVersion, streams, published: this.outbox.published };
  }

  /** Publishes the retained 'offline' status and disconnects; nothing is sent after. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.poll) clearInterval(this.poll);
    this.outbox.stop();
    this.intake.disconnected();
    await this.link.stop({ topic: Topics.status(this.dcuId), payload: this.statusPayload('offline'), retain: true });
    this.log.info({}, 'uplink stopped');
  }

  private up(up: LinkUp): void {
    const backlog = this.publishStatus();
    this.log.info({ protocolVersion: up.protocolVersion, sessionPresent: up.sessionPresent, backlog }, 'uplink online');
    this.intake.connected();
    this.outbox.connected();
  }

  /** The retained 'online' status with the epoch and backlog as they are now; returns the backlog. */
  private publishStatus(): Record<Stream, number> {
    const backlog = Object.fromEntries(STREAMS.map((s) => [s, this.outbox.status(s).backlog])) as Record<Stream, number>;
    this.link.publish(Topics.status(this.dcuId), this.statusPayload('online', backlog), { retain: true }).catch((e: Error) => this.log.debug({ error: e.message }, 'status not published'));
    return backlog;
  }

  private down(): void {
    this.outbox.disconnected();
    this.intake.disconnected();
    if (!this.stopped) this.log.warn({}, 'uplink offline; the outbox keeps everything until the cloud acknowledges it');
  }

  private async message(topic: string, payload: Uint8Array): Promise<void> {
    if (topic === Topics.commands(this.dcuId)) return this.intake.handle(payload);
    if (topic !== Topics.acks(this.dcuId)) {
      this.log.warn({ topic }, 'message on an unexpected topic dropped');
      return;
    }
    let message;
    try {
      message = decodeDownlink(payload);
    } catch (e) {
      this.log.warn({ error: (e as Error).message }, 'undecodable acknowledgement dropped');
      return;
    }
    if (!('kind' in message) || message.kind !== 'ack') {
      this.log.warn({}, 'a message that is not an acknowledgement on the ack topic was dropped');
      return;
    }
    const check = checkAck(message, { dcuId: this.dcuId, epoch: this.options.store.batches.epoch, trustedKeys: this.trustedKeys, development: this.options.config.development });
    if (!check.ok) {
      const details = { stream: message.stream, upTo: message.upTo, epoch: message.epoch, keyId: message.signature?.keyId ?? null, reason: check.reason };
      // Another epoch is an honest late answer to an older database; the rest may be forged.
      if (check.reason === 'other-epoch') this.log.info(details, `acknowledgement ignored: ${check.message}`);
      else this.log.warn(details, `acknowledgement dropped, nothing changed: ${check.message}`);
      return;
    }
    this.outbox.onAck(message);
  }

  private statusPayload(state: StatusMessage['state'], backlog?: Partial<Record<Stream, number>>): Uint8Array {
    const message: StatusMessage = { v: SYNC_VERSION, kind: 'status', dcu: this.dcuId, epoch: this.options.store.batches.epoch, state, at: this.clock(), ...(backlog && { backlog }), ...(this.options.software && { software: this.options.software }) };
    return encodeMessage(message);
  }
}
