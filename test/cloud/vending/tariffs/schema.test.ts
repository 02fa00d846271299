import { describe, expect, it } from 'vitest';
import { parseTariff, TariffError, type Tariff } from '../../../../cloud/vending/tariffs/index.js';
import { stepTariff, touTariff } from '../fixtures.js';

/** A deep copy of a fixture with one change applied. */
function edit(base: Tariff, change: (t: any) => void): unknown {
  const copy = structuredClone(base);
  change(copy);
  return copy;
}

function problem(input: unknown): TariffError {
  try {
    parseTariff(input);
  } catch (e) {
    if (e instanceof TariffError) return e;
    throw e;
  }
  throw new Error('parseTariff accepted the input');
}

describe('parseTariff', () => {
  it('accepts the fixtures unchanged', () => {
    expect(parseTariff(stepTariff)).toEqual(stepTariff);
    expect(parseTariff(JSON.parse(JSON.stringify(touTariff)))).toEqual(touTariff);
  });

  it.each([
    ['currency', (t: any) => (t.currency = 'eur'), 'currency', /ISO 4217/],
    ['version', (t: any) => (t.version = 0), 'version', /1 or more/],
    ['vat rate above 100 %', (t: any) => (t.vat.rateBasisPoints = 10_001), 'vat.rateBasisPoints', /at most 10000/],
    ['time zone', (t: any) => (t.timeZoneMinutes = 19 * 60), 'timeZoneMinutes', /.+/],
    ['unknown field', (t: any) => (t.colour = 'red'), 'tariff', /colour/],
    ['fractional price', (t: any) => (t.energy.rates[0].pricePerKwh = 1.5), 'energy.rates[0].pricePerKwh', /int/i],
    ['zero price', (t: any) => (t.energy.rates[1].pricePerKwh = 0), 'energy.rates[1].pricePerKwh', /positive price/],
    ['nine rates', (t: any) => (t.energy.rates = Array.from({ length: 9 }, (_, i) => ({ id: `r${i}`, pricePerKwh: 1 }))), 'energy.rates', /at most 8 rates/],
    ['duplicate rate', (t: any) => (t.energy.rates[2].id = 'mid'), 'energy.rates[2].id', /duplicate rate id 'mid'/],
    ['first switch not at midnight', (t: any) => (t.energy.dayProfiles[1].switches[0].at = '00:30'), 'energy.dayProfiles[1].switches[0].at', /must be at "00:00"/],
    ['switches out of order', (t: any) => (t.energy.dayProfiles[0].switches[2].at = '06:00'), 'energy.dayProfiles[0].switches[2].at', /later than the previous switch "07:00"/],
    ['bad time', (t: any) => (t.energy.dayProfiles[0].switches[1].at = '24:00'), 'energy.dayProfiles[0].switches[1].at', /HH:MM/],
    ['unknown rate', (t: any) => (t.energy.dayProfiles[0].switches[1].rate = 'super-peak'), 'energy.dayProfiles[0].switches[1].rate', /unknown rate 'super-peak'/],
    ['weekday missing', (t: any) => (t.energy.week[1].isoWeekdays = [6]), 'energy.week', /missing 7/],
    ['weekday twice', (t: any) => (t.energy.week[1].isoWeekdays = [5, 6, 7]), 'energy.week[1].isoWeekdays[0]', /weekday 5 is already mapped by week\[0\]/],
    ['unknown profile', (t: any) => (t.energy.week[0].dayProfile = 'x'), 'energy.week[0].dayProfile', /unknown day profile 'x'/],
    ['impossible holiday', (t: any) => (t.energy.holidays[0].dates[1] = '2026-02-30'), 'energy.holidays[0].dates[1]', /calendar date/],
    ['holiday twice', (t: any) => t.energy.holidays.push({ dates: ['2026-12-25'], dayProfile: 'workday' }), 'energy.holidays[1].dates[0]', /already listed in holidays\[0\]/],
  ])('names the field of a bad TOU tariff: %s', (_name, change, field, message) => {
    const e = problem(edit(touTariff, change));
    expect(e.field).toBe(field);
    expect(e.message).toMatch(message);
  });

  it.each([
    ['eleven steps', (t: any) => (t.energy.steps = [...Array.from({ length: 10 }, (_, i) => ({ upToUnits: (i + 1) * 100, pricePerKwh: 1 })), { upToUnits: null, pricePerKwh: 1 }]), 'energy.steps', /at most 10 steps/],
    ['last step bounded', (t: any) => (t.energy.steps[2].upToUnits = 2000), 'energy.steps[2].upToUnits', /last step must be open-ended/],
    ['middle step open', (t: any) => (t.energy.steps[1].upToUnits = null), 'energy.steps[1].upToUnits', /only the last step/],
    ['bounds not rising', (t: any) => (t.energy.steps[1].upToUnits = 500), 'energy.steps[1].upToUnits', /above the previous step's 500/],
    ['negative charge', (t: any) => (t.fixedCharges[0].amount = -1), 'fixedCharges[0].amount', /non-negative/],
    ['percent above 100', (t: any) => (t.fixedCharges[1].basisPoints = 20_000), 'fixedCharges[1].basisPoints', /at most 10000/],
    ['duplicate charge', (t: any) => (t.fixedCharges[1].name = 'service'), 'fixedCharges[1].name', /duplicate charge name 'service'/],
    ['unknown charge kind', (t: any) => (t.fixedCharges[0].kind = 'weekly'), 'fixedCharges[0].kind', /.+/],
  ])('names the field of a bad step tariff: %s', (_name, change, field, message) => {
    const e = problem(edit(stepTariff, change));
    expect(e.field).toBe(field);
    expect(e.message).toMatch(message);
  });

  it('a ten-step tariff is fine', () => {
    const ten = edit(stepTariff, (t) => (t.energy.steps = [...Array.from({ length: 9 }, (_, i) => ({ upToUnits: (i + 1) * 100, pricePerKwh: 1 })), { upToUnits: null, pricePerKwh: 1 }]));
    expect(parseTariff(ten).energy.kind).toBe('steps');
  });

  it('refuses what is not a tariff at all', () => {
    expect(problem(null).field).toBe('tariff');
    expect(problem({ ...stepTariff, energy: { kind: 'flat' } }).field).toBe('energy.kind');
  });
});
