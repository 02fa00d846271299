// Which acknowledgements the DCU applies. An ack makes the outbox mark rows delivered (and a
// later retention run may delete them), so it must come from the cloud and be about this
// database: it must name this DCU, carry a valid signature of a cloud key the DCU trusts for
// commands (shared/sync/signing.ts verifyAck), and name this database's epoch — an ack of
// another epoch answers batches an older database of this DCU sent, with other rows under the
// same numbers.
//
// Without trusted keys acks are refused like commands are, except in development mode (a test
// broker, uplink.development): there an unsigned ack is taken, so a cloud without keys works.
// With keys configured a signature is required in development mode too.
import type { AckMessage } from '../../shared/sync/messages.js';
import { verifyAck, type AckVerifyFailure } from '../../shared/sync/signing.js';
import type { TrustedKeys } from './verify.js';

export type AckRefusal = AckVerifyFailure | 'wrong-dcu' | 'no-trusted-keys' | 'other-epoch';

export type AckCheck = { ok: true } | { ok: false; reason: AckRefusal; message: string };

export interface AckContext {
  dcuId: string;
  /** This database's epoch (store.batches.epoch). */
  epoch: string;
  trustedKeys: TrustedKeys;
  development: boolean;
}

/** Checks, in order: target DCU, signature (unless development without keys), epoch. Never throws. */
export function checkAck(ack: AckMessage, ctx: AckContext): AckCheck {
  const what = `ack of ${ack.stream} up to ${ack.upTo}`;
  if (ack.dcu !== ctx.dcuId) return { ok: false, reason: 'wrong-dcu', message: `${what} is for DCU ${JSON.stringify(ack.dcu)}, this is ${JSON.stringify(ctx.dcuId)}` };
  if (ctx.trustedKeys.size > 0) {
    const verdict = verifyAck(ack, ctx.trustedKeys);
    if (!verdict.ok) return verdict;
  } else if (!ctx.development) {
    return { ok: false, reason: 'no-trusted-keys', message: `${what} cannot be checked: no trusted cloud keys are configured (uplink.trustedKeys)` };
  }
  if (ack.epoch !== ctx.epoch) {
    const theirs = ack.epoch === '' ? "'' (from before epochs)" : ack.epoch;
    return { ok: false, reason: 'other-epoch', message: `${what} is for epoch ${theirs}, an older database of this DCU; this database is ${ctx.epoch || "''"}` };
  }
  return { ok: true };
}
