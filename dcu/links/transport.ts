// What a DLMS session needs from a link: open it, exchange one APDU for its answer, close.
// HDLC (serial or TCP) and the IEC 62056-47 wrapper (TCP or UDP) both provide it.
export interface ApduTransport {
  readonly description: string;
  open(): Promise<void>;
  /**
   * Sends one APDU and resolves with the peer's answer; rejects with LinkTimeout or
   * ProtocolError. `accept` tells an answer to this request from a late copy of an earlier
   * one: datagram links (UDP, G3-PLC), where a repeated request can be answered twice, keep
   * waiting past answers it refuses; HDLC's sequence numbers already make that impossible.
   */
  request(apdu: Uint8Array, accept?: (answer: Uint8Array) => boolean): Promise<Uint8Array>;
  /** Ends the connection (DISC on HDLC); the channel stays usable for another open(). */
  close(): Promise<void>;
  /** Closes the connection and releases the channel (port, socket). */
  dispose(): Promise<void>;
  readonly isOpen: boolean;
}
