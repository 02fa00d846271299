// A schedule pushed from the cloud, with a version: applied only if newer than the one the
// DCU has (a late or replayed push never rolls the schedule back), each task checked (type,
// cron expression) before anything changes, then all tasks written in one transaction and
// the scheduler restarted on the new schedule.
import cron from 'node-cron';
import type { TaskDefinition } from '../store/index.js';
import { type Accepted, type CommandDeps, type CommandFinish, acceptCommand } from './journal.js';

export const CONFIG_VERSION_KEY = 'cloud.configVersion';
const TASK_TYPES = new Set(['load-profile', 'billing', 'registers', 'events', 'clock-sync', 'recollect', 'discovery']);

export interface ConfigCommand {
  id: string;
  version: number;
  schedule: TaskDefinition[];
}

export function startConfigCommand(command: ConfigCommand, deps: CommandDeps & { onScheduleChanged?: () => void }): Accepted {
  return acceptCommand(deps.store, { id: command.id, kind: 'config', meter: null, params: { version: command.version, tasks: command.schedule.length } }, async () => applySchedule(command, deps), deps.log);
}

function applySchedule(command: ConfigCommand, deps: CommandDeps & { onScheduleChanged?: () => void }): CommandFinish {
  const current = deps.store.config.value<number>(CONFIG_VERSION_KEY, 0);
  if (command.version <= current) {
    return { status: 'failed', outcome: { cause: `schedule version ${command.version} is not newer than the applied version ${current}`, errorKind: 'StaleVersion', applied: current } };
  }
  const problems = command.schedule.flatMap((t, i) => [
    ...(TASK_TYPES.has(t.type) ? [] : [`schedule.${i}.type: unknown task type "${t.type}"`]),
    ...(t.cron && !cron.validate(t.cron) ? [`schedule.${i}.cron: "${t.cron}" is not a cron expression`] : []),
  ]);
  if (problems.length > 0) return { status: 'failed', outcome: { cause: problems.join('; '), errorKind: 'InvalidSchedule', applied: current } };
  deps.store.transaction(() => {
    for (const task of command.schedule) deps.store.schedule.put(task);
    deps.store.config.set(CONFIG_VERSION_KEY, command.version);
  });
  deps.store.events.append({ kind: 'schedule-updated', severity: 'info', details: { version: command.version, tasks: command.schedule.map((t) => t.name) } });
  deps.onScheduleChanged?.();
  return { status: 'done', outcome: { applied: command.version, tasks: command.schedule.map((t) => t.name) } };
}
