// What a transfer block (class 0 credit, class 2 management with RND and TID) carries beyond
// its class: when it was issued, and its 16-bit value read as credit or as a management
// value. The generator reports what it put in, the decoder what it found: one reading serves
// both, so the two can never disagree.
import { decodeAmount } from './amount.js';
import { AMOUNT_ENCODED_MANAGEMENT, CREDIT_UNITS, type CreditSubclass, type CreditUnit, fromTransferUnits } from './token-types.js';

export interface TransferDetails {
  readonly rnd?: number;
  readonly tid?: number;
  /** The minute the TID stands for, from the key's base date. */
  readonly issuedAt?: Date;
  /** Class 0: the credit the token carries (after the amount encoding's rounding up), in whole transfer units and in display units. */
  readonly transferUnits?: number;
  readonly amount?: number;
  readonly unit?: CreditUnit['unit'];
  /** Class 2 subclasses 0,1,2,5,6,7: MPL/MPPUL in W, or the raw 16-bit register/rate/pad/factor. */
  readonly value?: number;
}

/** The 16-bit value of a transfer block: credit for class 0, a management value otherwise. */
export function transferValue(tokenClass: 0 | 2, subclass: number, value16: number): Pick<TransferDetails, 'transferUnits' | 'amount' | 'unit' | 'value'> {
  if (tokenClass === 0) {
    const unit = CREDIT_UNITS[subclass as CreditSubclass];
    const transferUnits = decodeAmount(value16);
    return { transferUnits, amount: fromTransferUnits(transferUnits, unit), unit: unit.unit };
  }
  return { value: AMOUNT_ENCODED_MANAGEMENT.includes(subclass) ? decodeAmount(value16) : value16 };
}
