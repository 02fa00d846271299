// What a DLMS session needs from a link: open it, exchange one APDU for its answer, close.
// HDLC (serial or TCP) and the IEC 62056-47 wrapper (TCP or UDP) both provide it.
export interface ApduTransport {
  readonly description: string;
  open(): Promise<void>;
  /** Sends one APDU and resolves with the peer's answer; rejects with LinkTimeout or ProtocolError. */
  request(apdu: Uint8Array): Promise<Uint8Array>;
  /** Ends the connection (DISC on HDLC); the channel stays usable for another open(). */
  close(): Promise<void>;
  /** Closes the connection and releases the channel (port, socket). */
  dispose(): Promise<void>;
  readonly isOpen: boolean;
}
