// The simulated meter as an STS meter, through a real DLMS association (wrapper over TCP,
// HLS-GMAC management client from dcu/session): tokens entered with IC 115 enter, the
// verdict read from token_status / token_description, the credit from IC 112.
import { describe, expect, it } from 'vitest';
import { AccessError } from '../../../shared/errors.js';
import {
  deriveDecoderKey, generateKeyChangeTokens, generateToken, keyParameters, meterIdentity, STS_RESULT_CODES, toHex,
} from '../../../shared/sts/index.js';
import { defaultDrn, SIMULATOR_VENDING_KEYS } from '../../../simulators/meter/prepayment/sts-identity.js';
import { ACCOUNT, CREDIT, DAY, MINUTE, TOKEN_GATEWAY, credit, creditToken, enter, enterAndRead, gateway, openPrepaid, prepaidBenches } from './prepayment-helpers.js';

const bench = prepaidBenches();

/** What a vending system derives on its own: the default vending key and the PAN rule. */
function vendingKeyOf(serial: string): string {
  const meter = meterIdentity({ iin: '600727', drn: defaultDrn(serial) });
  const params = keyParameters({ keyType: 2, supplyGroupCode: '123456', tariffIndex: '01', keyRevisionNumber: 1, baseDate: 2014 });
  return toHex(deriveDecoderKey({ keyDerivation: 'DKGA02', algorithm: 'EA07', vendingKey: SIMULATOR_VENDING_KEYS.DKGA02, meter, keyParameters: params }));
}

describe('STS identity', () => {
  it('every meter has its own key, which a vending side derives from the serial and the default vending key', async () => {
    const b = await bench();
    const m = b.running.meter;
    expect(m.sts.meter.pan).toBe(`600727${defaultDrn(b.running.serial)}${m.sts.meter.pan[17]}`);
    expect(defaultDrn('70000001')).toBe('00700000011'); // Luhn over 0070000001: 2 + 7 = 9 → 1
    expect(m.sts.decoderKey).toBe(vendingKeyOf(b.running.serial));
    expect(m.state.prepayment.sts.decoderKey).toBe(m.sts.decoderKey);
    expect(vendingKeyOf('70000002')).not.toBe(m.sts.decoderKey);
  });
});

describe('token gateway over DLMS', () => {
  it('an accepted token adds its credit once; the same token again is USED and adds nothing', async () => {
    const b = await bench();
    const s = await b.session(1);
    const key = vendingKeyOf(b.running.serial);
    const token = creditToken(key, 12.5, b.clock.now - 5 * MINUTE);
    expect(await credit(s)).toBe(0);

    const first = await enterAndRead(s, token);
    expect(first).toMatchObject({ status: 3, stsCode: STS_RESULT_CODES.Accept, token });
    expect(first.description[0]).toBe('Accept');
    expect(await credit(s)).toBe(12_500); // 125 transfer units of 0.1 kWh, in Wh

    b.clock.now += MINUTE;
    const again = await enterAndRead(s, token);
    expect(again).toMatchObject({ status: 6, stsCode: STS_RESULT_CODES.Used });
    expect(again.description[0]).toBe('Used');
    expect(again.description[1]).toMatch(/already used/);
    expect(await credit(s)).toBe(12_500);
    // The time of the last token, as a date-time octet-string of 12 bytes.
    const time = await s.get(115, TOKEN_GATEWAY, 3);
    expect(time.type === 'octet-string' && time.value.length).toBe(12);
  }, 30_000);

  it('a token older than every TID in the full store is OLD', async () => {
    const b = await bench({ sts: { tidStoreSize: 3 } });
    const s = await b.session(1);
    const key = vendingKeyOf(b.running.serial);
    const t = b.clock.now;
    for (const minutesAgo of [30, 20, 10]) expect((await enterAndRead(s, creditToken(key, 1, t - minutesAgo * MINUTE))).status).toBe(3);
    const old = await enterAndRead(s, creditToken(key, 1, t - 40 * MINUTE));
    expect(old).toMatchObject({ status: 6, stsCode: STS_RESULT_CODES.Old });
    expect(old.description[0]).toBe('Old');
    // Newer than the oldest stored, and not stored: accepted.
    expect((await enterAndRead(s, creditToken(key, 1, t - 25 * MINUTE))).status).toBe(3);
    expect(await credit(s)).toBe(4_000);
  }, 30_000);

  it("another meter's token fails authentication (CRC) and adds nothing", async () => {
    const b = await bench();
    const s = await b.session(1);
    const r = await enterAndRead(s, creditToken(vendingKeyOf('70000002'), 50, b.clock.now));
    expect(r).toMatchObject({ status: 5, stsCode: STS_RESULT_CODES.CRC });
    expect(r.description[0]).toBe('CRC');
    expect(await credit(s)).toBe(0);
  }, 30_000);

  it('malformed digits are a format failure; a non-octet-string parameter is refused', async () => {
    const b = await bench();
    const s = await b.session(1);
    expect(await enterAndRead(s, '1234')).toMatchObject({ status: 4, stsCode: STS_RESULT_CODES.Format });
    await expect(s.action(115, TOKEN_GATEWAY, 1, { type: 'visible-string', value: '12345678901234567890' })).rejects.toThrow(AccessError);
  }, 30_000);

  it('a water credit token is refused (Function) and its TID stays unused', async () => {
    const b = await bench();
    const s = await b.session(1);
    const key = vendingKeyOf(b.running.serial);
    const water = generateToken({ class: 0, subclass: 1, decoderKey: key, amount: 5, issuedAt: b.clock.now, baseDate: 2014, rnd: 1 }).digits;
    expect(await enterAndRead(s, water)).toMatchObject({ status: 6, stsCode: STS_RESULT_CODES.Function });
    expect(b.running.meter.state.prepayment.sts.tidStore).toEqual([]);
  }, 30_000);

  it('a key-change pair rotates the key: old-key credit tokens are then refused, new-key ones accepted', async () => {
    const b = await bench();
    const s = await b.session(1);
    const oldKey = vendingKeyOf(b.running.serial);
    const meter = b.running.meter.sts.meter;
    const newParams = keyParameters({ keyType: 2, supplyGroupCode: '123456', tariffIndex: '02', keyRevisionNumber: 2, baseDate: 2014 });
    const newKey = toHex(deriveDecoderKey({ keyDerivation: 'DKGA02', algorithm: 'EA07', vendingKey: SIMULATOR_VENDING_KEYS.DKGA02, meter, keyParameters: newParams }));
    const [kct1, kct2] = generateKeyChangeTokens({ decoderKey: oldKey, algorithm: 'EA07', newDecoderKey: newKey, newKey: newParams });

    // A credit token on the new key before the pair is complete is refused.
    expect((await enterAndRead(s, kct1.digits)).stsCode).toBe(STS_RESULT_CODES['1stKCT']);
    expect((await enterAndRead(s, creditToken(newKey, 3, b.clock.now - MINUTE))).status).toBe(5);
    const second = await enterAndRead(s, kct2.digits);
    expect(second).toMatchObject({ status: 3, stsCode: STS_RESULT_CODES['2ndKCT'] });
    expect(b.running.meter.state.prepayment.sts).toMatchObject({ decoderKey: newKey, keyRevisionNumber: 2, tariffIndex: '02' });

    expect((await enterAndRead(s, creditToken(oldKey, 7, b.clock.now - 2 * MINUTE))).status).toBe(5);
    expect(await credit(s)).toBe(0);
    expect((await enterAndRead(s, creditToken(newKey, 7, b.clock.now - 3 * MINUTE))).status).toBe(3);
    expect(await credit(s)).toBe(7_000);
  }, 30_000);

  it('EA11 meters (DKGA04, MISTY1) take EA11 tokens', async () => {
    const b = await bench({ sts: { algorithm: 'EA11' } });
    const s = await b.session(1);
    const params = keyParameters({ keyType: 2, supplyGroupCode: '123456', tariffIndex: '01', keyRevisionNumber: 1, baseDate: 2014 });
    const key = toHex(deriveDecoderKey({ keyDerivation: 'DKGA04', algorithm: 'EA11', vendingKey: SIMULATOR_VENDING_KEYS.DKGA04, meter: b.running.meter.sts.meter, keyParameters: params }));
    expect(key).toBe(b.running.meter.sts.decoderKey);
    expect((await enterAndRead(s, creditToken(key, 2, b.clock.now, 'EA11'))).status).toBe(3);
    expect(await credit(s)).toBe(2_000);
  }, 30_000);

  it('credit, TID store and key survive a restart of the simulator', async () => {
    const first = await openPrepaid();
    const key = vendingKeyOf(first.running.serial);
    const token = creditToken(key, 4, first.clock.now - MINUTE);
    const s1 = await first.session(1);
    await enter(s1, token);
    expect(await credit(s1)).toBe(4_000);
    await first.stop();

    const second = await bench({}, first.stateDir, first.clock.now + DAY);
    const s2 = await second.session(1);
    expect(await credit(s2)).toBe(4_000);
    expect((await gateway(s2)).description[0]).toBe('Accept'); // the last token is remembered too
    expect((await enterAndRead(s2, token)).stsCode).toBe(STS_RESULT_CODES.Used);
    expect(await credit(s2)).toBe(4_000);
  }, 30_000);
});

describe('access rights', () => {
  it('the reader reads the payment objects but may not enter tokens or switch the mode; the public client sees none', async () => {
    const b = await bench();
    const reader = await b.session(17);
    expect(await credit(reader)).toBe(0);
    expect(await reader.get(111, ACCOUNT, 2)).toEqual({ type: 'structure', value: [{ type: 'enum', value: 1 }, { type: 'enum', value: 2 }] });
    expect(await reader.get(111, ACCOUNT, 15)).toEqual({ type: 'structure', value: [{ type: 'utf8-string', value: 'Wh' }, { type: 'integer', value: 0 }, { type: 'enum', value: 1 }] });
    await expect(enter(reader, creditToken(vendingKeyOf(b.running.serial), 1, b.clock.now))).rejects.toMatchObject({ result: 'read-write-denied' });
    await expect(reader.set(111, ACCOUNT, 2, { type: 'structure', value: [{ type: 'enum', value: 2 }, { type: 'enum', value: 2 }] })).rejects.toThrow(AccessError);
    const pub = await b.session(16);
    await expect(pub.get(112, CREDIT, 2)).rejects.toThrow(AccessError);
  }, 30_000);
});
