// Ciphering of xDLMS APDUs inside an association with security suite 0: every request
// and response after the AARQ/AARE is glo-ciphered under the sender's system title and
// a fresh invocation counter; a received counter must be higher than the last one
// accepted from that peer (checked before decrypting, recorded only after the tag checks).
import { SecurityError } from '../../errors.js';
import { parseCipheredApdu, openCipheredApdu, wrapCipheredApdu } from '../security/ciphered-apdu.js';
import { ReplayGuard, SendingCounter } from '../security/invocation-counter.js';
import { SecurityPolicy } from '../security/suite0.js';

export interface SecuritySettings {
  /** Our own system title (8 bytes). */
  systemTitle: Uint8Array;
  blockCipherKey: Uint8Array;
  authenticationKey: Uint8Array;
  /** Our sending invocation counter; the caller persists `counter.value`. */
  counter: SendingCounter;
  /** Counters received from peers; the caller persists `guard.toJSON()`. */
  guard: ReplayGuard;
  /** Security control byte for xDLMS APDUs: default 0x30 (authenticated and encrypted). */
  securityControl?: number;
  /**
   * Protection (SC bits 0x10 authentication, 0x20 encryption) every received APDU must carry;
   * less is refused as a downgrade. Default: authentication only. A server sets what its
   * security_policy (IC 64 attribute 2) demands of requests.
   */
  requiredProtection?: number;
}

export class Protection {
  peerSystemTitle: Uint8Array | null = null;

  constructor(readonly settings: SecuritySettings) {}

  seal(apdu: Uint8Array): Uint8Array {
    const s = this.settings;
    return wrapCipheredApdu(apdu, {
      securityControl: s.securityControl ?? SecurityPolicy.authenticatedEncrypted,
      systemTitle: s.systemTitle,
      invocationCounter: s.counter.take(),
      blockCipherKey: s.blockCipherKey,
      authenticationKey: s.authenticationKey,
    });
  }

  open(bytes: Uint8Array): Uint8Array {
    const peer = this.peerSystemTitle;
    if (!peer) throw new SecurityError('a ciphered APDU arrived before the peer system title was known', 'rejected');
    const parsed = parseCipheredApdu(bytes);
    this.settings.guard.check(peer, parsed.invocationCounter);
    const opened = openCipheredApdu(parsed, {
      systemTitle: peer,
      blockCipherKey: this.settings.blockCipherKey,
      authenticationKey: this.settings.authenticationKey,
      ...(this.settings.requiredProtection !== undefined && { requiredProtection: this.settings.requiredProtection }),
    });
    this.settings.guard.accept(opened.systemTitle, opened.invocationCounter);
    return opened.apdu;
  }
}
