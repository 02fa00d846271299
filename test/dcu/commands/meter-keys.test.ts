// Meter keys sealed by the cloud to this DCU: opened, kept, and used for that meter's
// sessions from then on; a blob for another DCU is refused.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReadCommand, startMeterKeysCommand } from '../../../dcu/commands/index.js';
import { boxKeyPairFromSeed, sealForDcu } from '../../../shared/sync/sealed.js';
import { type MeterBus, openMeterBus } from '../fixtures/meter-bus.js';

let mb: MeterBus;
// This meter's own keys, not the bus profile's (the simulator's defaults).
const EK = new Uint8Array(16).fill(0x11);
const AK = new Uint8Array(16).fill(0x22);
beforeAll(async () => {
  mb = await openMeterBus([{ managementKeys: { blockCipherKey: EK, authenticationKey: AK } }], { firstSerial: 62000001 });
}, 30_000);
afterAll(async () => {
  await mb?.close();
});

describe('sealed meter keys', () => {
  it('opens keys sealed to this DCU and reads the meter with them; refuses a blob for another DCU', async () => {
    const m = mb.meters[0];
    const cloud = boxKeyPairFromSeed(new Uint8Array(randomBytes(32)));
    const dcu = boxKeyPairFromSeed(new Uint8Array(randomBytes(32)));
    const sealing = { dcuId: mb.config.dcuId, secretKey: dcu.secretKey, cloudPublicKey: cloud.publicKey };
    const deps = { store: mb.store, access: mb.access, resolveMeter: mb.resolveMeter, clock: mb.clock, timeSync: mb.config.timeSync, sealing };
    // With the bus profile's keys the meter refuses.
    expect(await runReadCommand({ id: 'r1', meter: m.serial }, deps)).toMatchObject({ status: 'failed', outcome: { errorKind: 'SecurityError' } });
    const blob = (forDcu: string) => sealForDcu({ dcu: forDcu, meter: m.serial, clientSap: 1, ek: EK, ak: AK }, dcu.publicKey, cloud.secretKey, new Uint8Array(randomBytes(24)));
    const wrong = await startMeterKeysCommand({ id: 'k0', sealed: blob('another-dcu') }, deps).done;
    expect(wrong).toMatchObject({ status: 'failed', outcome: { errorKind: 'CannotOpen' } });
    const right = await startMeterKeysCommand({ id: 'k1', sealed: blob(mb.config.dcuId) }, deps).done;
    expect(right).toMatchObject({ status: 'done', outcome: { meter: m.serial, clientSap: 1 } });
    expect(JSON.stringify(right)).not.toContain('1111111111');
    expect(await runReadCommand({ id: 'r2', meter: m.serial }, deps)).toMatchObject({ status: 'done' });
  }, 60_000);
});
