import { describe, expect, it } from 'vitest';
import { Obis } from '../../../shared/dlms/obis.js';
import { MeterObis } from '../../../simulators/meter/catalog.js';
import { Unit } from '../../../simulators/meter/objects/register.js';
import { DAY, HOUR, PUBLIC, READER, START, items, makeMeter, read, valueOf } from './helpers.js';

const NOW = START + 12 * DAY + 9 * HOUR + 4 * 60_000 + 30_000;
const scalerUnit = (scaler: number, unit: number) => ({
  type: 'structure',
  value: [{ type: 'integer', value: scaler }, { type: 'enum', value: unit }],
});

describe('registers', () => {
  const m = makeMeter({ pv: true });
  const e = m.model.energy(NOW);
  const v = m.model.instantaneous(NOW);
  const cases: [string, number, number, number, string][] = [
    [Obis.activeEnergyImport, e.importTotal, 0, Unit.Wh, 'double-long-unsigned'],
    [Obis.activeEnergyImportTariff1, e.importTariffs[0], 0, Unit.Wh, 'double-long-unsigned'],
    [Obis.activeEnergyImportTariff2, e.importTariffs[1], 0, Unit.Wh, 'double-long-unsigned'],
    [Obis.activeEnergyImportTariff3, e.importTariffs[2], 0, Unit.Wh, 'double-long-unsigned'],
    [Obis.activeEnergyImportTariff4, e.importTariffs[3], 0, Unit.Wh, 'double-long-unsigned'],
    [Obis.activeEnergyExport, e.exportTotal, 0, Unit.Wh, 'double-long-unsigned'],
    [MeterObis.reactiveEnergyImport, e.reactiveImport, 0, Unit.varh, 'double-long-unsigned'],
    [MeterObis.reactiveEnergyExport, e.reactiveExport, 0, Unit.varh, 'double-long-unsigned'],
    ...MeterObis.voltage.map((ln, p): [string, number, number, number, string] => [ln, v.voltage[p], -1, Unit.V, 'long-unsigned']),
    ...MeterObis.current.map((ln, p): [string, number, number, number, string] => [ln, v.current[p], -2, Unit.A, 'long-unsigned']),
    ...MeterObis.activePowerImportPhase.map((ln, p): [string, number, number, number, string] => [ln, v.powerImportPhases[p], 0, Unit.W, 'double-long-unsigned']),
    [MeterObis.activePowerImport, v.powerImport, 0, Unit.W, 'double-long-unsigned'],
    [MeterObis.activePowerExport, v.powerExport, 0, Unit.W, 'double-long-unsigned'],
    [MeterObis.frequency, v.frequency, -2, Unit.Hz, 'long-unsigned'],
  ];

  it.each(cases)('%s = model value with its scaler-unit', (ln, value, scaler, unit, type) => {
    expect(read(m, 3, ln, 2, READER(NOW))).toEqual({ type, value });
    expect(read(m, 3, ln, 3, READER(NOW))).toEqual(scalerUnit(scaler, unit));
    expect(read(m, 3, ln, 1, READER(NOW))).toEqual({ type: 'octet-string', value: Uint8Array.from(ln.split('.').map(Number)) });
  });

  it('values are in a plausible range', () => {
    expect(e.importTotal).toBeGreaterThan(12 * 3000);
    expect(e.exportTotal).toBeGreaterThan(0);
    expect(v.voltage.every((x) => x > 2200 && x < 2400)).toBe(true);
  });

  it('follows the meter clock, not the host clock', () => {
    const shifted = makeMeter({ pv: true, clock: { offsetMs: -DAY } });
    expect(valueOf(read(shifted, 3, Obis.activeEnergyImport, 2, READER(NOW)))).toBe(m.model.energy(NOW - DAY).importTotal);
  });

  it('identification objects: logical device name and serial number', () => {
    expect(read(m, 1, Obis.logicalDeviceName, 2, PUBLIC(NOW))).toEqual({ type: 'octet-string', value: new TextEncoder().encode('SIM12345678') });
    expect(read(m, 1, Obis.serialNumber, 2, PUBLIC(NOW))).toEqual({ type: 'octet-string', value: new TextEncoder().encode('12345678') });
    expect(read(m, 1, MeterObis.invocationCounter, 2, PUBLIC(NOW))).toEqual({ type: 'double-long-unsigned', value: 0 });
    m.state.invocationCounter = 77;
    expect(valueOf(read(m, 1, MeterObis.invocationCounter, 2, PUBLIC(NOW)))).toBe(77);
    const hooked = makeMeter({ hooks: { invocationCounter: (ctx) => ctx.clientSap * 1000 } });
    expect(valueOf(read(hooked, 1, MeterObis.invocationCounter, 2, PUBLIC(NOW)))).toBe(16_000);
  });

  it('security setup and limiter answer their attributes', () => {
    expect(read(m, 64, '0.0.43.0.0.255', 3, READER(NOW))).toEqual({ type: 'enum', value: 0 });
    expect(read(m, 64, '0.0.43.0.0.255', 5, READER(NOW))).toEqual({ type: 'octet-string', value: m.systemTitle });
    expect(m.systemTitle).toHaveLength(8);
    for (let a = 1; a <= 11; a++) read(m, 71, '0.0.17.0.0.255', a, READER(NOW));
    expect(items(read(m, 71, '0.0.17.0.0.255', 2, READER(NOW))).map((x) => x.type)).toEqual(['long-unsigned', 'octet-string', 'integer']);
  });
});
