// ADPD-DATA through the simulator: confirms matched by nsduHandle, the modem's bounded
// buffers, losses and the host's retransmissions in the statistics.
import { afterEach, describe, expect, it } from 'vitest';
import { Obis } from '../../../shared/dlms/obis.js';
import { AdpStatus } from '../../../shared/g3/adp.js';
import { parseDlmsPacket } from '../../../shared/g3/dlms.js';
import { ClientAssociation } from '../../../shared/dlms/association/client.js';
import { MAC_NO_ACK } from '../../../simulators/g3-modem/index.js';
import { type Pan, answerFrom, associate, joins, openPan, publicClient, sendApdu, startNetwork } from './pan.js';

const SERIAL_NUMBER = { classId: 1, instanceId: Obis.serialNumber, attributeId: 2 };

describe('G3 modem simulator: data', () => {
  let pan: Pan | undefined;
  afterEach(async () => {
    await pan?.close();
    pan = undefined;
  });

  it('confirms each request under its own nsduHandle and answers from the right meter', async () => {
    pan = await openPan({ count: 4 });
    const { host } = pan;
    await startNetwork(host);
    const shorts = [...(await joins(host, 4)).values()];
    const handles = [40, 41, 42, 43];
    shorts.forEach((short, i) => sendApdu(host, short, handles[i], publicClient().associate()));
    const confirms = await Promise.all(handles.map((h) => host.next('data-confirm', (m) => m.nsduHandle === h)));
    expect(confirms.map((c) => c.status)).toEqual([0, 0, 0, 0]);
    const answers = await Promise.all(shorts.map((s) => answerFrom(host, s)));
    for (const [i, a] of answers.entries()) {
      expect(a).toMatchObject({ from: shorts[i], to: 0, sourceWPort: 1, destinationWPort: 16 });
      expect(a.apdu[0]).toBe(0x61); // AARE
    }
    expect(host.received.filter((m) => m.type === 'data-confirm')).toHaveLength(4);
  });

  it('answers NO_BUFFERS at once beyond its buffers, and takes requests again once confirms free them', async () => {
    pan = await openPan({ count: 2, modemBuffers: 2 });
    const { host, sim } = pan;
    await startNetwork(host);
    const [short] = (await joins(host, 2)).values();
    for (let h = 1; h <= 5; h++) sendApdu(host, short, h, publicClient().associate());
    const confirms = await Promise.all([1, 2, 3, 4, 5].map((h) => host.next('data-confirm', (m) => m.nsduHandle === h)));
    expect(confirms.map((c) => c.status)).toEqual([0, 0, AdpStatus.noBuffers, AdpStatus.noBuffers, AdpStatus.noBuffers]);
    // The refusals came before either accepted request was confirmed.
    const order = host.received.filter((m) => m.type === 'data-confirm').map((m) => m.nsduHandle);
    expect(order.slice(0, 3).sort()).toEqual([3, 4, 5]);
    sendApdu(host, short, 6, publicClient().associate());
    expect(await host.next('data-confirm', (m) => m.nsduHandle === 6)).toMatchObject({ status: AdpStatus.success });
    await host.count('data-indication', 3);
    expect(sim.stats().data).toMatchObject({ requests: 6, noBuffers: 3, delivered: 3 });
  });

  it('counts a repeated request as the host retransmitting, and the meter answers it the same again', async () => {
    pan = await openPan({ count: 1 });
    const { host, sim } = pan;
    await startNetwork(host);
    const [short] = (await joins(host, 1)).values();
    const client = await associate(host, short, 1);
    const get = client.get(SERIAL_NUMBER);
    sendApdu(host, short, 2, get);
    const first = await answerFrom(host, short);
    sendApdu(host, short, 3, get);
    const again = await answerFrom(host, short);
    expect(again.apdu).toEqual(first.apdu);
    expect(sim.stats().data).toMatchObject({ retransmittedByHost: 1, delivered: 3, answersDelivered: 3 });
  });

  it('loses frames per hop: NO_ACK when the first hop fails, silence beyond, and the counts add up', async () => {
    pan = await openPan({ count: 6, lossPerHop: 0.4 });
    const { host, sim } = pan;
    await startNetwork(host);
    const shorts = [...(await joins(host, 6)).values()];
    const sent = 30;
    for (let h = 0; h < sent; h++) sendApdu(host, shorts[h % shorts.length], h, publicClient().associate());
    const confirms = await Promise.all(Array.from({ length: sent }, (_, h) => host.next('data-confirm', (m) => m.nsduHandle === h, 20_000)));
    const accepted = confirms.filter((c) => c.status !== AdpStatus.noBuffers);
    expect(accepted.length).toBeLessThan(sent); // 30 at once is more than 8 buffers
    expect(accepted.every((c) => c.status === AdpStatus.success || c.status === MAC_NO_ACK)).toBe(true);
    // Wait until every accepted request has been delivered or lost, and every answer has landed or been lost.
    const indications = () => host.received.filter((m) => m.type === 'data-indication');
    const s = await until(() => {
      const d = sim.stats().data;
      return d.delivered + d.lost === accepted.length && d.answers === d.delivered - d.unanswered && d.answersDelivered + d.answersLost === d.answers && indications().length === d.answersDelivered ? d : null;
    });
    expect(accepted.filter((c) => c.status === MAC_NO_ACK)).toHaveLength(s.noAck);
    expect(s.lost).toBeGreaterThan(0);
    expect(s.noAck).toBeLessThanOrEqual(s.lost);
    expect(s.unanswered).toBe(0);
    expect(s.answersLost).toBeGreaterThan(0);
    for (const ind of indications()) expect(parseDlmsPacket(ind.packet).apdu[0]).toBe(0x61);
  });
});


async function until<T>(probe: () => T | null, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error('the network did not settle');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('G3 modem simulator: answers too long for the host interface', () => {
  it('drops an answer that does not fit one USI frame, and counts it', async () => {
    const pan = await openPan({ count: 1 });
    try {
      const { host, sim } = pan;
      await startNetwork(host);
      const [short] = (await joins(host, 1)).values();
      // The reader client (LLS) proposing to take APDUs of any size: the meter answers its
      // object list (about 2.3 kB) in one APDU, more than a USI frame carries.
      const client = new ClientAssociation({ authentication: 'low', password: new TextEncoder().encode('12345678'), challenge: () => new Uint8Array(16), maxReceivePduSize: 0xffff });
      sendApdu(host, short, 1, client.associate(), 17);
      expect(client.receive((await answerFrom(host, short)).apdu)).toMatchObject({ kind: 'done', result: { kind: 'associated' } });
      sendApdu(host, short, 2, client.get({ classId: 15, instanceId: Obis.associationLn, attributeId: 2 }), 17);
      expect(await host.next('data-confirm', (m) => m.nsduHandle === 2)).toMatchObject({ status: AdpStatus.success });
      const s = await until(() => (sim.stats().data.answersTooLong > 0 ? sim.stats().data : null));
      expect(s).toMatchObject({ answers: 2, answersDelivered: 2, answersTooLong: 1 });
      expect(host.received.filter((m) => m.type === 'data-indication')).toHaveLength(1); // the AARE only
    } finally {
      await pan.close();
    }
  });
});
