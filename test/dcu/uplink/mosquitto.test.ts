// The uplink against a real Mosquitto (MOSQUITTO_URL, default 127.0.0.1:1883, plain): MQTT 5
// is negotiated, batches are delivered only on the cloud's acknowledgement, commands run and
// answer, and the persistent session keeps a command sent while the DCU was away.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Topics, type ReadingsBatch } from '../../../shared/sync/messages.js';
import { DcuStore } from '../../../dcu/store/index.js';
import { tempDir, testClock } from '../store/helpers.js';
import { cloudSigner, commandBody, fakeExecutor, FakeCloud, onCleanup, requireMosquitto, seedReadings, signed, sleep, startUplink, uniqueId, uplinkConfig, waitFor } from './helpers.js';

describe('uplink on Mosquitto (MQTT 5)', () => {
  it('negotiates MQTT 5; batches go up and are delivered on the acknowledgement; a command runs and answers', async () => {
    const url = await requireMosquitto();
    const dcu = uniqueId('dcu');
    const signer = cloudSigner();
    const cloud = await FakeCloud.connect(url, dcu, { autoAck: false, protocolVersion: 5, signer });
    const store = DcuStore.open(join(tempDir(), 'dcu.db'), { clock: testClock(Date.now()) });
    onCleanup(() => store.close());
    const rows = seedReadings(store, 2, 25); // 10 batches
    const executor = fakeExecutor(store);
    const uplink = startUplink(store, uplinkConfig(url, { sessionExpiryS: 60, maxInFlight: 4, trustedKeys: { [signer.keyId]: signer.publicHex } }), dcu, executor.execute);
    await waitFor('connected', () => uplink.connected);
    expect(uplink.status().protocolVersion).toBe(5);

    await waitFor('the window', () => cloud.stored.readings.size === 4);
    await sleep(300);
    expect(store.outbox.deliveredUpTo('readings')).toBe(0); // PUBACKed by Mosquitto, not acknowledged by the cloud
    cloud.autoAck = true;
    await cloud.ack('readings', cloud.contiguous('readings'));
    await waitFor('everything delivered', () => store.readings.undeliveredCount() === 0);
    expect(cloud.firstArrivals('readings')).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(cloud.arrivals.readings.reduce((n, a) => n + (a.message as ReadingsBatch).readings.length, 0)).toBeGreaterThanOrEqual(rows);

    const body = commandBody(dcu, { command: 'relay', params: { meter: 'SN-0001', action: 'connect' } });
    await cloud.send(Topics.commands(dcu), signed(signer, body));
    const result = await waitFor('the result', () => cloud.results.find((r) => r.id === body.id));
    expect(result).toMatchObject({ status: 'done', outcome: { result: 'connected' } });
    expect(cloud.statuses[0]).toMatchObject({ state: 'online', dcu });
  });

  it('a command sent while the DCU is away waits in its persistent session and runs when it is back', async () => {
    const url = await requireMosquitto();
    const dcu = uniqueId('dcu');
    const signer = cloudSigner();
    const cloud = await FakeCloud.connect(url, dcu, { protocolVersion: 5, signer });
    const file = join(tempDir(), 'dcu.db');
    const store = DcuStore.open(file, { clock: testClock(Date.now()) });
    onCleanup(() => {
      if (store.db.open) store.close();
    });
    const config = uplinkConfig(url, { sessionExpiryS: 60, trustedKeys: { [signer.keyId]: signer.publicHex } });
    const first = startUplink(store, config, dcu, fakeExecutor(store).execute);
    await waitFor('connected', () => first.connected);
    await sleep(200); // subscriptions in place
    await first.stop();
    await waitFor('offline', () => cloud.statuses.at(-1)?.state === 'offline');

    const body = commandBody(dcu, { command: 'clock-sync', params: { meter: 'SN-0007' } });
    await cloud.send(Topics.commands(dcu), signed(signer, body));
    await sleep(200);
    expect(cloud.results).toEqual([]);

    const executor = fakeExecutor(store);
    startUplink(store, config, dcu, executor.execute);
    const result = await waitFor('the result after reconnecting', () => cloud.results.find((r) => r.id === body.id));
    expect(result).toMatchObject({ status: 'done' });
    expect(executor.calls).toEqual([{ id: body.id, kind: 'clock-sync', meter: 'SN-0007' }]);
  });
});
