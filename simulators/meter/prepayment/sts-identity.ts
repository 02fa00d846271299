// Who a simulated meter is to an STS vending system (IEC 62055-41): its meter PAN, key
// parameters and decoder key. Every simulated meter is an STS meter with its own key; the
// defaults are a rule a vending side can repeat without asking the simulator:
//
//   DRN = the serial's digits, left-padded with zeros to 10, plus a Luhn check digit
//         (a serial with letters or more than 10 digits: FNV-1a of the serial, hash.ts);
//   PAN = IIN 600727 ‖ DRN ‖ Luhn digit (18 digits);
//   key = DKGA02 from the vending key abababababababab (the STS worked example's VUDK) for
//         EA07, or DKGA04 from abababababababab949494949494949401234567 for EA11;
//   KT 2 (unique key), SGC 123456, TI 01, KRN 1, KEN 255, base date 2014 (a 1993 TID
//   ran out on 2024-11-24, so today's tokens need base date 2014).
// So the vending side derives the same decoder key from (vending key, PAN, KT, SGC, TI, KRN).
import {
  type BaseDate,
  createMeterState,
  deriveDecoderKey,
  type EncryptionAlgorithm,
  keyParameters,
  type KeyDerivationAlgorithm,
  type KeyParameters,
  luhnCheckDigit,
  meterIdentity,
  type MeterIdentity,
  parseHexKey,
  type StsMeterState,
  toHex,
} from '../../../shared/sts/index.js';
import { hashString } from '../hash.js';

/** The well-known test vending keys the simulated meters' default keys derive from. */
export const SIMULATOR_VENDING_KEYS: Readonly<Record<KeyDerivationAlgorithm, string>> = {
  DKGA02: 'abababababababab',
  DKGA04: 'abababababababab949494949494949401234567',
};

export interface StsConfig {
  /** 18-digit meter PAN. Default: IIN 600727 and a DRN from the serial (see above). */
  pan?: string;
  /** Token cipher. Default EA07. */
  algorithm?: EncryptionAlgorithm;
  /** Default DKGA02 for EA07, DKGA04 for EA11. */
  keyDerivation?: KeyDerivationAlgorithm;
  /** Hex vending key. Default SIMULATOR_VENDING_KEYS[keyDerivation]. */
  vendingKey?: string;
  /** Hex decoder key to install as it is, instead of deriving one. */
  decoderKey?: string;
  keyType?: number;
  supplyGroupCode?: string;
  tariffIndex?: string;
  keyRevisionNumber?: number;
  keyExpiryNumber?: number;
  baseDate?: BaseDate;
  /** For class 1 (test) tokens. Default 0. */
  manufacturerCode?: number;
  /** TIDs the meter remembers. Default 50 (shared/sts). */
  tidStoreSize?: number;
}

/** What a vending system needs to make tokens for this meter, as the meter was built. */
export interface StsIdentity {
  readonly meter: MeterIdentity;
  readonly algorithm: EncryptionAlgorithm;
  /** Absent when the decoder key was given directly. */
  readonly keyDerivation?: KeyDerivationAlgorithm;
  readonly vendingKey?: string;
  readonly keyParameters: KeyParameters;
  /** Big-endian hex. */
  readonly decoderKey: string;
}

/** The default DRN of a serial number: 10 digits from the serial and a Luhn digit. */
export function defaultDrn(serial: string): string {
  const digits = /^[0-9]{1,10}$/.test(serial) ? serial : String(hashString(serial) % 10_000_000_000);
  const payload = digits.padStart(10, '0');
  return payload + String(luhnCheckDigit(payload));
}

export function stsIdentity(serial: string, config: StsConfig = {}): StsIdentity {
  const meter = config.pan !== undefined ? meterIdentity({ pan: config.pan }) : meterIdentity({ iin: '600727', drn: defaultDrn(serial) });
  const algorithm = config.algorithm ?? 'EA07';
  const params = keyParameters({
    keyType: config.keyType ?? 2,
    supplyGroupCode: config.supplyGroupCode ?? '123456',
    tariffIndex: config.tariffIndex ?? '01',
    keyRevisionNumber: config.keyRevisionNumber ?? 1,
    keyExpiryNumber: config.keyExpiryNumber ?? 255,
    baseDate: config.baseDate ?? 2014,
  });
  if (config.decoderKey !== undefined) {
    const key = parseHexKey(config.decoderKey, 'sts.decoderKey', [algorithm === 'EA07' ? 8 : 16]);
    return { meter, algorithm, keyParameters: params, decoderKey: toHex(key) };
  }
  const keyDerivation = config.keyDerivation ?? (algorithm === 'EA07' ? 'DKGA02' : 'DKGA04');
  const vendingKey = config.vendingKey ?? SIMULATOR_VENDING_KEYS[keyDerivation];
  const key = deriveDecoderKey({ keyDerivation, algorithm, vendingKey, meter, keyParameters: params });
  return { meter, algorithm, keyDerivation, vendingKey, keyParameters: params, decoderKey: toHex(key) };
}

/** A new meter's STS state (empty TID store, no staged key change) for this identity. */
export function initialStsState(identity: StsIdentity, config: StsConfig = {}): StsMeterState {
  return createMeterState({
    algorithm: identity.algorithm,
    decoderKey: identity.decoderKey,
    keyParameters: identity.keyParameters,
    manufacturerCode: config.manufacturerCode ?? 0,
    ...(config.tidStoreSize !== undefined && { tidStoreSize: config.tidStoreSize }),
  });
}
