// Remote credit: a vend for an account on remote delivery commits with delivery 'pending';
// this worker then sends the token to the account's DCU as a signed `token` command
// ({ meter: serial, token: digits }), follows the DCU's result (the ingest stores it in
// command_results, as GET /commands/:dcu/:id shows) and records on the vend the delivery
// state and on the account the credit the meter reported back.
//
// Crash-safe by order: the command id (vend-<vend id>-<attempt>) and 'sent' are committed
// BEFORE the command is published, so after a crash the worker either waits for that
// command's result or, once it has expired unanswered, sends a new attempt. A token that
// reaches a meter twice is refused as USED the second time — that counts as delivered,
// since the meter has the credit. A meter's refusal for any other reason (CRC, key, OLD)
// is final ('rejected'); a DCU failure is retried `maxAttempts` times, then 'failed'.
// The token digits and the money stay on the vend in every case: the customer can key the
// token in by hand, and the operator sees the undelivered vends (GET /vending/deliveries).
import type { CommandRequest } from '../commands/issue.js';
import type { IssuedCommand } from '../commands/service.js';
import type { CommandResultRecord } from '../store/index.js';
import type { MeterCredit, VendRecord, VendingStore } from './store/index.js';

export interface CommandSender {
  send(request: CommandRequest): Promise<IssuedCommand>;
}

export interface RemoteCreditOptions {
  store: VendingStore;
  commands: CommandSender;
  /** The DCU's stored result of a command (CloudStore.result). */
  result: (dcu: string, id: string) => Promise<CommandResultRecord | null>;
  now?: () => number;
  /** How often due deliveries are looked at (default 1 s). */
  pollMs?: number;
  /** Validity of each token command (default 10 min): unanswered by then, the attempt failed. */
  commandTtlMs?: number;
  /** Pause before a failed attempt is tried again (default 60 s). */
  retryDelayMs?: number;
  /** Attempts before the delivery is 'failed' (default 5). */
  maxAttempts?: number;
  log?: { info: (o: object, m: string) => void; warn: (o: object, m: string) => void };
}

/** Did the meter end up with the token's credit? `true` accepted now or earlier (USED), `false` refused. */
export function meterVerdict(outcome: Record<string, unknown>): { delivered: boolean; reason: string } {
  if (outcome.accepted === true || outcome.tokenStatus === 3) return { delivered: true, reason: 'accepted' };
  const description = Array.isArray(outcome.tokenDescription) ? outcome.tokenDescription.map(String) : [];
  if (description.some((d) => /\bused\b/i.test(d))) return { delivered: true, reason: 'already entered (USED)' };
  return { delivered: false, reason: description.join('; ') || String(outcome.tokenStatusName ?? 'refused') };
}

export class RemoteCredit {
  private readonly o: Required<Omit<RemoteCreditOptions, 'log'>> & Pick<RemoteCreditOptions, 'log'>;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;

  constructor(options: RemoteCreditOptions) {
    this.o = { now: Date.now, pollMs: 1000, commandTtlMs: 10 * 60_000, retryDelayMs: 60_000, maxAttempts: 5, ...options };
  }

  /** Looks at due deliveries every pollMs until stop(). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.kick(), this.o.pollMs);
    this.kick();
  }

  /** Runs a pass soon (after a vend committed); passes never overlap. */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.runOnce()
      .catch((error: unknown) => this.o.log?.warn({ err: error }, 'remote credit pass failed'))
      .finally(() => {
        this.running = null;
        if (this.again && this.timer) {
          this.again = false;
          this.kick();
        }
      });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass over the due deliveries (tests call it directly). */
  async runOnce(): Promise<void> {
    for (const vend of await this.o.store.dueDeliveries(this.o.now())) {
      if (vend.delivery === 'pending') await this.send(vend);
      else await this.follow(vend);
    }
  }

  private async send(vend: VendRecord): Promise<void> {
    const { store } = this.o;
    const now = this.o.now();
    const account = (await store.account(vend.account))!;
    if (account.state.delivery.kind !== 'remote' || vend.token === null) {
      await store.updateDelivery(vend.id, { delivery: 'failed', deliveryNextAt: null, deliveryResult: { cause: 'the account is no longer on remote delivery: give the customer the token digits' }, deliveryAt: now });
      return;
    }
    const dcu = account.state.delivery.dcuId;
    const attempt = vend.deliveryAttempts + 1;
    const id = `vend-${vend.id}-${attempt}`;
    if (!(await store.claimDelivery(vend.id, vend.deliveryAttempts, { command: id, dcu, nextAt: now + this.o.pollMs, sentAt: now }))) return; // another instance took it
    try {
      await this.o.commands.send({ dcu, command: 'token', params: { meter: account.state.meterSerial, token: vend.token }, id, ttlMs: this.o.commandTtlMs });
      this.o.log?.info({ vend: vend.id, dcu, command: id, attempt }, 'token sent to the DCU');
    } catch (error) {
      await this.retryOrFail(vend.id, attempt, now, { cause: `publishing the token command failed: ${(error as Error).message}` });
    }
  }

  private async follow(vend: VendRecord): Promise<void> {
    const { store } = this.o;
    const now = this.o.now();
    const result = await this.o.result(vend.deliveryDcu!, vend.deliveryCommand!);
    if (!result) {
      const sentAt = typeof vend.deliveryResult?.sentAt === 'number' ? vend.deliveryResult.sentAt : vend.issuedAt;
      if (now - sentAt > this.o.commandTtlMs + this.o.pollMs) {
        await this.retryOrFail(vend.id, vend.deliveryAttempts, now, { cause: `no result from DCU ${vend.deliveryDcu} for command ${vend.deliveryCommand} within its validity` });
      } else {
        await store.updateDelivery(vend.id, { delivery: 'sent', deliveryNextAt: now + this.o.pollMs });
      }
      return;
    }
    if (result.status !== 'done') {
      await this.retryOrFail(vend.id, vend.deliveryAttempts, now, { status: result.status, ...result.outcome });
      return;
    }
    const verdict = meterVerdict(result.outcome);
    await store.transaction(async (tx) => {
      await tx.updateDelivery(vend.id, { delivery: verdict.delivered ? 'delivered' : 'rejected', deliveryNextAt: null, deliveryResult: { ...result.outcome, verdict: verdict.reason }, deliveryAt: result.at });
      const credit = result.outcome.credit as MeterCredit | null | undefined;
      if (credit && Number.isFinite(credit.value)) {
        const status = { tokenStatus: result.outcome.tokenStatus as number, tokenStatusName: String(result.outcome.tokenStatusName ?? '') };
        await tx.setMeterCredit(vend.account, { ...credit, ...status }, result.at);
      }
    });
    this.o.log?.[verdict.delivered ? 'info' : 'warn']({ vend: vend.id, verdict: verdict.reason }, verdict.delivered ? 'token delivered' : 'meter refused the token');
  }

  private async retryOrFail(id: string, attempts: number, now: number, why: Record<string, unknown>): Promise<void> {
    const last = attempts >= this.o.maxAttempts;
    await this.o.store.updateDelivery(id, {
      delivery: last ? 'failed' : 'pending',
      deliveryNextAt: last ? null : now + this.o.retryDelayMs,
      deliveryResult: { ...why, attempts, ...(last && { note: 'delivery given up: give the customer the token digits' }) },
      deliveryAt: now,
    });
    this.o.log?.warn({ vend: id, attempts, ...why }, last ? 'token delivery failed' : 'token delivery will be retried');
  }
}
