// Remote credit: an STS token entered into a meter through its token gateway (IC 115
// 0.0.19.40.0.255, method 1 enter(octet-string of the 20 ASCII digits)) on the management
// client's association, at the bus priority of commands that change a meter. Then:
//
//   poll token_status (attribute 6) until the meter has finished with the token: status 8
//     (received) and the stages 0–2 mean "still working"; 3 is execution OK, 4–7 failures.
//     A few polls, a short pause between them, bounded in time.
//   read token_description (4: the STS verdict, e.g. "Accept", "Used"), the credit (IC 112
//     current_credit_amount, in the account's currency) and the relay (IC 70) in one request.
//
//   the meter judged the token    → done, with its verdict: accepted or refused (USED, OLD,
//                                   CRC…) alike — a refused token is the meter's answer, not
//                                   a fault of the DCU
//   no verdict (link failure, enter refused, still status 8 at the end)
//                                 → failed, with the cause
//
// The token reaches the meter at most once per command id: the command is journaled under
// its id (dcu/commands/journal.ts) and a repeated id returns the recorded outcome. An enter
// whose answer is lost is not repeated (it may have arrived): the gateway's last token
// (attribute 2) and status, read on a new association, decide. An STS meter refuses a token
// it has already taken (USED), so even a token sent again under a new id cannot add credit twice.
import { setTimeout as sleep } from 'node:timers/promises';
import { AccessError, LinkTimeout, ProtocolError } from '../../shared/errors.js';
import type { CosemData } from '../../shared/dlms/data.js';
import { Obis } from '../../shared/dlms/obis.js';
import { parseTokenDigits } from '../../shared/sts/token-number.js';
import type { TokenCommandResult } from '../../shared/sync/messages.js';
import {
  Account, AccountClass, CREDIT_AMOUNT, CreditClass, PrepaymentObis, TokenGateway, TokenGatewayClass, TokenStatusCode,
  type CreditReading, type TokenStatus, creditFromData, enterToken, lastTokenFromData, tokenDescriptionFromData, tokenStatusFromData,
} from '../session/prepayment.js';
import type { DlmsSession } from '../session/session.js';
import type { CommandRecord } from '../store/index.js';
import { PRIORITY } from '../tasks/default-schedule.js';
import { type Accepted, type CommandDeps, type CommandFinish, acceptCommand, errorOutcome } from './journal.js';

export interface TokenCommand {
  /** The issuer's command id (idempotency key). */
  id: string;
  /** Serial number of the meter. */
  meter: string;
  /** 20 decimal digits; spaces and dashes between them are dropped. */
  token: string;
}

/** How long to wait for the meter's verdict: at most `maxPolls` reads of token_status, `intervalMs` apart, within `maxWaitMs`. */
export interface TokenPolling {
  intervalMs: number;
  maxPolls: number;
  maxWaitMs: number;
}

export const DEFAULT_TOKEN_POLLING: Readonly<TokenPolling> = { intervalMs: 300, maxPolls: 20, maxWaitMs: 30_000 };

export type TokenDeps = Pick<CommandDeps, 'store' | 'access' | 'resolveMeter' | 'log'> & { tokenPolling?: Partial<TokenPolling> };

/** Bad token digits, said in words (nothing was journaled or sent). */
export class TokenFormatError extends Error {
  override readonly name = 'TokenFormatError';
}

/** The 20 digits of a token as keyed in ("1234 5678-…" allowed); throws TokenFormatError saying what is wrong. */
export function normalizeToken(input: unknown): string {
  try {
    return parseTokenDigits(input).digits;
  } catch (e) {
    const message = e instanceof Error ? e.message.replace(/^token: /, '') : String(e);
    throw new TokenFormatError(`${message} (20 decimal digits; spaces and dashes between them are allowed)`);
  }
}

/** Journals the command and starts it (in the background); see acceptCommand. Throws TokenFormatError for bad digits. */
export function startTokenCommand(command: TokenCommand, deps: TokenDeps): Accepted {
  const digits = normalizeToken(command.token);
  return acceptCommand(deps.store, { id: command.id, kind: 'token', meter: command.meter, params: { token: digits } }, () => tokenWork({ ...command, token: digits }, deps), deps.log);
}

/** Runs a token command to its end and returns its journal record (a repeated id: the recorded one). */
export async function runTokenCommand(command: TokenCommand, deps: TokenDeps): Promise<CommandRecord> {
  return startTokenCommand(command, deps).done;
}

async function tokenWork(command: TokenCommand, deps: TokenDeps): Promise<CommandFinish> {
  const { store, access } = deps;
  const polling = { ...DEFAULT_TOKEN_POLLING, ...deps.tokenPolling };
  const target = deps.resolveMeter(command.meter);
  const meterId = target?.meter.id ?? store.meters.bySerial(command.meter)?.id ?? null;
  const finish = (f: CommandFinish): CommandFinish => {
    // The digits stay in the journal; events (which go upstream in batches) carry the verdict only.
    store.events.append({
      meter: meterId,
      kind: f.status === 'done' ? 'token-command' : 'token-command-failed',
      severity: f.status === 'done' ? 'info' : 'error',
      details: { command: command.id, serial: command.meter, ...f.outcome },
    });
    return f;
  };
  if (target === null) {
    return finish({ status: 'failed', outcome: { cause: `meter ${command.meter} is not in the directory or not on a configured bus; the token was not sent`, errorKind: 'UnknownMeter' } });
  }
  const { bus, busConfig, meter } = target;
  return bus.exclusive(async () => {
    let session = access.controlSessionFor(bus, busConfig, meter);
    let ok = false;
    let failure = 'no answer';
    let sent = false;
    try {
      await session.connect();
      let lost: Error | null = null;
      try {
        sent = true;
        await enterToken(session, command.token);
      } catch (e) {
        if (e instanceof AccessError) {
          ok = true; // the meter answered: it refused the service itself, before any verdict
          const why = e.result === 'read-write-denied' || e.result === 'scope-of-access-violated' ? ' (entering tokens takes the management client)' : '';
          return finish({ status: 'failed', outcome: { cause: `meter ${command.meter} refused token_gateway.enter: ${e.result}${why}; the token was not entered`, errorKind: 'AccessError' } });
        }
        if (!(e instanceof LinkTimeout || e instanceof ProtocolError)) throw e;
        lost = e;
        // It may have arrived: do not enter it again, ask the gateway what it has.
        await session.close();
        session = access.controlSessionFor(bus, busConfig, meter);
        await session.connect();
      }
      const verdict = await awaitVerdict(session, polling);
      ok = true;
      // (Our digits as the last token may also be an earlier entry of the same token: then the
      // meter has its credit from that entry, which is what the verdict says either way.)
      if (verdict.lastToken !== null && verdict.lastToken !== command.token) {
        const shows = verdict.lastToken === '' ? 'no token at all' : 'another token as its last one';
        const cause = lost
          ? `the answer to token_gateway.enter was lost (${lost.message}) and meter ${command.meter} shows ${shows}: the token did not reach the meter — send it again under a new id`
          : `after token_gateway.enter meter ${command.meter} shows ${shows}; its status says nothing about this token`;
        return finish({ status: 'failed', outcome: { cause, errorKind: lost ? lost.name : 'NotConfirmed' } });
      }
      if (lost && verdict.lastToken === null) {
        return finish({ status: 'failed', outcome: { cause: `the answer to token_gateway.enter was lost (${lost.message}) and the meter does not show its last token: whether it took the token is unknown — read its credit; entering it again is safe (an STS meter refuses a used token)`, errorKind: lost.name } });
      }
      if (verdict.status.code === TokenStatusCode.received) {
        return finish({
          status: 'failed',
          outcome: { cause: `meter ${command.meter} received the token but had not finished with it after ${verdict.polls} status reads in ${verdict.waitedMs} ms; read its credit later (entering the token again would be refused as used)`, errorKind: 'NotConfirmed', tokenStatus: verdict.status.code, tokenStatusName: verdict.status.name },
        });
      }
      const after = await readAfterToken(session).catch((e: unknown) => ({ error: errorOutcome(e).cause }));
      return finish({ status: 'done', outcome: judge(command, verdict.status, after, lost) });
    } catch (e) {
      const outcome = errorOutcome(e);
      failure = outcome.cause;
      const note = sent ? ' (the token may or may not have reached the meter: read its credit; entering it again is safe, an STS meter refuses a used token)' : '; the token was not sent';
      return finish({ status: 'failed', outcome: { ...outcome, cause: `${outcome.cause}${note}` } });
    } finally {
      await session.close();
      access.saveReceived();
      store.meters.recordExchange(meter.id, ok ? { ok: true } : { ok: false, error: failure });
    }
  }, PRIORITY.relayAndTime);
}

interface Verdict {
  status: TokenStatus;
  /** The gateway's last token (attribute 2), or null when the meter does not give it. */
  lastToken: string | null;
  polls: number;
  waitedMs: number;
}

/** Reads token_status (with the last token, in one request) until the meter is done with it, within the bounds. */
async function awaitVerdict(session: DlmsSession, polling: TokenPolling): Promise<Verdict> {
  const started = performance.now();
  for (let polls = 1; ; polls++) {
    const [token, status] = await session.getList([TokenGateway.token, TokenGateway.status].map((attributeId) => ({ classId: TokenGatewayClass, instanceId: PrepaymentObis.tokenGateway, attributeId })));
    if (status instanceof Error) throw status;
    const verdict: Verdict = { status: tokenStatusFromData(status), lastToken: token instanceof Error ? null : lastTokenFromData(token), polls, waitedMs: Math.round(performance.now() - started) };
    const working = verdict.status.code === TokenStatusCode.received || verdict.status.code < TokenStatusCode.executionOk;
    if (!working || polls >= polling.maxPolls || verdict.waitedMs + polling.intervalMs > polling.maxWaitMs) return verdict;
    await sleep(polling.intervalMs);
  }
}

interface AfterToken {
  description: string[];
  credit: CreditReading | null;
  relay?: { outputState: boolean; controlState: number };
}

/** token_description, credit (with the account's currency) and relay state in one request where the meter takes lists. */
async function readAfterToken(session: DlmsSession): Promise<AfterToken> {
  const [description, amount, currency, output, control] = await session.getList([
    { classId: TokenGatewayClass, instanceId: PrepaymentObis.tokenGateway, attributeId: TokenGateway.description },
    { classId: CreditClass, instanceId: PrepaymentObis.credit, attributeId: CREDIT_AMOUNT },
    { classId: AccountClass, instanceId: PrepaymentObis.account, attributeId: Account.currency },
    { classId: 70, instanceId: Obis.disconnectControl, attributeId: 2 },
    { classId: 70, instanceId: Obis.disconnectControl, attributeId: 3 },
  ]);
  const given = (d: CosemData | AccessError): d is CosemData => !(d instanceof AccessError);
  const out: AfterToken = {
    description: given(description) ? tokenDescriptionFromData(description) : [],
    credit: given(amount) ? creditFromData(amount, given(currency) ? currency : null) : null,
  };
  if (given(output) && given(control) && output.type === 'boolean' && control.type === 'enum') out.relay = { outputState: output.value, controlState: control.value };
  return out;
}

function judge(command: TokenCommand, status: TokenStatus, after: AfterToken | { error: string }, lost: Error | null): TokenCommandResult & Record<string, unknown> {
  const accepted = status.code === TokenStatusCode.executionOk;
  const read = 'error' in after ? null : after;
  const description = read?.description ?? [];
  const verdict = description.length > 0 ? `: ${description.join('; ')}` : '';
  const credit = read?.credit ?? null;
  const creditText = credit ? `; credit now ${credit.value}${credit.unit ? ` ${credit.unit}` : ''}` : '';
  const message = accepted
    ? `meter ${command.meter} accepted the token (${status.name}${verdict})${creditText}`
    : `meter ${command.meter} refused the token (${status.name}${verdict})${creditText}`;
  return {
    tokenStatus: status.code,
    tokenStatusName: status.name,
    accepted,
    tokenDescription: description,
    credit,
    ...(read?.relay && { relay: read.relay }),
    ...(status.dataValue && { tokenStatusData: status.dataValue }),
    message,
    ...('error' in after && { readError: `the verdict is in, but the credit and relay could not be read: ${after.error}` }),
    ...(lost && { note: `the answer to token_gateway.enter was lost (${lost.message}); the gateway's status, read on a new association, decides` }),
  };
}
