import { describe, expect, it } from 'vitest';
import { ActionResult, DataAccessResult } from '../../../shared/dlms/apdu/results.js';
import type { CosemData } from '../../../shared/dlms/data.js';
import { Obis } from '../../../shared/dlms/obis.js';
import { ControlState, type RelayTrigger, relayTransition } from '../../../simulators/meter/disconnect.js';
import { EventCode } from '../../../simulators/meter/events.js';
import { DAY, HOUR, MANAGEMENT, QUARTER, READER, START, act, makeMeter, read, set, valueOf } from './helpers.js';

const NOW = START + 2 * DAY + 10 * HOUR;
const ZERO: CosemData = { type: 'integer', value: 0 };
const { disconnected: D, connected: C, readyForReconnection: R } = ControlState;

describe('IC 70 state machine', () => {
  // [mode, trigger, from] -> to (absent = no transition), Blue Book transitions a..h.
  const expected: Record<string, number> = {};
  const allow = (modes: number[], trigger: RelayTrigger, from: number, to: number) => {
    for (const mode of modes) expected[`${mode}/${trigger}/${from}`] = to;
  };
  allow([2, 4], 'remote-reconnect', D, C); // a
  allow([1, 2, 3, 4, 5, 6], 'remote-disconnect', C, D); // b
  allow([1, 2, 3, 4, 5, 6], 'remote-disconnect', R, D); // c
  allow([1, 3, 5, 6], 'remote-reconnect', D, R); // d
  allow([1, 2, 3, 4, 5, 6], 'manual-reconnect', R, C); // e
  allow([1, 2, 5], 'manual-disconnect', C, R); // f
  allow([1, 2, 3, 4, 5, 6], 'local-disconnect', C, R); // g
  allow([5, 6], 'local-reconnect', R, C); // h
  const triggers: RelayTrigger[] = ['remote-disconnect', 'remote-reconnect', 'manual-disconnect', 'manual-reconnect', 'local-disconnect', 'local-reconnect'];

  it('has exactly the transitions of each control mode', () => {
    for (let mode = 0; mode <= 6; mode++) {
      for (const trigger of triggers) {
        for (const from of [D, C, R]) {
          expect(relayTransition(from, mode, trigger)?.to, `${mode}/${trigger}/${from}`).toBe(expected[`${mode}/${trigger}/${from}`]);
        }
      }
    }
  });
});

describe('disconnect control 0.0.96.3.10.255', () => {
  const state = (m: ReturnType<typeof makeMeter>, now: number) => ({
    output: read(m, 70, Obis.disconnectControl, 2, READER(now)),
    control: valueOf(read(m, 70, Obis.disconnectControl, 3, READER(now))),
  });

  it('remote disconnect and reconnect in mode 2 (direct), with events and no energy while open', () => {
    const m = makeMeter({ controlMode: 2 });
    expect(state(m, NOW)).toEqual({ output: { type: 'boolean', value: true }, control: C });
    expect(act(m, 70, Obis.disconnectControl, 1, ZERO, READER(NOW)).result).toBe(ActionResult['read-write-denied']);
    expect(act(m, 70, Obis.disconnectControl, 1, ZERO, MANAGEMENT(NOW)).result).toBe(ActionResult.success);
    expect(state(m, NOW)).toEqual({ output: { type: 'boolean', value: false }, control: D });
    const frozen = m.energy(NOW);
    expect(m.energy(NOW + HOUR)).toEqual(frozen);
    expect(valueOf(read(m, 3, '1.0.1.7.0.255', 2, READER(NOW + HOUR)))).toBe(0);
    expect(valueOf(read(m, 3, '1.0.32.7.0.255', 2, READER(NOW + HOUR)))).toBeGreaterThan(2000);
    // Disconnecting again changes nothing and succeeds.
    expect(act(m, 70, Obis.disconnectControl, 1, ZERO, MANAGEMENT(NOW + HOUR)).result).toBe(0);
    expect(act(m, 70, Obis.disconnectControl, 2, ZERO, MANAGEMENT(NOW + HOUR)).result).toBe(0);
    expect(state(m, NOW + HOUR)).toEqual({ output: { type: 'boolean', value: true }, control: C });
    expect(m.energy(NOW + HOUR + QUARTER).importTotal).toBeGreaterThan(frozen.importTotal);
    const lost = m.model.energy(NOW + HOUR).importTotal - m.model.energy(NOW).importTotal;
    expect(m.model.energy(NOW + DAY).importTotal - m.energy(NOW + DAY).importTotal).toBe(lost);
    // The register and the load profile agree with the relay periods.
    expect(valueOf(read(m, 3, Obis.activeEnergyImport, 2, READER(NOW + DAY)))).toBe(m.energy(NOW + DAY).importTotal);
    expect(m.events(NOW + DAY).map((e) => [e.time, e.code])).toEqual([
      [NOW, EventCode.remoteDisconnection],
      [NOW + HOUR, EventCode.remoteConnection],
    ]);
  });

  it('mode 1: remote reconnect only readies, the customer reconnects by hand', () => {
    const m = makeMeter();
    expect(valueOf(read(m, 70, Obis.disconnectControl, 4, READER(NOW)))).toBe(1);
    act(m, 70, Obis.disconnectControl, 1, ZERO, MANAGEMENT(NOW));
    act(m, 70, Obis.disconnectControl, 2, ZERO, MANAGEMENT(NOW + 1000));
    expect(state(m, NOW + 1000)).toEqual({ output: { type: 'boolean', value: false }, control: R });
    expect(m.trigger('manual-reconnect', NOW + 2000)).toBe(true);
    expect(state(m, NOW + 2000)).toEqual({ output: { type: 'boolean', value: true }, control: C });
    expect(m.events(NOW + 3000).map((e) => e.code)).toEqual([EventCode.remoteDisconnection, EventCode.remoteConnection, EventCode.manualConnection]);
    expect(m.state.relay.openPeriods).toEqual([{ from: NOW, to: NOW + 2000 }]);
  });

  it('control mode: writable by management only; mode 0 refuses remote operations', () => {
    const m = makeMeter();
    const mode0: CosemData = { type: 'enum', value: 0 };
    expect(set(m, 70, Obis.disconnectControl, 4, mode0, READER(NOW))).toBe(DataAccessResult['read-write-denied']);
    expect(set(m, 70, Obis.disconnectControl, 4, { type: 'enum', value: 7 }, MANAGEMENT(NOW))).toBe(DataAccessResult['other-reason']);
    expect(set(m, 70, Obis.disconnectControl, 4, mode0, MANAGEMENT(NOW))).toBe(0);
    expect(act(m, 70, Obis.disconnectControl, 1, ZERO, MANAGEMENT(NOW)).result).toBe(ActionResult['other-reason']);
    expect(set(m, 70, Obis.disconnectControl, 2, { type: 'boolean', value: false }, MANAGEMENT(NOW))).toBe(DataAccessResult['read-write-denied']);
    expect(state(m, NOW).control).toBe(C);
  });

  it('the state survives a restart from the persisted plain data', async () => {
    const { createSimulatedMeter } = await import('../../../simulators/meter/meter.js');
    const m = makeMeter({ controlMode: 2 });
    act(m, 70, Obis.disconnectControl, 1, ZERO, MANAGEMENT(NOW));
    const saved = JSON.parse(JSON.stringify(m.state));
    const again = createSimulatedMeter({ serial: '12345678', seed: 42, physicalAddress: 17, startOfLife: START }, saved);
    expect(valueOf(read(again, 70, Obis.disconnectControl, 3, READER(NOW)))).toBe(D);
    expect(again.energy(NOW + DAY)).toEqual(m.energy(NOW + DAY));
    expect(again.events(NOW + DAY)).toEqual(m.events(NOW + DAY));
    // A partial (older) state file is completed with defaults.
    const partial = createSimulatedMeter({ serial: '1', seed: 1, physicalAddress: 1, startOfLife: START }, { invocationCounter: 9 });
    expect(partial.state.invocationCounter).toBe(9);
    expect(partial.state.relay.controlState).toBe(C);
    expect(partial.energy(NOW).importTotal).toBeGreaterThan(0);
  });
});
