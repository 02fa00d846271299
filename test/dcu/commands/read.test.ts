// On-demand read: registers read now, returned in the outcome and stored as 'on-demand'.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReadCommand } from '../../../dcu/commands/index.js';
import { parseObis } from '../../../shared/dlms/obis.js';
import { type MeterBus, openMeterBus } from '../fixtures/meter-bus.js';
import { expected } from '../../simulators/transport/real-meters.js';

let mb: MeterBus;
beforeAll(async () => {
  mb = await openMeterBus([{}], { firstSerial: 61000001 });
}, 30_000);
afterAll(async () => {
  await mb?.close();
});

describe('on-demand read command', () => {
  it('reads the asked registers, returns them and stores them as on-demand readings', async () => {
    const m = mb.meters[0];
    const deps = { store: mb.store, access: mb.access, resolveMeter: mb.resolveMeter, clock: mb.clock, timeSync: mb.config.timeSync };
    const record = await runReadCommand({ id: 'read-1', meter: m.serial, registers: ['1.0.1.8.0.255', '1.0.2.8.0.255'] }, deps);
    expect(record.status).toBe('done');
    const readings = (record.outcome as { readings: { obis: string; value: number; unit: number }[] }).readings;
    expect(readings.map((r) => r.obis)).toEqual(['1.0.1.8.0.255', '1.0.2.8.0.255']);
    const model = expected(m, { classId: 3, instanceId: parseObis('1.0.1.8.0.255'), attributeId: 2 }, 17) as { value: number };
    expect(Math.abs(readings[0].value - model.value)).toBeLessThanOrEqual(5); // a few Wh may accrue between the two reads
    expect(readings[0].unit).toBe(30); // Wh
    expect(mb.store.readings.range({ from: 0, to: Number.MAX_SAFE_INTEGER, meter: mb.record(m).id }).every((r) => r.source === 'on-demand')).toBe(true);
    const unknown = await runReadCommand({ id: 'read-2', meter: 'nope' }, deps);
    expect(unknown).toMatchObject({ status: 'failed', outcome: { errorKind: 'UnknownMeter' } });
  }, 60_000);
});
