// The connection: the DCU's identity (refused without it outside development mode, naming the
// missing file), mutual TLS with a pinned CA against a TLS broker, and the retained last will.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UplinkConfigSchema, parseConfig } from '../../../dcu/config.js';
import { loadIdentity, Uplink, UplinkIdentityError } from '../../../dcu/uplink/index.js';
import { openStore, tempDir } from '../store/helpers.js';
import { cloudSigner, fakeExecutor, FakeCloud, makePki, seedReadings, sleep, startAedes, startTlsAedes, startUplink, uniqueId, uplinkConfig, waitFor } from './helpers.js';

describe('the DCU identity', () => {
  it('outside development mode: mqtts:// and all three identity files, each missing one named', () => {
    const dir = tempDir();
    const base = { url: 'mqtts://broker.example:8883', tls: { ca: join(dir, 'ca.pem'), cert: join(dir, 'dcu.pem'), key: join(dir, 'dcu.key') } };
    expect(() => loadIdentity(UplinkConfigSchema.parse(base))).toThrow(UplinkIdentityError);
    expect(() => loadIdentity(UplinkConfigSchema.parse(base))).toThrow(`uplink.tls.cert: the DCU’s client certificate ${join(dir, 'dcu.pem')} does not exist`);
    writeFileSync(join(dir, 'ca.pem'), 'not a certificate');
    expect(() => loadIdentity(UplinkConfigSchema.parse(base))).toThrow(`uplink.tls.ca: ${join(dir, 'ca.pem')} is not a PEM file`);

    // The config itself names what is not configured, and refuses a plain connection.
    expect(() => parseConfig({ dcuId: 'd1', database: 'x.db', systemTitle: '4443550000000001', profiles: {}, uplink: { url: 'mqtt://127.0.0.1:1883' } })).toThrow(
      /uplink\.url: a plain connection \(mqtt:\/\/\) needs "development": true[\s\S]*uplink\.tls\.ca: required: the DCU identity bundle/,
    );
    expect(() => loadIdentity({ ...UplinkConfigSchema.parse({ ...base, development: true }), url: 'mqtt://x', development: false, tls: {} })).toThrow(
      /uplink\.url: mqtt:\/\/x is a plain connection.*uplink\.tls\.ca: not configured.*uplink\.tls\.key: not configured/,
    );
  });

  it('Uplink.start refuses to run without the identity; development mode connects plain', async () => {
    const store = openStore();
    const config = UplinkConfigSchema.parse({ url: 'mqtts://127.0.0.1:1', tls: { ca: '/nonexistent/ca.pem', cert: '/nonexistent/dcu.pem', key: '/nonexistent/dcu.key' } });
    expect(() => Uplink.start({ store, config, dcuId: 'd1', execute: fakeExecutor(store).execute })).toThrow(/will not connect without its identity: uplink\.tls\.ca: .*\/nonexistent\/ca\.pem does not exist/);

    const broker = await startAedes();
    const uplink = startUplink(store, uplinkConfig(broker.url), uniqueId('dcu'));
    await waitFor('connected in development mode', () => uplink.connected);
  });
});

describe('mutual TLS with a pinned CA', () => {
  it('connects with its client certificate and sends its batches', async () => {
    const dcu = uniqueId('dcu');
    const pki = makePki(tempDir(), dcu);
    const broker = await startTlsAedes({ cert: pki.serverCert, key: pki.serverKey, ca: pki.ca });
    const store = openStore();
    seedReadings(store, 1, 10);
    // Outside development mode acks count only when signed by a trusted cloud key, as commands.
    const signer = cloudSigner();
    const trustedKeys = { [signer.keyId]: signer.publicHex };
    const uplink = startUplink(store, uplinkConfig(broker.url, { development: false, ackTimeoutS: 1, trustedKeys, tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey } }), dcu);
    await waitFor('connected over TLS', () => uplink.connected);
    expect(new Set(broker.clients)).toEqual(new Set([dcu])); // the broker saw the DCU's certificate (one attempt per protocol version)

    // A cloud that subscribes only now: the batches the broker dropped for want of a subscriber
    // (PUBACK and all) go out again after the ack timeout, and are acknowledged.
    const cloud = await FakeCloud.connect(broker.url, dcu, { signer, tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey } });
    uplink.notify();
    await waitFor('acknowledged', () => store.readings.undeliveredCount() === 0);
    expect(cloud.firstArrivals('readings')).toEqual([1, 2]);
  });

  it('a client certificate of another CA is refused by the broker; a broker certificate of another CA is refused by the DCU', async () => {
    const dcu = uniqueId('dcu');
    const pki = makePki(tempDir(), dcu);
    const store = openStore();

    const broker = await startTlsAedes({ cert: pki.serverCert, key: pki.serverKey, ca: pki.ca });
    const rogueClient = startUplink(store, uplinkConfig(broker.url, { development: false, tls: { ca: pki.ca, cert: pki.rogueClientCert, key: pki.rogueClientKey } }), dcu);
    await waitFor('the broker refused the handshake', () => broker.refused.length > 0);
    await sleep(300);
    expect(rogueClient.connected).toBe(false);
    expect(broker.clients).toEqual([]);
    await rogueClient.stop();

    // The DCU trusts only its pinned CA: a broker with a certificate from anyone else is not its broker.
    const impostor = await startTlsAedes({ cert: pki.rogueServerCert, key: pki.rogueServerKey, ca: pki.ca });
    const uplink = startUplink(store, uplinkConfig(impostor.url, { development: false, tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey } }), dcu);
    await sleep(800);
    expect(uplink.connected).toBe(false);
    expect(impostor.clients).toEqual([]);
  });
});

describe('status and last will', () => {
  it('a lost connection leaves the retained last will "offline"; back online after reconnecting', async () => {
    const broker = await startAedes();
    const dcu = uniqueId('dcu');
    const cloud = await FakeCloud.connect(broker.url, dcu);
    const store = openStore();
    const uplink = startUplink(store, uplinkConfig(broker.url), dcu);
    await waitFor('online', () => cloud.statuses.some((s) => s.state === 'online'));
    broker.kick(dcu);
    await waitFor('the will', () => cloud.statuses.some((s) => s.state === 'offline'));
    await waitFor('online again', () => cloud.statuses.at(-1)?.state === 'online' && uplink.connected);
    expect(cloud.statuses.map((s) => s.state)).toEqual(['online', 'offline', 'online']);
    expect(cloud.statuses[0]).toMatchObject({ dcu, backlog: { readings: 0, events: 0 } });
  });
});
