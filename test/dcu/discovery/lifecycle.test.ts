// Discovery over a real pty bus, the smaller cases: a meter that leaves the bus becomes
// unreachable after N silent scans and active again when it is back; a meter that refuses
// the bus's password is an event naming its address, and is found once the directory gives
// it its own profile; a scan can be stopped between addresses. Range 16..34, 150 ms probes:
// about 4 s a scan.
import { afterEach, describe, expect, it } from 'vitest';
import { discoverBus, type DiscoverBusOptions, type DiscoverySummary } from '../../../dcu/discovery/rs485.js';
import { type Dcu, type Line, LINK, meterSet, openDcu, openLine } from './helpers.js';
import type { RunningMeter } from '../../../simulators/meter/transport/meter-set.js';

const RANGE = { from: 16, to: 34, timeoutMs: 150, silentCycles: 2 };

let dcu: Dcu | null = null;
let line: Line | null = null;

afterEach(async () => {
  await line?.close();
  line = null;
  dcu?.close();
  dcu = null;
});

async function restart(meters: RunningMeter[]): Promise<void> {
  await line?.close();
  line = await openLine(meters);
}

async function scan(options: Partial<DiscoverBusOptions> = {}): Promise<DiscoverySummary> {
  const s = await discoverBus({ bus: line!.bus, busConfig: dcu!.config.buses[0], access: dcu!.access, store: dcu!.store, ...options });
  console.log(`discovery ${s.from}..${s.to} (${s.scanned} addresses, ${RANGE.timeoutMs} ms probe): ${s.found} found, ${s.failed} failed in ${s.durationMs} ms`);
  return s;
}

describe('discovery lifecycle on an RS485 bus (pty, real simulated meters)', () => {
  it('marks a meter gone from the bus unreachable after N silent scans (an event, never deleted), active again when it answers', async () => {
    dcu = openDcu(RANGE);
    const all = meterSet([18, 21, 27, 33]);
    const gone = all[2];
    await restart(all);
    expect(await scan()).toMatchObject({ found: 4, created: 4 });
    const id = dcu.store.meters.bySerial(gone.serial)!.id;

    await restart(all.filter((m) => m !== gone));
    let s = await scan();
    expect(s).toMatchObject({ found: 3, silent: 1, unreachable: 0, failed: 0 });
    expect(dcu.store.meters.get(id)).toMatchObject({ status: 'active', silentCycles: 1, physicalAddress: 27 });

    s = await scan();
    expect(s).toMatchObject({ found: 3, silent: 1, unreachable: 1 });
    const unreachable = dcu.store.meters.get(id)!;
    expect(unreachable).toMatchObject({ status: 'unreachable', silentCycles: 2, physicalAddress: 27 });
    expect(unreachable.stats).toMatchObject({ attempts: 3, successes: 1, failures: 2, lastError: `no answer at 27 on ${LINK} during discovery` });
    expect(dcu.store.events.list({ meter: id, kind: 'meter-unreachable' })).toHaveLength(1);
    // The others are untouched.
    for (const m of dcu.store.meters.list({ link: LINK })) if (m.id !== id) expect(m).toMatchObject({ status: 'active', silentCycles: 0 });

    await restart(all);
    s = await scan();
    expect(s).toMatchObject({ found: 4, created: 0, moved: 0, reactivated: 1, silent: 0 });
    expect(s.meters.find((m) => m.serial === gone.serial)).toMatchObject({ id, reactivated: true });
    expect(dcu.store.meters.get(id)).toMatchObject({ status: 'active', silentCycles: 0, physicalAddress: 27 });
    expect(dcu.store.events.list({ meter: id, kind: 'meter-reachable' })[0].details).toEqual({ previous: 'unreachable' });
    expect(dcu.store.meters.list({ link: LINK })).toHaveLength(4);
  }, 60_000);

  it('records a meter that refuses the bus password as an event naming its address, and finds it with the profile the directory gives it', async () => {
    dcu = openDcu(RANGE);
    const meters = meterSet([20, 26, 31], (i) => (i === 1 ? { readerPassword: new TextEncoder().encode('site-b-pw') } : undefined));
    await restart(meters);
    const logged: { level: string; details: object; message: string }[] = [];
    const log = { info: (details: object, message: string) => logged.push({ level: 'info', details, message }), warn: (details: object, message: string) => logged.push({ level: 'warn', details, message }) };
    let s = await scan({ log, logEvery: 5 });
    expect(s).toMatchObject({ found: 2, created: 2, failed: 1 });
    // The log: a line per meter and per failure, progress every 5 addresses, a summary.
    expect(logged.filter((l) => /addresses, \d+ meter/.test(l.message)).map((l) => l.message)).toEqual([5, 10, 15].map((n) => `discovery on ${LINK}: ${n}/19 addresses, 1 meter(s)`));
    expect(logged.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([s.failures[0].cause]);
    expect(logged.at(-1)!.message).toMatch(/^discovery on rs485-1: 2 meter\(s\) \(2 new, 0 moved\), 1 failed, 0 became unreachable, 19 addresses in \d+\.\d s$/);
    expect(s.failures).toEqual([expect.objectContaining({ address: 26, stage: 'association', error: 'SecurityError', profile: 'reader' })]);
    const event = dcu.store.events.list({ kind: 'discovery-failed' });
    expect(event).toHaveLength(1);
    expect(event[0]).toMatchObject({ meter: null, severity: 'error', details: { link: LINK, address: 26, stage: 'association', error: 'SecurityError', reason: 'wrong-password' } });
    expect(event[0].details.cause).toMatch(/^station at 26 on rs485-1 answered but could not be associated with security profile "reader": .*wrong password/);
    console.log(`failure event: ${String(event[0].details.cause)}`);
    expect(dcu.store.meters.bySerial(meters[1].serial)).toBeUndefined();
    expect(dcu.store.meters.list()).toHaveLength(2);

    // An installer records the meter with the profile of its site; the next scan uses it when the bus's is refused.
    dcu.store.meters.upsert({ serial: meters[1].serial, link: LINK, linkKind: 'hdlc-serial', physicalAddress: 26, logicalDevice: 1, securityProfile: 'reader-site-b' });
    s = await scan();
    expect(s).toMatchObject({ found: 3, created: 0, failed: 0 });
    expect(s.meters.find((m) => m.address === 26)).toMatchObject({ serial: meters[1].serial, profile: 'reader-site-b' });
    expect(dcu.store.meters.bySerial(meters[1].serial)).toMatchObject({ securityProfile: 'reader-site-b', status: 'active', physicalAddress: 26 });
    expect(dcu.store.meters.bySerial(meters[1].serial)!.capabilities.length).toBeGreaterThan(20);
  }, 60_000);

  it('stops between addresses when aborted, without counting silent cycles', async () => {
    dcu = openDcu(RANGE);
    const meters = meterSet([17, 30]);
    await restart(meters);
    expect(await scan()).toMatchObject({ found: 2 });
    const controller = new AbortController();
    const s = await scan({ signal: controller.signal, onProgress: (p) => p.address === 20 && controller.abort() });
    expect(s).toMatchObject({ aborted: true, scanned: 5, found: 1, silent: 0 });
    // 30 was not reached: still active, no silent cycle.
    expect(dcu.store.meters.bySerial(meters[1].serial)).toMatchObject({ status: 'active', silentCycles: 0 });
  }, 60_000);
});
