// Turns a profile buffer into readings for the buffer: the clock column gives the time,
// a status column (0.0.96.10.x.255) gives the status bits of the row, every other column
// becomes one reading keyed (ts, meter, obis, attribute), with its register's scaler and unit.
import { AccessError, ProtocolError } from '../../shared/errors.js';
import type { CaptureObjectDefinition } from '../../shared/dlms/apdu/index.js';
import type { CosemData } from '../../shared/dlms/data.js';
import { asDateTime, dateTimeToUtc } from '../../shared/dlms/datetime.js';
import { Obis, obisGroups } from '../../shared/dlms/obis.js';
import type { ProfileReading } from '../session/readers.js';
import type { DlmsSession } from '../session/session.js';
import type { Reading, ReadingSource, ReadingValue } from '../store/index.js';

export interface ScalerUnit {
  scaler: number;
  unit: number;
}

/** Scaler and unit of every register column (IC 3/4 attribute 3), read once per session. */
export async function columnScalers(session: DlmsSession, columns: CaptureObjectDefinition[], cache: Map<string, ScalerUnit>): Promise<Map<string, ScalerUnit>> {
  const missing = columns.filter((c) => (c.classId === 3 || c.classId === 4) && c.attributeIndex === 2 && !cache.has(c.logicalName));
  // One GET-with-list for all of them where the meter takes it: on PLC every request saved is a
  // round trip of seconds and a modem buffer held.
  const values = await session.getList(missing.map((c) => ({ classId: c.classId, instanceId: c.logicalName, attributeId: 3 })));
  for (const [i, su] of values.entries()) {
    if (su instanceof AccessError) throw su;
    if (su.type === 'structure' && su.value[0]?.type === 'integer' && su.value[1]?.type === 'enum') {
      cache.set(missing[i].logicalName, { scaler: su.value[0].value, unit: su.value[1].value });
    }
  }
  return cache;
}

function isStatusColumn(c: CaptureObjectDefinition): boolean {
  const [a, , cc, d] = obisGroups(c.logicalName);
  return a === 0 && cc === 96 && d === 10;
}

export function valueOf(d: CosemData): ReadingValue {
  switch (d.type) {
    case 'null-data':
    case 'dont-care':
      return null;
    case 'boolean':
      return d.value ? 1 : 0;
    case 'octet-string':
      return d.value;
    case 'visible-string':
    case 'utf8-string':
      return d.value;
    case 'long64':
    case 'long64-unsigned':
      return d.value >= BigInt(Number.MIN_SAFE_INTEGER) && d.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(d.value) : d.value;
    case 'integer': case 'long': case 'unsigned': case 'long-unsigned': case 'double-long':
    case 'double-long-unsigned': case 'float32': case 'float64': case 'enum': case 'bcd':
      return d.value;
    default:
      return JSON.stringify(d, (_k, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
  }
}

/** The rows of a profile as readings; rows whose time is unspecified are skipped and counted. */
export function profileToReadings(
  profile: ProfileReading,
  meter: number,
  source: ReadingSource,
  scalers: Map<string, ScalerUnit>,
): { readings: Reading[]; lastTs: number | null; skipped: number } {
  const clockAt = profile.columns.findIndex((c) => c.classId === 8 && c.logicalName === Obis.clock);
  if (clockAt < 0) throw new ProtocolError('the profile has no clock column', 0, 'cosem');
  const statusAt = profile.columns.findIndex(isStatusColumn);
  const readings: Reading[] = [];
  let lastTs: number | null = null;
  let skipped = 0;
  for (const row of profile.rows) {
    const dt = row[clockAt] ? asDateTime(row[clockAt]) : null;
    const ts = dt ? dateTimeToUtc(dt) : null;
    if (ts === null) {
      skipped++;
      continue;
    }
    lastTs = lastTs === null || ts > lastTs ? ts : lastTs;
    const statusCell = statusAt >= 0 ? row[statusAt] : undefined;
    const status = statusCell && 'value' in statusCell && typeof statusCell.value === 'number' ? statusCell.value : 0;
    profile.columns.forEach((c, i) => {
      if (i === clockAt || i === statusAt || row[i] === undefined) return;
      const su = scalers.get(c.logicalName);
      readings.push({ ts, meter, obis: c.logicalName, attribute: c.attributeIndex, value: valueOf(row[i]), unit: su?.unit ?? null, scaler: su?.scaler ?? null, status, source });
    });
  }
  return { readings, lastTs, skipped };
}
