// Shared set-up for the meter simulator tests: a meter, the three associations, and GET /
// SET / ACTION wrappers that check every answer encodes as A-XDR (and decodes back equal).
import { expect } from 'vitest';
import type { AccessContext } from '../../../shared/dlms/association/server-objects.js';
import type { SelectiveAccessDescriptor } from '../../../shared/dlms/apdu/descriptors.js';
import { decodeData, encodeData } from '../../../shared/dlms/axdr.js';
import type { CosemData } from '../../../shared/dlms/data.js';
import { asDateTime, dateTimeToUtc } from '../../../shared/dlms/datetime.js';
import { type Obis, parseObis } from '../../../shared/dlms/obis.js';
import { type SimulatedMeter, type SimulatedMeterConfig, createSimulatedMeter } from '../../../simulators/meter/meter.js';

export const HOUR = 3_600_000;
export const DAY = 86_400_000;
export const QUARTER = 900_000;
/** 2024-01-01T00:00:00Z, a Monday. */
export const START = Date.UTC(2024, 0, 1);

export function makeMeter(overrides: Partial<SimulatedMeterConfig> = {}): SimulatedMeter {
  return createSimulatedMeter({ serial: '12345678', seed: 42, physicalAddress: 17, startOfLife: START, ...overrides });
}

export const PUBLIC = (now: number): AccessContext => ({ clientSap: 16, authentication: 'none', now });
export const READER = (now: number): AccessContext => ({ clientSap: 17, authentication: 'low', now });
export const MANAGEMENT = (now: number): AccessContext => ({ clientSap: 1, authentication: 'high-gmac', now });

export function encodable(d: CosemData): CosemData {
  const bytes = encodeData(d);
  expect(decodeData(bytes)).toEqual(d);
  return d;
}

export type Answer = { data: CosemData } | { error: number };

export function get(m: SimulatedMeter, classId: number, ln: string | Obis, attributeId: number, ctx: AccessContext, access?: SelectiveAccessDescriptor): Answer {
  const r = m.objects.get({ classId, instanceId: parseObis(ln), attributeId }, access, ctx);
  if ('data' in r) encodable(r.data);
  return r;
}

/** GET that must succeed. */
export function read(m: SimulatedMeter, classId: number, ln: string | Obis, attributeId: number, ctx: AccessContext, access?: SelectiveAccessDescriptor): CosemData {
  const r = get(m, classId, ln, attributeId, ctx, access);
  if (!('data' in r)) throw new Error(`GET ${classId}/${ln}/${attributeId} failed with ${r.error}`);
  return r.data;
}

export function set(m: SimulatedMeter, classId: number, ln: string | Obis, attributeId: number, value: CosemData, ctx: AccessContext): number {
  return m.objects.set({ classId, instanceId: parseObis(ln), attributeId }, value, undefined, ctx);
}

export function act(m: SimulatedMeter, classId: number, ln: string | Obis, methodId: number, parameters: CosemData | undefined, ctx: AccessContext) {
  const r = m.objects.action({ classId, instanceId: parseObis(ln), methodId }, parameters, ctx);
  if (r.returned !== undefined) encodable(r.returned);
  return r;
}

export function valueOf(d: CosemData): number {
  if (!('value' in d) || typeof d.value !== 'number') throw new Error(`not a number: ${d.type}`);
  return d.value;
}

export function items(d: CosemData): CosemData[] {
  if (d.type !== 'array' && d.type !== 'structure') throw new Error(`not an array/structure: ${d.type}`);
  return d.value;
}

/** UTC ms of a date-time column (octet-string(12)). */
export function timeOf(d: CosemData): number {
  const dt = asDateTime(d);
  if (dt === null) throw new Error(`not a date-time: ${d.type}`);
  const t = dateTimeToUtc(dt);
  if (t === null) throw new Error('date-time names no instant');
  return t;
}
