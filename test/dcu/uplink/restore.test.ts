// A restored older copy of a DCU database (same epoch, batch numbers gone back): the cloud's
// ack above anything the copy numbered makes the DCU start a new epoch and send every row not
// yet delivered again from batch 1 — so the copy's new rows are not taken for replays of the
// batches the cloud already has under those numbers. End to end against the real cloud (its
// embedded broker, SQLite store, signed acks); then the guards with a fake cloud.
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadOrCreateCloudKeys } from '../../../cloud/provisioning/cloud-keys.js';
import { ReadingsChecksum } from '../../../cloud/store/checksum.js';
import { startCloud } from '../../../cloud/service.js';
import type { ReadingsBatch } from '../../../shared/sync/messages.js';
import { DcuStore } from '../../../dcu/store/index.js';
import { Uplink, type UplinkLog } from '../../../dcu/uplink/index.js';
import type { UplinkConfig } from '../../../dcu/config.js';
import { HOUR, T0, tempDir, testClock } from '../store/helpers.js';
import { cloudSigner, fakeExecutor, FakeCloud, onCleanup, seedReadings, sleep, startAedes, uniqueId, uplinkConfig, waitFor } from './helpers.js';

type Line = { level: string; obj: Record<string, unknown>; msg: string };

function recordingLog(): UplinkLog & { lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (obj: object, msg = '') => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { lines, debug: () => {}, info: at('info'), warn: at('warn'), error: at('error') };
}

function start(store: DcuStore, config: UplinkConfig, dcuId: string, log: UplinkLog = recordingLog(), clock?: () => number): Uplink {
  const uplink = Uplink.start({ store, config, dcuId, execute: fakeExecutor(store).execute, log, ...(clock && { clock }) });
  onCleanup(() => uplink.stop());
  return uplink;
}

const delivered = (store: DcuStore): boolean =>
  store.readings.undeliveredCount() === 0 && store.events.after(store.outbox.deliveredUpTo('events'), 1).length === 0;

type Reading = Parameters<ReadingsChecksum['add']>[1];

/** A store's readings by the cloud's natural key. */
function readingsOf(store: DcuStore): Map<string, Reading> {
  const serials = new Map(store.meters.list().map((m) => [m.id, m.serial]));
  const out = new Map<string, Reading>();
  for (const r of store.readings.range({ from: 0, to: Number.MAX_SAFE_INTEGER })) {
    const meter = serials.get(r.meter)!;
    out.set(`${meter}|${r.obis}|${r.attribute}|${r.ts}`, { meter, obis: r.obis, attribute: r.attribute, ts: r.ts, value: r.value, unit: r.unit, scaler: r.scaler });
  }
  return out;
}

describe('a restored older copy of the database', () => {
  it('the cloud is ahead: the DCU starts a new epoch and the cloud ends up with every reading of the original and of the copy', async () => {
    const dir = tempDir();
    const keys = await loadOrCreateCloudKeys(join(dir, 'keys'));
    const cloud = await startCloud({ store: { sqliteFile: join(dir, 'cloud.db') }, signing: keys.signing, log: pino({ level: 'silent' }) });
    onCleanup(() => cloud.close());
    const dcu = uniqueId('dcu');
    const config = uplinkConfig(cloud.mqttUrl, { trustedKeys: { [keys.signing.keyId]: Buffer.from(keys.signing.publicKey).toString('hex') } });
    const file = join(dir, 'dcu.db');
    const backup = join(dir, 'backup.db');

    // The original: 80 readings delivered (batches 1–8); 20 more collected; then the backup.
    let store = DcuStore.open(file);
    seedReadings(store, 2, 20);
    let uplink = start(store, config, dcu);
    await waitFor('the first rows delivered', () => delivered(store));
    await uplink.stop();
    seedReadings(store, 2, 5, T0 + 20 * HOUR);
    store.close();
    copyFileSync(file, backup);

    // The original goes on: those 20 and 40 more are acknowledged (batches 9–14 of its epoch).
    store = DcuStore.open(file);
    seedReadings(store, 2, 10, T0 + 25 * HOUR);
    uplink = start(store, config, dcu);
    await waitFor('the original delivered', () => delivered(store));
    await uplink.stop();
    const epoch = store.batches.epoch;
    expect(store.batches.position('readings')).toMatchObject({ lastSeq: 14, ackedSeq: 14 });
    const original = readingsOf(store);
    store.close();

    // The installer restores the backup. The copy collects 40 rows the cloud has never seen; it
    // numbers them 9… (a window of 4 before the first ack) while the cloud has up to 14.
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
    copyFileSync(backup, file);
    store = DcuStore.open(file);
    onCleanup(() => (store.db.open ? store.close() : undefined));
    expect(store.batches.epoch).toBe(epoch);
    expect(store.batches.position('readings')).toMatchObject({ lastSeq: 8, ackedSeq: 8 });
    seedReadings(store, 2, 10, T0 + 40 * HOUR);
    const restored = readingsOf(store);
    const log = recordingLog();
    uplink = start(store, config, dcu, log);

    await waitFor('a new epoch', () => store.batches.epoch !== epoch);
    const newEpoch = store.batches.epoch;
    await waitFor('the copy delivered', () => delivered(store));
    const switched = log.lines.filter((l) => l.msg.includes('older copy'));
    expect(switched).toHaveLength(1);
    expect(switched[0]).toMatchObject({ level: 'error', obj: { stream: 'readings', epoch, newEpoch, upTo: 14, rowsToSendAgain: { readings: 60 } } });
    expect(switched[0]!.msg).toContain(`starting epoch ${newEpoch}`);
    // The old epoch's answers to the batches in flight at the switch change nothing.
    expect(log.lines.filter((l) => l.obj.reason === 'other-epoch').every((l) => l.level === 'info')).toBe(true);

    // Nothing lost: every reading of both databases (a reading read again is the same reading).
    const union = new ReadingsChecksum();
    for (const r of new Map([...restored, ...original]).values()) union.add(dcu, r);
    expect(union.count).toBe(180); // 80 shared + 60 only in the original + 40 only in the copy
    expect(await cloud.store.summarizeReadings({ dcu })).toEqual(union.summary());
    // The 60 undelivered rows of the copy went again as batches 1–6 of the new epoch.
    expect(store.batches.position('readings')).toMatchObject({ lastSeq: 6, ackedSeq: 6 });
    expect(await cloud.store.sequence(dcu, 'readings', newEpoch)).toMatchObject({ upTo: 6, missing: [] });
    expect(await cloud.store.sequence(dcu, 'readings', epoch)).toMatchObject({ upTo: 14 });
    // The cloud heard of the new epoch (status, then batches) and has the DCU's event about it.
    await waitFor('the new epoch in the cloud', async () => (await cloud.store.dcu(dcu))?.epoch === newEpoch);
    expect((await cloud.store.epochs(dcu)).map((e) => e.epoch)).toEqual([epoch, newEpoch]);
    const events = await cloud.store.events(dcu);
    expect(events.filter((e) => e.kind === 'uplink-epoch-restarted')).toMatchObject([{ epoch: newEpoch, details: { previousEpoch: epoch, epoch: newEpoch, cloudUpTo: 14, lastSeq: 12 } }]);
  }, 30_000);

  it('once per epoch: late acks of the old epoch are refused; a too-high ack of the new one soon after is ignored; a later one switches again', async () => {
    const broker = await startAedes();
    const dcu = uniqueId('dcu');
    const signer = cloudSigner();
    const cloud = await FakeCloud.connect(broker.url, dcu, { autoAck: false, signer });
    const clock = testClock(Date.now());
    const store = DcuStore.open(join(tempDir(), 'dcu.db'), { clock });
    onCleanup(() => (store.db.open ? store.close() : undefined));
    seedReadings(store, 2, 10); // 40 rows → 4 batches
    const log = recordingLog();
    start(store, uplinkConfig(broker.url, { trustedKeys: { [signer.keyId]: signer.publicHex } }), dcu, log, clock);
    const first = store.batches.epoch;
    await waitFor('4 batches', () => cloud.stored.readings.size === 4 && cloud.stored.events.size === 1);

    await cloud.ack('readings', 9, undefined, first); // the cloud has more of this epoch than it numbered
    await waitFor('a new epoch', () => store.batches.epoch !== first);
    const second = store.batches.epoch;
    await waitFor('a status naming it', () => cloud.statuses.some((s) => s.epoch === second && s.state === 'online'));
    await waitFor('its batches 1–4', () => cloud.arrivals.readings.filter((a) => (a.message as ReadingsBatch).epoch === second).length >= 4);
    const renumbered = cloud.arrivals.readings.filter((a) => (a.message as ReadingsBatch).epoch === second).map((a) => a.seq);
    expect(renumbered.slice(0, 4)).toEqual([1, 2, 3, 4]);
    expect(cloud.arrivals.events.some((a) => a.message.kind === 'events' && a.message.epoch === second && a.message.events.some((e) => e.kind === 'uplink-epoch-restarted'))).toBe(true);

    await cloud.ack('events', 9, undefined, first); // late, of the old epoch: refused by acks.ts
    await cloud.ack('readings', 9, undefined, second); // a cloud bug: it cannot have 9 of a new epoch
    await waitFor('the bogus ack logged', () => log.lines.some((l) => l.msg.includes('acknowledgement of batches never sent ignored: epoch')));
    await sleep(100);
    expect(store.batches.epoch).toBe(second);
    expect(store.batches.position('readings')).toMatchObject({ ackedSeq: 0 });
    expect(log.lines.some((l) => l.obj.reason === 'other-epoch' && l.obj.stream === 'events')).toBe(true);

    await cloud.ack('readings', 4, undefined, second);
    await waitFor('delivered in the new epoch', () => store.outbox.deliveredUpTo('readings') === 40);
    expect(store.events.list({ kind: 'uplink-epoch-restarted' })).toHaveLength(1);

    clock.now += 11 * 60_000; // long after: a copy of the new epoch may be behind again
    seedReadings(store, 2, 1, T0 + 10 * HOUR);
    await waitFor('batch 5', () => cloud.arrivals.readings.some((a) => (a.message as ReadingsBatch).epoch === second && a.seq === 5));
    await cloud.ack('readings', 9, undefined, second);
    await waitFor('a third epoch', () => ![first, second].includes(store.batches.epoch));
    expect(store.events.list({ kind: 'uplink-epoch-restarted' })).toHaveLength(2);
  }, 20_000);
});
