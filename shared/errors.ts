// Errors are values with a kind. Every decoder of untrusted bytes throws only
// ProtocolError (with the byte offset where it went wrong); the layers above turn
// them into actions or results, never into a crash.

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    message: string,
    /** Offset into the input where the problem was found. */
    readonly offset: number,
    /** Which layer found it: 'hdlc', 'axdr', 'acse', 'xdlms', 'wrapper', 'cipher'… */
    readonly layer: string = 'protocol',
  ) {
    super(`${layer}: ${message} (at byte ${offset})`);
  }
}

/** A peer did not answer in time. `waited` is in ms of the caller's clock. */
export class LinkTimeout extends Error {
  override readonly name = 'LinkTimeout';
  constructor(message: string, readonly waited: number) {
    super(message);
  }
}

/** The meter refused an access: data-access-result, action-result or service error. */
export class AccessError extends Error {
  override readonly name = 'AccessError';
  constructor(message: string, readonly result: string, readonly code: number) {
    super(message);
  }
}

/** Authentication or ciphering failed: wrong key, wrong password, replayed counter. */
export class SecurityError extends Error {
  override readonly name = 'SecurityError';
  constructor(
    message: string,
    readonly reason:
      | 'wrong-password'
      | 'authentication-failed'
      | 'replayed-counter'
      | 'decryption-failed'
      | 'unsupported'
      | 'rejected',
  ) {
    super(message);
  }
}
