// The one error the sync layer throws. Bytes from the broker are untrusted: every decoder
// here answers any input with a value or a SyncError, never another exception, so the
// uplink and ingest loops can catch exactly this, log it and drop (or refuse) the message.

export type SyncErrorKind =
  /** Not CBOR, or not the shape the schema says (wrong type, length, range). */
  | 'malformed'
  /** A message of a version this code does not speak. */
  | 'unknown-version'
  /** A message kind (or command kind) this code does not know. */
  | 'unknown-kind'
  /** Larger than a sync message may be. */
  | 'too-large'
  /** Encoding refused: the value does not fit the schema (a bug on the sending side). */
  | 'invalid'
  /** A sealed key blob that this DCU cannot or must not open. */
  | 'cannot-open';

export class SyncError extends Error {
  override readonly name = 'SyncError';
  constructor(
    readonly kind: SyncErrorKind,
    message: string,
    /** Where it went wrong: a field path ('readings.ts[3]', 'body.notAfter') or 'byte 17'. */
    readonly where: string,
  ) {
    super(`sync ${kind} at ${where}: ${message}`);
  }
}
