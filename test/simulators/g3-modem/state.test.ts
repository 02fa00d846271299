// The PAN's meters keep their state across a simulator restart with the same state
// directory, as the RS485 meters do: the invocation counter goes on from where it was (the
// DCU refuses one that went back), a token's credit stays, a node keeps its short address.
// Everything goes over the real pty: USI, ADPD-DATA, the wrapper, DLMS with HLS-GMAC.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientAssociation, type ClientResult } from '../../../shared/dlms/association/client.js';
import type { CosemData } from '../../../shared/dlms/data.js';
import { ReplayGuard } from '../../../shared/dlms/security/invocation-counter.js';
import { parseObis } from '../../../shared/dlms/obis.js';
import { FIRST_G3_SERIAL } from '../../../simulators/g3-modem/index.js';
import { createMeterSet } from '../../../simulators/meter/transport/meter-set.js';
import { CREDIT, TOKEN_GATEWAY, creditToken } from '../meter/prepayment-helpers.js';
import { clientSettings } from '../transport/fake-meter.js';
import type { TestHost } from './host.js';
import { type Pan, answerFrom, joins, openPan, publicClient, sendApdu, startNetwork } from './pan.js';

const INVOCATION_COUNTER = { classId: 1, instanceId: parseObis('0.0.43.1.0.255'), attributeId: 2 };
const CURRENT_CREDIT = { classId: 112, instanceId: CREDIT, attributeId: 2 };
const MANAGEMENT = 1;
const PUBLIC = 16;

let handle = 0;

/** Sends `apdu` and every APDU the client asks for next, until the client has its result. */
async function exchange(host: TestHost, short: number, client: ClientAssociation, sap: number, apdu: Uint8Array): Promise<ClientResult> {
  for (;;) {
    sendApdu(host, short, handle++ & 0xff, apdu, sap);
    const step = client.receive((await answerFrom(host, short)).apdu);
    if (step.kind === 'fail') throw step.error;
    if (step.kind === 'done') return step.result;
    apdu = step.apdu;
  }
}

async function read(host: TestHost, short: number, client: ClientAssociation, sap: number, attribute: typeof INVOCATION_COUNTER): Promise<CosemData> {
  const r = await exchange(host, short, client, sap, client.get(attribute));
  if (r.kind !== 'data') throw new Error(`GET answered ${JSON.stringify(r)}`);
  return r.value;
}

/** The meter's invocation counter as its public view shows it (0.0.43.1.0.255), through a public association. */
async function invocationCounter(host: TestHost, short: number): Promise<number> {
  const client = publicClient();
  expect((await exchange(host, short, client, PUBLIC, client.associate())).kind).toBe('associated');
  const v = await read(host, short, client, PUBLIC, INVOCATION_COUNTER);
  await exchange(host, short, client, PUBLIC, client.release());
  if (v.type !== 'double-long-unsigned') throw new Error(`invocation counter is ${v.type}`);
  return v.value;
}

/** An HLS-GMAC management association whose replay guard is `guard` (the DCU keeps one per meter). */
async function management(host: TestHost, short: number, guard: ReplayGuard): Promise<ClientAssociation> {
  const settings = clientSettings(MANAGEMENT);
  const client = new ClientAssociation({ ...settings, maxReceivePduSize: 512, security: { ...settings.security!, guard } });
  const r = await exchange(host, short, client, MANAGEMENT, client.associate());
  if (r.kind !== 'associated') throw new Error(`HLS association refused: ${JSON.stringify(r)}`);
  return client;
}

async function creditWh(host: TestHost, short: number, client: ClientAssociation): Promise<number> {
  const v = await read(host, short, client, MANAGEMENT, CURRENT_CREDIT);
  if (v.type !== 'double-long') throw new Error(`current_credit_amount is ${v.type}`);
  return v.value;
}

describe('G3 modem simulator: state across restarts', () => {
  const dirs: string[] = [];
  let pan: Pan | undefined;
  afterEach(async () => {
    await pan?.close();
    pan = undefined;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'g3-state-'));
    dirs.push(d);
    return d;
  };

  it('a node keeps its invocation counter, its credit and its short address when the simulator restarts with the same state directory', async () => {
    const stateDir = tempDir();
    const serial = String(FIRST_G3_SERIAL);
    const [reference] = createMeterSet({ count: 1, firstAddress: 16, seed: 7, firstSerial: FIRST_G3_SERIAL, startOfLife: Date.UTC(2024, 0, 1) });
    const guard = new ReplayGuard();

    pan = await openPan({ count: 2 }, { stateDir });
    await startNetwork(pan.host);
    const firstShorts = await joins(pan.host, 2);
    const eui = pan.sim.nodes[0].eui64;
    const short = firstShorts.get(eui)!;
    expect(await invocationCounter(pan.host, short)).toBe(0);
    const client = await management(pan.host, short, guard);
    const token = creditToken(reference.meter.sts.decoderKey, 3, Date.now());
    const entered = await exchange(pan.host, short, client, MANAGEMENT, client.action({ classId: 115, instanceId: TOKEN_GATEWAY, methodId: 1 }, { type: 'octet-string', value: new TextEncoder().encode(token) }));
    expect(entered.kind).toBe('action');
    expect(await creditWh(pan.host, short, client)).toBe(3_000);
    // Written when taken (the association is still open), not only at close: a killed
    // simulator keeps the token, and a counter ahead of every one used.
    const stored = () => JSON.parse(readFileSync(join(stateDir, `meter-${serial}.json`), 'utf8')).state;
    expect(stored().prepayment.creditWh).toBe(3_000);
    const usedBefore = await invocationCounter(pan.host, short);
    expect(usedBefore).toBeGreaterThan(0);
    expect(stored().invocationCounter).toBeGreaterThan(usedBefore);
    await pan.close();

    pan = await openPan({ count: 2 }, { stateDir });
    await startNetwork(pan.host);
    await joins(pan.host, 2); // the same short addresses (table kept; main.test.ts checks it)
    expect(await invocationCounter(pan.host, short)).toBeGreaterThan(usedBefore);
    // The same replay guard as before the restart accepts the meter: its counter did not go back.
    const again = await management(pan.host, short, guard);
    expect(await creditWh(pan.host, short, again)).toBe(3_000);
  }, 60_000);

  it('without a state directory the restarted meter starts from counter 0, and a client that saw it before refuses it', async () => {
    const guard = new ReplayGuard();
    pan = await openPan({ count: 1 });
    await startNetwork(pan.host);
    const [short] = (await joins(pan.host, 1)).values();
    await management(pan.host, short, guard);
    await pan.close();

    pan = await openPan({ count: 1 });
    await startNetwork(pan.host);
    await joins(pan.host, 1);
    expect(await invocationCounter(pan.host, short)).toBe(0);
    await expect(management(pan.host, short, guard)).rejects.toThrow(/invocation counter|replay/i);
  }, 60_000);
});
