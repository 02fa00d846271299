// The broker is not trusted, but it must still keep strangers out: mutual TLS with
// certificates from the cloud's CA, and the documented ACL (deploy/mosquitto/acl) that lets a
// DCU publish only under its own topics.
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CertificateAuthority, createCertificateAuthority, issueClientCertificate } from '../../cloud/provisioning/certificates.js';
import { type TestBroker, startMosquitto } from '../helpers/mosquitto.js';

let ca: CertificateAuthority;
let broker: TestBroker;
beforeAll(async () => {
  ca = await createCertificateAuthority('test cloud CA');
  broker = await startMosquitto(ca);
}, 30_000);
afterAll(async () => {
  await broker?.stop();
});

async function connect(identity: { cert: string; key: string } | null, caCert = ca.cert): Promise<MqttClient> {
  const client = mqtt.connect(broker.url, { ca: caCert, ...(identity && { cert: identity.cert, key: identity.key }), rejectUnauthorized: true, reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 5 });
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', (e) => (client.end(true), reject(e)));
    client.once('close', () => reject(new Error('connection closed')));
  });
}

describe('Mosquitto with mutual TLS and the DCU ACL', () => {
  it('lets a DCU publish under its own topics only, and the cloud read them', async () => {
    const cloud = await connect(await issueClientCertificate(ca, 'cloud'));
    const a = await connect(await issueClientCertificate(ca, 'dcu-a'));
    const got: string[] = [];
    cloud.on('message', (topic) => got.push(topic));
    await cloud.subscribeAsync('dcu/+/up/#', { qos: 1 });
    await a.publishAsync('dcu/dcu-a/up/readings', 'mine', { qos: 1 });
    await a.publishAsync('dcu/dcu-b/up/readings', 'forged', { qos: 1 }).catch(() => undefined);
    await a.publishAsync('dcu/dcu-a/down/commands', 'forged command', { qos: 1 }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
    expect(got).toEqual(['dcu/dcu-a/up/readings']);
    // …and a DCU reads only its own downlink.
    const b = await connect(await issueClientCertificate(ca, 'dcu-b'));
    const bGot: string[] = [];
    b.on('message', (topic) => bGot.push(topic));
    await b.subscribeAsync('dcu/+/down/#', { qos: 1 });
    await cloud.publishAsync('dcu/dcu-a/down/commands', 'for a', { qos: 1 });
    await cloud.publishAsync('dcu/dcu-b/down/commands', 'for b', { qos: 1 });
    await new Promise((r) => setTimeout(r, 500));
    expect(bGot).toEqual(['dcu/dcu-b/down/commands']);
    for (const c of [cloud, a, b]) await c.endAsync();
  });

  it('refuses a client without a certificate, and one with a certificate from another CA', async () => {
    await expect(connect(null)).rejects.toThrow();
    const stranger = await createCertificateAuthority('someone else');
    await expect(connect(await issueClientCertificate(stranger, 'dcu-a'))).rejects.toThrow();
  });
});
