import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../../shared/bytes.js';
import { ProtocolError } from '../../../shared/errors.js';
import {
  formatObis, Obis, obisEquals, obisFromBytes, obisGroups, obisToBytes, parseObis, tryParseObis,
} from '../../../shared/dlms/obis.js';

describe('OBIS', () => {
  it('parses the dotted and the IEC forms to one canonical value', () => {
    const forms = ['1.0.1.8.0.255', '1-0:1.8.0*255', '1-0:1.8.0.255', '1-0:1.8.0', '1.0.1.8.0', ' 1.0.1.8.0.255 ', '001.000.001.008.000.255'];
    for (const f of forms) expect(parseObis(f), f).toBe('1.0.1.8.0.255');
    expect(parseObis('1-0:1.8.0*255')).toBe(Obis.activeEnergyImport);
    expect(obisEquals(parseObis('0-0:1.0.0*255'), Obis.clock)).toBe(true);
    expect(obisEquals(parseObis('0.0.1.0.0.254'), Obis.clock)).toBe(false);
    expect(parseObis('1.0.99.1.0.0')).toBe('1.0.99.1.0.0'); // an explicit F is kept
  });

  it('refuses anything else with an Error naming the text', () => {
    for (const bad of ['', '1.8.0', '1.0.1.8', '1.0.1.8.0.256', '1.0.1.8.0.255.1', '1-0:1.8', 'a.b.c.d.e.f',
      '1..1.8.0.255', '1-0:1.8.0*', '0100010800ff', '1.0.1.8.0.-1', '1 .0.1.8.0.255', '1.0.1.8.0.1000']) {
      expect(() => parseObis(bad), bad).toThrow(JSON.stringify(bad));
      expect(tryParseObis(bad)).toBeNull();
    }
  });

  it('formats dotted and IEC', () => {
    expect(formatObis(Obis.disconnectControl)).toBe('0.0.96.3.10.255');
    expect(formatObis(Obis.disconnectControl, 'iec')).toBe('0-0:96.3.10*255');
    expect(obisGroups(Obis.loadProfile)).toEqual([1, 0, 99, 1, 0, 255]);
  });

  it('converts to and from the 6-byte logical name (as in the capture-objects vector)', () => {
    expect(obisFromBytes(fromHex('0101151900ff'))).toBe('1.1.21.25.0.255');
    expect(hex(obisToBytes(Obis.clock))).toBe('0000010000ff');
    expect(obisFromBytes(fromHex('c001c100080000010000ff0200'), 5)).toBe(Obis.clock);
    const short = (() => { try { obisFromBytes(fromHex('0000010000')); } catch (e) { return e; } })();
    expect(short).toBeInstanceOf(ProtocolError);
    expect(() => obisFromBytes(fromHex('0000010000ff00'))).toThrow(ProtocolError);
    expect(() => obisFromBytes(fromHex('0000010000ff'), 1)).toThrow(ProtocolError);
  });

  it('well-known codes', () => {
    expect({ ...Obis }).toEqual({
      clock: '0.0.1.0.0.255',
      logicalDeviceName: '0.0.42.0.0.255',
      serialNumber: '0.0.96.1.0.255',
      activeEnergyImport: '1.0.1.8.0.255',
      activeEnergyImportTariff1: '1.0.1.8.1.255',
      activeEnergyImportTariff2: '1.0.1.8.2.255',
      activeEnergyImportTariff3: '1.0.1.8.3.255',
      activeEnergyImportTariff4: '1.0.1.8.4.255',
      activeEnergyExport: '1.0.2.8.0.255',
      loadProfile: '1.0.99.1.0.255',
      dailyBilling: '1.0.98.1.0.255',
      standardEventLog: '0.0.99.98.0.255',
      disconnectControl: '0.0.96.3.10.255',
      associationLn: '0.0.40.0.0.255',
      imageTransfer: '0.0.44.0.0.255',
      pushSetup: '0.0.25.9.0.255',
    });
    const m = new Map([[Obis.clock, 'clock']]);
    expect(m.get(parseObis('0-0:1.0.0*255'))).toBe('clock');
  });

  it('bytes -> OBIS -> bytes and text -> OBIS -> text round-trip', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (b) => {
        const o = obisFromBytes(b);
        expect(hex(obisToBytes(o))).toBe(hex(b));
        expect(parseObis(formatObis(o))).toBe(o);
        expect(parseObis(formatObis(o, 'iec'))).toBe(o);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 10 }), fc.nat(12), (b, at) => {
        try {
          obisFromBytes(b, Math.min(at, b.length));
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
          expect((e as ProtocolError).offset).toBeLessThanOrEqual(b.length);
        }
      }),
    );
  });
});
