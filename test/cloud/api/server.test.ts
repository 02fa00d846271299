// The cloud's command API: a command is signed, published where only its DCU reads it, and
// its result is tracked once the DCU's answer is in the store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCloudApi } from '../../../cloud/api/server.js';
import { CommandService } from '../../../cloud/commands/service.js';
import { loadOrCreateCloudKeys } from '../../../cloud/provisioning/cloud-keys.js';
import { type Cloud, startCloud } from '../../../cloud/service.js';
import { decodeDownlink, encodeMessage } from '../../../shared/sync/codec.js';
import { Topics, type SignedCommand } from '../../../shared/sync/messages.js';
import { verifyCommand } from '../../../shared/sync/signing.js';

let dir: string;
let cloud: Cloud;
let commands: CommandService;
let keys: Awaited<ReturnType<typeof loadOrCreateCloudKeys>>;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cloud-api-'));
  keys = await loadOrCreateCloudKeys(join(dir, 'keys'));
  cloud = await startCloud({ store: { sqliteFile: join(dir, 'cloud.db') }, log: pino({ level: 'silent' }) });
  commands = await CommandService.connect({ keys, url: cloud.mqttUrl, store: cloud.store });
});
afterAll(async () => {
  await commands?.close();
  await cloud?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('cloud command API', () => {
  it('signs and sends a command the DCU can verify, and reports its result', async () => {
    const dcu = await mqtt.connectAsync(cloud.mqttUrl, { clientId: 'dcu-x' });
    const received: SignedCommand[] = [];
    dcu.on('message', (_t, payload) => received.push(decodeDownlink(new Uint8Array(payload)) as SignedCommand));
    await dcu.subscribeAsync(Topics.commands('dcu-x'), { qos: 1 });
    const app = buildCloudApi({ store: cloud.store, commands });
    const sent = await app.inject({ method: 'POST', url: '/commands', payload: { dcu: 'dcu-x', command: 'relay', params: { meter: '123', action: 'disconnect' } } });
    expect(sent.statusCode).toBe(202);
    const issued = sent.json() as { id: string; seq: number };
    for (let i = 0; i < 50 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(received).toHaveLength(1);
    const check = verifyCommand(received[0], { trustedKeys: new Map([[keys.signing.keyId, keys.signing.publicKey]]), dcuId: 'dcu-x', now: Date.now(), lastSeq: null, seenIds: new Set() });
    expect(check).toEqual({ ok: true });
    expect((await app.inject({ url: `/commands/dcu-x/${issued.id}` })).json()).toMatchObject({ issued: { id: issued.id }, result: null });
    // The DCU answers; the ingest stores the result and the API shows it.
    await dcu.publishAsync(Topics.results('dcu-x'), Buffer.from(encodeMessage({ v: 1, kind: 'result', dcu: 'dcu-x', id: issued.id, status: 'done', at: Date.now(), outcome: { state: 'disconnected' } })), { qos: 1 });
    let status: { result: unknown } = { result: null };
    for (let i = 0; i < 50 && status.result === null; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await app.inject({ url: `/commands/dcu-x/${issued.id}` })).json();
    }
    expect(status.result).toMatchObject({ status: 'done' });
    expect((await app.inject({ method: 'POST', url: '/commands', payload: { dcu: 'dcu x', command: 'fly' } })).json()).toMatchObject({ error: 'invalid command', issues: [{ field: 'dcu' }, { field: 'command' }] });
    await dcu.endAsync();
  });

  it('lists the items of a DCU\'s batches the store could not take, with the reason', async () => {
    const app = buildCloudApi({ store: cloud.store, commands });
    const reading = { meter: 'M\u0000', obis: '1.0.1.8.0.255', attribute: 2, ts: Date.UTC(2026, 0, 1), value: 5, unit: 30, scaler: 0, status: 0, source: 'scheduled' as const };
    expect(await cloud.store.storeBatch({ v: 2, kind: 'readings', dcu: 'dcu-r', epoch: '', seq: 1, readings: [reading, { ...reading, meter: 'M1' }] })).toMatchObject({ inserted: 1, rejected: 1 });
    const listed = (await app.inject({ url: '/dcus/dcu-r/rejected' })).json();
    expect(listed).toEqual([expect.objectContaining({ dcu: 'dcu-r', stream: 'readings', seq: 1, index: 0, reason: expect.stringContaining('NUL') })]);
    expect((await app.inject({ url: '/dcus/other/rejected' })).json()).toEqual([]);
  });

  it('shows a DCU with its current epoch and every database it had', async () => {
    const app = buildCloudApi({ store: cloud.store, commands });
    const reading = { meter: 'M1', obis: '1.0.1.8.0.255', attribute: 2, ts: Date.UTC(2026, 0, 1), value: 5, unit: 30, scaler: 0, status: 0, source: 'scheduled' as const };
    const [a, b] = ['a'.repeat(32), 'b'.repeat(32)];
    await cloud.store.storeBatch({ v: 2, kind: 'readings', dcu: 'dcu-e', epoch: a, seq: 1, readings: [reading] }, 1000);
    await cloud.store.storeBatch({ v: 2, kind: 'readings', dcu: 'dcu-e', epoch: b, seq: 1, readings: [{ ...reading, ts: reading.ts + 1 }] }, 2000);
    const shown = await app.inject({ url: '/dcus/dcu-e' });
    expect(shown.statusCode).toBe(200);
    expect(shown.json()).toMatchObject({ id: 'dcu-e', epoch: b, epochSince: 2000, epochs: [{ epoch: a, firstSeen: 1000 }, { epoch: b, firstSeen: 2000 }] });
    expect((await app.inject({ url: '/dcus' })).json()).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'dcu-e', epoch: b })]));
    expect((await app.inject({ url: '/dcus/nobody' })).statusCode).toBe(404);
  });
});
