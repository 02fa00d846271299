// The real simulated meters (simulators/meter) for transport tests, and what a GET on them
// must give, asked of the same object model directly.
import { mkdtempSync } from 'node:fs';
import { expect } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CosemAttributeDescriptor } from '../../../shared/dlms/apdu/index.js';
import type { Authentication } from '../../../shared/dlms/association/settings.js';
import type { CosemData } from '../../../shared/dlms/data.js';
import { parseObis } from '../../../shared/dlms/obis.js';
import type { LineMeter } from '../../../simulators/meter/transport/hdlc-line.js';
import { type RunningMeter, createMeterSet } from '../../../simulators/meter/transport/meter-set.js';

export const START = Date.UTC(2024, 0, 1);
export const ASSOCIATION_LN = parseObis('0.0.40.0.0.255');
export const INVOCATION_COUNTER = parseObis('0.0.43.1.0.255');

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'meter-state-'));
}

export function realMeters(count: number, firstAddress = 17, stateDir?: string): RunningMeter[] {
  return createMeterSet({ count, firstAddress, seed: 5, firstSerial: 40000001, startOfLife: START, ...(stateDir && { stateDir }) });
}

export function onLine(meters: RunningMeter[], limits = { maxInfoTx: 512, maxInfoRx: 512, windowTx: 7, windowRx: 7 }): LineMeter[] {
  return meters.map((m) => ({ physical: m.physical, server: m.server, label: m.serial, limits }));
}

const AUTH: Record<number, Authentication> = { 16: 'none', 17: 'low', 1: 'high-gmac' };

/** What the meter's object model answers to this GET from this client, asked directly. */
export function expected(m: RunningMeter, attribute: CosemAttributeDescriptor, clientSap: number): CosemData {
  const r = m.meter.objects.get(attribute, undefined, { clientSap, authentication: AUTH[clientSap], now: Date.now() });
  if (!('data' in r)) throw new Error(`the model itself refuses ${JSON.stringify(attribute)}: ${r.error}`);
  return r.data;
}

/**
 * Reads a live value and asks the model just before and just after: an energy counter may tick
 * between a read and a later model query, so the read is right when it lies between the two.
 */
export async function readBracketed(m: RunningMeter, attribute: CosemAttributeDescriptor, clientSap: number, read: () => Promise<CosemData>): Promise<CosemData> {
  const before = expected(m, attribute, clientSap);
  const value = await read();
  const after = expected(m, attribute, clientSap);
  expectBetween(value, before, after);
  return value;
}

/** `value` equals `before` and `after` when they agree, else has their type and lies between them. */
export function expectBetween(value: CosemData, before: CosemData, after: CosemData): void {
  if (JSON.stringify(before, jsonSafe) === JSON.stringify(after, jsonSafe)) {
    expect(value).toEqual(before);
    return;
  }
  expect(value.type).toBe(before.type);
  const v = (value as { value: number | bigint }).value;
  expect(v >= (before as { value: number | bigint }).value && v <= (after as { value: number | bigint }).value, `${v} between ${JSON.stringify(before, jsonSafe)} and ${JSON.stringify(after, jsonSafe)}`).toBe(true);
}

const jsonSafe = (_: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);
