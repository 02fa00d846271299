// An on-demand read (a technician, or the cloud asking "what does this meter say now"):
// registers read at the highest bus priority, stored with source 'on-demand' (so they go up
// with the next batch) and returned in the command's outcome.
import { parseObis } from '../../shared/dlms/obis.js';
import type { CommandRecord } from '../store/index.js';
import { DEFAULT_REGISTERS, collectRegisters } from '../tasks/collect.js';
import { PRIORITY } from '../tasks/default-schedule.js';
import { type Accepted, type CommandDeps, type CommandFinish, acceptCommand, errorOutcome } from './journal.js';

export interface ReadCommand {
  id: string;
  meter: string;
  /** OBIS codes of registers (IC 3); default: energy import total and per tariff, export. */
  registers?: string[];
}

export function startReadCommand(command: ReadCommand, deps: CommandDeps): Accepted {
  return acceptCommand(deps.store, { id: command.id, kind: 'read', meter: command.meter, params: { registers: command.registers ?? null } }, () => readWork(command, deps), deps.log);
}

export async function runReadCommand(command: ReadCommand, deps: CommandDeps): Promise<CommandRecord> {
  return startReadCommand(command, deps).done;
}

async function readWork(command: ReadCommand, deps: CommandDeps): Promise<CommandFinish> {
  const target = deps.resolveMeter(command.meter);
  if (target === null) return { status: 'failed', outcome: { cause: `meter ${command.meter} is not in the directory or not on a configured bus`, errorKind: 'UnknownMeter' } };
  const registers = command.registers ? command.registers.map((r) => ({ obis: parseObis(r) })) : DEFAULT_REGISTERS;
  return target.bus.exclusive(async () => {
    const session = deps.access.sessionFor(target.bus, target.busConfig, target.meter);
    try {
      await session.connect();
      const now = deps.clock.now();
      await collectRegisters({ session, store: deps.store, meter: target.meter, now, backfillDays: 0, scalers: new Map() }, registers, 'on-demand');
      const ts = Math.floor(now / 1000) * 1000;
      const readings = deps.store.readings.range({ from: ts, to: ts + 1, meter: target.meter.id }).filter((r) => r.source === 'on-demand');
      return { status: 'done', outcome: { at: ts, readings: readings.map((r) => ({ obis: r.obis, value: typeof r.value === 'bigint' ? r.value.toString() : r.value, scaler: r.scaler, unit: r.unit })) } };
    } catch (e) {
      return { status: 'failed', outcome: errorOutcome(e) };
    } finally {
      await session.close();
    }
  }, PRIORITY.onDemand);
}
