// Key-change token sets (IEC 62055-41 class 2 subclasses 3, 4, 8, 9). A new
// decoder key travels in 32-bit parts, each section encrypted under the meter's
// CURRENT key: two sections for a 64-bit EA07 key, four for a 128-bit EA11 key
// (which also carry the new SGC). With rollover set this is the TID-rollover key
// change: the meter clears its TID store and moves to the next base date, and
// the new key must be derived for that base date.
import type { EncryptionAlgorithm } from './decoder-key.js';
import { type GeneratedToken, generateToken } from './generate.js';
import type { KeyParameters } from './identity.js';

export interface KeyChangeInput {
  /** The meter's current decoder key, which encrypts every section. */
  decoderKey: Uint8Array | string;
  algorithm: EncryptionAlgorithm;
  /** The new decoder key (same length as the current one). */
  newDecoderKey: Uint8Array | string;
  /** Parameters of the new key (KT, SGC, TI, KRN, KEN). */
  newKey: Pick<KeyParameters, 'keyType' | 'supplyGroupCode' | 'tariffIndex' | 'keyRevisionNumber' | 'keyExpiryNumber'>;
  rollover?: boolean;
}

/** Subclasses in the order a meter is usually given them. */
export function keyChangeSubclasses(algorithm: EncryptionAlgorithm): number[] {
  return algorithm === 'EA11' ? [3, 4, 8, 9] : [3, 4];
}

export function generateKeyChangeTokens(input: KeyChangeInput): GeneratedToken[] {
  return keyChangeSubclasses(input.algorithm).map((subclass) =>
    generateToken({
      class: 2,
      subclass,
      decoderKey: input.decoderKey,
      algorithm: input.algorithm,
      newDecoderKey: input.newDecoderKey,
      newKeyExpiryNumber: input.newKey.keyExpiryNumber,
      newKeyRevisionNumber: input.newKey.keyRevisionNumber,
      newKeyType: input.newKey.keyType,
      newTariffIndex: input.newKey.tariffIndex,
      newSupplyGroupCode: input.newKey.supplyGroupCode,
      rollover: input.rollover === true,
    }),
  );
}
