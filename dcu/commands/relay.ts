// Relay control through the meter's Disconnect control (IC 70, 0.0.96.3.10.255):
// remote_disconnect (method 1) / remote_reconnect (method 2), parameter integer 0, with
// output_state (2), control_state (3) and control_mode (4) read before and after. The
// read-back decides the outcome, never the ACTION's answer alone:
//
//   disconnect  control_state disconnected (0), output off            → done "disconnected"
//   connect     control_state connected (1), output on                → done "connected"
//               control_state ready_for_reconnection (2), output off  → done
//                 "ready-for-reconnection": in control modes 1, 3, 5, 6 a remote
//                 reconnect only arms the meter (Blue Book transition d); the relay closes
//                 when the customer presses the button (or a local reconnect). That is the
//                 meter doing what it was asked, so a success, said in those words.
//   anything else                                                     → failed, with the state
//
// An ACTION that the meter refuses fails with the meter's reason and its control mode (mode
// 0: the disconnector cannot be switched remotely). An ACTION whose answer is lost (link
// fault) is not repeated (it may have acted): the state is read back on a new association
// and decides. Every command is journaled (dcu/commands/journal.ts) and ends with an event.
import { AccessError, LinkTimeout, ProtocolError } from '../../shared/errors.js';
import type { CosemData } from '../../shared/dlms/data.js';
import { Obis } from '../../shared/dlms/obis.js';
import type { DlmsSession } from '../session/session.js';
import type { CommandRecord } from '../store/index.js';
import { type Accepted, type CommandDeps, type CommandFinish, acceptCommand, errorOutcome } from './journal.js';

export type RelayAction = 'connect' | 'disconnect';

export interface RelayCommand {
  /** The issuer's command id (idempotency key). */
  id: string;
  /** Serial number of the meter. */
  meter: string;
  action: RelayAction;
}

export type RelayDeps = Pick<CommandDeps, 'store' | 'access' | 'resolveMeter' | 'log'>;

/** IC 70 control_state */
export const ControlState = { disconnected: 0, connected: 1, readyForReconnection: 2 } as const;
const CONTROL_STATE_NAMES = ['disconnected', 'connected', 'ready-for-reconnection'];

export interface DisconnectControlState {
  outputState: boolean;
  controlState: number;
  controlStateName: string;
  /** null if the meter does not let this client read it. */
  controlMode: number | null;
}

export type RelayResult = 'connected' | 'disconnected' | 'ready-for-reconnection';

/** Bus priority of relay commands (on-demand 3 > relay and time 2 > scheduled 1 > recollection 0). */
export const RELAY_PRIORITY = 2;

/** Journals the command and starts it (in the background); see acceptCommand. */
export function startRelayCommand(command: RelayCommand, deps: RelayDeps): Accepted {
  if (command.action !== 'connect' && command.action !== 'disconnect') throw new TypeError(`relay action must be "connect" or "disconnect", got ${JSON.stringify(command.action)}`);
  return acceptCommand(deps.store, { id: command.id, kind: 'relay', meter: command.meter, params: { action: command.action } }, () => relayWork(command, deps), deps.log);
}

/**
 * Runs a relay command to its end and returns its journal record. A repeated id returns
 * the recorded outcome (waiting for it if the first run is still going) and does not act
 * again; a different request under a used id throws CommandConflictError.
 */
export async function runRelayCommand(command: RelayCommand, deps: RelayDeps): Promise<CommandRecord> {
  return startRelayCommand(command, deps).done;
}

/** output_state, control_state and control_mode in one request where the meter takes lists. */
export async function readDisconnectControl(session: DlmsSession): Promise<DisconnectControlState> {
  const [output, control, mode] = await session.getList([2, 3, 4].map((attributeId) => ({ classId: 70, instanceId: Obis.disconnectControl, attributeId })));
  if (output instanceof Error) throw output;
  if (control instanceof Error) throw control;
  if (output.type !== 'boolean' || control.type !== 'enum') throw new ProtocolError(`disconnect control state has unexpected types (${output.type}, ${control.type})`, 0, 'cosem');
  const controlMode = mode instanceof Error ? null : (mode as CosemData).type === 'enum' ? (mode as { value: number }).value : null;
  return { outputState: output.value, controlState: control.value, controlStateName: stateName(control.value), controlMode };
}

function stateName(s: number): string {
  return CONTROL_STATE_NAMES[s] ?? `unknown (${s})`;
}

async function relayWork(command: RelayCommand, deps: RelayDeps): Promise<CommandFinish> {
  const { store, access } = deps;
  const target = deps.resolveMeter(command.meter);
  const method = command.action === 'disconnect' ? 1 : 2;
  const methodName = command.action === 'disconnect' ? 'remote_disconnect' : 'remote_reconnect';
  const meterId = target?.meter.id ?? store.meters.bySerial(command.meter)?.id ?? null;
  const finish = (f: CommandFinish): CommandFinish => {
    store.events.append({
      meter: meterId,
      kind: f.status === 'done' ? 'relay-command' : 'relay-command-failed',
      severity: f.status === 'done' ? 'info' : 'error',
      details: { command: command.id, serial: command.meter, action: command.action, ...f.outcome },
    });
    return f;
  };
  if (target === null) {
    return finish({ status: 'failed', outcome: { cause: `meter ${command.meter} is not in the directory or not on a configured bus`, errorKind: 'UnknownMeter' } });
  }
  const { bus, busConfig, meter } = target;
  return bus.exclusive(async () => {
    let session = access.controlSessionFor(bus, busConfig, meter);
    let ok = false;
    let failure = 'no answer';
    try {
      await session.connect();
      const before = await readDisconnectControl(session);
      let lost: Error | null = null;
      const switching = session;
      try {
        // Switching to the state it is already in changes nothing: safe to re-cipher and re-send.
        await session.action(70, Obis.disconnectControl, method, { type: 'integer', value: 0 }, { idempotent: true });
      } catch (e) {
        if (e instanceof AccessError) {
          ok = true; // the meter answered
          const after = await readDisconnectControl(session).catch(() => null);
          const why =
            e.result === 'read-write-denied' || e.result === 'scope-of-access-violated'
              ? ` (the client of security profile "${meter.securityProfile ?? busConfig.profile}" may not switch the relay: that takes the management client)`
              : before.controlMode === 0
                ? ' (control mode 0: this disconnector cannot be switched remotely)'
                : before.controlMode === null
                  ? ''
                  : ` (control mode ${before.controlMode})`;
          return finish({ status: 'failed', outcome: { cause: `meter ${command.meter} refused ${methodName}: ${e.result}${why}`, errorKind: 'AccessError', before, after } });
        }
        if (!(e instanceof LinkTimeout || e instanceof ProtocolError)) throw e;
        lost = e;
        // The request may have reached the meter: do not repeat it, look at what it did.
        await session.close();
        session = access.controlSessionFor(bus, busConfig, meter);
        await session.connect();
      }
      const after = await readDisconnectControl(session);
      ok = true;
      // Requests sent again under a new invocation counter after the meter refused a repeat as a replay: on record.
      const resent = [...new Set([switching, session])].flatMap((s) => s.replays).filter((r) => r.outcome === 'reciphered').map((r) => r.request);
      const judged = judge(command, before, after, lost);
      return finish(resent.length > 0 ? { ...judged, outcome: { ...judged.outcome, reciphered: resent } } : judged);
    } catch (e) {
      const outcome = errorOutcome(e);
      failure = outcome.cause;
      return finish({ status: 'failed', outcome });
    } finally {
      await session.close();
      access.saveReceived();
      store.meters.recordExchange(meter.id, ok ? { ok: true } : { ok: false, error: failure });
    }
  }, RELAY_PRIORITY);
}

function judge(command: RelayCommand, before: DisconnectControlState, after: DisconnectControlState, lost: Error | null): CommandFinish {
  const changed = before.controlState !== after.controlState || before.outputState !== after.outputState;
  const note = lost ? { note: `the answer to the ACTION was lost (${lost.message}); the state read back on a new association decides` } : {};
  const unchanged = changed ? '' : ' (it already was; nothing changed)';
  let result: RelayResult | null = null;
  let message = '';
  if (command.action === 'disconnect') {
    if (after.controlState === ControlState.disconnected && !after.outputState) {
      result = 'disconnected';
      message = `meter ${command.meter} is disconnected: relay open${unchanged}`;
    }
  } else if (after.controlState === ControlState.connected && after.outputState) {
    result = 'connected';
    message = `meter ${command.meter} is connected: relay closed${unchanged}`;
  } else if (after.controlState === ControlState.readyForReconnection && !after.outputState) {
    result = 'ready-for-reconnection';
    message = `meter ${command.meter} is ready for reconnection${unchanged}: the relay closes when the customer presses the button on the meter (control mode ${after.controlMode ?? 'unknown'})`;
  }
  if (result === null) {
    const cause = `after ${command.action === 'disconnect' ? 'remote_disconnect' : 'remote_reconnect'} meter ${command.meter} shows control_state ${after.controlStateName}, output ${after.outputState ? 'on' : 'off'}${lost ? ` (the ACTION failed: ${lost.message})` : ''}`;
    return { status: 'failed', outcome: { cause, errorKind: lost ? lost.name : 'NotConfirmed', before, after } };
  }
  return { status: 'done', outcome: { result, message, changed, before, after, ...note } };
}
