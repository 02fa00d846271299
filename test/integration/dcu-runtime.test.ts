// Issue 4 end to end over a pty bus: 16 simulated meters at scattered addresses; the DCU
// runtime discovers them all and collects 3 days of load profile, daily billing and events;
// the buffer equals what the simulator's model says, row for row. Then recollection brings
// back rows lost from the buffer, and a restart continues from the marks without duplicates.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Obis } from '../../shared/dlms/obis.js';
import { ManualClock } from '../../dcu/clock/gateway-clock.js';
import { parseConfig } from '../../dcu/config.js';
import { DcuRuntime } from '../../dcu/runtime.js';
import { openPtyBus, type PtyBus } from '../../simulators/feeder/pty-bus.js';
import { createMeterSet, type RunningMeter } from '../../simulators/meter/transport/meter-set.js';
import { compareWithModel } from './model-profile.js';

const DAY = 86_400_000;
const ADDRESSES = [17, 19, 23, 26, 31, 34, 40, 41, 45, 52, 55, 58, 61, 66, 70, 77];
const NOW = Date.now();
const START = Math.floor(NOW / DAY) * DAY - 5 * DAY;

let feeder: PtyBus;
let meters: RunningMeter[];
let dir: string;
let runtime: DcuRuntime;
const clock = new ManualClock(NOW, true);

function configFor(path: string) {
  return parseConfig({
    dcuId: 'dcu-e2e',
    database: join(dir, 'dcu.db'),
    systemTitle: '4443550000000042',
    buses: [{ name: 'rs485-1', path, baud: 115200, profile: 'reader', controlProfile: 'management', discovery: { from: 16, to: 80, timeoutMs: 150 } }],
    profiles: {
      reader: { clientSap: 17, authentication: 'low', password: '12345678' },
      management: { clientSap: 1, authentication: 'high-gmac', blockCipherKey: '000102030405060708090a0b0c0d0e0f', authenticationKey: 'd0d1d2d3d4d5d6d7d8d9dadbdcdddedf' },
    },
    backfillDays: 3,
    assumeClockSynchronised: true,
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dcu-e2e-'));
  // Every fourth meter had a power cut yesterday: a gap in its profile and events in its log.
  meters = createMeterSet({
    addresses: ADDRESSES,
    seed: 11,
    firstSerial: 60000001,
    startOfLife: START,
    configure: (i) => (i % 4 === 0 ? { outages: [{ from: START + 4 * DAY + 3_600_000, to: START + 4 * DAY + 3 * 3_600_000 }] } : undefined),
  });
  feeder = await openPtyBus({ meters, baud: 115200, turnaround: 20 });
  runtime = await DcuRuntime.open(configFor(feeder.path), { clock, log: pino({ level: 'silent' }) });
}, 60_000);

afterAll(async () => {
  await runtime?.close();
  await feeder?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Buffer rows of a meter as "ts obis:attr=value", and the model's, over the same span. */
function compare(m: RunningMeter, profile: typeof Obis.loadProfile) {
  const meter = runtime.store.meters.bySerial(m.serial)!;
  const mark = runtime.store.marks.get(meter.id, profile);
  expect(mark, `no collection mark for ${m.serial} ${profile}`).toBeDefined();
  const from = Math.floor((NOW - 3 * DAY) / (15 * 60_000)) * 15 * 60_000;
  return compareWithModel(runtime.store, meter, m, profile, from, mark!.upto);
}

describe('DCU runtime end to end on an RS485 bus', () => {
  it('discovers all 16 meters at scattered addresses', async () => {
    await runtime.discover();
    const found = runtime.store.meters.list();
    expect(found.map((m) => m.physicalAddress).sort((a, b) => a! - b!)).toEqual(ADDRESSES);
    expect(found.map((m) => m.serial).sort()).toEqual(meters.map((m) => m.serial).sort());
    expect(found.every((m) => m.status === 'active' && m.capabilities.length > 10)).toBe(true);
  }, 180_000);

  it('collects 3 days of load profile, billing and events: the buffer equals the model row for row', async () => {
    for (const task of ['load-profile', 'daily-billing', 'event-log']) {
      const runs = await runtime.scheduler.fire(task);
      expect(runs.filter((r) => r.outcome !== 'ok'), task).toEqual([]);
    }
    for (const m of meters) {
      for (const profile of [Obis.loadProfile, Obis.dailyBilling, Obis.standardEventLog]) {
        const { expected, stored } = compare(m, profile);
        expect(stored, `${m.serial} ${profile}`).toEqual(expected);
      }
      const load = compare(m, Obis.loadProfile).expected.length / 2;
      const hadOutage = meters.indexOf(m) % 4 === 0; // 2 h without entries
      expect(load).toBeGreaterThanOrEqual(hadOutage ? 3 * 96 - 8 - 1 : 3 * 96 - 1);
    }
    const outageMeter = runtime.store.meters.bySerial(meters[0].serial)!;
    expect(compare(meters[0], Obis.standardEventLog).stored.length).toBeGreaterThanOrEqual(2); // power down + up
    expect(runtime.store.marks.get(outageMeter.id, Obis.loadProfile)).toBeDefined();
  }, 600_000);

  it('recollects rows missing from the buffer, and a second collection adds nothing twice', async () => {
    const m = meters[5];
    const meter = runtime.store.meters.bySerial(m.serial)!;
    const before = compare(m, Obis.loadProfile).stored;
    // Lose a span of yesterday's rows, as a bad chunk on a real line can leave behind.
    const gapFrom = Math.floor((NOW - DAY) / DAY) * DAY + 6 * 3_600_000;
    runtime.store.db.prepare('DELETE FROM readings WHERE meter = ? AND ts BETWEEN ? AND ?').run(meter.id, gapFrom, gapFrom + 2 * 3_600_000);
    expect(compare(m, Obis.loadProfile).stored.length).toBeLessThan(before.length);
    const runs = await runtime.scheduler.fire('recollect');
    expect(runs.find((r) => r.meter === m.serial)).toMatchObject({ outcome: 'ok' });
    expect(compare(m, Obis.loadProfile).stored).toEqual(before);
    const recollected = runtime.store.readings.range({ from: gapFrom, to: gapFrom + 2 * 3_600_000, meter: meter.id });
    expect(recollected.every((r) => r.source === 'recollected')).toBe(true);
    const count = runtime.store.readings.count();
    await runtime.scheduler.fire('load-profile');
    expect(runtime.store.readings.count()).toBe(count); // nothing new: the marks hold
  }, 300_000);
});
