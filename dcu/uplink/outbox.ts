// The outbox sender: the SQLite outbox is the truth, this object only decides what to
// publish next.
//
// - A batch gets the next number of its stream and its run of rows is stored and flushed to
//   disk before it is published (store.batches.assign + store.flush), so a number is never
//   reused for other rows, even across a power cut.
// - Rows become delivered only when the cloud's AckMessage says so (upTo: every batch up to
//   it is stored) — never on the broker's PUBACK, and only for an ack that acks.ts let through
//   (signed by a trusted cloud key, naming this database's epoch).
// - At most maxInFlight batches per stream are out without an acknowledgement. After a
//   (re)connection everything unacknowledged goes out again, oldest first; so does the
//   window when no acknowledgement came for ackTimeoutS (doubling up to 10 min).
// - Resend requests in an acknowledgement go out first.
// - Every publish takes a slot of the rate cap (Pacer): a backlog drains at
//   maxBatchesPerSecond, oldest first.
// - An ack above the last number this database gave out means the cloud has batches of this
//   epoch the file never numbered: an older copy (restored backup). Numbering on would make
//   the cloud take new rows for replays, so the store starts a new epoch and every undelivered
//   row goes again from batch 1 (store.batches.restartEpoch); the cloud hears the new epoch in
//   a fresh status. Rows it already had come again: readings dedupe on their natural key,
//   events are kept per epoch and may be stored twice — duplicates rather than a loss.
//   This shows only if the cloud is ahead by more than the batches numbered before its first
//   ack (≤ maxInFlight): a copy behind by fewer still has those taken for replays.
import { encodeMessage } from '../../shared/sync/codec.js';
import { STREAMS, Topics, type AckMessage, type Stream } from '../../shared/sync/messages.js';
import { StoreError, type DcuStore } from '../store/index.js';
import { BatchBuilder } from './batches.js';
import type { UplinkLog } from './log.js';
import type { PublishOptions } from './mqtt-link.js';
import { Pacer } from './pacer.js';

const MAX_ACK_TIMEOUT_MS = 600_000;
const PROGRESS_LOG_MS = 5000;
/**
 * After an epoch restart, another one waits this long: a cloud that keeps claiming batches a
 * brand-new epoch cannot have (a cloud bug) must not make the DCU switch in a loop. Until then
 * such acks are ignored as before — nothing is marked delivered, so nothing is lost.
 */
const EPOCH_RESTART_HOLD_MS = 600_000;

export interface OutboxSettings {
  batchSize: number;
  maxInFlight: number;
  maxBatchesPerSecond: number;
  ackTimeoutS: number;
  messageExpiryS: number;
}

export interface OutboxOptions {
  store: DcuStore;
  dcuId: string;
  settings: OutboxSettings;
  publish(topic: string, payload: Uint8Array, options: PublishOptions): Promise<void>;
  log: UplinkLog;
  clock?: () => number;
  /** The store started a new epoch (restartEpoch): tell the cloud (status). */
  onEpochRestarted?(epoch: string): void;
}

interface StreamState {
  stream: Stream;
  topic: string;
  /** Highest number acknowledged by the cloud (mirrors the store). */
  acked: number;
  /** Highest number published on this connection; everything in (acked, sentUpTo] is in flight. */
  sentUpTo: number;
  /** Numbers the cloud asked for again, ascending. */
  resend: number[];
  /** Encoded unacknowledged batches (at most the window), so a resend does not re-read rows. */
  payloads: Map<number, Uint8Array>;
  /** Last acknowledgement progress (or start of waiting for one). */
  progressAt: number;
  ackTimeoutMs: number;
  loggedAt: number;
  /** A backlog was announced: say when it is drained. */
  draining: boolean;
}

export interface StreamStatus {
  acked: number;
  lastSeq: number;
  inFlight: number;
  deliveredUpTo: number;
  /** Batches not yet acknowledged (numbered ones + the rows not yet batched, in batches). */
  backlog: number;
}

export class OutboxSender {
  private readonly builder: BatchBuilder;
  private readonly pacer: Pacer;
  private readonly clock: () => number;
  private readonly states = new Map<Stream, StreamState>();
  private online = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private turn = 0;
  private epochRestartedAt: number | null = null;
  /** Batches published since start (resends included). */
  published = 0;

  constructor(private readonly options: OutboxOptions) {
    const { store, dcuId, settings } = options;
    this.clock = options.clock ?? Date.now;
    this.builder = new BatchBuilder(store, dcuId, settings.batchSize);
    this.pacer = new Pacer(settings.maxBatchesPerSecond);
    this.loadStates();
  }

  /** The per-stream state from the store (at start, and after an epoch restart). */
  private loadStates(): void {
    const { store, dcuId, settings } = this.options;
    for (const stream of STREAMS) {
      const { ackedSeq } = store.batches.position(stream);
      this.states.set(stream, {
        stream,
        topic: stream === 'readings' ? Topics.readings(dcuId) : Topics.events(dcuId),
        acked: ackedSeq,
        sentUpTo: ackedSeq,
        resend: [],
        payloads: new Map(),
        progressAt: this.clock(),
        ackTimeoutMs: settings.ackTimeoutS * 1000,
        loggedAt: 0,
        draining: false,
      });
    }
  }

  /** The link is up: everything unacknowledged goes out again, oldest first. */
  connected(): void {
    this.online = true;
    for (const s of this.states.values()) {
      s.sentUpTo = s.acked;
      s.resend = [];
      s.progressAt = this.clock();
      const st = this.status(s.stream);
      if (st.backlog > 0) this.options.log.info({ stream: s.stream, batches: st.backlog, fromSeq: s.acked + 1 }, 'uplink backlog to send');
      s.draining = st.backlog > this.options.settings.maxInFlight;
    }
    this.pump();
  }

  disconnected(): void {
    this.online = false;
    this.clearTimer();
  }

  stop(): void {
    this.disconnected();
  }

  status(stream: Stream): StreamStatus {
    const s = this.state(stream);
    const { lastSeq } = this.options.store.batches.position(stream);
    const unbatched = this.options.store.batches.unbatchedRows(stream);
    return {
      acked: s.acked,
      lastSeq,
      inFlight: s.sentUpTo - s.acked,
      deliveredUpTo: this.options.store.outbox.deliveredUpTo(stream),
      backlog: lastSeq - s.acked + Math.ceil(unbatched / this.options.settings.batchSize),
    };
  }

  /** The cloud's acknowledgement (already checked by acks.ts: this DCU, signed, this epoch). */
  onAck(ack: AckMessage): void {
    const s = this.states.get(ack.stream);
    if (s === undefined) {
      this.options.log.warn({ stream: ack.stream }, 'acknowledgement for an unknown stream ignored');
      return;
    }
    const now = this.clock();
    const { lastSeq } = this.options.store.batches.position(s.stream);
    if (ack.upTo > lastSeq) {
      this.behindTheCloud(s, ack, lastSeq, now);
      return;
    }
    try {
      const result = this.options.store.batches.acknowledge(s.stream, ack.upTo, now);
      if (result.advanced) {
        for (const seq of s.payloads.keys()) if (seq <= result.ackedSeq) s.payloads.delete(seq);
        s.acked = result.ackedSeq;
        s.sentUpTo = Math.max(s.sentUpTo, s.acked);
        s.resend = s.resend.filter((q) => q > s.acked);
        s.progressAt = now;
        s.ackTimeoutMs = this.options.settings.ackTimeoutS * 1000;
        this.logProgress(s, now, result.deliveredUpTo);
      }
    } catch (e) {
      if (!(e instanceof StoreError) || e.kind !== 'invalid') throw e;
      this.options.log.error({ stream: s.stream, upTo: ack.upTo, error: e.message }, 'acknowledgement the store refused ignored');
      return;
    }
    for (const [from, to] of ack.resend ?? []) this.requestResend(s, from, to);
    this.pump();
  }

  /**
   * The cloud stored batches of this epoch above anything this database numbered: the file is
   * an older copy. A new epoch, every undelivered row again from batch 1 (see the top).
   */
  private behindTheCloud(s: StreamState, ack: AckMessage, lastSeq: number, now: number): void {
    const { store, log } = this.options;
    // acks.ts let through only acks of this epoch; restartEpoch checks it again in its transaction.
    const epoch = ack.epoch;
    const details = { stream: s.stream, epoch, upTo: ack.upTo, lastSeq };
    if (this.epochRestartedAt !== null && now - this.epochRestartedAt < EPOCH_RESTART_HOLD_MS) {
      const ago = Math.round((now - this.epochRestartedAt) / 1000);
      log.error(
        { ...details, restartedS: ago },
        `acknowledgement of batches never sent ignored: epoch ${epoch} began ${ago} s ago, the cloud cannot have ${ack.upTo} batches of it (a cloud bug?); nothing is marked delivered`,
      );
      return;
    }
    let r;
    try {
      r = store.batches.restartEpoch({ epoch, stream: s.stream, upTo: ack.upTo }, now);
    } catch (e) {
      if (!(e instanceof StoreError) || e.kind !== 'conflict') throw e;
      log.warn({ ...details, error: e.message }, 'acknowledgement of batches never sent ignored'); // another epoch, or the store moved meanwhile
      return;
    }
    store.flush();
    this.epochRestartedAt = now;
    this.loadStates();
    for (const st of this.states.values()) st.draining = this.status(st.stream).backlog > this.options.settings.maxInFlight;
    log.error(
      { ...details, newEpoch: r.epoch, rowsToSendAgain: r.unsent, eventId: r.eventId },
      `the cloud has stored ${s.stream} batches up to ${ack.upTo} of epoch ${epoch} but this database numbered only ${lastSeq}: ` +
        `it is an older copy (restored backup?); starting epoch ${r.epoch} and sending the ${r.unsent.readings} readings and ` +
        `${r.unsent.events} events not yet delivered again (the cloud may get some it has twice; none is lost)`,
    );
    this.options.onEpochRestarted?.(r.epoch);
    this.pump();
  }

  /** Looks for work: batches to send (again), new rows to batch. Called on a timer and by notify(). */
  pump(): void {
    if (!this.online) return;
    for (;;) {
      const wait = this.pacer.waitMs();
      if (wait > 0) {
        this.arm(wait);
        return;
      }
      const next = this.pick();
      if (next === null) return;
      this.send(next.state, next.seq);
    }
  }

  /** Sends the window again where the cloud has not acknowledged for too long. */
  checkTimeouts(): void {
    if (!this.online) return;
    const now = this.clock();
    for (const s of this.states.values()) {
      if (s.sentUpTo <= s.acked || now - s.progressAt < s.ackTimeoutMs) continue;
      this.options.log.warn(
        { stream: s.stream, waitedS: Math.round((now - s.progressAt) / 1000), fromSeq: s.acked + 1, toSeq: s.sentUpTo },
        'no acknowledgement from the cloud; sending the unacknowledged batches again',
      );
      s.sentUpTo = s.acked;
      s.resend = [];
      s.progressAt = now;
      s.ackTimeoutMs = Math.min(MAX_ACK_TIMEOUT_MS, s.ackTimeoutMs * 2);
    }
    this.pump();
  }

  private requestResend(s: StreamState, from: number, to: number): void {
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) return;
    // Numbers above sentUpTo go out anyway, in order; so at most the window is queued here.
    const lo = Math.max(from, s.acked + 1);
    const hi = Math.min(to, s.sentUpTo);
    for (let seq = lo; seq <= hi; seq++) if (!s.resend.includes(seq)) s.resend.push(seq);
    s.resend.sort((a, b) => a - b);
    if (hi >= lo) this.options.log.info({ stream: s.stream, from: lo, to: hi }, 'the cloud asked for batches again');
  }

  /** The next batch to publish, streams taking turns; resends first, then the window. */
  private pick(): { state: StreamState; seq: number } | null {
    const states = [...this.states.values()];
    for (let i = 0; i < states.length; i++) {
      const s = states[(this.turn + i) % states.length]!;
      const seq = this.nextOf(s);
      if (seq !== null) {
        this.turn = (this.turn + i + 1) % states.length;
        return { state: s, seq };
      }
    }
    return null;
  }

  private nextOf(s: StreamState): number | null {
    while (s.resend.length > 0) {
      const seq = s.resend.shift()!;
      if (seq > s.acked) return seq;
    }
    const room = this.options.settings.maxInFlight - (s.sentUpTo - s.acked);
    if (room <= 0) return null;
    let { lastSeq } = this.options.store.batches.position(s.stream);
    if (s.sentUpTo >= lastSeq && !this.makeBatches(s, room)) return null;
    lastSeq = this.options.store.batches.position(s.stream).lastSeq;
    if (s.sentUpTo >= lastSeq) return null;
    if (s.sentUpTo === s.acked) s.progressAt = this.clock(); // the wait for an ack starts now
    return ++s.sentUpTo;
  }

  /** Numbers new batches from the rows not yet batched (stored and flushed before any is sent). */
  private makeBatches(s: StreamState, count: number): boolean {
    const { store } = this.options;
    const { runs, rows } = this.builder.nextRuns(s.stream, count);
    if (runs.length === 0) return false;
    const ranges = store.batches.assign(s.stream, runs, this.clock());
    store.flush();
    ranges.forEach((r, i) => s.payloads.set(r.seq, encodeMessage(this.builder.message(s.stream, r.seq, rows[i]!))));
    this.options.log.debug({ stream: s.stream, seqs: ranges.map((r) => r.seq), rows: runs.reduce((n, r) => n + r.rows, 0) }, 'uplink batches numbered');
    return true;
  }

  private payloadOf(s: StreamState, seq: number): Uint8Array {
    let payload = s.payloads.get(seq);
    if (payload === undefined) {
      const range = this.options.store.batches.get(s.stream, seq);
      if (range === undefined) throw new StoreError(`batch ${seq} of ${s.stream} is not in the store`, 'corrupt');
      payload = encodeMessage(this.builder.message(s.stream, seq, this.builder.rowsOf(range)));
      s.payloads.set(seq, payload);
    }
    return payload;
  }

  private send(s: StreamState, seq: number): void {
    const payload = this.payloadOf(s, seq);
    this.pacer.take();
    this.published++;
    this.options.log.debug({ stream: s.stream, seq, bytes: payload.byteLength }, 'uplink batch published');
    this.options
      .publish(s.topic, payload, { expiryS: this.options.settings.messageExpiryS })
      .catch((e: Error) => this.options.log.debug({ stream: s.stream, seq, error: e.message }, 'uplink batch not taken by the broker (sent again later)'));
  }

  private logProgress(s: StreamState, now: number, deliveredUpTo: number): void {
    const { lastSeq } = this.options.store.batches.position(s.stream);
    const drained = s.acked >= lastSeq && this.options.store.batches.unbatchedRows(s.stream) === 0;
    if (drained && s.draining) {
      s.draining = false;
      s.loggedAt = now;
      this.options.log.info({ stream: s.stream, acked: s.acked, deliveredUpTo }, 'uplink backlog drained: the cloud has everything');
      return;
    }
    if (now - s.loggedAt < PROGRESS_LOG_MS) return;
    s.loggedAt = now;
    const backlog = this.status(s.stream).backlog;
    if (backlog > this.options.settings.maxInFlight) s.draining = true;
    this.options.log.info({ stream: s.stream, acked: s.acked, lastSeq, deliveredUpTo, backlog }, 'uplink progress');
  }

  private arm(ms: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pump();
    }, ms);
    this.timer.unref?.();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private state(stream: Stream): StreamState {
    const s = this.states.get(stream);
    if (s === undefined) throw new Error(`unknown stream ${stream}`);
    return s;
  }
}
