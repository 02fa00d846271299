// Remote credit through the real command path: the cloud in-process (embedded broker, ingest,
// a SQLite file or a PostgreSQL schema), the CommandService signing token commands, and a DCU on MQTT that verifies
// each command and enters the token into an STS meter (shared/sts, the simulator's engine),
// answering as dcu/commands/token.ts does. The vend records the delivery and the credit read
// back; a DCU failure is retried; a refusal is final; the digits are never lost.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandService } from '../../../cloud/commands/service.js';
import { loadOrCreateCloudKeys } from '../../../cloud/provisioning/cloud-keys.js';
import { type Cloud, startCloud } from '../../../cloud/service.js';
import { startVending, type Vending, VendingKeyring } from '../../../cloud/vending/index.js';
import { reconcile } from '../../../cloud/vending/reports.js';
import { acceptToken, createMeterState, keyParameters, type StsMeterState } from '../../../shared/sts/index.js';
import { decodeDownlink, encodeMessage } from '../../../shared/sync/codec.js';
import { type SignedCommand, Topics } from '../../../shared/sync/messages.js';
import { verifyCommand } from '../../../shared/sync/signing.js';
import { eventually } from '../ingest/fake-dcu.js';
import { freshPostgresSchema, POSTGRES_URL, type PostgresSchema, requirePostgres } from '../../helpers/postgres.js';
import { accountInput, BACKENDS, type DatabaseLocation, KEYS, openCloudStoreAt, TARIFF } from './service-fixtures.js';

describe.each(BACKENDS)('remote credit (%s)', (backend) => {
  const DCU = 'dcu-remote';
  let dir: string;
  let cloud: Cloud;
  let commands: CommandService;
  let vending: Vending;
  let dcu: MqttClient;
  let location: DatabaseLocation;
  let schema: PostgresSchema | undefined;
  const keyring = new VendingKeyring(KEYS);
  /** What the DCU does with the next commands: 'meter' enters the token, 'fail' answers failed. */
  const script: ('meter' | 'fail')[] = [];
  const received: SignedCommand[] = [];
  const meters = new Map<string, StsMeterState>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vending-remote-'));
    if (backend === 'postgres') {
      await requirePostgres(POSTGRES_URL);
      schema = freshPostgresSchema(POSTGRES_URL);
      location = { kind: 'postgres', url: schema.url, schema: schema.schema };
    } else location = { kind: 'sqlite', file: join(dir, 'cloud.db') };
    const keys = await loadOrCreateCloudKeys(join(dir, 'keys'));
    const store = location.kind === 'sqlite' ? { sqliteFile: location.file } : { databaseUrl: location.url, schema: location.schema };
    cloud = await startCloud({ store, log: pino({ level: 'silent' }) });
    commands = await CommandService.connect({ keys, url: cloud.mqttUrl, store: cloud.store });
    vending = await startVending({ store: cloud.store, commands, keyring, remoteCredit: { pollMs: 50, retryDelayMs: 0, maxAttempts: 3 } });
    await vending.operations.addTariff(TARIFF);
    for (const n of [1, 2]) {
      const a = await vending.operations.open(accountInput(n, { kind: 'remote', dcuId: DCU }));
      meters.set(a.state.meterSerial, createMeterState({ algorithm: 'EA07', decoderKey: keyring.decoderKey(a.sts), keyParameters: keyParameters(a.sts) }));
    }
    dcu = await mqtt.connectAsync(cloud.mqttUrl, { clientId: DCU });
    const trusted = new Map([[keys.signing.keyId, keys.signing.publicKey]]);
    const seen = new Set<string>();
    dcu.on('message', (_topic, payload) => {
      const signed = decodeDownlink(new Uint8Array(payload)) as SignedCommand;
      const check = verifyCommand(signed, { trustedKeys: trusted, dcuId: DCU, now: Date.now(), lastSeq: null, seenIds: seen });
      if (!check.ok) throw new Error(`bad command: ${JSON.stringify(check)}`);
      seen.add(signed.body.id);
      received.push(signed);
      const { meter, token } = signed.body.params as { meter: string; token: string };
      const answer = (status: 'done' | 'failed', outcome: Record<string, unknown>) =>
        void dcu.publishAsync(Topics.results(DCU), Buffer.from(encodeMessage({ v: 1, kind: 'result', dcu: DCU, id: signed.body.id, status, at: Date.now(), outcome })), { qos: 1 });
      if ((script.shift() ?? 'meter') === 'fail') return answer('failed', { cause: 'meter did not answer', errorKind: 'LinkTimeout' });
      const state = meters.get(meter)!;
      const r = acceptToken(state, token, Date.now());
      meters.set(meter, r.newState);
      const wh = r.newState.credit[0]! * 100; // electricity register in 0.1 kWh units; reported in Wh
      answer('done', {
        tokenStatus: r.result === 'Accept' ? 3 : 6,
        tokenStatusName: r.result === 'Accept' ? 'execution-ok' : 'validation-failure',
        accepted: r.result === 'Accept',
        tokenDescription: [r.result],
        credit: { amount: wh, scaler: 0, unit: 'Wh', value: wh },
        message: r.reason,
      });
    });
    await dcu.subscribeAsync(Topics.commands(DCU), { qos: 1 });
  });

  afterAll(async () => {
    await dcu?.endAsync();
    await vending?.close();
    await commands?.close();
    await cloud?.close();
    await schema?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

    it('delivers the token through the DCU and shows the credit the meter reports', async () => {
      const vendor = (await vending.service.vendors.create({ name: 'Online', creditLimit: 100_000 })).vendor;
      const v = await vending.service.vend(vendor, { requestId: 'rc-1', meter: 'MTR00000001', amount: 1100 });
      expect(v.delivery).toBe('pending');
      await eventually(async () => (await vending.service.store.vend(v.vendId))!.delivery === 'delivered', 10_000, 'delivery');
      const stored = (await vending.service.store.vend(v.vendId))!;
      expect(stored).toMatchObject({ deliveryAttempts: 1, deliveryDcu: DCU, deliveryCommand: `vend-${v.vendId}-1`, deliveryResult: { verdict: 'accepted', tokenDescription: ['Accept'] } });
      expect(received.at(-1)!.body).toMatchObject({ command: 'token', params: { meter: 'MTR00000001', token: v.token } });
      const account = (await vending.service.store.account('ACC-1'))!;
      expect(account.meterCredit).toMatchObject({ value: 50_000, unit: 'Wh', tokenStatus: 3 }); // 500 units = 50 kWh
      // A token the meter took cannot be reversed; the retried request still answers the same token.
      await expect(vending.service.reverse(vendor, 'rc-1')).rejects.toThrow(/accepted/);
      expect(await vending.service.vend(vendor, { requestId: 'rc-1', meter: 'MTR00000001', amount: 1100 })).toMatchObject({ token: v.token, delivery: 'delivered', replayed: true });
    });

    it('retries after a DCU failure, and counts a USED answer as delivered', async () => {
      const vendor = (await vending.service.vendors.create({ name: 'Retry', creditLimit: 100_000 })).vendor;
      script.push('fail');
      const v = await vending.service.vend(vendor, { requestId: 'rc-2', meter: 'MTR00000002', amount: 1100 });
      await eventually(async () => (await vending.service.store.vend(v.vendId))!.delivery === 'delivered', 10_000, 'delivery after a retry');
      expect((await vending.service.store.vend(v.vendId))!.deliveryAttempts).toBe(2);
      // Sent again later (e.g. its result was lost): the meter says USED, the credit is there.
      await vending.service.store.updateDelivery(v.vendId, { delivery: 'pending', deliveryNextAt: 0 });
      await eventually(async () => (await vending.service.store.vend(v.vendId))!.delivery === 'delivered', 10_000, 'second delivery');
      expect((await vending.service.store.vend(v.vendId))!.deliveryResult).toMatchObject({ verdict: 'already entered (USED)' });
      expect(await reconcile(vending.service.store)).toEqual([]);
    });

    it('gives up after the attempts, keeping the token and the money', async () => {
      const vendor = (await vending.service.vendors.create({ name: 'Unlucky', creditLimit: 100_000 })).vendor;
      script.push('fail', 'fail', 'fail');
      const v = await vending.service.vend(vendor, { requestId: 'rc-3', meter: 'MTR00000002', amount: 300 });
      await eventually(async () => (await vending.service.store.vend(v.vendId))!.delivery === 'failed', 10_000, 'failed delivery');
      const stored = (await vending.service.store.vend(v.vendId))!;
      expect(stored).toMatchObject({ deliveryAttempts: 3, token: v.token, amount: 300, deliveryResult: { note: expect.stringContaining('token digits') } });
      expect((await vending.service.vendors.get(vendor.id)).balanceOwed).toBe(300);
      // Not delivered: the vendor may still reverse it.
      expect((await vending.service.reverse(vendor, 'rc-3')).status).toBe('reversed');
      expect(await reconcile(vending.service.store)).toEqual([]);
    });

    it('sends what was pending when the cloud restarts', async () => {
      // A vend committed by a cloud without commands (crashed before sending) stays pending …
      const other = await openCloudStoreAt(location);
      const offline = await startVending({ store: other, keyring });
      const vendor = (await offline.service.vendors.create({ name: 'Before restart', creditLimit: 100_000 })).vendor;
      const v = await offline.service.vend(vendor, { requestId: 'rc-4', meter: 'MTR00000001', amount: 300 });
      await other.close();
      expect(v.delivery).toBe('pending');
      // … and the running worker (the restarted cloud's) picks it up from the database.
      await eventually(async () => (await vending.service.store.vend(v.vendId))!.delivery === 'delivered', 10_000, 'delivery of a pending vend');
    });
});
