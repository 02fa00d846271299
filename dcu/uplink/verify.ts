// The command checks of shared/sync/signing.ts (signature with a trusted cloud key, target
// DCU, expiry, id never seen, sequence above the last), plus what the intake needs to know
// about a refusal: whether the command is authentic — signed by a trusted key — since only
// authentic commands are recorded (a forger must not use up ids or sequence numbers).
import type { SignedCommand } from '../../shared/sync/messages.js';
import { verifyCommand, type VerifyFailure } from '../../shared/sync/signing.js';

/** keyId → raw 32-byte Ed25519 public key. */
export type TrustedKeys = ReadonlyMap<string, Uint8Array>;

export type RefusalReason = VerifyFailure | 'unsupported' | 'invalid' | 'id-conflict';

export type CommandCheck = { ok: true } | { ok: false; reason: RefusalReason; message: string; authentic: boolean };

export interface CheckContext {
  trustedKeys: TrustedKeys;
  dcuId: string;
  now: number;
  /** Highest command sequence recorded; null before the first command. */
  lastSeq: number | null;
  seen(id: string): boolean;
}

const NOT_AUTHENTIC = new Set<RefusalReason>(['malformed', 'unknown-key', 'bad-signature']);

/** Reasons that say the command may be forged. */
export const isForgery = (reason: RefusalReason): boolean => reason === 'unknown-key' || reason === 'bad-signature';

export function checkCommand(signed: SignedCommand, ctx: CheckContext): CommandCheck {
  const r = verifyCommand(signed, { trustedKeys: ctx.trustedKeys, dcuId: ctx.dcuId, now: ctx.now, lastSeq: ctx.lastSeq, seenIds: { has: ctx.seen } });
  return r.ok ? r : { ok: false, reason: r.reason, message: r.message, authentic: !NOT_AUTHENTIC.has(r.reason) };
}

/** The config's keyId → hex public key, as the checks take them. */
export function trustedKeysFromConfig(keys: Record<string, string>): TrustedKeys {
  return new Map(Object.entries(keys).map(([id, hex]) => [id, new Uint8Array(Buffer.from(hex, 'hex'))]));
}
