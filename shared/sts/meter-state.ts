// What an STS meter remembers between tokens, as plain JSON-able data (keys as
// hex, TIDs as numbers), so the simulator can persist it and tests can build it.
// acceptToken (meter.ts) never mutates a state; it returns the next one.
import { DECODER_KEY_BYTES, type EncryptionAlgorithm, parseHexKey, toHex } from './decoder-key.js';
import { check } from './errors.js';
import type { KeyParameters, KeyType } from './identity.js';
import type { StsResultName } from './results.js';
import type { BaseDate } from './tid.js';

/** Key-change sections entered so far, decrypted under the current key. */
export interface StagedKeyChange {
  readonly section1?: { readonly kenHigh: number; readonly keyRevisionNumber: number; readonly rollover: boolean; readonly keyType: number; readonly keyPart: string };
  readonly section2?: { readonly kenLow: number; readonly tariffIndex: string; readonly keyPart: string };
  readonly section3?: { readonly supplyGroupCodeLow: number; readonly keyPart: string };
  readonly section4?: { readonly supplyGroupCodeHigh: number; readonly keyPart: string };
}

export interface StsMeterState {
  readonly algorithm: EncryptionAlgorithm;
  /** Current decoder key, big-endian hex (16 or 32 digits). */
  readonly decoderKey: string;
  readonly keyType: KeyType;
  readonly keyRevisionNumber: number;
  readonly keyExpiryNumber: number;
  readonly tariffIndex: string;
  readonly supplyGroupCode: string;
  readonly baseDate: BaseDate;
  /** 2-digit (0–99) or 4-digit manufacturer code, for class 1 tokens. */
  readonly manufacturerCode: number;
  /** The most recent accepted TIDs, ascending; at most tidStoreSize of them. */
  readonly tidStore: readonly number[];
  readonly tidStoreSize: number;
  readonly keyChange: StagedKeyChange;
  /** Credit per class 0 subclass (index 0–7), in transfer units. */
  readonly credit: readonly number[];
  /** Largest value a credit register may hold (Overflow beyond it); absent = unlimited. */
  readonly creditLimit?: number;
  readonly settings: {
    readonly maximumPowerLimit?: number;
    readonly tariffRate?: number;
    readonly maximumPhasePowerUnbalanceLimit?: number;
    readonly waterMeterFactor?: number;
  };
  readonly tamper: boolean;
  /** Keypad lockout (vendor practice, off unless enabled): consecutive rejects and lock end (ms). */
  readonly lockout?: { readonly rejects: number; readonly until: number };
  /** The token status register: result of the last token. */
  readonly lastResult?: { readonly result: StsResultName; readonly code: number; readonly at: number };
}

export interface CreateMeterStateInput {
  algorithm: EncryptionAlgorithm;
  decoderKey: Uint8Array | string;
  keyParameters: KeyParameters;
  manufacturerCode?: number;
  /** How many TIDs the meter keeps. Default 50. */
  tidStoreSize?: number;
  creditLimit?: number;
  /** Enable the keypad lockout after repeated rejects. */
  lockout?: boolean;
}

export const DEFAULT_TID_STORE_SIZE = 50;

export function createMeterState(input: CreateMeterStateInput): StsMeterState {
  const bytes = DECODER_KEY_BYTES[input.algorithm];
  check(bytes !== undefined, 'algorithm', `must be EA07 or EA11, got '${input.algorithm}'`);
  const key = typeof input.decoderKey === 'string' ? parseHexKey(input.decoderKey, 'decoderKey', [bytes]) : input.decoderKey;
  check(key.length === bytes, 'decoderKey', `${input.algorithm} needs a ${bytes * 8}-bit key`);
  const tidStoreSize = input.tidStoreSize ?? DEFAULT_TID_STORE_SIZE;
  check(Number.isInteger(tidStoreSize) && tidStoreSize >= 1, 'tidStoreSize', 'must be a positive whole number');
  const p = input.keyParameters;
  return {
    algorithm: input.algorithm,
    decoderKey: toHex(key),
    keyType: p.keyType,
    keyRevisionNumber: p.keyRevisionNumber,
    keyExpiryNumber: p.keyExpiryNumber,
    tariffIndex: p.tariffIndex,
    supplyGroupCode: p.supplyGroupCode,
    baseDate: p.baseDate,
    manufacturerCode: input.manufacturerCode ?? 0,
    tidStore: [],
    tidStoreSize,
    keyChange: {},
    credit: [0, 0, 0, 0, 0, 0, 0, 0],
    ...(input.creditLimit !== undefined ? { creditLimit: input.creditLimit } : {}),
    settings: {},
    tamper: false,
    ...(input.lockout ? { lockout: { rejects: 0, until: 0 } } : {}),
  };
}

/**
 * TID store check. Slots not yet filled count as TID 0 (a fresh meter's table is
 * zeroed), so OLD applies only once the store is full.
 */
export function checkTid(state: StsMeterState, tid: number): 'Old' | 'Used' | undefined {
  if (state.tidStore.includes(tid)) return 'Used';
  if (state.tidStore.length >= state.tidStoreSize && tid < state.tidStore[0]!) return 'Old';
  return undefined;
}

/** Inserts a TID and evicts the oldest (smallest) beyond the store size. */
export function storeTid(state: StsMeterState, tid: number): readonly number[] {
  const next = [...state.tidStore, tid].sort((a, b) => a - b);
  return next.length > state.tidStoreSize ? next.slice(next.length - state.tidStoreSize) : next;
}

const LOCKOUT_AFTER = 3;
const LOCKOUT_FIRST_MS = 10_000;
const LOCKOUT_MAX_MS = 1_280_000;

/**
 * After 3 consecutive rejects the keypad locks for 10 s, doubling with each
 * further reject up to 1280 s (clouglobal "STS token" FAQ; not in the standard).
 */
export function lockoutAfterReject(lockout: { rejects: number; until: number }, now: number): { rejects: number; until: number } {
  const rejects = lockout.rejects + 1;
  if (rejects < LOCKOUT_AFTER) return { rejects, until: lockout.until };
  const ms = Math.min(LOCKOUT_FIRST_MS * 2 ** (rejects - LOCKOUT_AFTER), LOCKOUT_MAX_MS);
  return { rejects, until: now + ms };
}
