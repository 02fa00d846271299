import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../shared/errors.js';
import type { CosemData } from '../../../shared/dlms/data.js';
import { capabilitiesFrom, identityText } from '../../../dcu/discovery/identity.js';

const octets = (...b: number[]): CosemData => ({ type: 'octet-string', value: Uint8Array.from(b) });
const ascii = (s: string): CosemData => ({ type: 'octet-string', value: new TextEncoder().encode(s) });

describe('identityText', () => {
  it('reads serial numbers in the forms meters send them', () => {
    expect(identityText(ascii('KFM1100001234567'))).toBe('KFM1100001234567');
    expect(identityText({ type: 'visible-string', value: ' 12345678 ' })).toBe('12345678');
    expect(identityText({ type: 'utf8-string', value: 'ZÄHLER-1' })).toBe('ZÄHLER-1');
    expect(identityText(ascii('40000001\0\0\0\0'))).toBe('40000001'); // NUL padding
    expect(identityText({ type: 'double-long-unsigned', value: 40000001 })).toBe('40000001');
    expect(identityText({ type: 'long64-unsigned', value: 12345678901234n })).toBe('12345678901234');
    expect(identityText(octets(0x12, 0x34, 0x00, 0xab))).toBe('123400AB'); // binary: hex
  });

  it('is null for an absent or empty value', () => {
    expect(identityText({ type: 'null-data' })).toBeNull();
    expect(identityText(octets())).toBeNull();
    expect(identityText(ascii('    '))).toBeNull();
    expect(identityText({ type: 'structure', value: [] })).toBeNull();
  });
});

describe('capabilitiesFrom', () => {
  const entry = (classId: number, version: number, ln: number[]): CosemData => ({
    type: 'structure',
    value: [{ type: 'long-unsigned', value: classId }, { type: 'unsigned', value: version }, octets(...ln), { type: 'structure', value: [] }],
  });

  it('turns the object list into {classId, obis, version} and skips malformed entries', () => {
    const list: CosemData = {
      type: 'array',
      value: [entry(8, 0, [0, 0, 1, 0, 0, 255]), entry(7, 1, [1, 0, 99, 1, 0, 255]), entry(3, 0, [1, 0, 1]), { type: 'null-data' }],
    };
    expect(capabilitiesFrom(list)).toEqual({
      capabilities: [{ classId: 8, obis: '0.0.1.0.0.255', version: 0 }, { classId: 7, obis: '1.0.99.1.0.255', version: 1 }],
      skipped: 2,
    });
  });

  it('refuses anything but an array', () => {
    expect(() => capabilitiesFrom({ type: 'null-data' })).toThrow(ProtocolError);
  });
});
