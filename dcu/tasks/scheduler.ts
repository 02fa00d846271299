// Turns the schedule in the database into jobs (node-cron): at each firing, a task runs on
// every active meter, one bus after another in parallel across buses, each job taking its
// bus at the task's priority. While the gateway's clock is not synchronised nothing is
// read or set — the firing is recorded as skipped with an event.
import cron, { type ScheduledTask } from 'node-cron';
import type { TaskRecord } from '../store/index.js';
import { type RunSummary, type Target, type TaskContext, runTaskOnMeter } from './run-task.js';

export interface SchedulerDeps extends TaskContext {
  /** Active meters with the bus each sits on. */
  targets(): Target[];
  /** Runs discovery on every bus. */
  discover(): Promise<unknown>;
}

export class Scheduler {
  private jobs: ScheduledTask[] = [];
  private running = new Set<Promise<unknown>>();
  private stopping = false;

  constructor(private readonly deps: SchedulerDeps) {}

  /** Schedules every enabled task with a cron expression; a bad expression is an error naming the task. */
  start(): void {
    for (const task of this.deps.store.schedule.list({ enabledOnly: true })) {
      if (!task.cron) continue;
      if (!cron.validate(task.cron)) throw new Error(`task "${task.name}": "${task.cron}" is not a valid cron expression`);
      this.jobs.push(cron.schedule(task.cron, () => void this.fire(task.name), { name: task.name, noOverlap: true }));
    }
  }

  /** Takes a changed schedule: the cron jobs are rebuilt; jobs in flight finish as they are. */
  async reload(): Promise<void> {
    for (const j of this.jobs) await j.stop();
    this.jobs = [];
    if (!this.stopping) this.start();
  }

  /** Runs a task now on all targets; resolves when every job is done. */
  fire(name: string): Promise<RunSummary[]> {
    const work = this.fireNow(name);
    this.running.add(work);
    void work.finally(() => this.running.delete(work));
    return work;
  }

  /** Stops firing and waits for the jobs in flight (each finishes its exchange and closes). */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const j of this.jobs) await j.stop();
    this.jobs = [];
    await Promise.allSettled([...this.running]);
  }

  private async fireNow(name: string): Promise<RunSummary[]> {
    const { store, clock, log } = this.deps;
    const task = store.schedule.get(name);
    if (!task || !task.enabled || this.stopping) return [];
    const now = clock.now();
    if ((task.startAt !== null && now < task.startAt) || (task.endAt !== null && now >= task.endAt)) return [];
    // Finding meters reads nothing that is stored by time and sets nothing: no clock needed.
    if (task.type === 'discovery') {
      await this.deps.discover();
      return [];
    }
    if (!(await clock.synchronised())) {
      const run = store.schedule.startRun(task.id, null);
      store.schedule.finishRun(run, { outcome: 'skipped', error: 'gateway clock not synchronised' });
      store.events.append({ kind: 'clock-not-synchronised', severity: 'warning', details: { task: name } });
      log.warn({ task: name }, 'skipped: the gateway clock is not synchronised');
      return [];
    }
    return runOnAllBuses(this.deps, task, this.deps.targets());
  }
}

/** One job per meter; buses work in parallel, each bus one meter at a time. */
export async function runOnAllBuses(ctx: TaskContext, task: TaskRecord, targets: Target[]): Promise<RunSummary[]> {
  const byBus = new Map<string, Target[]>();
  for (const t of targets) byBus.set(t.bus.name, [...(byBus.get(t.bus.name) ?? []), t]);
  const perBus = await Promise.all(
    [...byBus.values()].map(async (list) => {
      const out: RunSummary[] = [];
      for (const t of list) out.push(await runTaskOnMeter(ctx, task, t));
      return out;
    }),
  );
  const summaries = perBus.flat();
  const failed = summaries.filter((s) => s.outcome !== 'ok');
  ctx.log.info({ task: task.name, meters: summaries.length, failed: failed.length, rows: summaries.reduce((a, s) => a + s.rows, 0) }, 'task done');
  return summaries;
}
