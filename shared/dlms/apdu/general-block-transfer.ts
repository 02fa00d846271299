// General-Block-Transfer [224] (Green Book, GBT): any APDU, cut in blocks that
// travel in windows, with acknowledgement numbers flowing back. The reassembly
// state machine belongs to the association layer; this is only the framing.
import type { ByteReader, ByteWriter } from '../../bytes.js';
import { readOctetString, writeOctetString } from './xdr.js';

export const GENERAL_BLOCK_TRANSFER = 0xe0;

export interface GeneralBlockTransfer {
  kind: 'GeneralBlockTransfer';
  /** Block-control bit 7. */
  lastBlock: boolean;
  /** Block-control bit 6: more blocks follow without waiting for an acknowledgement. */
  streaming: boolean;
  /** Block-control bits 0..5: the window size the sender can receive (0..63). */
  window: number;
  blockNumber: number;
  blockNumberAck: number;
  blockData: Uint8Array;
}

export function readGeneralBlockTransfer(r: ByteReader): GeneralBlockTransfer {
  r.u8('General-Block-Transfer tag');
  const control = r.u8('block-control');
  const blockNumber = r.u16('block-number');
  const blockNumberAck = r.u16('block-number-ack');
  return {
    kind: 'GeneralBlockTransfer',
    lastBlock: (control & 0x80) !== 0,
    streaming: (control & 0x40) !== 0,
    window: control & 0x3f,
    blockNumber,
    blockNumberAck,
    blockData: readOctetString(r, 'block-data'),
  };
}

export function writeGeneralBlockTransfer(w: ByteWriter, a: GeneralBlockTransfer): void {
  if (!Number.isInteger(a.window) || a.window < 0 || a.window > 63) throw new RangeError(`GBT window ${a.window} is not in 0..63`);
  const control = (a.lastBlock ? 0x80 : 0) | (a.streaming ? 0x40 : 0) | a.window;
  w.u8(GENERAL_BLOCK_TRANSFER).u8(control).u16(a.blockNumber).u16(a.blockNumberAck);
  writeOctetString(w, a.blockData);
}
