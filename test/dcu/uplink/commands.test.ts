// Command intake over a real broker (aedes): signed commands from a fake cloud, refused with a
// result and an event when forged, for another DCU, expired or replayed; executed once (fake
// executor on the real journal) with one result even when delivered twice or after a restart.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeDownlink, encodeMessage } from '../../../shared/sync/codec.js';
import { Topics, type ResultMessage, type SignedCommand } from '../../../shared/sync/messages.js';
import { DcuStore } from '../../../dcu/store/index.js';
import { tempDir, testClock } from '../store/helpers.js';
import { cloudSigner, commandBody, fakeExecutor, FakeCloud, onCleanup, signed, sleep, startAedes, startUplink, uniqueId, uplinkConfig, waitFor } from './helpers.js';

async function setup() {
  const broker = await startAedes();
  const dcu = uniqueId('dcu');
  const signer = cloudSigner();
  const cloud = await FakeCloud.connect(broker.url, dcu, { signer });
  const file = join(tempDir(), 'dcu.db');
  const store = DcuStore.open(file, { clock: testClock(Date.now()) });
  onCleanup(() => {
    if (store.db.open) store.close();
  });
  const executor = fakeExecutor(store);
  const config = uplinkConfig(broker.url, { trustedKeys: { [signer.keyId]: signer.publicHex } });
  const uplink = startUplink(store, config, dcu, executor.execute);
  await waitFor('uplink connected', () => uplink.connected);
  const resultsFor = (id: string): ResultMessage[] => cloud.results.filter((r) => r.id === id);
  const send = (bytes: Uint8Array) => cloud.send(Topics.commands(dcu), bytes);
  return { broker, dcu, cloud, signer, file, store, executor, config, uplink, resultsFor, send };
}

describe('command intake', () => {
  it('refuses forged, misaddressed, expired and replayed commands with a result and an event, and runs none of them', async () => {
    const { dcu, signer, store, executor, resultsFor, send } = await setup();
    const good = commandBody(dcu, { command: 'relay', params: { meter: 'SN-0001', action: 'disconnect' } });
    await send(signed(signer, good));
    await waitFor('the good command done', () => resultsFor(good.id)[0]);

    const cases: { name: string; bytes: Uint8Array; id: string; reason: string }[] = [];
    {
      // one bit of the signature changed
      const body = commandBody(dcu, { command: 'relay', params: { meter: 'SN-0001', action: 'connect' } });
      const message = decodeDownlink(signed(signer, body)) as SignedCommand;
      message.signature[7]! ^= 0x10;
      cases.push({ name: 'bad signature', bytes: encodeMessage(message), id: body.id, reason: 'bad-signature' });
    }
    {
      const rogue = cloudSigner('rogue');
      const body = commandBody(dcu, { command: 'relay', params: { meter: 'SN-0001', action: 'connect' } });
      cases.push({ name: 'unknown key', bytes: signed(rogue, body), id: body.id, reason: 'unknown-key' });
    }
    {
      const body = commandBody('some-other-dcu', { command: 'relay', params: { meter: 'SN-0001', action: 'connect' } });
      cases.push({ name: 'another DCU', bytes: signed(signer, body), id: body.id, reason: 'wrong-dcu' });
    }
    {
      const body = commandBody(dcu, { command: 'relay', params: { meter: 'SN-0001', action: 'connect' }, issuedAt: Date.now() - 120_000, notAfter: Date.now() - 60_000 });
      cases.push({ name: 'expired', bytes: signed(signer, body), id: body.id, reason: 'expired' });
    }
    {
      // a command the cloud signed earlier (lower seq) that someone holds back and plays later
      const body = commandBody(dcu, { command: 'relay', params: { meter: 'SN-0001', action: 'connect' }, seq: good.seq - 1 });
      cases.push({ name: 'replayed (old sequence)', bytes: signed(signer, body), id: body.id, reason: 'stale-seq' });
    }
    for (const c of cases) await send(c.bytes);
    for (const c of cases) {
      const [result] = await waitFor(`the refusal of the ${c.name} command`, () => resultsFor(c.id).length > 0 && resultsFor(c.id));
      expect(result, c.name).toMatchObject({ kind: 'result', dcu, id: c.id, status: 'refused', outcome: { reason: c.reason } });
      expect(String(result!.outcome.message)).toContain(c.id);
    }
    expect(executor.calls.map((r) => r.id)).toEqual([good.id]);
    const refusedEvents = store.events.list({ kind: 'command-refused' });
    expect(refusedEvents.map((e) => e.details.reason).sort()).toEqual(cases.map((c) => c.reason).sort());
    expect(refusedEvents.find((e) => e.details.reason === 'bad-signature')!.severity).toBe('error');
    // Forged and misaddressed commands use up nothing: only authentic ones for this DCU are recorded.
    expect(store.cloudCommands.get(cases[0]!.id)).toBeUndefined();
    expect(store.cloudCommands.get(cases[1]!.id)).toBeUndefined();
    expect(store.cloudCommands.get(cases[2]!.id)).toBeUndefined();
    expect(store.cloudCommands.get(cases[3]!.id)).toMatchObject({ status: 'refused' });
    expect(store.cloudCommands.lastSeq()).toBe(good.seq);
  });

  it('runs a good relay command once and publishes one result, even when delivered twice and again after a restart', async () => {
    const { dcu, signer, store, executor, resultsFor, send, config, file, cloud, uplink } = await setup();
    const body = commandBody(dcu, { command: 'relay', params: { meter: 'SN-0042', action: 'disconnect' } });
    const bytes = signed(signer, body);
    await send(bytes);
    await send(bytes); // a QoS 1 redelivery, or someone replaying it: same signed message
    const [result] = await waitFor('the result', () => resultsFor(body.id).length > 0 && resultsFor(body.id));
    expect(result).toMatchObject({ kind: 'result', dcu, id: body.id, status: 'done', outcome: { result: 'disconnected' } });
    await sleep(300);
    expect(executor.calls).toEqual([{ id: body.id, kind: 'relay', meter: 'SN-0042', action: 'disconnect' }]);
    expect(resultsFor(body.id)).toHaveLength(1);
    expect(store.commands.get(body.id)).toMatchObject({ kind: 'relay', meter: 'SN-0042', status: 'done' });
    expect(store.events.list({ kind: 'command-repeated' })).toHaveLength(1);
    expect(store.cloudCommands.get(body.id)?.publishedAt).not.toBeNull();

    // A clock-sync command too.
    const sync = commandBody(dcu, { command: 'clock-sync', params: { meter: 'SN-0042', force: true } });
    await send(signed(signer, sync));
    const [synced] = await waitFor('the clock-sync result', () => resultsFor(sync.id).length > 0 && resultsFor(sync.id));
    expect(synced).toMatchObject({ status: 'done', outcome: { action: 'none' } });
    expect(executor.calls.at(-1)).toEqual({ id: sync.id, kind: 'clock-sync', meter: 'SN-0042', force: true });

    // Restart the DCU: the journal and the recorded commands survive; the same command is not run again.
    const results = cloud.results.length;
    await uplink.stop();
    store.close();
    const store2 = DcuStore.open(file, { clock: testClock(Date.now()) });
    onCleanup(() => store2.close());
    const executor2 = fakeExecutor(store2);
    const uplink2 = startUplink(store2, config, dcu, executor2.execute);
    await waitFor('reconnected', () => uplink2.connected);
    await send(bytes);
    await sleep(400);
    expect(executor2.calls).toEqual([]);
    expect(cloud.results.length).toBe(results);
    expect(store2.events.list({ kind: 'command-repeated' })).toHaveLength(2);
  });

  it('refuses requests that do not fit the command', async () => {
    const { dcu, signer, executor, resultsFor, send } = await setup();
    const read = commandBody(dcu, { command: 'meter-keys', params: { meter: 'SN-0001' } });
    const bad = commandBody(dcu, { command: 'relay', params: { meter: 'SN-0001', action: 'explode' } });
    await send(signed(signer, read));
    await send(signed(signer, bad));
    const [r1] = await waitFor('meter-keys refused', () => resultsFor(read.id).length > 0 && resultsFor(read.id));
    const [r2] = await waitFor('relay refused', () => resultsFor(bad.id).length > 0 && resultsFor(bad.id));
    expect(r1).toMatchObject({ status: 'refused', outcome: { reason: 'invalid' } }); // no sealed bytes
    expect(r2).toMatchObject({ status: 'refused', outcome: { reason: 'invalid' } });
    expect(String(r2!.outcome.message)).toContain('action');
    expect(executor.calls).toEqual([]);
  });
});
