// Relay commands against simulated meters on a real pty bus, journaled in a real SQLite
// store: confirmed by read-back, idempotent by command id (the meter's own event log and
// the bus show that a repeated id does not reach the meter), refusals and unknown meters
// recorded with their cause.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandConflictError, type RelayDeps, failInterruptedCommands, runRelayCommand, startRelayCommand } from '../../../dcu/commands/index.js';
import { EventCode } from '../../../simulators/meter/events.js';
import type { RunningMeter } from '../../../simulators/meter/transport/meter-set.js';
import { type MeterBus, openMeterBus } from '../fixtures/meter-bus.js';

let mb: MeterBus;
let deps: RelayDeps;
// control modes: 1 (default: a remote reconnect only arms the meter), 2 (remote reconnect closes), 0 (no remote switching)
const MODES = [1, 2, 0, 1, 1];

beforeAll(async () => {
  mb = await openMeterBus(MODES.map((controlMode) => ({ controlMode })), { firstSerial: 60000001 });
  deps = { store: mb.store, access: mb.access, resolveMeter: mb.resolveMeter };
}, 30_000);
afterAll(async () => {
  await mb?.close();
});

const relayEvents = (m: RunningMeter, code: number) => m.meter.events(Date.now()).filter((e) => e.code === code).length;
const state = (m: RunningMeter) => m.meter.state.relay.controlState;

describe('relay commands over a pty bus', () => {
  it('disconnects, confirmed by the read-back; the same id again returns the record and does not act again', async () => {
    const m = mb.meters[0];
    const record = await runRelayCommand({ id: 'cmd-1', meter: m.serial, action: 'disconnect' }, deps);
    expect(record).toMatchObject({ id: 'cmd-1', kind: 'relay', meter: m.serial, status: 'done', params: { action: 'disconnect' } });
    expect(record.outcome).toMatchObject({
      result: 'disconnected',
      changed: true,
      before: { controlState: 1, outputState: true, controlMode: 1 },
      after: { controlState: 0, outputState: false, controlStateName: 'disconnected' },
    });
    expect(state(m)).toBe(0);
    expect(relayEvents(m, EventCode.remoteDisconnection)).toBe(1);

    const frames = mb.framesToClient();
    const again = await runRelayCommand({ id: 'cmd-1', meter: m.serial, action: 'disconnect' }, deps);
    expect(again).toEqual(record);
    expect(mb.framesToClient()).toBe(frames); // the meter was not even addressed
    expect(relayEvents(m, EventCode.remoteDisconnection)).toBe(1);

    const events = mb.store.events.list({ meter: mb.record(m).id, kind: 'relay-command' });
    expect(events).toHaveLength(1);
    expect(events[0].details).toMatchObject({ command: 'cmd-1', action: 'disconnect', result: 'disconnected' });
  }, 30_000);

  it('refuses another request under a used id, saying what the id was used for', async () => {
    const m = mb.meters[0];
    expect(() => startRelayCommand({ id: 'cmd-1', meter: m.serial, action: 'connect' }, deps)).toThrow(CommandConflictError);
    expect(() => startRelayCommand({ id: 'cmd-1', meter: m.serial, action: 'connect' }, deps)).toThrow(
      `command id "cmd-1" was already used for relay disconnect of meter ${m.serial} (done); this request (relay connect of meter ${m.serial}) needs a new id`,
    );
    expect(state(m)).toBe(0);
  });

  it('reports a remote reconnect in control mode 1 as ready for reconnection (the customer presses the button)', async () => {
    const m = mb.meters[0];
    const record = await runRelayCommand({ id: 'cmd-2', meter: m.serial, action: 'connect' }, deps);
    expect(record.status).toBe('done');
    expect(record.outcome).toMatchObject({ result: 'ready-for-reconnection', after: { controlState: 2, outputState: false } });
    expect((record.outcome as { message: string }).message).toMatch(/ready for reconnection.*presses the button/);
    expect(state(m)).toBe(2);
    expect(m.meter.trigger('manual-reconnect', Date.now())).toBe(true); // the button
    expect(state(m)).toBe(1);
  }, 30_000);

  it('connects and disconnects in control mode 2, and says when nothing had to change', async () => {
    const m = mb.meters[1];
    const off = await runRelayCommand({ id: 'm2-off', meter: m.serial, action: 'disconnect' }, deps);
    expect(off.outcome).toMatchObject({ result: 'disconnected', after: { outputState: false } });
    const on = await runRelayCommand({ id: 'm2-on', meter: m.serial, action: 'connect' }, deps);
    expect(on.outcome).toMatchObject({ result: 'connected', changed: true, after: { controlState: 1, outputState: true } });
    const onAgain = await runRelayCommand({ id: 'm2-on-2', meter: m.serial, action: 'connect' }, deps);
    expect(onAgain.status).toBe('done');
    expect(onAgain.outcome).toMatchObject({ result: 'connected', changed: false });
    expect((onAgain.outcome as { message: string }).message).toMatch(/already/);
  }, 30_000);

  it('runs a command once when the same id arrives twice at the same time', async () => {
    const m = mb.meters[3];
    const a = startRelayCommand({ id: 'twice', meter: m.serial, action: 'disconnect' }, deps);
    const b = startRelayCommand({ id: 'twice', meter: m.serial, action: 'disconnect' }, deps);
    expect([a.created, b.created]).toEqual([true, false]);
    expect(b.record.status).toBe('running');
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(rb).toEqual(ra);
    expect(ra.status).toBe('done');
    expect(relayEvents(m, EventCode.remoteDisconnection)).toBe(1);
  }, 30_000);

  it('records the meter refusing (control mode 0) and an unknown meter as failures with their cause', async () => {
    const m = mb.meters[2];
    const refused = await runRelayCommand({ id: 'mode0', meter: m.serial, action: 'disconnect' }, deps);
    expect(refused.status).toBe('failed');
    expect(refused.outcome).toMatchObject({ errorKind: 'AccessError', before: { controlMode: 0 } });
    expect((refused.outcome as { cause: string }).cause).toMatch(/refused remote_disconnect: other-reason \(control mode 0: this disconnector cannot be switched remotely\)/);
    expect(state(m)).toBe(1);
    expect(mb.store.events.list({ meter: mb.record(m).id, kind: 'relay-command-failed' })).toHaveLength(1);

    const unknown = await runRelayCommand({ id: 'nobody', meter: '99999999', action: 'disconnect' }, deps);
    expect(unknown).toMatchObject({ status: 'failed', outcome: { errorKind: 'UnknownMeter', cause: 'meter 99999999 is not in the directory or not on a configured bus' } });
  }, 30_000);

  it('says so when the security profile\'s client may not switch the relay', async () => {
    const m = mb.meters[4];
    mb.store.meters.upsert({ serial: m.serial, securityProfile: 'reader' });
    const record = await runRelayCommand({ id: 'as-reader', meter: m.serial, action: 'disconnect' }, deps);
    expect(record.status).toBe('failed');
    expect((record.outcome as { cause: string }).cause).toMatch(/refused remote_disconnect: read-write-denied \(the client of security profile "reader" may not switch the relay: that takes the management client\)/);
    expect(state(m)).toBe(1);
  }, 30_000);

  it('records a meter that does not answer as a failure, and the directory counts it', async () => {
    const ghost = mb.store.meters.upsert({ serial: 'GHOST', link: 'rs485-1', linkKind: 'hdlc-serial', physicalAddress: 99, logicalDevice: 1 }).meter;
    const record = await runRelayCommand({ id: 'ghost-1', meter: 'GHOST', action: 'disconnect' }, { ...deps, resolveMeter: (s) => ({ ...mb.resolveMeter(s)!, busConfig: { ...mb.busConfig, responseTimeoutMs: 100 } }) });
    expect(record.status).toBe('failed');
    expect(record.outcome).toMatchObject({ errorKind: 'LinkTimeout' });
    expect((record.outcome as { cause: string }).cause).toMatch(/^meter GHOST: /);
    expect(mb.store.meters.get(ghost.id)!.stats).toMatchObject({ failures: 1, successes: 0 });
  }, 30_000);

  it('fails commands a crash left running after a restart, without running them', () => {
    const store = mb.store;
    store.commands.receive({ id: 'crashed', kind: 'relay', meter: mb.meters[0].serial, params: { action: 'disconnect' } });
    store.commands.start('crashed');
    const changed = failInterruptedCommands(store);
    expect(changed.map((c) => c.id)).toEqual(['crashed']);
    expect(store.commands.get('crashed')).toMatchObject({ status: 'failed', outcome: { errorKind: 'Interrupted' } });
  });
});
