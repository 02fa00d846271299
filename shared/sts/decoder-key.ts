// Decoder key derivation (IEC 62055-41 §6.5): the vending side never stores meter
// keys, it re-derives each one from a vending key and the meter's identity.
//   DKGA02: 64-bit DES vending key → 64-bit DK (EA07 only).
//   DKGA04: 160-bit vending key → HMAC-SHA-256 → 64-bit (EA07) or 128-bit (EA11) DK.
// Keys are big-endian byte arrays everywhere (NectarAPI prints DKGA02 keys
// byte-reversed; compare with care).
import { createCipheriv, createHmac } from 'node:crypto';
import { check } from './errors.js';
import type { KeyParameters, MeterIdentity } from './identity.js';

export type EncryptionAlgorithm = 'EA07' | 'EA11';
export type KeyDerivationAlgorithm = 'DKGA02' | 'DKGA04';

/** Decoder key length in bytes for each token cipher. */
export const DECODER_KEY_BYTES: Record<EncryptionAlgorithm, number> = { EA07: 8, EA11: 16 };

/** Parses a hex key (spaces, colons allowed) of one of the allowed byte lengths. */
export function parseHexKey(text: string, field: string, allowedBytes: readonly number[]): Uint8Array {
  const clean = String(text).replace(/[\s:]/g, '');
  check(/^[0-9a-fA-F]*$/.test(clean) && clean.length % 2 === 0, field, `must be hex, got '${text}'`);
  const bytes = Uint8Array.from(Buffer.from(clean, 'hex'));
  check(allowedBytes.includes(bytes.length), field, `must be ${allowedBytes.map((n) => `${n * 8} bits (${n * 2} hex digits)`).join(' or ')}, got ${bytes.length * 8} bits`);
  return bytes;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** Single DES, one block. OpenSSL 3 ships DES only as 3DES: K‖K‖K is single DES. */
function desEncryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  const cipher = createCipheriv('des-ede3-ecb', Buffer.concat([key, key, key]), null);
  cipher.setAutoPadding(false);
  return Uint8Array.from(Buffer.concat([cipher.update(block), cipher.final()]));
}

/**
 * PANBlock = last 16 of the 17 IIN‖DRN digits, read as hex nibbles. A common key
 * (KT 3) belongs to no single meter, so its DRN digits are zeroed (as nectar_sts_dart
 * documents; NectarAPI's Java code does not special-case KT 3).
 */
export function dkga02PanBlock(meter: MeterIdentity, keyType: number): string {
  const drn = keyType === 3 ? '0'.repeat(meter.drn.length) : meter.drn;
  return (meter.iin + drn).slice(-16);
}

/** CtlBlock = KT ‖ SGC ‖ TI ‖ KRN ‖ FFFFFF as 16 hex nibbles. */
export function dkga02ControlBlock(params: KeyParameters): string {
  return `${params.keyType}${params.supplyGroupCode}${params.tariffIndex}${params.keyRevisionNumber}FFFFFF`;
}

/** DKGA02: D = PANBlock ⊕ CtlBlock; DK = DES(VUDK, D) ⊕ D ⊕ VUDK. */
export function deriveDkga02(vendingKey: Uint8Array, meter: MeterIdentity, params: KeyParameters): Uint8Array {
  check(vendingKey.length === 8, 'vendingKey', `DKGA02 needs a 64-bit DES vending key, got ${vendingKey.length * 8} bits`);
  const pan = Buffer.from(dkga02PanBlock(meter, params.keyType), 'hex');
  const ctl = Buffer.from(dkga02ControlBlock(params), 'hex');
  const d = pan.map((b, i) => b ^ ctl[i]!);
  const e = desEncryptBlock(vendingKey, d);
  return e.map((b, i) => b ^ d[i]! ^ vendingKey[i]!);
}

function lv(text: string): Buffer {
  return Buffer.concat([Buffer.from([text.length]), Buffer.from(text, 'ascii')]);
}

/**
 * The DKGA04 HMAC message: 04 ‖ LV("04") ‖ LV(BD) ‖ LV(EA) ‖ LV(TI) ‖ 00 04 ‖ LV(SGC)
 * ‖ LV(KT) ‖ LV(KRN) ‖ LV(PAN) ‖ uint32_be(key bits). The base date enters the
 * derivation, so a TID-rollover key change always yields a new key.
 */
export function dkga04Message(meter: MeterIdentity, params: KeyParameters, algorithm: EncryptionAlgorithm): Uint8Array {
  const bits = Buffer.alloc(4);
  bits.writeUInt32BE(DECODER_KEY_BYTES[algorithm] * 8);
  return Uint8Array.from(
    Buffer.concat([
      Buffer.from([0x04]),
      lv('04'),
      lv(String(params.baseDate).slice(2)),
      lv(algorithm.slice(2)),
      lv(params.tariffIndex),
      Buffer.from([0x00, 0x04]),
      lv(params.supplyGroupCode),
      lv(params.keyType.toString(16)),
      lv(params.keyRevisionNumber.toString(16)),
      lv(meter.pan),
      bits,
    ]),
  );
}

/** DKGA04: DK = leftmost 8 (EA07) or 16 (EA11) bytes of HMAC-SHA-256(VK160, M). */
export function deriveDkga04(vendingKey: Uint8Array, meter: MeterIdentity, params: KeyParameters, algorithm: EncryptionAlgorithm): Uint8Array {
  check(vendingKey.length === 20, 'vendingKey', `DKGA04 needs a 160-bit vending key, got ${vendingKey.length * 8} bits`);
  const mac = createHmac('sha256', vendingKey).update(dkga04Message(meter, params, algorithm)).digest();
  return Uint8Array.from(mac.subarray(0, DECODER_KEY_BYTES[algorithm]));
}

export interface DeriveDecoderKeyInput {
  keyDerivation: KeyDerivationAlgorithm;
  algorithm: EncryptionAlgorithm;
  vendingKey: Uint8Array | string;
  meter: MeterIdentity;
  keyParameters: KeyParameters;
}

/** One entry point for both derivations, with the algorithm pairing checked. */
export function deriveDecoderKey(input: DeriveDecoderKeyInput): Uint8Array {
  const { keyDerivation, algorithm, meter, keyParameters } = input;
  check(algorithm === 'EA07' || algorithm === 'EA11', 'algorithm', `must be EA07 or EA11, got '${algorithm}'`);
  const vendingKey = typeof input.vendingKey === 'string' ? parseHexKey(input.vendingKey, 'vendingKey', [8, 20]) : input.vendingKey;
  if (keyDerivation === 'DKGA02') {
    check(algorithm === 'EA07', 'algorithm', 'DKGA02 yields 64-bit keys, which only EA07 uses; use DKGA04 for EA11');
    return deriveDkga02(vendingKey, meter, keyParameters);
  }
  check(keyDerivation === 'DKGA04', 'keyDerivation', `must be DKGA02 or DKGA04, got '${keyDerivation}'`);
  return deriveDkga04(vendingKey, meter, keyParameters, algorithm);
}
