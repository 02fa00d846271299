// The schedule a fresh DCU starts with (stored in its database on first start, then edited
// there): load profile hourly, daily billing after midnight, registers and events hourly,
// recollection of gaps every six hours, meter clocks four times a day, discovery nightly.
import type { DcuConfig } from '../config.js';
import type { TaskDefinition } from '../store/index.js';

/** Priorities on one bus: on-demand 3 > relay and time 2 > scheduled 1 > recollection 0. */
export const PRIORITY = { onDemand: 3, relayAndTime: 2, scheduled: 1, recollection: 0 } as const;

export function defaultSchedule(config: DcuConfig): TaskDefinition[] {
  const scheduled = { priority: PRIORITY.scheduled, retries: 2, enabled: true };
  return [
    { name: 'load-profile', type: 'load-profile', cron: '5 * * * *', ...scheduled },
    { name: 'daily-billing', type: 'billing', cron: '20 0 * * *', ...scheduled },
    { name: 'registers', type: 'registers', cron: '10 * * * *', ...scheduled },
    { name: 'event-log', type: 'events', cron: '15 * * * *', ...scheduled },
    { name: 'recollect', type: 'recollect', cron: '40 */6 * * *', items: { days: config.recollectDays }, priority: PRIORITY.recollection, retries: 0, enabled: true },
    { name: 'clock-sync', type: 'clock-sync', cron: config.timeSync.cron, priority: PRIORITY.relayAndTime, retries: 1, enabled: true },
    { name: 'discovery', type: 'discovery', cron: config.buses[0]?.discovery.cron ?? '0 3 * * *', priority: PRIORITY.recollection, retries: 0, enabled: true },
  ];
}
