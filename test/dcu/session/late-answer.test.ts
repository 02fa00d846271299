// A late answer over UDP: one answer in the middle of a block transfer comes after the
// transport's timeout, the transport repeats the request, the meter (its repeat cache on, as
// a real meter's) answers the repeat at once, and the late copy arrives while the next
// request is out. It must be dropped, not taken for the next block. Real meter simulator
// behind the wrapper on UDP; its fault injector delays exactly one answer, and a UDP relay
// gives every answer 50 ms of line time, so that the late copy lands inside the transfer.
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { WrapperUdpTransport } from '../../../dcu/links/wrapper-transport.js';
import { readProfile } from '../../../dcu/session/readers.js';
import { DlmsSession } from '../../../dcu/session/session.js';
import { Obis } from '../../../shared/dlms/obis.js';
import { FaultInjector } from '../../../simulators/meter/transport/faults.js';
import { createMeterSet } from '../../../simulators/meter/transport/meter-set.js';
import type { WrapperMeter } from '../../../simulators/meter/transport/wrapper-meter.js';
import { WrapperUdpServer } from '../../../simulators/meter/transport/wrapper-udp.js';
import { clientSettings } from '../../simulators/transport/fake-meter.js';

const LIFE = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;
const now = LIFE + 10 * DAY;
let close: () => Promise<void> = async () => {};

afterEach(() => close());

describe('a late answer to a repeated request', () => {
  for (const client of [17, 1] as const) {
    it(`is dropped in a block transfer (client ${client}, ${client === 1 ? 'ciphered' : 'plain'}); the profile is whole and right`, async () => {
      const { transport, late } = await readWithOneLateAnswer(client, { repeatWindow: 10_000 });
      expect(late).toBe(1);
      // The meter answered the repeat from its cache; the late copy came while a later block was
      // asked for, and was dropped.
      expect(transport.lateAnswers).toBeGreaterThanOrEqual(1);
    }, 30_000);
  }

  it('a meter without a repeat cache refuses the repeated GET-Request-Next: the GET starts over, the late block is dropped, the profile is whole and right', async () => {
    const { transport, late } = await readWithOneLateAnswer(17, { repeatWindow: 0 });
    expect(late).toBe(1);
    expect(transport.lateAnswers).toBeGreaterThanOrEqual(1);
  }, 30_000);
});

/** Reads a day of load profile with block 3 of the answer 1.1 s late; checks the rows against the model. */
async function readWithOneLateAnswer(client: 17 | 1, o: { repeatWindow: number }): Promise<{ transport: WrapperUdpTransport; late: number }> {
  const [running] = createMeterSet({ count: 1, firstAddress: 17, seed: 12, firstSerial: 70000012, startOfLife: LIFE });
  const meter: WrapperMeter = { server: running.server, label: running.serial };
  const server = await WrapperUdpServer.listen({ port: 0, meter, clock: () => now, repeatWindow: o.repeatWindow });
  // Small PDUs: a day of the load profile comes in many blocks.
  const association = { ...clientSettings(client), maxReceivePduSize: 128 };
  const relay = await slowRelay(server.port, 50);
  const transport = new WrapperUdpTransport({ host: '127.0.0.1', port: relay.port, client, responseTimeout: 1000, maxRetries: 3 });
  const session = new DlmsSession({ meter: running.serial, transport, association });
  close = async () => {
    await session.close();
    await server.close();
    relay.close();
  };
  await session.connect();
  // The third answer from now — block 1 (capture objects and buffer come in one
  // GET-with-list), block 2, then block 3, the answer to a GET-Request-Next — comes 1.1 s late: after one repeat (1 s), before a second, while the
  // blocks after it are being asked for (50 ms each). On a loaded machine more answers may be
  // late; each late copy is dropped.
  const faults = new FaultInjector({ late: { after: 2, times: 1, delay: 1100 } }, 1, 0, 'wrapper');
  meter.faults = faults;
  const from = now - DAY;
  const profile = await readProfile(session, Obis.loadProfile, { kind: 'range', from, to: now - 15 * 60_000 });
  expect(profile.rows).toHaveLength(96);
  const got = running.meter.objects.get({ classId: 7, instanceId: Obis.loadProfile, attributeId: 2 }, undefined, { clientSap: client, authentication: association.authentication, now });
  const model = 'data' in got ? got.data : { type: 'null-data' as const };
  const rows = model.type === 'array' ? model.value.map((r) => (r.type === 'structure' ? r.value : [])) : [];
  const first = rows.findIndex((r) => JSON.stringify(r[0]) === JSON.stringify(profile.rows[0][0]));
  expect(profile.rows).toEqual(rows.slice(first, first + 96));
  return { transport, late: faults.counts.late };
}

/** A UDP relay to 127.0.0.1:`target` that passes requests at once and answers `delayMs` later. */
async function slowRelay(target: number, delayMs: number): Promise<{ port: number; close: () => void }> {
  const socket = dgram.createSocket('udp4');
  let client: { port: number; address: string } | null = null;
  socket.on('message', (msg, from) => {
    if (from.port === target) {
      const to = client;
      if (to) setTimeout(() => socket.send(msg, to.port, to.address), delayMs);
    } else {
      client = { port: from.port, address: from.address };
      socket.send(msg, target, '127.0.0.1');
    }
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, close: () => socket.close() };
}
