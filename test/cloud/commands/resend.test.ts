// A command sent before its DCU ever subscribed reaches nobody (no persistent session yet):
// when the DCU announces itself online, the cloud publishes the unanswered commands again,
// byte for byte, and leaves answered or expired ones alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandService } from '../../../cloud/commands/service.js';
import { loadOrCreateCloudKeys } from '../../../cloud/provisioning/cloud-keys.js';
import { type Cloud, startCloud } from '../../../cloud/service.js';
import { decodeDownlink, encodeMessage } from '../../../shared/sync/codec.js';
import { SYNC_VERSION, Topics, type SignedCommand } from '../../../shared/sync/messages.js';

let dir: string;
let cloud: Cloud;
let commands: CommandService;
let clockMs = Date.now();
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cloud-resend-'));
  const keys = await loadOrCreateCloudKeys(join(dir, 'keys'));
  cloud = await startCloud({ store: { sqliteFile: join(dir, 'cloud.db') }, log: pino({ level: 'silent' }) });
  commands = await CommandService.connect({ keys, url: cloud.mqttUrl, store: cloud.store, now: () => clockMs });
});
afterAll(async () => {
  await commands?.close();
  await cloud?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function lateDcu(id: string): Promise<{ client: MqttClient; received: SignedCommand[] }> {
  const client = await mqtt.connectAsync(cloud.mqttUrl, { clientId: id });
  const received: SignedCommand[] = [];
  client.on('message', (_t, payload) => received.push(decodeDownlink(new Uint8Array(payload)) as SignedCommand));
  await client.subscribeAsync(Topics.commands(id), { qos: 1 });
  return { client, received };
}

async function announce(client: MqttClient, dcu: string, state: 'online' | 'offline'): Promise<void> {
  const status = encodeMessage({ v: SYNC_VERSION, kind: 'status', dcu, epoch: '', state, at: Date.now() });
  await client.publishAsync(Topics.status(dcu), Buffer.from(status), { qos: 1, retain: true });
}

async function settle(until: () => boolean): Promise<void> {
  for (let i = 0; i < 60 && !until(); i++) await new Promise((r) => setTimeout(r, 50));
}

describe('commands sent before the DCU ever subscribed', () => {
  it('go out again, unchanged, when the DCU comes online', async () => {
    const issued = await commands.send({ dcu: 'dcu-late', command: 'relay', params: { meter: '1', action: 'connect' } });
    const dcu = await lateDcu('dcu-late');
    await new Promise((r) => setTimeout(r, 200));
    expect(dcu.received).toHaveLength(0); // lost: nobody listened when it was published
    await announce(dcu.client, 'dcu-late', 'offline');
    await new Promise((r) => setTimeout(r, 200));
    expect(dcu.received).toHaveLength(0); // only 'online' brings commands back
    await announce(dcu.client, 'dcu-late', 'online');
    await settle(() => dcu.received.length > 0);
    expect(dcu.received.map((c) => [c.body.id, c.body.seq])).toEqual([[issued.id, issued.seq]]);
    await dcu.client.endAsync();
  });

  it('are not sent again once answered', async () => {
    const issued = await commands.send({ dcu: 'dcu-done', command: 'relay', params: { meter: '1', action: 'connect' } });
    const dcu = await lateDcu('dcu-done');
    const result = encodeMessage({ v: SYNC_VERSION, kind: 'result', dcu: 'dcu-done', id: issued.id, status: 'done', at: Date.now(), outcome: {} });
    await dcu.client.publishAsync(Topics.results('dcu-done'), Buffer.from(result), { qos: 1 });
    for (let i = 0; i < 60 && (await cloud.store.result('dcu-done', issued.id)) === null; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await cloud.store.result('dcu-done', issued.id)).not.toBeNull();
    await announce(dcu.client, 'dcu-done', 'online');
    await new Promise((r) => setTimeout(r, 400));
    expect(dcu.received).toHaveLength(0);
    await dcu.client.endAsync();
  });

  it('are not sent again once expired', async () => {
    clockMs = Date.now();
    await commands.send({ dcu: 'dcu-slow', command: 'relay', params: { meter: '1', action: 'connect' }, ttlMs: 60_000 });
    clockMs += 61_000;
    const dcu = await lateDcu('dcu-slow');
    await announce(dcu.client, 'dcu-slow', 'online');
    await new Promise((r) => setTimeout(r, 400));
    expect(dcu.received).toHaveLength(0);
    clockMs = Date.now();
    await dcu.client.endAsync();
  });
});
