// Discovery over a real serial line: socat pty pair, the real serialport package on both
// ends, the real simulated meters (simulators/meter) at scattered HDLC addresses, a real
// store file. The scan range is 16..64 with a 150 ms probe timeout to keep the tests fast:
// one scan of the 16 meters takes about 12 s here (33 silent addresses × 150 ms, and
// ~0.4 s per meter at 115200 baud); lifecycle.test.ts has the smaller cases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Obis } from '../../../shared/dlms/obis.js';
import { type DiscoverBusOptions, type DiscoveryProgress, type DiscoverySummary, discoverBus } from '../../../dcu/discovery/rs485.js';
import { capabilitiesFrom } from '../../../dcu/discovery/identity.js';
import type { MeterRecord } from '../../../dcu/store/index.js';
import type { RunningMeter } from '../../../simulators/meter/transport/meter-set.js';
import { expected } from '../../simulators/transport/real-meters.js';
import { type Dcu, type Line, LINK, meterSet, openDcu, openLine } from './helpers.js';

const ADDRESSES = [17, 19, 23, 24, 29, 31, 36, 40, 41, 44, 47, 50, 53, 55, 60, 63];
const RANGE = { from: 16, to: 64, timeoutMs: 150, silentCycles: 2 };

let dcu: Dcu;
let line: Line | null = null;

async function restart(meters: RunningMeter[]): Promise<void> {
  await line?.close();
  line = await openLine(meters);
}

async function scan(options: Partial<DiscoverBusOptions> = {}): Promise<DiscoverySummary> {
  const s = await discoverBus({ bus: line!.bus, busConfig: dcu.config.buses[0], access: dcu.access, store: dcu.store, ...options });
  console.log(`discovery ${s.from}..${s.to} (${s.scanned} addresses, ${RANGE.timeoutMs} ms probe): ${s.found} found, ${s.failed} failed in ${s.durationMs} ms`);
  return s;
}

const bySerial = (): Map<string, MeterRecord> => new Map(dcu.store.meters.list({ link: LINK }).map((m) => [m.serial, m]));

beforeAll(async () => {
  dcu = openDcu(RANGE);
  await restart(meterSet(ADDRESSES));
}, 30_000);

afterAll(async () => {
  await line?.close();
  dcu?.close();
});

describe('discovery on an RS485 bus (pty, real simulated meters)', () => {
  const ids = new Map<string, number>();

  it('finds 16 meters at scattered addresses with their serials, capabilities and clocks', async () => {
    const progress: DiscoveryProgress[] = [];
    const s = await scan({ onProgress: (p) => progress.push(p) });
    expect(s).toMatchObject({ scanned: 49, found: 16, created: 16, moved: 0, failed: 0, unreachable: 0, silent: 0, aborted: false });
    expect(s.durationMs).toBeLessThan(20_000);
    // Progress after every address, in order.
    expect(progress.map((p) => p.address)).toEqual(Array.from({ length: 49 }, (_, i) => 16 + i));
    expect(progress.filter((p) => p.outcome === 'found').map((p) => p.address)).toEqual(ADDRESSES);
    expect(progress.at(-1)).toMatchObject({ done: 49, total: 49, found: 16 });

    const stored = bySerial();
    expect(stored.size).toBe(16);
    for (const m of line!.meters) {
      const r = stored.get(m.serial)!;
      expect(r, m.serial).toBeDefined();
      ids.set(m.serial, r.id);
      expect(r).toMatchObject({
        physicalAddress: m.physical, logicalDevice: 1, link: LINK, linkKind: 'hdlc-serial', networkAddress: null,
        status: 'active', logicalDeviceName: `SIM${m.serial}`, securityProfile: 'reader', clientSap: 17, silentCycles: 0,
      });
      // The capabilities are the object list the meter shows this client.
      const list = expected(m, { classId: 15, instanceId: Obis.associationLn, attributeId: 2 }, 17);
      expect(r.capabilities).toEqual(capabilitiesFrom(list).capabilities);
      expect(r.capabilities).toContainEqual({ classId: 8, obis: Obis.clock, version: 0 });
      expect(r.capabilities).toContainEqual({ classId: 7, obis: Obis.loadProfile, version: 1 });
      expect(r.stats).toMatchObject({ attempts: 1, successes: 1, failures: 0 });
      expect(r.stats.bytesIn).toBeGreaterThan(1900); // the object list alone is ~1.9 kB
      expect(r.stats.bytesOut).toBeGreaterThan(0);
      // The clock as the meter keeps it.
      const found = s.meters.find((f) => f.serial === m.serial)!;
      expect(found).toMatchObject({ problems: [], identifiedBy: 'serial-number', address: m.physical, profile: 'reader' });
      const now = Date.now();
      expect(Math.abs(found.clock!.offsetMs! - (m.meter.meterTime(now) - now))).toBeLessThan(3000);
    }
    expect(dcu.store.events.list({ kind: 'meter-added' })).toHaveLength(16);
    expect(dcu.store.events.list({ kind: 'discovery-completed' })[0].details).toMatchObject({ bus: LINK, found: 16, created: 16 });
  }, 60_000);

  it('finds the same meters under the same ids on the next scan, and lets on-demand work in between addresses', async () => {
    const scanning = scan();
    await new Promise((r) => setTimeout(r, 500));
    const asked = performance.now();
    let waited = -1;
    await line!.bus.exclusive(async () => void (waited = performance.now() - asked), 10);
    let finished = false;
    const s = await scanning.finally(() => (finished = true));
    expect(waited).toBeGreaterThanOrEqual(0);
    expect(waited).toBeLessThan(1500); // one address at most (a responder takes ~0.5 s here)
    expect(finished).toBe(true);
    expect(s).toMatchObject({ found: 16, created: 0, moved: 0, failed: 0, silent: 0 });
    for (const [serial, r] of bySerial()) {
      expect(r.id).toBe(ids.get(serial));
      expect(r.stats).toMatchObject({ attempts: 2, successes: 2 });
    }
    expect(dcu.store.events.list({ kind: 'meter-added' })).toHaveLength(16);
    expect(dcu.store.events.list({ kind: 'meter-moved' })).toHaveLength(0);
  }, 60_000);

  it('keeps the id and history of a meter moved to another address, with an event (object list read again for it only)', async () => {
    const moved = ADDRESSES.map((a) => (a === 24 ? 33 : a)); // the 4th meter: 24 → 33
    const serial = String(50000004);
    const id = ids.get(serial)!;
    const before = dcu.store.meters.get(id)!;
    dcu.store.insertReadings([{ ts: Date.UTC(2025, 0, 1), meter: id, obis: Obis.activeEnergyImport, attribute: 2, value: 1234, unit: 30, scaler: 0, status: 0, source: 'scheduled' }]);
    await restart(meterSet(moved));
    const s = await scan({ objectList: 'when-changed' });
    expect(s).toMatchObject({ found: 16, created: 0, moved: 1, failed: 0, silent: 0 });
    // Known meters where they were: identity and clock only; the moved one: its object list too.
    for (const m of s.meters) expect([m.serial, m.capabilities]).toEqual([m.serial, m.serial === serial ? before.capabilities.length : null]);
    for (const r of dcu.store.meters.list({ link: LINK })) expect(r.capabilities).toHaveLength(before.capabilities.length);
    const after = dcu.store.meters.get(id)!;
    expect(after).toMatchObject({ serial, physicalAddress: 33, status: 'active', firstSeen: before.firstSeen });
    expect(after.stats.attempts).toBe(3);
    expect(bySerial().size).toBe(16);
    const events = dcu.store.events.list({ meter: id, kind: 'meter-moved' });
    expect(events).toHaveLength(1);
    expect(events[0].details).toMatchObject({ serial, from: { physicalAddress: 24, link: LINK }, to: { physicalAddress: 33, link: LINK } });
    // Its history stays under its id.
    expect(dcu.store.readings.range({ from: 0, to: Date.UTC(2030, 0, 1), meter: id })).toHaveLength(1);
  }, 60_000);
});
