// The meter side: token acceptance as an STS meter does it, scenario by scenario.
import { describe, expect, it } from 'vitest';
import {
  acceptToken,
  blockCipher,
  createMeterState,
  generateKeyChangeTokens,
  generateToken,
  keyParameters,
  transposeClass,
  type StsMeterState,
} from '../../../shared/sts/index.js';
import { buildBlock } from '../../../shared/sts/block.js';
import { keyOf } from './helpers.js';
import type { KeySetup } from './published-vectors.js';

const A: KeySetup = { dkga: 'DKGA02', vendingKey: 'abababababababab', pan: '600727000000000009', sgc: '123456', ti: '01', krn: 1, kt: 2, baseDate: 1993, algorithm: 'EA07' };
const KEY_A = keyOf(A); // e653341f9d5bf36f
const KEY_B = keyOf({ ...A, pan: '000001000000000082' });
const KEY_A_TI02 = keyOf({ ...A, ti: '02' }); // 060b8643c59a27f1
const NOW = Date.parse('2020-01-01T00:00Z');

const paramsA = keyParameters({ keyType: 2, supplyGroupCode: '123456', tariffIndex: '01', keyRevisionNumber: 1 });

function meter(over: Partial<Parameters<typeof createMeterState>[0]> = {}): StsMeterState {
  return createMeterState({ algorithm: 'EA07', decoderKey: KEY_A, keyParameters: paramsA, tidStoreSize: 4, ...over });
}

function credit(minute: number, kwh = 1, key = KEY_A, extra: object = {}): string {
  return generateToken({ class: 0, subclass: 0, amount: kwh, decoderKey: key, tid: 5_000_000 + minute, rnd: 3, ...extra }).digits;
}

/** Feeds tokens in order, returning each result name and the final state. */
function feed(state: StsMeterState, tokens: string[], now = NOW): { results: string[]; state: StsMeterState } {
  const results: string[] = [];
  for (const t of tokens) {
    const r = acceptToken(state, t, now);
    results.push(r.result);
    state = r.newState;
  }
  return { results, state };
}

describe('credit tokens', () => {
  it('accepts the CTSA01 token and adds 0.1 kWh', () => {
    const r = acceptToken(meter(), '23716100501183194197', NOW);
    expect(r).toMatchObject({ result: 'Accept', code: 1, credit: { subclass: 0, transferUnits: 1, amount: 0.1, unit: 'kWh' } });
    expect(r.newState.credit[0]).toBe(1);
    expect(r.newState.tidStore).toEqual([5_871_715]);
    expect(r.newState.lastResult).toEqual({ result: 'Accept', code: 1, at: NOW });
  });

  it('rejects the same TID again as USED', () => {
    const first = acceptToken(meter(), '23716100501183194197', NOW);
    const again = acceptToken(first.newState, '2371 6100 5011 8319 4197', NOW);
    expect(again).toMatchObject({ result: 'Used', code: 10 });
    expect(again.newState.credit[0]).toBe(1);
  });

  it('rejects a token for another meter with a CRC error', () => {
    expect(acceptToken(meter(), credit(1, 1, KEY_B), NOW)).toMatchObject({ result: 'CRC', code: 13 });
    expect(acceptToken(meter(), '67206107716095682372', NOW).result).toBe('CRC'); // CTSA01 step 2, PAN B
  });

  it('rejects a token older than the oldest stored TID as OLD, once the store is full', () => {
    const { results, state } = feed(meter(), [credit(10), credit(20), credit(5), credit(30), credit(40)]);
    // minute 5 was older than 10 and 20, but the 4-entry store still had empty (zero) slots
    expect(results).toEqual(['Accept', 'Accept', 'Accept', 'Accept', 'Accept']);
    expect(state.tidStore).toEqual([5_000_010, 5_000_020, 5_000_030, 5_000_040]);
    expect(feed(state, [credit(6), credit(10), credit(15)]).results).toEqual(['Old', 'Used', 'Accept']);
  });

  it('sums credit per register and refuses to overflow one', () => {
    const { state } = feed(meter({ creditLimit: 25 }), [credit(1, 1), credit(2, 1.5)]);
    expect(state.credit[0]).toBe(25);
    expect(acceptToken(state, credit(3, 0.1), NOW)).toMatchObject({ result: 'Overflow', code: 4 });
    const water = generateToken({ class: 0, subclass: 1, amount: 2, decoderKey: KEY_A, tid: 5_000_004, rnd: 1 }).digits;
    expect(acceptToken(state, water, NOW).newState.credit).toEqual([25, 20, 0, 0, 0, 0, 0, 0]);
  });

  it('refuses credit under the default key (DDTK) and after key expiry', () => {
    expect(acceptToken(meter({ keyParameters: { ...paramsA, keyType: 1 } }), credit(1), NOW)).toMatchObject({ result: 'DDTK', code: 12 });
    const expiring = meter({ keyParameters: { ...paramsA, keyExpiryNumber: 0x4c } }); // 5 000 000 >> 16 = 0x4c
    expect(acceptToken(expiring, credit(1), NOW).result).toBe('Accept');
    const late = generateToken({ class: 0, subclass: 0, amount: 1, decoderKey: KEY_A, tid: 0x4d0000, rnd: 0 }).digits;
    expect(acceptToken(expiring, late, NOW)).toMatchObject({ result: 'KeyExpired', code: 11 });
  });
});

describe('management tokens', () => {
  it('sets the power limit and clears credit (CTSA03, CTSA04 tokens)', () => {
    const { results, state } = feed(meter(), ['23716100501183194197', '50901894209860263092', '29511990995826640868']);
    expect(results).toEqual(['Accept', 'Accept', 'Accept']);
    expect(state.settings.maximumPowerLimit).toBe(1000);
    expect(state.credit[0]).toBe(0);
  });

  it('range-checks the register of a clear-credit token', () => {
    const bad = generateToken({ class: 2, subclass: 1, value: 9, decoderKey: KEY_A, tid: 5_000_001, rnd: 0 }).digits;
    expect(acceptToken(meter(), bad, NOW)).toMatchObject({ result: 'Range', code: 7 });
  });

  it('answers token types it does not implement with a function error', () => {
    const block = buildBlock({ layout: 'opaque', tokenClass: 3, subclass: 0, data: 0n });
    const digits = transposeClass(3, blockCipher('EA07', Buffer.from(KEY_A, 'hex')).encrypt(block)).toString().padStart(20, '0');
    expect(acceptToken(meter(), digits, NOW)).toMatchObject({ result: 'Function', code: 8 });
  });
});

describe('class 1 test tokens', () => {
  it('are accepted by any meter for manufacturer 0 and refused for another manufacturer', () => {
    expect(acceptToken(meter({ manufacturerCode: 7 }), '56493153725450313471', NOW)).toMatchObject({ result: 'Accept' });
    const other = generateToken({ class: 1, subclass: 0, control: 1, manufacturerCode: 5 }).digits;
    expect(acceptToken(meter({ manufacturerCode: 7 }), other, NOW)).toMatchObject({ result: 'MfrCode', code: 14 });
    expect(acceptToken(meter({ manufacturerCode: 5 }), other, NOW).result).toBe('Accept');
  });
});

describe('key change', () => {
  const newParams = keyParameters({ ...paramsA, tariffIndex: '02' });
  const [kct1, kct2] = ['51638423060042734509', '15361891762113502242']; // CTSA05

  it('stages the 1st section, rotates on the 2nd, then needs the new key', () => {
    const s0 = feed(meter(), ['23716100501183194197']).state;
    const r1 = acceptToken(s0, kct1, NOW);
    expect(r1).toMatchObject({ result: '1stKCT', code: 2 });
    expect(r1.newState.keyChange.section1).toMatchObject({ keyPart: '060b8643', keyRevisionNumber: 1 });
    expect(r1.newState.decoderKey).toBe(KEY_A);
    // credit on the new key is refused until the key change is complete
    expect(acceptToken(r1.newState, credit(1, 1, KEY_A_TI02), NOW).result).toBe('CRC');

    const r2 = acceptToken(r1.newState, kct2, NOW);
    expect(r2).toMatchObject({ result: '2ndKCT', code: 3 });
    expect(r2.newState).toMatchObject({ decoderKey: KEY_A_TI02, tariffIndex: '02', keyRevisionNumber: 1, keyType: 2, keyExpiryNumber: 255, keyChange: {} });
    expect(r2.newState.tidStore).toEqual([5_871_715]); // no rollover: TIDs kept
    expect(r2.newState.credit[0]).toBe(1);

    expect(acceptToken(r2.newState, credit(1), NOW).result).toBe('CRC');
    expect(acceptToken(r2.newState, credit(1, 1, KEY_A_TI02), NOW).result).toBe('Accept');
    // the used key-change tokens no longer decrypt
    expect(acceptToken(r2.newState, kct1, NOW).result).toBe('CRC');
  });

  it('takes the sections in either order', () => {
    const { results, state } = feed(meter(), [kct2, kct1]);
    expect(results).toEqual(['1stKCT', '2ndKCT']);
    expect(state.decoderKey).toBe(KEY_A_TI02);
  });

  it('refuses a key change to an initialisation key (KT 0)', () => {
    const [first] = generateKeyChangeTokens({ decoderKey: KEY_A, algorithm: 'EA07', newDecoderKey: KEY_A_TI02, newKey: { ...newParams, keyType: 0 } });
    expect(acceptToken(meter(), first!.digits, NOW)).toMatchObject({ result: 'KeyType', code: 5 });
  });

  it('lets a DDTK meter take its unique key, then credit', () => {
    const ddtk = meter({ keyParameters: { ...paramsA, keyType: 1 } });
    const kcts = generateKeyChangeTokens({ decoderKey: KEY_A, algorithm: 'EA07', newDecoderKey: KEY_A_TI02, newKey: newParams }).map((t) => t.digits);
    const { results, state } = feed(ddtk, [credit(1), ...kcts, credit(2, 1, KEY_A_TI02)]);
    expect(results).toEqual(['DDTK', '1stKCT', '2ndKCT', 'Accept']);
    expect(state.keyType).toBe(2);
  });

  it('TID rollover (EA11, 4 sections): new base date 2014, TID store cleared, credit kept', () => {
    const m04: KeySetup = { dkga: 'DKGA04', vendingKey: 'abababababababab949494949494949401234567', pan: '600727000000000009', sgc: '123457', ti: '01', krn: 1, kt: 2, baseDate: 1993, algorithm: 'EA11' };
    const oldKey = keyOf(m04);
    const newSetup: KeySetup = { ...m04, krn: 4, baseDate: 2014, sgc: '654321' };
    const newKey = keyOf(newSetup);
    const start = createMeterState({ algorithm: 'EA11', decoderKey: oldKey, keyParameters: keyParameters({ keyType: 2, supplyGroupCode: '123457', tariffIndex: '01', keyRevisionNumber: 1 }) });
    const before = generateToken({ class: 0, subclass: 0, amount: 5, decoderKey: oldKey, algorithm: 'EA11', issuedAt: Date.parse('2024-11-24T20:00Z'), rnd: 1 }).digits;
    const kcts = generateKeyChangeTokens({
      decoderKey: oldKey,
      algorithm: 'EA11',
      newDecoderKey: newKey,
      newKey: keyParameters({ keyType: 2, supplyGroupCode: '654321', tariffIndex: '01', keyRevisionNumber: 4, baseDate: 2014 }),
      rollover: true,
    }).map((t) => t.digits);
    expect(kcts).toHaveLength(4);
    const after = generateToken({ class: 0, subclass: 0, amount: 2, decoderKey: newKey, algorithm: 'EA11', baseDate: 2014, issuedAt: Date.parse('2024-11-25T08:00Z'), rnd: 2 }).digits;

    const { results, state } = feed(start, [before, kcts[2]!, kcts[0]!, kcts[3]!, after, kcts[1]!, after, before]);
    expect(results).toEqual(['Accept', '1stKCT', '1stKCT', '1stKCT', 'CRC', '2ndKCT', 'Accept', 'CRC']);
    expect(state).toMatchObject({ baseDate: 2014, keyRevisionNumber: 4, supplyGroupCode: '654321', decoderKey: newKey });
    expect(state.tidStore).toEqual([tidOf(Date.parse('2024-11-25T08:00Z'), 2014)]);
    expect(state.credit[0]).toBe(70);
  });

  it('refuses the 3rd/4th sections on a 64-bit key meter', () => {
    const block = buildBlock({ layout: 'key-change', tokenClass: 2, section: 3, kenNibble: 0, keyRevisionNumber: 0, rollover: false, reserved: 0, keyType: 0, tariffIndex: 0, supplyGroupCodePart: 1, keyPart: 1 });
    const digits = transposeClass(2, blockCipher('EA07', Buffer.from(KEY_A, 'hex')).encrypt(block)).toString().padStart(20, '0');
    expect(acceptToken(meter(), digits, NOW).result).toBe('Function');
  });
});

function tidOf(ms: number, base: number): number {
  return Math.floor((ms - Date.UTC(base, 0, 1)) / 60_000);
}

describe('input handling', () => {
  it('answers malformed input with a format error, never an exception', () => {
    for (const bad of ['', 'hello', '1234', '999999999999999999999', '99999999999999999999', null, undefined, 42]) {
      expect(acceptToken(meter(), bad as never, NOW)).toMatchObject({ result: 'Format', code: 6 });
    }
  });

  it('keeps the state plain JSON', () => {
    const { state } = feed(meter(), ['23716100501183194197', '51638423060042734509']);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });
});

describe('keypad lockout (vendor practice, opt-in)', () => {
  it('locks after 3 rejects for 10 s, doubling, and resets on an accepted token', () => {
    let state = meter({ lockout: true });
    const bad = credit(1, 1, KEY_B);
    const at = (s: number) => NOW + s * 1000;
    let r = feed(state, [bad, bad], at(0));
    expect(r.results).toEqual(['CRC', 'CRC']);
    state = acceptToken(r.state, bad, at(1)).newState; // 3rd reject: locked until t = 11 s
    expect(state.lockout).toEqual({ rejects: 3, until: at(11) });
    expect(acceptToken(state, credit(1), at(5))).toMatchObject({ result: 'TokenLockout', code: 15 });
    expect(acceptToken(state, '56493153725450313471', at(5)).result).toBe('Accept'); // class 1 still works
    state = acceptToken(state, bad, at(12)).newState; // 4th reject: 20 s
    expect(state.lockout).toEqual({ rejects: 4, until: at(32) });
    r = feed(state, [credit(1)], at(40));
    expect(r.results).toEqual(['Accept']);
    expect(r.state.lockout).toEqual({ rejects: 0, until: 0 });
  });

  it('caps the wait at 1280 s', () => {
    let state = meter({ lockout: true });
    for (let i = 0; i < 12; i++) state = acceptToken(state, credit(1, 1, KEY_B), (state.lockout?.until ?? NOW) + 1).newState;
    expect(state.lockout!.until - state.lastResult!.at).toBe(1_280_000);
  });
});
