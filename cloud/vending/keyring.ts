// The STS vending keys: the secret from which every meter's decoder key is derived
// (DKGA02: a 64-bit DES key; DKGA04: a 160-bit key), one per supply group and key revision.
// They are kept in a file outside the database (STS_VENDING_KEYS, mode 0600 advised), never
// in a table and never in an answer; decoder keys are derived when a token is made and
// dropped after.
//
// File format (JSON):
//   { "vendingKeys": [ { "supplyGroupCode": "123456", "keyRevisionNumber": 1,
//                        "keyDerivation": "DKGA02", "key": "0123456789abcdef" } ] }
import { readFileSync } from 'node:fs';
import { VendingError } from './errors.js';
import type { StsMeterParameters } from './store/index.js';
import { deriveDecoderKey, keyParameters, meterIdentity, parseHexKey, StsError } from './sts-engine.js';

export interface VendingKeyEntry {
  supplyGroupCode: string;
  keyRevisionNumber: number;
  keyDerivation: 'DKGA02' | 'DKGA04';
  /** Hex: 16 digits (DKGA02) or 40 digits (DKGA04). */
  key: string;
}

export class VendingKeyring {
  private readonly keys = new Map<string, Uint8Array>();

  constructor(entries: readonly VendingKeyEntry[]) {
    entries.forEach((e, i) => {
      const where = `vendingKeys[${i}]`;
      if (!/^\d{6}$/.test(String(e.supplyGroupCode))) throw new VendingError('invalid', `${where}.supplyGroupCode must be 6 digits`, `${where}.supplyGroupCode`);
      if (!Number.isInteger(e.keyRevisionNumber) || e.keyRevisionNumber < 1 || e.keyRevisionNumber > 9) {
        throw new VendingError('invalid', `${where}.keyRevisionNumber must be 1–9`, `${where}.keyRevisionNumber`);
      }
      if (e.keyDerivation !== 'DKGA02' && e.keyDerivation !== 'DKGA04') throw new VendingError('invalid', `${where}.keyDerivation must be DKGA02 or DKGA04`, `${where}.keyDerivation`);
      let key: Uint8Array;
      try {
        key = parseHexKey(e.key, `${where}.key`, [e.keyDerivation === 'DKGA02' ? 8 : 20]);
      } catch (error) {
        throw new VendingError('invalid', (error as Error).message, `${where}.key`);
      }
      this.keys.set(VendingKeyring.slot(e.supplyGroupCode, e.keyRevisionNumber, e.keyDerivation), key);
    });
  }

  private static slot(sgc: string, krn: number, derivation: string): string {
    return `${sgc}/${krn}/${derivation}`;
  }

  /** Reads the keyring file; a missing or malformed file is a clear 'unavailable' error. */
  static load(file: string): VendingKeyring {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new VendingError('unavailable', `cannot read the STS vending keys from ${file}: ${(error as Error).message}`);
    }
    const list = (parsed as { vendingKeys?: unknown }).vendingKeys;
    if (!Array.isArray(list)) throw new VendingError('unavailable', `${file}: expected {"vendingKeys": [...]}`);
    return new VendingKeyring(list as VendingKeyEntry[]);
  }

  has(sts: Pick<StsMeterParameters, 'supplyGroupCode' | 'keyRevisionNumber' | 'keyDerivation'>): boolean {
    return this.keys.has(VendingKeyring.slot(sts.supplyGroupCode, sts.keyRevisionNumber, sts.keyDerivation));
  }

  /** The meter's decoder key, derived now (never stored). */
  decoderKey(sts: StsMeterParameters): Uint8Array {
    const vendingKey = this.keys.get(VendingKeyring.slot(sts.supplyGroupCode, sts.keyRevisionNumber, sts.keyDerivation));
    if (!vendingKey) {
      throw new VendingError('unavailable', `no ${sts.keyDerivation} vending key for supply group ${sts.supplyGroupCode} key revision ${sts.keyRevisionNumber}`, 'sts');
    }
    try {
      return deriveDecoderKey({
        keyDerivation: sts.keyDerivation,
        algorithm: sts.algorithm,
        vendingKey,
        meter: meterIdentity({ pan: sts.pan }),
        keyParameters: keyParameters(sts),
      });
    } catch (error) {
      if (error instanceof StsError) throw new VendingError('invalid', error.message, 'sts');
      throw error;
    }
  }
}

/** Validates a meter's STS parameters (PAN check digits, ranges, algorithm pairing). */
export function checkStsParameters(input: unknown): StsMeterParameters {
  const s = (input ?? {}) as Record<string, unknown>;
  try {
    const identity = meterIdentity({ pan: String(s.pan ?? '') });
    const params = keyParameters({
      keyType: Number(s.keyType),
      supplyGroupCode: s.supplyGroupCode as string,
      tariffIndex: s.tariffIndex as string,
      keyRevisionNumber: Number(s.keyRevisionNumber),
      keyExpiryNumber: s.keyExpiryNumber === undefined ? 255 : Number(s.keyExpiryNumber),
      // 1993-based TIDs ran out on 2024-11-24: a meter set up now uses base date 2014.
      baseDate: s.baseDate === undefined ? 2014 : Number(s.baseDate),
    });
    const keyDerivation = s.keyDerivation ?? 'DKGA02';
    const algorithm = s.algorithm ?? 'EA07';
    if (keyDerivation !== 'DKGA02' && keyDerivation !== 'DKGA04') throw new VendingError('invalid', `sts.keyDerivation must be DKGA02 or DKGA04`, 'sts.keyDerivation');
    if (algorithm !== 'EA07' && algorithm !== 'EA11') throw new VendingError('invalid', `sts.algorithm must be EA07 or EA11`, 'sts.algorithm');
    if (keyDerivation === 'DKGA02' && algorithm !== 'EA07') throw new VendingError('invalid', 'DKGA02 keys are 64-bit: only EA07 uses them (EA11 needs DKGA04)', 'sts.algorithm');
    return { pan: identity.pan, ...params, keyDerivation, algorithm };
  } catch (error) {
    if (error instanceof StsError) throw new VendingError('invalid', error.message, `sts.${error.field}`);
    throw error;
  }
}
