// What a simulated meter's profile holds, asked of its object model directly (no link), and
// the DCU buffer's rows over the same span, both as "ts obis:attr=value" — so integration
// tests can say "the buffer holds exactly what the meter holds".
import type { DcuStore, MeterRecord } from '../../dcu/store/index.js';
import { toAccessDescriptor } from '../../shared/dlms/apdu/index.js';
import type { CosemData } from '../../shared/dlms/data.js';
import { asDateTime, dateTimeFromUtc, dateTimeToUtc, encodeDateTime } from '../../shared/dlms/datetime.js';
import { Obis, obisFromBytes } from '../../shared/dlms/obis.js';
import type { RunningMeter } from '../../simulators/meter/transport/meter-set.js';

const READER = { clientSap: 17, authentication: 'low' as const };

/** The model's rows of a profile between two times (UTC ms, by range). */
export function modelRows(m: RunningMeter, profile: Obis, from: number, to: number): CosemData[][] {
  const access = toAccessDescriptor({
    selector: 1,
    range: {
      restrictingObject: { classId: 8, logicalName: Obis.clock, attributeIndex: 2, dataIndex: 0 },
      from: { type: 'octet-string', value: encodeDateTime(dateTimeFromUtc(from)) },
      to: { type: 'octet-string', value: encodeDateTime(dateTimeFromUtc(to)) },
      selectedValues: [],
    },
  });
  const got = m.meter.objects.get({ classId: 7, instanceId: profile, attributeId: 2 }, access, { ...READER, now: Date.now() });
  if (!('data' in got) || got.data.type !== 'array') throw new Error('model refused the profile');
  return got.data.value.map((r) => (r.type === 'structure' ? r.value : []));
}

export function columnsOf(m: RunningMeter, profile: Obis): { obis: string; attribute: number; classId: number }[] {
  const got = m.meter.objects.get({ classId: 7, instanceId: profile, attributeId: 3 }, undefined, { ...READER, now: Date.now() });
  if (!('data' in got) || got.data.type !== 'array') throw new Error('no capture objects');
  return got.data.value.map((c) => {
    const [cls, ln, attr] = (c as { value: CosemData[] }).value as unknown as [{ value: number }, { value: Uint8Array }, { value: number }];
    return { classId: cls.value, obis: obisFromBytes(ln.value), attribute: attr.value };
  });
}

/** Columns that become readings: not the clock, not status words. */
export const storedColumn = (c: { classId: number; obis: string }) => c.classId !== 8 && !c.obis.startsWith('0.0.96.10.');

/** The model's values and the buffer's from `from` to `upto` (inclusive), sorted. */
export function compareWithModel(store: DcuStore, meter: MeterRecord, m: RunningMeter, profile: Obis, from: number, upto: number): { expected: string[]; stored: string[] } {
  const columns = columnsOf(m, profile);
  const expected: string[] = [];
  for (const row of modelRows(m, profile, from, upto)) {
    const ts = dateTimeToUtc(asDateTime(row[0])!)!;
    row.forEach((cell, i) => storedColumn(columns[i]) && expected.push(`${ts} ${columns[i].obis}:${columns[i].attribute}=${(cell as { value: unknown }).value}`));
  }
  const obisSet = new Set(columns.filter(storedColumn).map((c) => c.obis));
  // A register captured by two profiles at the same instant is one reading (same key, same
  // value): compare at this profile's capture times.
  const times = new Set(expected.map((e) => Number(e.split(' ')[0])));
  const stored = store.readings
    .range({ from, to: upto + 1, meter: meter.id })
    .filter((r) => obisSet.has(r.obis) && times.has(r.ts) && r.source !== 'on-demand')
    .map((r) => `${r.ts} ${r.obis}:${r.attribute}=${r.value}`);
  return { expected: expected.sort(), stored: [...new Set(stored)].sort() };
}
