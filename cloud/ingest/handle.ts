// What the cloud does with one uplink message, without MQTT: check the topic, decode, check
// that the topic's DCU (what the broker's ACL vouched for) is the payload's, store, and say
// what to answer. A batch is acknowledged only after its transaction committed; anything
// refused is never acknowledged (a DCU keeps it in its outbox and the operator sees the log).
// The ack is in the batch's version and names its epoch; a v2 ack is signed when the cloud has
// a signing key (a v1 DCU can read neither epoch nor signature).
import { decodeUplink } from '../../shared/sync/codec.js';
import { SyncError } from '../../shared/sync/errors.js';
import { Topics, parseTopic, type AckMessage, type TopicName, type UplinkMessage } from '../../shared/sync/messages.js';
import { CloudStoreError, type CloudStore, type EpochChange } from '../store/index.js';

/** Signs a v2 ack (and leaves a v1 one as it is). */
export type AckSigner = (ack: AckMessage) => AckMessage;

export type DropReason =
  /** Not an uplink topic of ours (dcu/{id}/up/{readings|events|status|results}). */
  | 'not-ours'
  /** The payload is not a sync message (SyncError from the codec). */
  | 'malformed'
  /** The payload's DCU or kind is not the topic's. */
  | 'mismatch'
  /** Decoded, but the store refuses it (CloudStoreError 'invalid'). */
  | 'invalid';

export type IngestOutcome =
  /** A batch was stored (or was a replay): publish `ack` on `topic`. */
  | { kind: 'ack'; dcu: string; topic: string; ack: AckMessage; duplicate: boolean; inserted: number; rejected: number; epochChange?: EpochChange }
  /** A status or result was recorded; nothing to answer. */
  | { kind: 'recorded'; dcu: string; message: 'status' | 'result'; epochChange?: EpochChange }
  /** Refused: log it, answer nothing. */
  | { kind: 'dropped'; reason: DropReason; error: string; dcu?: string }
  /** The store failed (unreachable, disk full…): answer nothing; the DCU sends again. */
  | { kind: 'failed'; dcu: string; error: string };

const EXPECTED: Partial<Record<TopicName, UplinkMessage['kind']>> = {
  readings: 'readings',
  events: 'events',
  status: 'status',
  results: 'result',
};

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function handleUplink(store: CloudStore, topic: string, payload: Uint8Array, receivedAt: number, sign?: AckSigner): Promise<IngestOutcome> {
  const parsed = parseTopic(topic);
  const expected = parsed === null ? undefined : EXPECTED[parsed.name];
  if (parsed === null || expected === undefined) {
    return { kind: 'dropped', reason: 'not-ours', error: `not an uplink topic: ${topic}` };
  }
  let message: UplinkMessage;
  try {
    message = decodeUplink(payload);
  } catch (error) {
    if (!(error instanceof SyncError)) throw error;
    return { kind: 'dropped', reason: 'malformed', error: error.message, dcu: parsed.dcu };
  }
  if (message.dcu !== parsed.dcu) {
    return { kind: 'dropped', reason: 'mismatch', error: `payload is from DCU ${JSON.stringify(message.dcu)}, topic from ${JSON.stringify(parsed.dcu)}`, dcu: parsed.dcu };
  }
  if (message.kind !== expected) {
    return { kind: 'dropped', reason: 'mismatch', error: `a ${message.kind} message on the ${parsed.name} topic`, dcu: parsed.dcu };
  }
  const dcu = parsed.dcu;
  try {
    switch (message.kind) {
      case 'readings':
      case 'events': {
        const outcome = await store.storeBatch(message, receivedAt);
        const unsigned: AckMessage = { v: message.v, kind: 'ack', dcu, epoch: message.epoch, stream: outcome.stream, upTo: outcome.upTo };
        if (outcome.missing.length > 0) unsigned.resend = outcome.missing;
        const ack = sign ? sign(unsigned) : unsigned;
        const { duplicate, inserted, rejected, epochChange } = outcome;
        return { kind: 'ack', dcu, topic: Topics.acks(dcu), ack, duplicate, inserted, rejected, ...(epochChange && { epochChange }) };
      }
      case 'status': {
        const epochChange = await store.recordStatus(message, receivedAt);
        return { kind: 'recorded', dcu, message: 'status', ...(epochChange && { epochChange }) };
      }
      case 'result':
        await store.recordResult(message, receivedAt);
        return { kind: 'recorded', dcu, message: 'result' };
    }
  } catch (error) {
    if (error instanceof CloudStoreError && error.kind === 'invalid') return { kind: 'dropped', reason: 'invalid', error: error.message, dcu };
    return { kind: 'failed', dcu, error: errorText(error) };
  }
}
