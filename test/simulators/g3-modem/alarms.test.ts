// Alarms the meters push: a DLMS data-notification in the wrapper to wPort 102, in UDP
// 4059 to the coordinator, arriving as ADPD-DATA.indication.
import { afterEach, describe, expect, it } from 'vitest';
import { decodeApdu } from '../../../shared/dlms/apdu/index.js';
import { decodeDateTime, dateTimeToUtc } from '../../../shared/dlms/datetime.js';
import { parseDlmsPacket } from '../../../shared/g3/dlms.js';
import { ALARM_BITS, PUSH_CLIENT_WPORT } from '../../../simulators/g3-modem/index.js';
import { type Pan, PAN_ID, joins, openPan, startNetwork } from './pan.js';

describe('G3 modem simulator: pushed alarms', () => {
  let pan: Pan | undefined;
  afterEach(async () => {
    await pan?.close();
    pan = undefined;
  });

  it('delivers pushAlarm() as a data-indication carrying an IDIS-like data-notification', async () => {
    pan = await openPan({ count: 2 });
    const { host, sim } = pan;
    const before = Date.now();
    await startNetwork(host);
    const joined = await joins(host, 2);
    const node = sim.nodes[1];
    const short = joined.get(node.eui64)!;
    sim.pushAlarm(node.eui64);
    sim.pushAlarm(node.eui64);
    for (const expectedInvokeId of [0, 1]) {
      const ind = await host.next('data-indication', (m) => parseDlmsPacket(m.packet).from === short);
      expect(ind.linkQualityIndicator).toBeGreaterThan(0);
      const p = parseDlmsPacket(ind.packet);
      expect(p).toMatchObject({ panId: PAN_ID, from: short, to: 0, sourceWPort: 1, destinationWPort: PUSH_CLIENT_WPORT });
      const apdu = decodeApdu(p.apdu);
      if (apdu.kind !== 'DataNotification') throw new Error(`expected a DataNotification, got ${apdu.kind}`);
      expect(apdu).toMatchObject({ invokeId: expectedInvokeId, serviceClass: 'unconfirmed', priority: 'high' });
      const at = dateTimeToUtc(decodeDateTime(apdu.dateTime!));
      expect(at).not.toBeNull();
      expect(at!).toBeGreaterThanOrEqual(before - 1000);
      expect(at!).toBeLessThanOrEqual(Date.now() + 1000);
      expect(apdu.body.type).toBe('structure');
      if (apdu.body.type !== 'structure') return;
      const [name, alarm] = apdu.body.value;
      expect(name).toEqual({ type: 'octet-string', value: new TextEncoder().encode(`SIM${node.serial}`) });
      if (alarm.type !== 'double-long-unsigned') throw new Error(`alarm register is ${alarm.type}`);
      expect(ALARM_BITS.map((b) => 2 ** b)).toContain(alarm.value);
    }
    expect(sim.stats().alarms).toEqual({ pushed: 2, delivered: 2, lost: 0 });
    expect(sim.stats().byTraffic.alarm.bytes).toBeGreaterThan(0);
  });

  it('refuses to push from a node that is not joined', async () => {
    pan = await openPan({ count: 1 });
    expect(() => pan!.sim.pushAlarm(pan!.sim.nodes[0].eui64)).toThrow(/not joined/);
    expect(() => pan!.sim.pushAlarm('0000000000000000')).toThrow(/no node/);
  });

  it('pushes alarms by itself at the configured rate', async () => {
    pan = await openPan({ count: 3, alarmsPerNodePerHour: 60 });
    const { host } = pan;
    await startNetwork(host);
    await joins(host, 3);
    // One a minute per meter of model time: a few within a second of wall time.
    await host.next('data-indication', (m) => parseDlmsPacket(m.packet).destinationWPort === PUSH_CLIENT_WPORT, 5_000);
    await host.next('data-indication', (m) => parseDlmsPacket(m.packet).destinationWPort === PUSH_CLIENT_WPORT, 5_000);
    expect(pan.sim.stats().alarms.pushed).toBeGreaterThanOrEqual(2);
  });
});
