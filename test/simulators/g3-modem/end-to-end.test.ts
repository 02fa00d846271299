// The simulator end to end over a real pty pair: a host initialises the modem, starts the
// network, sees every meter join, and reads a meter with DLMS over IPv6/UDP/wrapper.
import { afterEach, describe, expect, it } from 'vitest';
import { Obis } from '../../../shared/dlms/obis.js';
import { AdpStatus } from '../../../shared/g3/adp.js';

import { type Pan, PAN_ID, answerFrom, associate, joins, openPan, sendApdu, startNetwork } from './pan.js';

describe('G3 modem simulator end to end', () => {
  let pan: Pan | undefined;
  afterEach(async () => {
    await pan?.close();
    pan = undefined;
  });

  it('joins every node with a distinct short address and serves a DLMS GET through the modem', async () => {
    pan = await openPan({ count: 5 });
    const { host, sim } = pan;
    await startNetwork(host);
    const joined = await joins(host, 5);
    expect([...joined.keys()].sort()).toEqual(sim.nodes.map((n) => n.eui64).sort());
    expect(new Set(joined.values()).size).toBe(5);
    for (const short of joined.values()) expect(short).toBeGreaterThan(0);
    // Each join was announced by a join-request first.
    const requests = host.received.filter((m) => m.type === 'join-request');
    expect(requests).toHaveLength(5);

    const node = sim.nodes[2];
    const short = joined.get(node.eui64)!;
    const client = await associate(host, short, 1);
    sendApdu(host, short, 2, client.get({ classId: 1, instanceId: Obis.serialNumber, attributeId: 2 }));
    expect(await host.next('data-confirm', (m) => m.nsduHandle === 2)).toMatchObject({ status: AdpStatus.success });
    const answer = await answerFrom(host, short);
    expect(answer).toMatchObject({ panId: PAN_ID, from: short, to: 0, sourceWPort: 1, destinationWPort: 16 });
    const step = client.receive(answer.apdu);
    expect(step.kind).toBe('done');
    if (step.kind !== 'done' || step.result.kind !== 'data') throw new Error(JSON.stringify(step));
    const value = step.result.value;
    const text = value.type === 'octet-string' ? new TextDecoder().decode(value.value) : value.type === 'visible-string' ? value.value : '';
    expect(text).toContain(node.serial);
  });

  it('is deterministic from the seed: the same join order, addresses, retries and air time', async () => {
    const run = async (seed: number) => {
      const p = await openPan({ count: 12, seed, lossPerHop: 0.05 });
      try {
        await startNetwork(p.host);
        const joined = await joins(p.host, 12);
        const s = p.sim.stats();
        return { order: [...joined], retries: s.joins.retries, bootstrap: s.byTraffic.bootstrap };
      } finally {
        await p.close();
      }
    };
    const a = await run(21);
    const b = await run(21);
    expect(b).toEqual(a);
    expect(a.retries).toBeGreaterThan(0);
    const c = await run(22);
    expect(c.order).not.toEqual(a.order);
  });
});
