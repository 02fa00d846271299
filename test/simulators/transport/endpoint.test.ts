// The sans-I/O pieces: the meter endpoints driven with bytes and a fake clock, and the
// fault triggers' arithmetic and determinism.
import { describe, expect, it } from 'vitest';
import { clientAddress, serverAddress } from '../../../shared/hdlc/address.js';
import { Deframer } from '../../../shared/hdlc/deframer.js';
import { encodeFrame } from '../../../shared/hdlc/frame.js';
import { encodeParameters } from '../../../shared/hdlc/parameters.js';
import { ClientAssociation } from '../../../shared/dlms/association/client.js';
import { Obis } from '../../../shared/dlms/obis.js';
import { FaultInjector, faultsFor, parseFaults } from '../../../simulators/meter/transport/faults.js';
import { HdlcMeterEndpoint, WrapperMeterEndpoint } from '../../../simulators/meter/transport/meter-endpoint.js';
import { clientSettings, fakeMeter, serialOf } from './fake-meter.js';

const frame = (physical: number, control: Parameters<typeof encodeFrame>[0]['control'], info: Uint8Array = new Uint8Array(0)) =>
  encodeFrame({ segmented: false, dest: serverAddress(1, physical), src: clientAddress(16), control, info });
const decode = (bytes: Uint8Array[]) => bytes.flatMap((b) => new Deframer().push(b).frames);

describe('HdlcMeterEndpoint', () => {
  it('connects, associates and answers, keeping the meter across connections', () => {
    const server = fakeMeter(17);
    const e = new HdlcMeterEndpoint({ server, physical: 17 });
    const ua = e.received(frame(17, { type: 'SNRM', pf: true }), 0);
    expect(decode(ua.transmit).map((f) => f.control.type)).toEqual(['UA']);
    expect(ua.events).toEqual([{ kind: 'connected', client: 16, parameters: { maxInfoTx: 128, maxInfoRx: 128, windowTx: 1, windowRx: 1 } }]);
    const assoc = new ClientAssociation(clientSettings(16));
    const aarq = Uint8Array.of(0xe6, 0xe6, 0x00, ...assoc.associate());
    const aare = e.received(frame(17, { type: 'I', ns: 0, nr: 0, pf: true }, aarq), 1);
    expect(aare.events).toEqual([{ kind: 'associated', client: 16, authentication: 'none' }]);
    const [f] = decode(aare.transmit);
    expect(assoc.receive(f.info.subarray(3))).toMatchObject({ kind: 'done', result: { kind: 'associated' } });
    expect(e.association?.state).toBe('associated');
  });

  it('ignores frames for other physical addresses', () => {
    const e = new HdlcMeterEndpoint({ server: fakeMeter(17), physical: 17 });
    expect(e.received(frame(18, { type: 'SNRM', pf: true }), 0).transmit).toEqual([]);
  });

  it('after a reboot answers DM to the old connection, and UA to a new SNRM', () => {
    const e = new HdlcMeterEndpoint({ server: fakeMeter(17), physical: 17 });
    e.received(frame(17, { type: 'SNRM', pf: true }), 0);
    expect(e.reboot()).toEqual({ kind: 'rebooted' });
    expect(decode(e.received(frame(17, { type: 'RR', nr: 0, pf: true }), 1).transmit)[0].control.type).toBe('DM');
    expect(decode(e.received(frame(17, { type: 'SNRM', pf: true }), 2).transmit)[0].control.type).toBe('UA');
  });

  it("'dm' mode refuses a proposal above the limits and accepts one within", () => {
    const e = new HdlcMeterEndpoint({ server: fakeMeter(17), physical: 17, oversizeProposal: 'dm' });
    const big = encodeParameters({ maxInfoTx: 512, maxInfoRx: 512, windowTx: 7, windowRx: 7 }, true);
    const refused = e.received(frame(17, { type: 'SNRM', pf: true }, big), 0);
    expect(decode(refused.transmit)[0].control.type).toBe('DM');
    expect(refused.events[0]).toMatchObject({ kind: 'refused-proposal', client: 16 });
    expect(decode(e.received(frame(17, { type: 'SNRM', pf: true }), 1).transmit)[0].control.type).toBe('UA');
  });
});

describe('WrapperMeterEndpoint', () => {
  it('answers per client SAP, and repeats the answer to a repeated request within the window', () => {
    const e = new WrapperMeterEndpoint({ server: fakeMeter(17), repeatWindow: 1000 });
    const assoc = new ClientAssociation(clientSettings(16));
    const aare = e.receive({ source: 16, destination: 1, apdu: assoc.associate() }, 0);
    expect(aare.answer).toMatchObject({ source: 1, destination: 16 });
    assoc.receive(aare.answer!.apdu);
    const get = assoc.get({ classId: 1, instanceId: Obis.serialNumber, attributeId: 2 });
    const first = e.receive({ source: 16, destination: 1, apdu: get }, 10).answer!;
    const again = e.receive({ source: 16, destination: 1, apdu: get }, 20).answer!;
    expect(again.apdu).toEqual(first.apdu);
    expect(assoc.receive(first.apdu)).toEqual({ kind: 'done', result: { kind: 'data', value: { type: 'octet-string', value: new TextEncoder().encode(serialOf(17)) } } });
    expect(e.receive({ source: 16, destination: 5, apdu: get }, 30).answer).toBeNull();
  });
});

describe('fault triggers', () => {
  const fire = (inj: FaultInjector, n: number) => Array.from({ length: n }, () => inj.outgoing(new Uint8Array(20)).applied.join() || '-');

  it('every Nth, after N, times K', () => {
    expect(fire(new FaultInjector({ silent: { every: 3 } }, 1, 17), 7)).toEqual(['-', '-', 'silent', '-', '-', 'silent', '-']);
    expect(fire(new FaultInjector({ silent: { after: 4, times: 2 } }, 1, 17), 8)).toEqual(['-', '-', '-', '-', 'silent', 'silent', '-', '-']);
  });

  it('probabilities are deterministic for a seed, differ between seeds and between meters', () => {
    const run = (seed: number, meter: number) => fire(new FaultInjector({ silent: { probability: 0.3 } }, seed, meter), 200).join('');
    expect(run(5, 17)).toBe(run(5, 17));
    expect(run(5, 17)).not.toBe(run(6, 17));
    expect(run(5, 17)).not.toBe(run(5, 18));
    const hits = run(5, 17).split('silent').length - 1;
    expect(hits).toBeGreaterThan(30);
    expect(hits).toBeLessThan(90);
  });

  it("adding a fault does not change another fault's draws", () => {
    const silentOnly = fire(new FaultInjector({ silent: { probability: 0.3 } }, 9, 17), 100).map((s) => (s.includes('silent') ? 'x' : '-'));
    const both = fire(new FaultInjector({ silent: { probability: 0.3 }, garbage: { probability: 0.5 } }, 9, 17), 100).map((s) => (s.includes('silent') ? 'x' : '-'));
    expect(both).toEqual(silentOnly);
  });

  it('corrupts the FCS of an HDLC frame and the version of a wrapper PDU', () => {
    const hdlc = frame(17, { type: 'UA', pf: true });
    const bad = new FaultInjector({ corruptFcs: { every: 1 } }, 1, 17).outgoing(hdlc).frame!;
    expect(new Deframer().push(bad).errors[0].message).toMatch(/FCS/);
    const wrapper = Uint8Array.of(0, 1, 0, 1, 0, 16, 0, 1, 0xc4);
    const badWrapper = new FaultInjector({ corruptFcs: { every: 1 } }, 1, 17, 'wrapper').outgoing(wrapper).frame!;
    expect(badWrapper[1]).not.toBe(1);
  });

  it('parses and checks the --faults JSON, merging "*" with a meter\'s own', () => {
    const all = parseFaults('{"*": {"garbage": {"probability": 0.1}}, "17": {"late": {"every": 5, "delay": 3000}, "refuseProposal": "dm"}}');
    expect(faultsFor(all, 17)).toEqual({ garbage: { probability: 0.1 }, late: { every: 5, delay: 3000 }, refuseProposal: 'dm' });
    expect(faultsFor(all, 18)).toEqual({ garbage: { probability: 0.1 } });
    expect(() => parseFaults('{"17": {"late": {"every": 5}}}')).toThrow(/faults.17.late.delay: required/);
    expect(() => parseFaults('{"17": {"silent": {"probability": 2}}}')).toThrow(/probability/);
    expect(() => parseFaults('{"17": {"explode": {}}}')).toThrow(/unknown fault/);
    expect(() => parseFaults('{"17": {"silent": {"evry": 2}}}')).toThrow(/unknown setting/);
  });
});
