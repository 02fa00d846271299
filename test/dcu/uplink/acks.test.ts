// Which acks the DCU applies (dcu/uplink/acks.ts), over a real broker (aedes): only one signed
// by a trusted cloud key and naming this database's epoch moves the outbox; an ack of another
// epoch (an older database's), an unsigned one, a forged one change nothing and are logged.
// Batches and status carry the epoch. checkAck's rules also without a broker.
import { describe, expect, it } from 'vitest';
import { signAck, signingKeyPairFromSeed } from '../../../shared/sync/signing.js';
import type { AckMessage, ReadingsBatch } from '../../../shared/sync/messages.js';
import { checkAck, Uplink, type UplinkLog } from '../../../dcu/uplink/index.js';
import { trustedKeysFromConfig } from '../../../dcu/uplink/verify.js';
import { openStore } from '../store/helpers.js';
import { cloudSigner, fakeExecutor, FakeCloud, onCleanup, seedReadings, startAedes, uniqueId, uplinkConfig, waitFor } from './helpers.js';

function recordingLog(): UplinkLog & { lines: { level: string; obj: object; msg: string }[] } {
  const lines: { level: string; obj: object; msg: string }[] = [];
  const at = (level: string) => (obj: object, msg = '') => void lines.push({ level, obj, msg });
  return { lines, debug: () => {}, info: at('info'), warn: at('warn'), error: at('error') };
}

describe('acks on the DCU', () => {
  it('only a signed ack of this epoch moves the outbox; the others change nothing and are logged', async () => {
    const broker = await startAedes();
    const dcu = uniqueId('dcu');
    const signer = cloudSigner();
    const cloud = await FakeCloud.connect(broker.url, dcu, { autoAck: false, signer });
    const store = openStore();
    seedReadings(store, 2, 20); // 80 rows → 8 batches of 10
    const log = recordingLog();
    const config = uplinkConfig(broker.url, { maxInFlight: 8, trustedKeys: { [signer.keyId]: signer.publicHex } });
    const uplink = Uplink.start({ store, config, dcuId: dcu, execute: fakeExecutor(store).execute, log });
    onCleanup(() => uplink.stop());
    const epoch = store.batches.epoch;

    await waitFor('8 batches', () => cloud.stored.readings.size === 8);
    expect(cloud.arrivals.readings.every((a) => (a.message as ReadingsBatch).epoch === epoch)).toBe(true);
    await waitFor('status', () => cloud.statuses.length > 0);
    expect(cloud.statuses[0]).toMatchObject({ v: 2, epoch, state: 'online' });

    const body: AckMessage = { v: 2, kind: 'ack', dcu, epoch, stream: 'readings', upTo: 6 };
    const forger = signingKeyPairFromSeed(new Uint8Array(32).fill(9));
    const tampered = { ...signAck({ ...body, upTo: 1 }, signer.keyId, signer.seed), upTo: 6 };
    await cloud.ack('readings', 6, undefined, 'f'.repeat(32)); // signed, but for an older database
    await cloud.ack('readings', 6, undefined, ''); // signed, for a database from before epochs
    await cloud.publishAck(body); // unsigned
    await cloud.publishAck(signAck(body, signer.keyId, forger.seed)); // a trusted key id, another key
    await cloud.publishAck(signAck(body, 'cloud-other', forger.seed)); // a key this DCU does not know
    await cloud.publishAck(tampered); // a real signature over another upTo
    await cloud.publishAck({ ...body, dcu: 'dcu-else' }); // the broker put another DCU's ack here
    await cloud.ack('readings', 2); // the one real ack: after all the others on the same connection
    await waitFor('batch 2 acknowledged', () => store.batches.position('readings').ackedSeq === 2);
    await new Promise((r) => setTimeout(r, 100));
    expect(store.batches.position('readings').ackedSeq).toBe(2); // not 6: no other ack was applied
    expect(store.outbox.deliveredUpTo('readings')).toBe(20);

    const refusals = log.lines.filter((l) => l.msg.startsWith('acknowledgement'));
    expect(refusals.map((l) => [l.level, (l.obj as { reason: string }).reason])).toEqual([
      ['info', 'other-epoch'], ['info', 'other-epoch'], ['warn', 'unsigned'], ['warn', 'bad-signature'], ['warn', 'unknown-key'], ['warn', 'bad-signature'], ['warn', 'wrong-dcu'],
    ]);
    expect(refusals[0]!.msg).toContain('an older database of this DCU');
    expect(refusals[2]!.msg).toContain('nothing changed');
  });

  it('development mode without trusted keys takes unsigned acks, but still only of its epoch', async () => {
    const broker = await startAedes();
    const dcu = uniqueId('dcu');
    const cloud = await FakeCloud.connect(broker.url, dcu, { autoAck: false });
    const store = openStore();
    seedReadings(store, 1, 20); // 40 rows → 4 batches
    const uplink = Uplink.start({ store, config: uplinkConfig(broker.url), dcuId: dcu, execute: fakeExecutor(store).execute });
    onCleanup(() => uplink.stop());
    await waitFor('4 batches', () => cloud.stored.readings.size === 4);
    await cloud.ack('readings', 4, undefined, 'e'.repeat(32));
    await cloud.ack('readings', 1);
    await waitFor('batch 1 acknowledged', () => store.batches.position('readings').ackedSeq === 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(store.batches.position('readings').ackedSeq).toBe(1);
  });
});

describe('checkAck', () => {
  const signer = cloudSigner('cloud-1');
  const trustedKeys = trustedKeysFromConfig({ [signer.keyId]: signer.publicHex });
  const epoch = 'c'.repeat(32);
  const ack: AckMessage = { v: 2, kind: 'ack', dcu: 'dcu-1', epoch, stream: 'events', upTo: 3 };
  const good = signAck(ack, signer.keyId, signer.seed);
  const ctx = { dcuId: 'dcu-1', epoch, trustedKeys, development: false };
  const reason = (a: AckMessage, c = ctx) => {
    const r = checkAck(a, c);
    return r.ok ? 'ok' : r.reason;
  };

  it('checks the DCU, then the signature, then the epoch', () => {
    expect(reason(good)).toBe('ok');
    expect(reason({ ...good, dcu: 'dcu-2' })).toBe('wrong-dcu');
    expect(reason(ack)).toBe('unsigned');
    expect(reason({ ...good, epoch: '' })).toBe('bad-signature'); // the epoch is signed: it cannot be swapped
    expect(reason(signAck({ ...ack, epoch: '' }, signer.keyId, signer.seed))).toBe('other-epoch');
    expect(reason(good, { ...ctx, development: true })).toBe('ok');
    expect(reason(ack, { ...ctx, development: true })).toBe('unsigned'); // keys configured: signatures required in development too
  });

  it('without trusted keys: refused, as commands are, unless in development mode', () => {
    const none = { ...ctx, trustedKeys: new Map<string, Uint8Array>() };
    expect(reason(good, none)).toBe('no-trusted-keys');
    expect(reason(ack, none)).toBe('no-trusted-keys');
    expect(reason(ack, { ...none, development: true })).toBe('ok');
    expect(reason({ ...ack, epoch: 'd'.repeat(32) }, { ...none, development: true })).toBe('other-epoch');
  });
});
