// The wider published conformance set (see published-vectors.ts): every
// credit/management token, class 1 token and key-change set must come out
// digit for digit, and decode back.
import { describe, expect, it } from 'vitest';
import { decodeToken, generateKeyChangeTokens, generateToken, keyParameters, tidFromTime } from '../../../shared/sts/index.js';
import { keyOf } from './helpers.js';
import {
  CLASS1_4DIGIT_ALL_ONES,
  CLASS1_CONTROL_SWEEP,
  KEY_CHANGE_KEN,
  PUBLISHED_CASES,
  PUBLISHED_KEY_CHANGES,
} from './published-vectors.js';

const keys = new Map<string, string>();
const cachedKey = (setup: Parameters<typeof keyOf>[0]) => {
  const id = JSON.stringify(setup);
  if (!keys.has(id)) keys.set(id, keyOf(setup));
  return keys.get(id)!;
};

describe('published STS 531-1-0 vectors: classes 0 and 2', () => {
  it.each(PUBLISHED_CASES.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const decoderKey = cachedKey(c.key);
    const tid = tidFromTime(Date.parse(c.issued), c.key.baseDate) + (c.tidAdjust ?? 0);
    const t = generateToken({
      class: c.class,
      subclass: c.subclass,
      decoderKey,
      algorithm: c.key.algorithm,
      baseDate: c.key.baseDate,
      tid,
      rnd: 5,
      ...(c.amount !== undefined ? { amount: c.amount } : {}),
      ...(c.value !== undefined ? { value: c.value } : {}),
    });
    expect(t.digits).toBe(c.token);
    const d = decodeToken(c.token, decoderKey, c.key.algorithm, { baseDate: c.key.baseDate });
    expect(d.crcOk).toBe(true);
    expect(d.tid).toBe(tid);
    expect(d.block).toBe(t.block);
  });
});

describe('published STS 531-1-0 vectors: class 1', () => {
  it.each(CLASS1_CONTROL_SWEEP)('control 0x%s', (control, twoDigit, fourDigit) => {
    expect(generateToken({ class: 1, subclass: 0, control, manufacturerCode: 0 }).digits).toBe(twoDigit);
    expect(generateToken({ class: 1, subclass: 1, control, manufacturerCode: 0 }).digits).toBe(fourDigit);
    expect(decodeToken(twoDigit)).toMatchObject({ crcOk: true, class: 1, subclass: 0, control: BigInt(control), manufacturerCode: 0 });
    expect(decodeToken(fourDigit)).toMatchObject({ crcOk: true, class: 1, subclass: 1, control: BigInt(control), manufacturerCode: 0 });
  });

  it('CTSA02 step 2: 4-digit manufacturer code, all 28 control bits', () => {
    expect(generateToken({ class: 1, subclass: 1, control: (1n << 28n) - 1n, manufacturerCode: 0 }).digits).toBe(CLASS1_4DIGIT_ALL_ONES);
  });
});

describe('published STS 531-1-0 vectors: key-change sets', () => {
  it.each(PUBLISHED_KEY_CHANGES.map((k) => [k.id, k] as const))('%s', (_id, k) => {
    const newKey = keyParameters({ keyType: k.newKey.kt, supplyGroupCode: k.newKey.sgc, tariffIndex: k.newKey.ti, keyRevisionNumber: k.newKey.krn, keyExpiryNumber: KEY_CHANGE_KEN, baseDate: k.newKey.baseDate });
    const tokens = generateKeyChangeTokens({ decoderKey: cachedKey(k.key), algorithm: k.key.algorithm, newDecoderKey: cachedKey(k.newKey), newKey, rollover: k.rollover });
    expect(tokens.slice(0, k.tokens.length).map((t) => t.digits)).toEqual(k.tokens);
    const first = decodeToken(k.tokens[0]!, cachedKey(k.key), k.key.algorithm);
    expect(first.keyChange).toMatchObject({ section: 1, rollover: k.rollover, keyRevisionNumber: k.newKey.krn });
  });
});
