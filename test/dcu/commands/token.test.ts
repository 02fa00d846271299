// Remote credit against simulated STS meters on a real pty bus, journaled in a real SQLite
// store: tokens made by the STS engine the way a vending system makes them (the simulator's
// documented default key: DKGA02 from vending key abababababababab, PAN 600727 ‖ DRN from
// the serial, SGC 123456, TI 01, KRN 1, base date 2014), entered through the token gateway
// (IC 115), the verdict and the credit read back. The simulated meters run in credit
// (postpaid) mode here, so nothing draws the credit down between two reads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TokenFormatError, type TokenDeps, parseCommandRequest, runTokenCommand, startTokenCommand,
} from '../../../dcu/commands/index.js';
import { buildApiServer } from '../../../dcu/api/server.js';
import { deriveDecoderKey, generateToken, keyParameters, luhnCheckDigit, meterIdentity, tidFromTime, toHex } from '../../../shared/sts/index.js';
import { readAccount, readCredit, readTokenDescription, readTokenStatus } from '../../../dcu/session/prepayment.js';
import type { TokenCommandResult } from '../../../shared/sync/messages.js';
import type { RunningMeter } from '../../../simulators/meter/transport/meter-set.js';
import type { FaultTrigger } from '../../../simulators/meter/transport/faults.js';
import { type MeterBus, openMeterBus } from '../fixtures/meter-bus.js';

const FIRST_SERIAL = 71000001;
const SILENT = String(FIRST_SERIAL + 1);
const LOSES_ONE_ANSWER = String(FIRST_SERIAL + 3);
const FALLS_SILENT = String(FIRST_SERIAL + 4);
// Silence armed for the next command's management association: from the frame after the
// association's last answer — the answer to enter — on, until the client opens a new
// HDLC connection ('until-reconnect') or for good ('forever').
const loseOne: FaultTrigger = { after: Number.MAX_SAFE_INTEGER };
const loseAll: FaultTrigger = { after: Number.MAX_SAFE_INTEGER };
const armed = new Map<string, { trigger: FaultTrigger; until: 'until-reconnect' | 'forever'; dropping?: boolean }>();
let mb: MeterBus;
let deps: TokenDeps;

beforeAll(async () => {
  // 0, 2, 3, 4: STS meters in credit mode; 1 never answers; 3 loses one answer; 4 falls silent.
  mb = await openMeterBus([{}, {}, {}, {}, {}], {
    firstSerial: FIRST_SERIAL,
    faults: { [SILENT]: { silent: { every: 1 } }, [LOSES_ONE_ANSWER]: { silent: loseOne }, [FALLS_SILENT]: { silent: loseAll } },
    // Events are reported before the frames of the same step are sent (and counted).
    onEvent: (meter, event) => {
      const arm = meter.label === undefined ? undefined : armed.get(meter.label);
      if (!arm) return;
      if (!arm.dropping && event.kind === 'associated' && event.client === 1) {
        arm.trigger.after = meter.faults!.frames + 1; // the association's last answer still goes out
        arm.dropping = true;
      } else if (arm.dropping && event.kind === 'connected' && arm.until === 'until-reconnect') {
        arm.trigger.after = Number.MAX_SAFE_INTEGER;
        armed.delete(meter.label!);
      }
    },
  });
  deps = { store: mb.store, access: mb.access, resolveMeter: mb.resolveMeter, tokenPolling: { intervalMs: 50 } };
}, 30_000);
afterAll(async () => {
  await mb?.close();
});

/** The decoder key a vending system derives for a simulated meter (simulators/meter/prepayment/sts-identity.ts documents the rule). */
function vendingKeyOf(serial: string): string {
  const drn = serial.padStart(10, '0');
  const meter = meterIdentity({ iin: '600727', drn: drn + String(luhnCheckDigit(drn)) });
  const params = keyParameters({ keyType: 2, supplyGroupCode: '123456', tariffIndex: '01', keyRevisionNumber: 1, keyExpiryNumber: 255, baseDate: 2014 });
  return toHex(deriveDecoderKey({ keyDerivation: 'DKGA02', algorithm: 'EA07', vendingKey: 'abababababababab', meter, keyParameters: params }));
}

// Each token its own TID (whole minutes since 2014), as a vending system keeps them unique per meter.
let nextTid = tidFromTime(Date.now(), 2014) - 500;

/** A class 0 electricity credit token for `serial`: transfer units of 0.1 kWh = 100 Wh. */
function creditToken(serial: string, transferUnits: number): { digits: string; grouped: string; wh: number } {
  const t = generateToken({ class: 0, subclass: 0, algorithm: 'EA07', decoderKey: vendingKeyOf(serial), baseDate: 2014, tid: nextTid++, transferUnits });
  return { digits: t.digits, grouped: t.grouped, wh: transferUnits * 100 };
}

/** Short response timeouts, for meters that do not answer. */
const fast = (): TokenDeps => ({ ...deps, resolveMeter: (s) => ({ ...mb.resolveMeter(s)!, busConfig: { ...mb.busConfig, responseTimeoutMs: 100 } }) });
const creditOf = (m: RunningMeter) => m.meter.credit(Date.now());
const outcome = (r: { outcome: unknown }) => r.outcome as TokenCommandResult;

describe('token commands over a pty bus', () => {
  it('enters an accepted credit token: execution OK, and the credit read back rose by exactly its amount', async () => {
    const m = mb.meters[0];
    const before = creditOf(m);
    const token = creditToken(m.serial, 256); // 25.6 kWh
    const record = await runTokenCommand({ id: 'tok-1', meter: m.serial, token: token.grouped }, deps);
    expect(record).toMatchObject({ id: 'tok-1', kind: 'token', meter: m.serial, status: 'done', params: { token: token.digits } });
    expect(record.outcome).toMatchObject({ tokenStatus: 3, tokenStatusName: 'execution-ok', accepted: true, relay: { outputState: true, controlState: 1 } });
    expect(outcome(record).tokenDescription).toContain('Accept');
    expect(outcome(record).credit).toEqual({ amount: before + 25_600, scaler: 0, unit: 'Wh', value: before + 25_600 });
    expect(creditOf(m)).toBe(before + 25_600);
    expect(outcome(record).message).toMatch(new RegExp(`^meter ${m.serial} accepted the token \\(execution-ok: Accept; .*\\); credit now ${before + 25_600} Wh$`));
    const events = mb.store.events.list({ meter: mb.record(m).id, kind: 'token-command' });
    expect(events).toHaveLength(1);
    expect(events[0].details).toMatchObject({ command: 'tok-1', accepted: true });
    expect(JSON.stringify(events[0].details)).not.toContain(token.digits); // the digits stay in the journal
  }, 30_000);

  it('the same token again is refused by the meter as used: a done command with the verdict, credit unchanged', async () => {
    const m = mb.meters[0];
    const token = creditToken(m.serial, 10);
    const first = await runTokenCommand({ id: 'tok-2a', meter: m.serial, token: token.digits }, deps);
    expect(first.outcome).toMatchObject({ accepted: true });
    const credit = creditOf(m);
    const again = await runTokenCommand({ id: 'tok-2b', meter: m.serial, token: token.digits.replace(/(\d{5})(?=\d)/g, '$1-') }, deps);
    expect(again.status).toBe('done');
    expect(again.outcome).toMatchObject({ tokenStatus: 6, tokenStatusName: 'validation-failure', accepted: false });
    expect(outcome(again).tokenDescription.join(' ')).toMatch(/used/i);
    expect(outcome(again).credit).toMatchObject({ amount: credit });
    expect(creditOf(m)).toBe(credit);
    expect(outcome(again).message).toMatch(new RegExp(`^meter ${m.serial} refused the token \\(validation-failure: Used; `));
  }, 30_000);

  it('a token made for another meter is refused (authentication failure), nothing credited', async () => {
    const m = mb.meters[2];
    const before = creditOf(m);
    const record = await runTokenCommand({ id: 'tok-other', meter: m.serial, token: creditToken(mb.meters[0].serial, 50).digits }, deps);
    expect(record).toMatchObject({ status: 'done', outcome: { tokenStatus: 5, tokenStatusName: 'authentication-failure', accepted: false } });
    expect(outcome(record).tokenDescription[0]).toBe('CRC');
    expect(creditOf(m)).toBe(before);
  }, 30_000);

  it('refuses bad digits with a clear error before anything is journaled or sent', async () => {
    const m = mb.meters[0];
    const frames = mb.framesToClient();
    expect(() => startTokenCommand({ id: 'bad-1', meter: m.serial, token: '1234 5678 9012 3456 789' }, deps)).toThrow(TokenFormatError);
    expect(() => startTokenCommand({ id: 'bad-1', meter: m.serial, token: '1234 5678 9012 3456 789' }, deps)).toThrow(
      "must be 20 decimal digits, got '1234567890123456789' (20 decimal digits; spaces and dashes between them are allowed)",
    );
    expect(() => startTokenCommand({ id: 'bad-2', meter: m.serial, token: '99999999999999999999' }, deps)).toThrow(/larger than a 66-bit token number/);
    const parsed = parseCommandRequest({ id: 'bad-3', kind: 'token', meter: m.serial, token: '1234-5678-9012-3456-789O' });
    expect(parsed).toEqual({ ok: false, issues: [{ field: 'token', message: expect.stringMatching(/^must be 20 decimal digits, got '1234567890123456789O'/) }] });
    expect(parseCommandRequest({ id: 'bad-4', kind: 'token', meter: m.serial })).toEqual({ ok: false, issues: [{ field: 'token', message: 'required (20 decimal digits)' }] });
    for (const id of ['bad-1', 'bad-2', 'bad-3', 'bad-4']) expect(mb.store.commands.get(id)).toBeUndefined();
    expect(mb.framesToClient()).toBe(frames);
  });

  it('a silent meter fails the command with a LinkTimeout cause; the token was not entered', async () => {
    const m = mb.meters[1];
    expect(m.serial).toBe(SILENT);
    const record = await runTokenCommand({ id: 'tok-silent', meter: m.serial, token: creditToken(m.serial, 100).digits }, fast());
    expect(record.status).toBe('failed');
    expect(record.outcome).toMatchObject({ errorKind: 'LinkTimeout' });
    expect((record.outcome as { cause: string }).cause).toMatch(new RegExp(`^meter ${m.serial}: .*; the token was not sent$`));
    expect(m.meter.state.prepayment.lastToken).toBeNull();
    expect(creditOf(m)).toBe(0);
    expect(mb.store.events.list({ meter: mb.record(m).id, kind: 'token-command-failed' })).toHaveLength(1);
    expect(mb.store.meters.get(mb.record(m).id)!.stats).toMatchObject({ failures: 1 });
  }, 30_000);

  it('an answer to enter lost on the line: not entered again; the gateway read on a new association gives the verdict', async () => {
    const m = mb.meters[3];
    expect(m.serial).toBe(LOSES_ONE_ANSWER);
    const token = creditToken(m.serial, 33);
    // The answer to enter, and every answer after it until the DCU connects anew, never leave the meter.
    armed.set(m.serial, { trigger: loseOne, until: 'until-reconnect' });
    const record = await runTokenCommand({ id: 'tok-lost', meter: m.serial, token: token.digits }, fast());
    expect(record.status).toBe('done');
    expect(record.outcome).toMatchObject({ tokenStatus: 3, accepted: true, credit: { amount: 3300 } });
    expect((record.outcome as { note: string }).note).toMatch(/^the answer to token_gateway\.enter was lost \(.+\); the gateway's status, read on a new association, decides$/);
    // Entered once: a second entry would have been refused as used, and that is what the gateway would show.
    expect(m.meter.state.prepayment.lastToken).toMatchObject({ statusCode: 3, description: ['Accept', 'TransferElectricityCredit accepted'] });
    expect(creditOf(m)).toBe(3300);
  }, 30_000);

  it('a meter that falls silent after enter: failed with LinkTimeout, and the cause says the token may have arrived', async () => {
    const m = mb.meters[4];
    expect(m.serial).toBe(FALLS_SILENT);
    armed.set(m.serial, { trigger: loseAll, until: 'forever' });
    const record = await runTokenCommand({ id: 'tok-gone', meter: m.serial, token: creditToken(m.serial, 44).digits }, fast());
    expect(record.status).toBe('failed');
    expect(record.outcome).toMatchObject({ errorKind: 'LinkTimeout' });
    expect((record.outcome as { cause: string }).cause).toMatch(/\(the token may or may not have reached the meter: read its credit; entering it again is safe, an STS meter refuses a used token\)$/);
    expect(creditOf(m)).toBe(4400); // it had: the meter took it before it fell silent
  }, 30_000);

  it('a repeated command id returns the recorded result and never enters the token twice', async () => {
    const m = mb.meters[2];
    const token = creditToken(m.serial, 70);
    const before = creditOf(m);
    // Twice at the same time, then once more after the end.
    const a = startTokenCommand({ id: 'tok-once', meter: m.serial, token: token.digits }, deps);
    const b = startTokenCommand({ id: 'tok-once', meter: m.serial, token: token.grouped }, deps);
    expect([a.created, b.created]).toEqual([true, false]);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(rb).toEqual(ra);
    expect(ra.outcome).toMatchObject({ accepted: true, credit: { amount: before + 7000 } });
    const frames = mb.framesToClient();
    const lastToken = m.meter.state.prepayment.lastToken;
    const again = await runTokenCommand({ id: 'tok-once', meter: m.serial, token: token.digits }, deps);
    expect(again).toEqual(ra);
    expect(mb.framesToClient()).toBe(frames); // the meter was not even addressed
    expect(m.meter.state.prepayment.lastToken).toBe(lastToken);
    expect(creditOf(m)).toBe(before + 7000);
    expect(mb.store.events.list({ meter: mb.record(m).id, kind: 'token-command' }).filter((e) => e.details.command === 'tok-once')).toHaveLength(1);
    // Another token under a used id is a conflict, not a second entry.
    expect(() => startTokenCommand({ id: 'tok-once', meter: m.serial, token: creditToken(m.serial, 1).digits }, deps)).toThrow(/already used for token of meter/);
  }, 30_000);

  it('the prepayment readers read what the meter holds: account, credit, gateway status and description', async () => {
    const m = mb.meters[0];
    const { bus, busConfig, meter } = mb.resolveMeter(m.serial)!;
    const read = await bus.exclusive(async () => {
      const session = mb.access.controlSessionFor(bus, busConfig, meter);
      try {
        await session.connect();
        return { account: await readAccount(session), credit: await readCredit(session), status: await readTokenStatus(session), description: await readTokenDescription(session) };
      } finally {
        await session.close();
      }
    });
    const credit = creditOf(m);
    expect(read.account).toEqual({
      paymentMode: 1, paymentModeName: 'credit', accountStatus: 2, accountStatusName: 'active', creditStatus: '10000000', availableCredit: credit,
      currency: { name: 'Wh', scale: 0, unit: 1, unitName: 'consumption' },
    });
    expect(read.credit).toEqual({ amount: credit, scaler: 0, unit: 'Wh', value: credit });
    // The last token of this meter was the one refused as used.
    expect(read.status).toEqual({ code: 6, name: 'validation-failure', dataValue: '00001010' }); // STS result 10: Used
    expect(read.description[0]).toBe('Used');
  }, 30_000);

  it('records an unknown meter as a failure without sending anything', async () => {
    const record = await runTokenCommand({ id: 'tok-nobody', meter: '99999999', token: creditToken('99999999', 1).digits }, deps);
    expect(record).toMatchObject({ status: 'failed', outcome: { errorKind: 'UnknownMeter', cause: 'meter 99999999 is not in the directory or not on a configured bus; the token was not sent' } });
  });

  it('says so when the security profile\'s client may not enter tokens', async () => {
    const m = mb.meters[2];
    const before = creditOf(m);
    const reader: TokenDeps = { ...deps, resolveMeter: (s) => ({ ...mb.resolveMeter(s)!, busConfig: { ...mb.busConfig, profile: 'reader' } }) };
    const record = await runTokenCommand({ id: 'tok-reader', meter: m.serial, token: creditToken(m.serial, 5).digits }, reader);
    expect(record.status).toBe('failed');
    expect((record.outcome as { cause: string }).cause).toBe(`meter ${m.serial} refused token_gateway.enter: read-write-denied (entering tokens takes the management client); the token was not entered`);
    expect(creditOf(m)).toBe(before);
  }, 30_000);

  it('takes the kind through the local API: POST /commands, then the verdict on GET /commands/:id', async () => {
    const m = mb.meters[2];
    const before = creditOf(m);
    const token = creditToken(m.serial, 12);
    const app = buildApiServer({ ...deps, clock: mb.clock, timeSync: mb.config.timeSync });
    try {
      const posted = await app.inject({ method: 'POST', url: '/commands', payload: { id: 'api-tok', kind: 'token', meter: m.serial, token: token.grouped } });
      expect(posted.statusCode).toBe(202);
      expect(posted.json()).toMatchObject({ id: 'api-tok', kind: 'token', status: 'running', params: { token: token.digits } });
      const done = await app.inject({ method: 'GET', url: '/commands/api-tok?waitMs=20000' });
      expect(done.json()).toMatchObject({ status: 'done', outcome: { accepted: true, credit: { amount: before + 1200, unit: 'Wh' } } });
      const bad = await app.inject({ method: 'POST', url: '/commands', payload: { id: 'api-bad', kind: 'token', meter: m.serial, token: 'abc' } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ error: 'invalid-request', issues: [{ field: 'token', message: expect.stringMatching(/^must be 20 decimal digits, got 'abc'/) }] });
    } finally {
      await app.close();
    }
  }, 30_000);
});
