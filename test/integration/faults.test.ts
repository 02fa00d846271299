// Every injected fault on the bus ends in a successful retry or a typed error within the
// deadline — never a wrong value, never a hang.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessError, LinkTimeout, ProtocolError, SecurityError } from '../../shared/errors.js';
import { Obis, parseObis } from '../../shared/dlms/obis.js';
import type { CosemData } from '../../shared/dlms/data.js';
import { readProfile } from '../../dcu/session/readers.js';
import type { FaultsByMeter } from '../../simulators/meter/transport/faults.js';
import { type Bus, openBus } from './helpers.js';
import { expected, readBracketed } from '../simulators/transport/real-meters.js';

const DAY = 86_400_000;
const TYPED = [LinkTimeout, ProtocolError, AccessError, SecurityError];
const DEADLINE = 60_000;

// One fault per meter (physical addresses 17…24), each firing often enough to hit a read.
const FAULTS: FaultsByMeter = {
  '17': { silent: { probability: 0.08 } },
  '18': { corruptFcs: { probability: 0.1 } },
  '19': { truncate: { probability: 0.1 } },
  '20': { late: { every: 6, times: 2, delay: 2500 } },
  '21': { garbage: { probability: 0.3, length: 40 } },
  '22': { reboot: { after: 8, times: 1 } },
  '23': { refuseProposal: 'dm' },
  '24': { refuseProposal: 'clamp' },
};

let bus: Bus;
const fired = new Map<number, number>();
beforeAll(async () => {
  bus = await openBus(8, { faults: FAULTS, seed: 7, onFault: (meter, kinds) => fired.set(meter.physical, (fired.get(meter.physical) ?? 0) + kinds.length) });
}, 30_000);
afterAll(async () => {
  await bus?.close();
});

describe('faults on the bus', () => {
  for (const [address, fault] of Object.entries(FAULTS)) {
    it(`meter ${address} with ${JSON.stringify(fault)}: right values or a typed error, in time`, async () => {
      const m = bus.meters.find((x) => String(x.physical) === address)!;
      const s = bus.session(m, 17, { proposal: { maxInfoTx: 512, maxInfoRx: 512, windowTx: 7, windowRx: 7 }, responseTimeout: 1500 });
      const started = Date.now();
      const outcome: { values: CosemData[]; error: unknown } = { values: [], error: null };
      try {
        await s.connect();
        const registers = ['1.0.1.8.0.255', '1.0.1.8.1.255', '1.0.2.8.0.255'].map(parseObis);
        for (const obis of registers) {
          outcome.values.push(await readBracketed(m, { classId: 3, instanceId: obis, attributeId: 2 }, 17, () => s.get(3, obis, 2)));
        }
        const dayStart = Math.floor(Date.now() / DAY) * DAY - DAY;
        const profile = await readProfile(s, Obis.loadProfile, { kind: 'range', from: dayStart, to: dayStart + DAY - 15 * 60_000 });
        expect(profile.rows).toHaveLength(96);
        const all = expected(m, { classId: 7, instanceId: Obis.loadProfile, attributeId: 2 }, 17);
        const rows = all.type === 'array' ? all.value.map((r) => (r.type === 'structure' ? r.value : [])) : [];
        const first = rows.findIndex((r) => JSON.stringify(r[0]) === JSON.stringify(profile.rows[0][0]));
        expect(profile.rows).toEqual(rows.slice(first, first + 96));
      } catch (e) {
        if (e instanceof Error && e.name === 'AssertionError') throw e; // a wrong value is a failure
        outcome.error = e;
        expect(TYPED.some((t) => e instanceof t), `untyped error: ${String(e)}`).toBe(true);
        expect((e as Error).message).toContain(`meter ${m.serial}`);
      } finally {
        await s.close();
      }
      expect(Date.now() - started).toBeLessThan(DEADLINE);
      // Faults that only cost retries must end in success.
      if (fault.refuseProposal || fault.garbage || fault.reboot) expect(outcome.error).toBeNull();
      // The fault really happened on the line (refusing a proposal happens in the UA, not on a frame).
      if (!fault.refuseProposal) expect(fired.get(m.physical) ?? 0).toBeGreaterThan(0);
    }, DEADLINE + 10_000);
  }
});
