// Properties over random keys, amounts, TIDs and junk input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  acceptToken,
  AMOUNT_MAX,
  createMeterState,
  decodeAmount,
  decodeToken,
  ea07Decrypt,
  ea07Encrypt,
  encodeAmount,
  generateKeyChangeTokens,
  generateToken,
  keyParameters,
  misty1Decrypt,
  misty1Encrypt,
  misty1ExpandKey,
  STS_RESULT_CODES,
  StsError,
  toHex,
  type EncryptionAlgorithm,
} from '../../../shared/sts/index.js';

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const algorithm = fc.constantFrom<EncryptionAlgorithm>('EA07', 'EA11');
const keyFor = (a: EncryptionAlgorithm) => fc.uint8Array({ minLength: a === 'EA07' ? 8 : 16, maxLength: a === 'EA07' ? 8 : 16 });
const algorithmAndKey = algorithm.chain((a) => keyFor(a).map((k) => ({ algorithm: a, key: toHex(k) })));
const tid = fc.integer({ min: 0, max: 2 ** 24 - 1 });
const baseDate = fc.constantFrom(1993, 2014, 2035);
const digits20 = fc.stringMatching(/^[0-9]{20}$/);

describe('ciphers', () => {
  it('EA07 decrypt inverts encrypt', () => {
    fc.assert(fc.property(u64, u64, (block, key) => ea07Decrypt(ea07Encrypt(block, key), key) === block));
  });
  it('MISTY1 decrypt inverts encrypt', () => {
    fc.assert(
      fc.property(u64, keyFor('EA11'), (block, key) => {
        const ek = misty1ExpandKey(key);
        return misty1Decrypt(misty1Encrypt(block, ek), ek) === block;
      }),
    );
  });
});

describe('amount encoding', () => {
  it('rounds up by less than one step of its exponent and never down', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: AMOUNT_MAX }), (t) => {
        const back = decodeAmount(encodeAmount(t));
        const e = encodeAmount(t) >>> 14;
        return back >= t && back - t < 10 ** e;
      }),
    );
  });
});

describe('generate → decode round trip', () => {
  it('credit tokens', () => {
    fc.assert(
      fc.property(algorithmAndKey, fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: AMOUNT_MAX }), tid, fc.integer({ min: 0, max: 15 }), baseDate, (ak, subclass, units, t, rnd, bd) => {
        const g = generateToken({ class: 0, subclass, transferUnits: units, tid: t, rnd, baseDate: bd, decoderKey: ak.key, algorithm: ak.algorithm });
        expect(g.digits).toMatch(/^[0-9]{20}$/);
        const d = decodeToken(g.digits, ak.key, ak.algorithm, { baseDate: bd });
        expect(d).toMatchObject({ crcOk: true, class: 0, subclass, tid: t, rnd, transferUnits: decodeAmount(encodeAmount(units)) });
        expect(d.block).toBe(g.block);
        expect(d.issuedAt!.getTime()).toBe(Date.UTC(bd, 0, 1) + t * 60_000);
      }),
    );
  });

  it('management tokens', () => {
    fc.assert(
      fc.property(algorithmAndKey, fc.constantFrom(1, 2, 5, 7), fc.integer({ min: 0, max: 0xffff }), tid, (ak, subclass, value, t) => {
        const g = generateToken({ class: 2, subclass, value, tid: t, rnd: 0, decoderKey: ak.key, algorithm: ak.algorithm });
        expect(decodeToken(g.digits, ak.key, ak.algorithm)).toMatchObject({ crcOk: true, class: 2, subclass, value, tid: t });
      }),
    );
  });

  it('key-change sets move a meter to the new key and parameters', () => {
    fc.assert(
      fc.property(
        algorithm.chain((a) => fc.tuple(fc.constant(a), keyFor(a), keyFor(a))),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 99 }),
        fc.integer({ min: 0, max: 999_999 }),
        ([a, oldKey, newKey], kt, krn, ken, ti, sgc) => {
          const start = createMeterState({ algorithm: a, decoderKey: oldKey, keyParameters: keyParameters({ keyType: 2, supplyGroupCode: '123456', tariffIndex: '01', keyRevisionNumber: 1 }) });
          const newParams = keyParameters({ keyType: kt, supplyGroupCode: sgc, tariffIndex: ti, keyRevisionNumber: krn, keyExpiryNumber: ken });
          let state = start;
          for (const t of generateKeyChangeTokens({ decoderKey: oldKey, algorithm: a, newDecoderKey: newKey, newKey: newParams })) {
            state = acceptToken(state, t.digits, 0).newState;
          }
          expect(state).toMatchObject({
            decoderKey: toHex(newKey),
            keyType: kt,
            keyRevisionNumber: krn,
            keyExpiryNumber: ken,
            tariffIndex: newParams.tariffIndex,
            supplyGroupCode: a === 'EA11' ? newParams.supplyGroupCode : '123456',
          });
        },
      ),
    );
  });
});

describe('junk input', () => {
  it('decodeToken on any 20 digits returns a token or throws only StsError', () => {
    fc.assert(
      fc.property(digits20, algorithmAndKey, (digits, ak) => {
        try {
          const d = decodeToken(digits, ak.key, ak.algorithm);
          expect([0, 1, 2, 3]).toContain(d.class);
          expect(typeof d.crcOk).toBe('boolean');
        } catch (e) {
          expect(e).toBeInstanceOf(StsError);
          expect((e as StsError).kind).toBe('format'); // only numbers ≥ 2^66
        }
      }),
    );
  });

  it('acceptToken on any input returns a standard result and never throws', () => {
    const codes = new Set<number>(Object.values(STS_RESULT_CODES));
    fc.assert(
      fc.property(fc.oneof(digits20, fc.string(), fc.stringMatching(/^[0-9 -]{0,30}$/)), algorithmAndKey, (input, ak) => {
        const state = createMeterState({ algorithm: ak.algorithm, decoderKey: ak.key, keyParameters: keyParameters({ keyType: 2, supplyGroupCode: '123456', tariffIndex: '01', keyRevisionNumber: 1 }) });
        const r = acceptToken(state, input, 0);
        expect(codes.has(r.code)).toBe(true);
        expect(STS_RESULT_CODES[r.result]).toBe(r.code);
      }),
    );
  });

  it('a decoded credit token is accepted once, then USED', () => {
    fc.assert(
      fc.property(algorithmAndKey, tid, fc.integer({ min: 1, max: 100_000 }), (ak, t, units) => {
        const state = createMeterState({ algorithm: ak.algorithm, decoderKey: ak.key, keyParameters: keyParameters({ keyType: 2, supplyGroupCode: '123456', tariffIndex: '01', keyRevisionNumber: 1 }) });
        const digits = generateToken({ class: 0, subclass: 0, transferUnits: units, tid: t, rnd: 0, decoderKey: ak.key, algorithm: ak.algorithm }).digits;
        const first = acceptToken(state, digits, 0);
        expect(first.result).toBe('Accept');
        expect(acceptToken(first.newState, digits, 0).result).toBe('Used');
      }),
    );
  });
});
