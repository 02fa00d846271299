// What a DCU reads from meters, on top of a DLMS session: the clock, registers with their
// scaler and unit, profiles by range or by entry, and the disconnect control (IC 70)
// with its state read back to confirm.
import { ProtocolError } from '../../shared/errors.js';
import { type CaptureObjectDefinition, captureObjectFromData, toAccessDescriptor } from '../../shared/dlms/apdu/index.js';
import type { CosemData } from '../../shared/dlms/data.js';
import { type CosemDateTime, asDateTime, dateTimeFromUtc, dateTimeToUtc, encodeDateTime } from '../../shared/dlms/datetime.js';
import { Obis } from '../../shared/dlms/obis.js';
import { unitName } from '../../shared/dlms/units.js';
import type { DlmsSession } from './session.js';

export interface ClockReading {
  dateTime: CosemDateTime;
  /** UTC ms, or null when the meter leaves fields unspecified. */
  utc: number | null;
}

export async function readClock(s: DlmsSession): Promise<ClockReading> {
  const value = await s.get(8, Obis.clock, 2);
  const dateTime = asDateTime(value);
  if (!dateTime) throw new ProtocolError(`clock value is ${value.type}, not a date-time`, 0, 'cosem');
  return { dateTime, utc: dateTimeToUtc(dateTime) };
}

export interface RegisterReading {
  obis: Obis;
  raw: CosemData;
  scaler: number;
  unit: string;
  unitCode: number;
  /** raw × 10^scaler, when the raw value is a number. */
  value: number | null;
}

export function numeric(d: CosemData): number | null {
  switch (d.type) {
    case 'integer': case 'long': case 'unsigned': case 'long-unsigned': case 'double-long':
    case 'double-long-unsigned': case 'float32': case 'float64': case 'enum':
      return d.value;
    case 'long64': case 'long64-unsigned':
      return Number(d.value);
    default:
      return null;
  }
}

/** A Register (IC 3) or Extended Register (IC 4): value (attr 2) and scaler_unit (attr 3). */
export async function readRegister(s: DlmsSession, obis: Obis, classId = 3): Promise<RegisterReading> {
  const raw = await s.get(classId, obis, 2);
  const su = await s.get(classId, obis, 3);
  return registerReading(obis, raw, su);
}

/**
 * Several registers (IC 3, or IC 4 with `classId`), value and scaler_unit each: with
 * GET-with-list where the meter takes it (a handful of requests instead of two per register,
 * which on a 9600-baud bus with a 20 ms turnaround is most of the time spent on registers),
 * one GET each otherwise. A register the meter refuses throws its AccessError, as readRegister does.
 */
export async function readRegisters(s: DlmsSession, obis: Obis[], classId = 3): Promise<RegisterReading[]> {
  if (!s.canGetList) {
    const out: RegisterReading[] = [];
    for (const o of obis) out.push(await readRegister(s, o, classId));
    return out;
  }
  const values = await s.getList(obis.flatMap((o) => [2, 3].map((attributeId) => ({ classId, instanceId: o, attributeId }))));
  return obis.map((o, i) => {
    const raw = values[2 * i];
    const su = values[2 * i + 1];
    if (raw instanceof Error) throw raw;
    if (su instanceof Error) throw su;
    return registerReading(o, raw, su);
  });
}

function registerReading(obis: Obis, raw: CosemData, su: CosemData): RegisterReading {
  if (su.type !== 'structure' || su.value.length !== 2 || su.value[0].type !== 'integer' || su.value[1].type !== 'enum') {
    throw new ProtocolError(`scaler_unit of ${obis} is not structure{integer, enum}`, 0, 'cosem');
  }
  const scaler = su.value[0].value;
  const unitCode = su.value[1].value;
  const n = numeric(raw);
  return { obis, raw, scaler, unit: unitName(unitCode), unitCode, value: n === null ? null : scale(n, scaler) };
}

/** n × 10^scaler without the binary noise of a float multiply for negative scalers. */
export function scale(n: number, scaler: number): number {
  return scaler >= 0 ? n * 10 ** scaler : n / 10 ** -scaler;
}

export interface ProfileReading {
  columns: CaptureObjectDefinition[];
  rows: CosemData[][];
}

export type ProfileSelection =
  | { kind: 'range'; from: number; to: number; deviation?: number }
  | { kind: 'entries'; from: number; to: number }
  | { kind: 'all' };

/**
 * Reads a Profile generic (IC 7) buffer; the capture objects say what each column is. Both
 * come in one GET-with-list where the meter takes it: the columns are checked on every read
 * (a reconfigured profile is never decoded with yesterday's layout) at no extra round trip.
 */
export async function readProfile(s: DlmsSession, obis: Obis, selection: ProfileSelection = { kind: 'all' }): Promise<ProfileReading> {
  const access =
    selection.kind === 'range'
      ? toAccessDescriptor({
          selector: 1,
          range: {
            restrictingObject: { classId: 8, logicalName: Obis.clock, attributeIndex: 2, dataIndex: 0 },
            from: { type: 'octet-string', value: encodeDateTime(dateTimeFromUtc(selection.from, selection.deviation ?? 0)) },
            to: { type: 'octet-string', value: encodeDateTime(dateTimeFromUtc(selection.to, selection.deviation ?? 0)) },
            selectedValues: [],
          },
        })
      : selection.kind === 'entries'
        ? toAccessDescriptor({ selector: 2, entry: { fromEntry: selection.from, toEntry: selection.to, fromSelectedValue: 1, toSelectedValue: 0 } })
        : undefined;
  // IEC 62056-5-3: a service option the meter did not negotiate must not be used — then
  // read the whole buffer and select here.
  const selectHere = access !== undefined && !s.canSelect;
  const bufferAccess = selectHere ? undefined : access;
  let captured: CosemData;
  let buffer: CosemData;
  if (s.canGetList) {
    const [c, b] = await s.getList([
      { classId: 7, instanceId: obis, attributeId: 3 },
      { classId: 7, instanceId: obis, attributeId: 2, ...(bufferAccess && { access: bufferAccess }) },
    ]);
    if (c instanceof Error) throw c;
    if (b instanceof Error) throw b;
    [captured, buffer] = [c, b];
  } else {
    captured = await s.get(7, obis, 3);
    buffer = await s.get(7, obis, 2, bufferAccess);
  }
  if (captured.type !== 'array') throw new ProtocolError(`capture_objects of ${obis} is not an array`, 0, 'cosem');
  const columns = captured.value.map(captureObjectFromData);
  if (buffer.type !== 'array') throw new ProtocolError(`buffer of ${obis} is not an array`, 0, 'cosem');
  const rows = buffer.value.map((row, i) => {
    if (row.type !== 'structure') throw new ProtocolError(`row ${i + 1} of ${obis} is ${row.type}, not a structure`, 0, 'cosem');
    return row.value;
  });
  return { columns, rows: selectHere ? selectLocally(rows, columns, selection) : rows };
}

/** The rows a meter would have selected: by entry number, or by the clock column's time. */
export function selectLocally(rows: CosemData[][], columns: CaptureObjectDefinition[], selection: ProfileSelection): CosemData[][] {
  if (selection.kind === 'all') return rows;
  if (selection.kind === 'entries') return rows.slice(selection.from - 1, selection.to === 0 ? undefined : selection.to);
  const clockAt = columns.findIndex((c) => c.classId === 8 && c.logicalName === Obis.clock);
  if (clockAt < 0) return rows;
  return rows.filter((row) => {
    const dt = row[clockAt] ? asDateTime(row[clockAt]) : null;
    const t = dt ? dateTimeToUtc(dt) : null;
    return t !== null && t >= selection.from && t <= selection.to;
  });
}

export interface RelayState {
  outputState: boolean;
  /** 0 disconnected, 1 connected, 2 ready_for_reconnection (IC 70). */
  controlState: number;
}

export async function readRelay(s: DlmsSession): Promise<RelayState> {
  const output = await s.get(70, Obis.disconnectControl, 2);
  const control = await s.get(70, Obis.disconnectControl, 3);
  if (output.type !== 'boolean' || control.type !== 'enum') throw new ProtocolError('disconnect control state has unexpected types', 0, 'cosem');
  return { outputState: output.value, controlState: control.value };
}

/** remote_disconnect (method 1) or remote_reconnect (method 2), then the state read back. */
export async function switchRelay(s: DlmsSession, connect: boolean): Promise<RelayState> {
  await s.action(70, Obis.disconnectControl, connect ? 2 : 1, { type: 'integer', value: 0 });
  return readRelay(s);
}
