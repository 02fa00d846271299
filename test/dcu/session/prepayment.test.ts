// The prepayment decoders (token gateway, credit, account) take whatever COSEM data a meter
// sent: the right shapes give their values, anything else a ProtocolError naming the
// attribute — never a crash.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CosemData } from '../../../shared/dlms/data.js';
import { ProtocolError } from '../../../shared/errors.js';
import {
  accountFromData, creditFromData, currencyFromData, lastTokenFromData, tokenDescriptionFromData, tokenOctets, tokenStatusFromData,
} from '../../../dcu/session/prepayment.js';
import { cosemData, simpleData } from '../../shared/dlms/arbitraries.js';

const enumOf = (value: number): CosemData => ({ type: 'enum', value });
const text = (s: string): CosemData => ({ type: 'octet-string', value: new TextEncoder().encode(s) });

/** Data near the expected shapes (small structures and arrays of simple values), where decoders are most likely to slip. */
const nearShapes: fc.Arbitrary<CosemData> = fc.oneof(
  cosemData,
  fc.array(simpleData, { maxLength: 4 }).map((value): CosemData => ({ type: 'structure', value })),
  fc.array(simpleData, { maxLength: 4 }).map((value): CosemData => ({ type: 'array', value })),
);

function valueOrProtocolError(run: () => unknown): void {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    expect((e as Error).message).toMatch(/^cosem: .+ is .+, expected /);
  }
}

describe('prepayment decoders', () => {
  it('decode token_status, description, last token, currency, credit and account', () => {
    expect(tokenStatusFromData({ type: 'structure', value: [enumOf(3), { type: 'bit-string', value: { length: 4, bytes: new Uint8Array([0xa0]) } }] })).toEqual({ code: 3, name: 'execution-ok', dataValue: '1010' });
    expect(tokenStatusFromData({ type: 'structure', value: [enumOf(8), { type: 'bit-string', value: { length: 0, bytes: new Uint8Array() } }] })).toMatchObject({ code: 8, name: 'received' });
    expect(tokenStatusFromData({ type: 'structure', value: [enumOf(12), { type: 'null-data' }] })).toMatchObject({ code: 12, name: 'unknown (12)' });
    expect(tokenDescriptionFromData({ type: 'array', value: [text('Used'), { type: 'octet-string', value: new Uint8Array([1, 0xff]) }] })).toEqual(['Used', '0x01ff']);
    expect(lastTokenFromData(text('12345678901234567890'))).toBe('12345678901234567890');
    const currency: CosemData = { type: 'structure', value: [{ type: 'utf8-string', value: 'Wh' }, { type: 'integer', value: 0 }, enumOf(1)] };
    expect(currencyFromData(currency)).toEqual({ name: 'Wh', scale: 0, unit: 1, unitName: 'consumption' });
    expect(creditFromData({ type: 'double-long', value: 123_400 }, currency)).toEqual({ amount: 123_400, scaler: 0, unit: 'Wh', value: 123_400 });
    const cents: CosemData = { type: 'structure', value: [text('EUR'), { type: 'integer', value: -2 }, enumOf(2)] };
    expect(creditFromData({ type: 'double-long', value: -1234 }, cents)).toEqual({ amount: -1234, scaler: -2, unit: 'EUR', value: -12.34 });
    expect(creditFromData({ type: 'double-long', value: 5 }, null)).toEqual({ amount: 5, scaler: 0, unit: '', value: 5 });
    expect(accountFromData({ type: 'structure', value: [enumOf(2), enumOf(1)] }, { type: 'bit-string', value: { length: 8, bytes: new Uint8Array([0x80]) } }, { type: 'double-long', value: 9 }, currency)).toEqual({
      paymentMode: 2, paymentModeName: 'prepayment', accountStatus: 1, accountStatusName: 'new', creditStatus: '10000000', availableCredit: 9,
      currency: { name: 'Wh', scale: 0, unit: 1, unitName: 'consumption' },
    });
  });

  it('say which attribute had which unexpected type', () => {
    expect(() => tokenStatusFromData(enumOf(3))).toThrow('cosem: token_status (IC 115 attribute 6) is enum, expected structure{enum, bit-string} (at byte 0)');
    expect(() => creditFromData({ type: 'visible-string', value: '12' }, null)).toThrow('current_credit_amount (IC 112 attribute 2) is visible-string, expected double-long');
    expect(() => currencyFromData({ type: 'structure', value: [text('Wh'), enumOf(0), enumOf(1)] })).toThrow('currency.currency_scale is enum, expected integer');
  });

  it('turn any data into a value or a ProtocolError', () => {
    fc.assert(
      fc.property(nearShapes, nearShapes, (a, b) => {
        valueOrProtocolError(() => tokenStatusFromData(a));
        valueOrProtocolError(() => tokenDescriptionFromData(a));
        valueOrProtocolError(() => lastTokenFromData(a));
        valueOrProtocolError(() => currencyFromData(a));
        valueOrProtocolError(() => creditFromData(a, b));
        valueOrProtocolError(() => accountFromData(a, b, b, b));
      }),
      { numRuns: 2000 },
    );
  });

  it('send the token as the ASCII codes of its 20 digits', () => {
    expect(Array.from(tokenOctets('01234567890123456789'))).toEqual([...'01234567890123456789'].map((c) => c.charCodeAt(0)));
    expect(() => tokenOctets('0123')).toThrow(TypeError);
  });
});
