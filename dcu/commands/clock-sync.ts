// A clock-sync command for one meter (a technician or the cloud asking "check this meter's
// clock now", with force to correct an offset beyond the alarm limit). Journaled like every
// command; the work is dcu/tasks/clock-sync.ts at bus priority 2. The outcome is the
// sync result: done for none/shift/set/alarm (an alarm without force is the policy's answer,
// with the offset measured and a message saying to force), failed when the gateway clock is
// not synchronised (nothing was read or set) or the meter could not be reached.
import type { CommandRecord } from '../store/index.js';
import { syncMeterClockOnBus } from '../tasks/clock-sync.js';
import { type Accepted, type CommandDeps, type CommandFinish, acceptCommand, errorOutcome } from './journal.js';

export interface ClockSyncCommand {
  id: string;
  /** Serial number of the meter. */
  meter: string;
  /** Set the clock even beyond timeSync.correctUpToS (or when the meter's clock is unreadable). */
  force?: boolean;
}

export function startClockSyncCommand(command: ClockSyncCommand, deps: CommandDeps): Accepted {
  const force = command.force ?? false;
  return acceptCommand(deps.store, { id: command.id, kind: 'clock-sync', meter: command.meter, params: { force } }, () => clockSyncWork(command.meter, force, deps), deps.log);
}

export async function runClockSyncCommand(command: ClockSyncCommand, deps: CommandDeps): Promise<CommandRecord> {
  return startClockSyncCommand(command, deps).done;
}

async function clockSyncWork(serial: string, force: boolean, deps: CommandDeps): Promise<CommandFinish> {
  const target = deps.resolveMeter(serial);
  if (target === null) return { status: 'failed', outcome: { cause: `meter ${serial} is not in the directory or not on a configured bus`, errorKind: 'UnknownMeter' } };
  try {
    const result = await syncMeterClockOnBus({ ...target, access: deps.access, clock: deps.clock, thresholds: deps.timeSync, store: deps.store, force });
    const outcome = { ...result } as Record<string, unknown>;
    if (result.action === 'not-synchronised') return { status: 'failed', outcome: { ...outcome, cause: result.message, errorKind: 'NotSynchronised' } };
    return { status: 'done', outcome };
  } catch (e) {
    deps.store.events.append({ meter: target.meter.id, kind: 'clock-sync-failed', severity: 'warning', details: { serial, ...errorOutcome(e) } });
    return { status: 'failed', outcome: errorOutcome(e) };
  }
}
