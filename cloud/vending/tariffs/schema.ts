// Validation of a tariff from untrusted input (API body, file). Shape checks by
// zod, cross-references (rate ids, profile ids, week coverage, step order) in
// refinements; every problem becomes a TariffError naming the field path.
import { z } from 'zod';
import { BASIS_POINTS } from '../money.js';
import { isCalendarDate, parseTimeOfDay } from '../../../shared/prepayment/local-time.js';
import { MAX_STEPS, MAX_TOU_RATES, TariffError, type Tariff } from './tariff.js';

const MAX_OFFSET_MINUTES = 18 * 60;

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1–64 letters, digits, ".", "_" or "-"');
const safeInt = z.number().int().refine(Number.isSafeInteger, 'must be a safe integer');
const price = safeInt.refine((p) => p > 0, 'must be a positive price in 1/10 000 minor units per kWh');
const money = safeInt.refine((m) => m >= 0, 'must be a non-negative amount in minor units');
const basisPoints = z.number().int().min(0).max(BASIS_POINTS, `must be at most ${BASIS_POINTS} basis points (100 %)`);
const timeOfDay = z.string().refine((s) => parseTimeOfDay(s) !== undefined, 'must be a time "HH:MM" from 00:00 to 23:59');
const calendarDate = z.string().refine(isCalendarDate, 'must be a calendar date "YYYY-MM-DD"');

const touEnergy = z
  .strictObject({
    kind: z.literal('tou'),
    rates: z.array(z.strictObject({ id, pricePerKwh: price })).min(1).max(MAX_TOU_RATES, `at most ${MAX_TOU_RATES} rates per scheme`),
    dayProfiles: z
      .array(z.strictObject({ id, switches: z.array(z.strictObject({ at: timeOfDay, rate: id })).min(1) }))
      .min(1),
    week: z.array(z.strictObject({ isoWeekdays: z.array(z.number().int().min(1).max(7)).min(1), dayProfile: id })).min(1),
    holidays: z.array(z.strictObject({ dates: z.array(calendarDate), dayProfile: id })),
    vendPricePerKwh: price,
  })
  .superRefine((e, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const rateIds = new Set<string>();
    e.rates.forEach((r, i) => {
      if (rateIds.has(r.id)) issue(['rates', i, 'id'], `duplicate rate id '${r.id}'`);
      rateIds.add(r.id);
    });
    const profileIds = new Set<string>();
    e.dayProfiles.forEach((p, i) => {
      if (profileIds.has(p.id)) issue(['dayProfiles', i, 'id'], `duplicate day profile id '${p.id}'`);
      profileIds.add(p.id);
      if (p.switches[0]?.at !== '00:00') issue(['dayProfiles', i, 'switches', 0, 'at'], `the first switch must be at "00:00", got "${p.switches[0]?.at}"`);
      p.switches.forEach((s, j) => {
        if (!rateIds.has(s.rate)) issue(['dayProfiles', i, 'switches', j, 'rate'], `unknown rate '${s.rate}'`);
        const prev = j > 0 ? parseTimeOfDay(p.switches[j - 1]!.at) : undefined;
        const here = parseTimeOfDay(s.at);
        if (prev !== undefined && here !== undefined && here <= prev) issue(['dayProfiles', i, 'switches', j, 'at'], `"${s.at}" must be later than the previous switch "${p.switches[j - 1]!.at}"`);
      });
    });
    const seen = new Map<number, number>();
    e.week.forEach((w, i) => {
      if (!profileIds.has(w.dayProfile)) issue(['week', i, 'dayProfile'], `unknown day profile '${w.dayProfile}'`);
      w.isoWeekdays.forEach((d, j) => {
        if (seen.has(d)) issue(['week', i, 'isoWeekdays', j], `ISO weekday ${d} is already mapped by week[${seen.get(d)}]`);
        seen.set(d, i);
      });
    });
    const missing = [1, 2, 3, 4, 5, 6, 7].filter((d) => !seen.has(d));
    if (missing.length > 0) issue(['week'], `every ISO weekday needs a day profile; missing ${missing.join(', ')} (1 = Monday … 7 = Sunday)`);
    const dates = new Map<string, number>();
    e.holidays.forEach((h, i) => {
      if (!profileIds.has(h.dayProfile)) issue(['holidays', i, 'dayProfile'], `unknown day profile '${h.dayProfile}'`);
      h.dates.forEach((d, j) => {
        if (dates.has(d)) issue(['holidays', i, 'dates', j], `${d} is already listed in holidays[${dates.get(d)}]`);
        dates.set(d, i);
      });
    });
  });

const stepEnergy = z
  .strictObject({
    kind: z.literal('steps'),
    steps: z
      .array(z.strictObject({ upToUnits: safeInt.refine((u) => u > 0, 'must be a positive number of 0.1 kWh units').nullable(), pricePerKwh: price }))
      .min(1)
      .max(MAX_STEPS, `at most ${MAX_STEPS} steps`),
  })
  .superRefine((e, ctx) => {
    e.steps.forEach((s, i) => {
      const last = i === e.steps.length - 1;
      if (last && s.upToUnits !== null) ctx.addIssue({ code: 'custom', path: ['steps', i, 'upToUnits'], message: 'the last step must be open-ended (null)' });
      if (!last && s.upToUnits === null) ctx.addIssue({ code: 'custom', path: ['steps', i, 'upToUnits'], message: 'only the last step may be open-ended (null)' });
      const prev = i > 0 ? e.steps[i - 1]!.upToUnits : 0;
      if (!last && s.upToUnits !== null && prev !== null && s.upToUnits <= prev) {
        ctx.addIssue({ code: 'custom', path: ['steps', i, 'upToUnits'], message: `must be above the previous step's ${prev}` });
      }
    });
  });

const fixedCharge = z.discriminatedUnion('kind', [
  z.strictObject({ name: z.string().min(1).max(64), kind: z.literal('periodic'), period: z.enum(['daily', 'monthly']), amount: money }),
  z.strictObject({ name: z.string().min(1).max(64), kind: z.literal('percent-of-purchase'), basisPoints }),
]);

export const tariffSchema = z
  .strictObject({
    id,
    version: safeInt.refine((v) => v >= 1, 'must be 1 or more'),
    currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "EUR"'),
    validFrom: safeInt,
    timeZoneMinutes: z.number().int().min(-MAX_OFFSET_MINUTES).max(MAX_OFFSET_MINUTES),
    vat: z.strictObject({ rateBasisPoints: basisPoints, pricesIncludeVat: z.boolean() }),
    energy: z.discriminatedUnion('kind', [touEnergy, stepEnergy]),
    fixedCharges: z.array(fixedCharge).max(32),
  })
  .superRefine((t, ctx) => {
    const names = new Set<string>();
    t.fixedCharges.forEach((c, i) => {
      if (names.has(c.name)) ctx.addIssue({ code: 'custom', path: ['fixedCharges', i, 'name'], message: `duplicate charge name '${c.name}'` });
      names.add(c.name);
    });
  });

/** Formats a zod path as 'energy.rates[2].pricePerKwh'. */
function pathName(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out === '' ? '' : '.'}${String(p)}`;
  return out === '' ? 'tariff' : out;
}

/** Validates untrusted input; returns a clean Tariff or throws a TariffError for the first problem (all are listed in the message). */
export function parseTariff(input: unknown): Tariff {
  const result = tariffSchema.safeParse(input);
  if (result.success) return result.data;
  const [first, ...rest] = result.error.issues;
  const more = rest.map((i) => `; ${pathName(i.path)}: ${i.message}`).join('');
  throw new TariffError(pathName(first!.path), `${first!.message}${more}`);
}
