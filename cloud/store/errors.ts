// Errors of the cloud store are values with a kind, like the DCU store's: the ingest tells a
// batch it must refuse ('invalid': log and drop, never ack) from a store it cannot reach
// ('unavailable': no ack, the DCU sends again) or a database it must not touch.

export type CloudStoreErrorKind =
  /** The message is not something the store accepts (bad seq, bad timestamp…); nothing was written. */
  | 'invalid'
  /** The database belongs to another program. */
  | 'foreign-database'
  /** The schema was written by newer software; nothing was changed. */
  | 'newer-schema'
  /** The database could not be opened or reached. */
  | 'unavailable';

export class CloudStoreError extends Error {
  override readonly name = 'CloudStoreError';
  constructor(
    message: string,
    readonly kind: CloudStoreErrorKind,
  ) {
    super(message);
  }
}
