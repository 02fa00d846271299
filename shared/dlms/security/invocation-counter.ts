// Invocation counters (Green Book 9.2.7.3: "invocation_counter"). AES-GCM is broken by
// IV reuse, and the IV is system title ‖ counter, so a sender must never use a counter
// twice under one key, and a receiver must reject any counter not greater than the last
// one it accepted from that sender (replay protection).
//
// Both objects keep their state as plain data (numbers, hex strings) so the I/O layer
// can persist it — the counters must survive restarts — without this code touching fs.
import { hex } from '../../bytes.js';
import { SecurityError } from '../../errors.js';

/** The highest counter value usable under one key. */
export const MAX_INVOCATION_COUNTER = 0xffffffff;

function checkCounter(value: number, what: string, max = MAX_INVOCATION_COUNTER): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${what} must be an integer 0..${max}, got ${value}`);
  }
}

/**
 * The counter this side puts into the messages it protects. `value` is the next counter
 * to use. Persist it (or a value ahead of it) before sending what take() returned:
 * after a crash, reusing a counter would reuse an IV.
 */
export class SendingCounter {
  private next: number;

  /** @param stored a previously persisted `value`; MAX + 1 means exhausted. */
  constructor(stored = 0) {
    checkCounter(stored, 'stored invocation counter', MAX_INVOCATION_COUNTER + 1);
    this.next = stored;
  }

  /** The next counter that take() will return (the value to persist). */
  get value(): number {
    return this.next;
  }

  get exhausted(): boolean {
    return this.next > MAX_INVOCATION_COUNTER;
  }

  /** Returns the counter for the next message and moves past it. */
  take(): number {
    if (this.exhausted) {
      throw new SecurityError(
        `invocation counter exhausted (all ${MAX_INVOCATION_COUNTER + 1} values used under this key): ` +
          'a new block cipher key must be set before anything more can be sent',
        'rejected',
      );
    }
    return this.next++;
  }

  /**
   * Moves forward to at least `value` (for instance the counter the meter expects, read
   * from its invocation counter object). Never moves back.
   */
  advanceTo(value: number): void {
    checkCounter(value, 'invocation counter', MAX_INVOCATION_COUNTER + 1);
    if (value > this.next) this.next = value;
  }

  toJSON(): number {
    return this.next;
  }
}

/** Last accepted counter per sender system title (hex, lower case). */
/** How far ahead of use a persisted counter is reserved: a restart skips at most this many. */
export const COUNTER_RESERVE = 1000;

/**
 * A sending counter that survives restarts without a write per message: before it passes
 * the stored value it asks `persist` to store a new reserve (synchronously), and a restart
 * starts from the stored reserve — so no counter value is ever used twice, even after a
 * power cut (Green Book 9.2.7: counters only increase).
 */
export class ReservedCounter extends SendingCounter {
  private reserve: number;

  constructor(stored: number, private readonly persist: (reserve: number) => void) {
    super(stored);
    this.reserve = stored;
  }

  /** The value to store now: always ahead of anything handed out. */
  get stored(): number {
    return this.reserve;
  }

  override take(): number {
    if (this.value >= this.reserve) {
      this.reserve = Math.min(this.value + COUNTER_RESERVE, MAX_INVOCATION_COUNTER + 1);
      this.persist(this.reserve);
    }
    return super.take();
  }
}

export type ReceivedCounters = Record<string, number>;

/**
 * Receiving-side replay guard. Typical use: parse the ciphered APDU, check() its
 * counter, decrypt/verify, then accept() — so a forged message with a high counter
 * cannot raise the bar for the genuine sender.
 */
export class ReplayGuard {
  private readonly last: Map<string, number>;

  constructor(stored: ReceivedCounters = {}) {
    this.last = new Map();
    for (const [title, counter] of Object.entries(stored)) {
      if (!/^[0-9a-f]{16}$/.test(title)) throw new RangeError(`stored system title must be 16 hex digits, got ${title}`);
      checkCounter(counter, `stored invocation counter for ${title}`);
      this.last.set(title, counter);
    }
  }

  /** The last counter accepted from this sender, or undefined if none yet. */
  lastAccepted(systemTitle: Uint8Array): number | undefined {
    return this.last.get(hex(systemTitle));
  }

  /** Throws SecurityError('replayed-counter') unless the counter is new for this sender. */
  check(systemTitle: Uint8Array, invocationCounter: number): void {
    checkCounter(invocationCounter, 'invocation counter');
    const title = hex(systemTitle);
    const last = this.last.get(title);
    if (last !== undefined && invocationCounter <= last) {
      throw new SecurityError(
        `replayed or stale invocation counter ${invocationCounter} from system title ${title}: ` +
          `the last accepted was ${last}, so a valid message must carry a higher one ` +
          '(a replay, or the sender lost its counter and needs a key change)',
        'replayed-counter',
      );
    }
  }

  /** check() and then record the counter as the new lower bound. */
  accept(systemTitle: Uint8Array, invocationCounter: number): void {
    this.check(systemTitle, invocationCounter);
    this.last.set(hex(systemTitle), invocationCounter);
  }

  /** Forget a sender, e.g. after its keys were changed (counters restart with a new key). */
  forget(systemTitle: Uint8Array): void {
    this.last.delete(hex(systemTitle));
  }

  /** Plain data for persistence; the constructor takes it back. */
  toJSON(): ReceivedCounters {
    return Object.fromEntries(this.last);
  }
}
