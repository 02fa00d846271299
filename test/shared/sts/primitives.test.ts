// The building blocks, each against a worked value from STS.md or its standard.
import { describe, expect, it } from 'vitest';
import {
  AMOUNT_MAX,
  decodeAmount,
  dkga04Message,
  encodeAmount,
  generateToken,
  keyParameters,
  luhnCheckDigit,
  meterIdentity,
  misty1Decrypt,
  misty1Encrypt,
  misty1ExpandKey,
  StsError,
  tidExpired,
  tidFromTime,
  timeFromTid,
  tokenCrc,
  toHex,
  transposeClass,
  untransposeClass,
  parseTokenDigits,
} from '../../../shared/sts/index.js';
import { dkga02ControlBlock, dkga02PanBlock } from '../../../shared/sts/decoder-key.js';

function stsError(fn: () => unknown): StsError {
  try {
    fn();
  } catch (e) {
    if (e instanceof StsError) return e;
    throw e;
  }
  throw new Error('expected an StsError');
}

describe('CRC-16', () => {
  it('matches the CTSA01 step 1 check value 0x19E6', () => {
    expect(tokenCrc(0, 0x0559986300010000n)).toBe(0x19e6);
  });
  it('includes the class bits', () => {
    expect(tokenCrc(2, 0x0559986300010000n)).not.toBe(0x19e6);
  });
});

describe('amount field', () => {
  it.each([
    [1, 0x0001],
    [256, 0x0100],
    [16383, 0x3fff],
    [16384, 0x4000],
    [180214, 0x7fff],
    [180223, 0x8000], // 18022.3 kWh rounds up and carries: e=2, m=0
    [180224, 0x8000],
    [1818623, 0xc000], // ceil carries into e=3
    [AMOUNT_MAX, 0xffff],
  ])('%i transfer units → 0x%s', (t, raw) => {
    expect(encodeAmount(t)).toBe(raw);
  });
  it('reads back the value it stands for', () => {
    expect(decodeAmount(0x8000)).toBe(180224);
    expect(decodeAmount(0xffff)).toBe(18_201_624);
  });
  it('never encodes less than asked', () => {
    for (const t of [0, 1, 17000, 17001, 17009, 190001, 1_900_001, 18_201_623]) expect(decodeAmount(encodeAmount(t))).toBeGreaterThanOrEqual(t);
  });
  it('refuses what 16 bits cannot hold', () => {
    expect(stsError(() => encodeAmount(AMOUNT_MAX + 1)).field).toBe('amount');
    expect(stsError(() => encodeAmount(-1)).kind).toBe('parameter');
  });
  it('25.6 kWh is 0x0100; amounts round up to the 0.1 kWh step', () => {
    const base = { class: 0, subclass: 0, decoderKey: '0abc12def3456789', tid: 1, rnd: 0 } as const;
    expect(generateToken({ ...base, amount: 25.6 }).block >> 16n & 0xffffn).toBe(0x0100n);
    expect(generateToken({ ...base, amount: 0.01 }).transferUnits).toBe(1);
    expect(generateToken({ ...base, amount: 18022.3 }).amount).toBe(18022.4);
  });
});

describe('meter identity', () => {
  it('Luhn check digits', () => {
    expect(luhnCheckDigit('60072700000000000')).toBe(9);
    expect(luhnCheckDigit('00000100000000008')).toBe(2);
  });
  it('builds the PAN from IIN and DRN', () => {
    expect(meterIdentity({ iin: '600727', drn: '00000000000' }).pan).toBe('600727000000000009');
  });
  it('splits a 0000 number as the short IIN with a 13-digit DRN', () => {
    expect(meterIdentity({ pan: '000001000000000082' })).toEqual({ iin: '0000', drn: '0100000000008', pan: '000001000000000082' });
  });
  it('names the bad part', () => {
    expect(stsError(() => meterIdentity({ iin: '600727', drn: '12345678901' })).message).toMatch(/^drn: check digit of DRN 12345678901 should be 3/);
    expect(stsError(() => meterIdentity({ pan: '600727000000000008' })).message).toMatch(/^pan: check digit should be 9/);
    expect(stsError(() => meterIdentity({ iin: '60072', drn: '00000000000' })).field).toBe('iin');
  });
  it('validates key parameters', () => {
    expect(keyParameters({ keyType: 2, supplyGroupCode: 1234, tariffIndex: 1, keyRevisionNumber: 1 })).toMatchObject({ supplyGroupCode: '001234', tariffIndex: '01', keyExpiryNumber: 255, baseDate: 1993 });
    expect(stsError(() => keyParameters({ keyType: 4, supplyGroupCode: '123456', tariffIndex: '01', keyRevisionNumber: 1 })).field).toBe('keyType');
    expect(stsError(() => keyParameters({ keyType: 2, supplyGroupCode: '12345', tariffIndex: '01', keyRevisionNumber: 1 })).field).toBe('supplyGroupCode');
    expect(stsError(() => keyParameters({ keyType: 2, supplyGroupCode: '123456', tariffIndex: '01', keyRevisionNumber: 0 })).field).toBe('keyRevisionNumber');
    expect(stsError(() => keyParameters({ keyType: 2, supplyGroupCode: '123456', tariffIndex: '01', keyRevisionNumber: 1, baseDate: 2000 })).field).toBe('baseDate');
  });
});

describe('decoder key derivation', () => {
  const meter = meterIdentity({ pan: '600727000000000009' });
  it('DKGA02 blocks (STS.md §4)', () => {
    const params = keyParameters({ keyType: 2, supplyGroupCode: '123456', tariffIndex: '01', keyRevisionNumber: 1 });
    expect(dkga02PanBlock(meter, 2)).toBe('0072700000000000');
    expect(dkga02ControlBlock(params)).toBe('2123456011FFFFFF');
    expect(dkga02PanBlock(meterIdentity({ iin: '600727', drn: '12345678903' }), 3)).toBe('0072700000000000');
  });
  it('DKGA04 message (STS.md §3 example)', () => {
    const params = keyParameters({ keyType: 2, supplyGroupCode: '123457', tariffIndex: '01', keyRevisionNumber: 1 });
    expect(toHex(dkga04Message(meter, params, 'EA11'))).toBe('0402303402393302313102303100040631323334353701320131123630303732373030303030303030303030390000' + '0080');
  });
});

describe('MISTY1 (RFC 2994)', () => {
  const ek = misty1ExpandKey(Uint8Array.from(Buffer.from('00112233445566778899aabbccddeeff', 'hex')));
  it.each([
    [0x0123456789abcdefn, 0x8b1da5f56ab3d07cn],
    [0xfedcba9876543210n, 0x04b68240b13be95dn],
  ])('%s', (plain, cipher) => {
    expect(misty1Encrypt(plain, ek)).toBe(cipher);
    expect(misty1Decrypt(cipher, ek)).toBe(plain);
  });
});

describe('TID', () => {
  it('counts whole UTC minutes from the base date', () => {
    expect(tidFromTime(Date.parse('2004-03-01T13:55Z'), 1993)).toBe(5_871_715);
    expect(tidFromTime(Date.parse('2004-03-01T13:55:59.999Z'), 1993)).toBe(5_871_715);
    expect(timeFromTid(0, 2014).toISOString()).toBe('2014-01-01T00:00:00.000Z');
  });
  it('adds nothing at minute-of-day 1 (NectarAPI does)', () => {
    expect(tidFromTime(Date.parse('2004-03-29T00:01Z'), 1993) - tidFromTime(Date.parse('2004-03-29T00:00Z'), 1993)).toBe(1);
  });
  it('rolls over at 2024-11-24 20:16 UTC for base date 1993', () => {
    expect(tidFromTime(Date.parse('2024-11-24T20:15Z'), 1993)).toBe(2 ** 24 - 1);
    const e = stsError(() => tidFromTime(Date.parse('2024-11-24T20:16Z'), 1993));
    expect(e.field).toBe('issuedAt');
    expect(tidFromTime(Date.parse('2024-11-24T20:16Z'), 2014)).toBeGreaterThan(0);
  });
  it('KEN: a key expires for TIDs whose top 8 bits exceed it', () => {
    expect(tidExpired(0xaaffff, 0xaa)).toBe(false);
    expect(tidExpired(0xab0000, 0xaa)).toBe(true);
    expect(tidExpired(0xffffff, 255)).toBe(false);
  });
  it('generation refuses a TID beyond the key expiry number', () => {
    const e = stsError(() => generateToken({ class: 0, subclass: 0, amount: 1, decoderKey: '0abc12def3456789', tid: 0xab0000, keyExpiryNumber: 0xaa }));
    expect(e.kind).toBe('key-expired');
  });
});

describe('class-bit transposition and digits', () => {
  it('round-trips every class and the displaced bits', () => {
    for (const cls of [0, 1, 2, 3]) {
      for (const c of [0n, (1n << 64n) - 1n, 1n << 27n, 1n << 28n, 0x0123456789abcdefn]) {
        const n = transposeClass(cls, c);
        expect(n < 1n << 66n).toBe(true);
        expect(untransposeClass(n)).toEqual({ tokenClass: cls, ciphertext: c });
      }
    }
  });
  it('accepts grouped digits and rejects everything else as a format error', () => {
    expect(parseTokenDigits('5649 3153 7254 5031 3471').digits).toBe('56493153725450313471');
    expect(parseTokenDigits('5649-3153-7254-5031-3471').digits).toBe('56493153725450313471');
    for (const bad of ['', '1234', '5649315372545031347a', '564931537254503134712', '99999999999999999999']) {
      expect(stsError(() => parseTokenDigits(bad)).kind).toBe('format');
    }
  });
});

describe('generation arguments', () => {
  const key = '0abc12def3456789';
  it.each([
    [{ class: 0, subclass: 0, decoderKey: key, tid: 1 }, 'amount'],
    [{ class: 0, subclass: 0, decoderKey: key, amount: 1 }, 'issuedAt'],
    [{ class: 0, subclass: 0, decoderKey: key, amount: 1, tid: 1, rnd: 16 }, 'rnd'],
    [{ class: 0, subclass: 0, decoderKey: 'abcd', amount: 1, tid: 1 }, 'decoderKey'],
    [{ class: 0, subclass: 0, amount: 1, tid: 1 }, 'decoderKey'],
    [{ class: 0, subclass: 0, decoderKey: key, amount: 1, issuedAt: Date.parse('1992-12-31T23:59Z') }, 'issuedAt'],
    [{ class: 2, subclass: 0, decoderKey: key, tid: 1 }, 'value'],
    [{ class: 2, subclass: 2, decoderKey: key, tid: 1, value: 0x10000 }, 'value'],
    [{ class: 2, subclass: 8, decoderKey: key, newDecoderKey: key, newSupplyGroupCode: '123456' }, 'subclass'],
    [{ class: 2, subclass: 3, decoderKey: key, newDecoderKey: key, newKeyType: 2 }, 'newKeyRevisionNumber'],
    [{ class: 1, subclass: 0, control: 1n << 36n, manufacturerCode: 0 }, 'control'],
    [{ class: 1, subclass: 0, control: 1, manufacturerCode: 100 }, 'manufacturerCode'],
    [{ class: 3, subclass: 0, decoderKey: key }, 'class'],
    [{ class: 0, subclass: 0, decoderKey: key, amount: 1, tid: 1, algorithm: 'EA11' }, 'decoderKey'],
  ] as const)('%o → error in %s', (input, field) => {
    expect(stsError(() => generateToken(input as never)).field).toBe(field);
  });
});
