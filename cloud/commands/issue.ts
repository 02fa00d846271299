// Issuing a command to a DCU: the cloud fills in id, target, sequence and validity, signs the
// body with its Ed25519 key, and publishes it on the DCU's down/commands topic. The DCU checks
// all of it before acting (shared/sync/signing.ts), so the broker cannot forge or replay one.
import { createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
import { encodeMessage } from '../../shared/sync/codec.js';
import { type CommandBody, type CommandKind, SYNC_VERSION, type SignedCommand, Topics } from '../../shared/sync/messages.js';
import { signCommand } from '../../shared/sync/signing.js';
import type { CloudKeys } from '../provisioning/cloud-keys.js';

export interface CommandRequest {
  dcu: string;
  command: CommandKind;
  params: Record<string, unknown>;
  /** How long the command stays valid, ms (default 15 minutes): a DCU offline longer must not act on it late. */
  ttlMs?: number;
  id?: string;
}

export class CommandSigner {
  private readonly key: KeyObject;

  constructor(private readonly keys: CloudKeys) {
    this.key = createPrivateKey(keys.signing.privateKeyPem);
  }

  /** A signed command with the next sequence number of its DCU. */
  sign(request: CommandRequest, seq: number, now: number): SignedCommand {
    const body: CommandBody = {
      v: SYNC_VERSION,
      kind: 'command',
      id: request.id ?? randomUUID(),
      dcu: request.dcu,
      seq,
      issuedAt: now,
      notAfter: now + (request.ttlMs ?? 15 * 60_000),
      command: request.command,
      params: request.params,
    };
    return signCommand(body, this.keys.signing.keyId, this.key);
  }
}

/** Topic and payload of a signed command. */
export function commandMessage(signed: SignedCommand): { topic: string; payload: Uint8Array } {
  return { topic: Topics.commands(signed.body.dcu), payload: encodeMessage(signed) };
}
