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

  /**
   * Runs several tasks now, meter by meter: each meter does them one after another, so a
   * link with many meters at once (G3) never idles waiting for the slowest meter of one
   * task before the next task starts. Resolves with each task's summaries, in `names` order.
   */
  async fireTogether(names: string[]): Promise<RunSummary[][]> {
    const { store, clock } = this.deps;
    const now = clock.now();
    const due = names.map((n) => store.schedule.get(n)).filter((t): t is TaskRecord => !!t && t.enabled && t.type !== 'discovery' && (t.startAt === null || now >= t.startAt) && (t.endAt === null || now < t.endAt));
    if (due.length < names.length || this.stopping || !(await clock.synchronised())) return Promise.all(names.map((n) => this.fire(n)));
    const work = runOnAllBuses(this.deps, due, this.deps.targets());
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
    return (await runOnAllBuses(this.deps, [task], this.deps.targets()))[0];
  }
}

/**
 * One job per meter (its tasks in order); links work in parallel, each running as many
 * meters at once as it allows (an RS485 bus one at a time, a G3 network many, its request
 * limiter gating them). Returns each task's summaries, in `tasks` order.
 */
export async function runOnAllBuses(ctx: TaskContext, tasks: TaskRecord[], targets: Target[]): Promise<RunSummary[][]> {
  const byBus = new Map<string, Target[]>();
  for (const t of targets) byBus.set(t.bus.name, [...(byBus.get(t.bus.name) ?? []), t]);
  const perBus = await Promise.all(
    [...byBus.values()].map(startOrder).map(async (list) => {
      const out: RunSummary[][] = tasks.map(() => new Array<RunSummary>(list.length));
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < list.length; i = next++) for (const [k, task] of tasks.entries()) out[k][i] = await runTaskOnMeter(ctx, task, list[i]);
      };
      await Promise.all(Array.from({ length: Math.max(1, Math.min(list[0].bus.concurrency, list.length)) }, worker));
      return out;
    }),
  );
  return tasks.map((task, k) => {
    const summaries = perBus.flatMap((bus) => bus[k]);
    const failed = summaries.filter((s) => s.outcome !== 'ok');
    ctx.log.info({ task: task.name, meters: summaries.length, failed: failed.length, rows: summaries.reduce((a, s) => a + s.rows, 0) }, 'task done');
    return summaries;
  });
}

/**
 * The order meters start in: the farthest, the nearest, the next farthest, the next nearest…
 * On G3 a far meter's session takes longest (every exchange crosses more hops): started late,
 * one would keep the cycle open long after the rest. And its frames take the most channel time
 * per modem buffer (a buffer is held only until the first hop), a near meter's the least: read
 * all far meters first and then all near ones, and the cycle would first fill the channel and
 * then run short of buffers with the channel half idle. Taken from both ends, every part of the
 * cycle has both, and the far meters still all start in its first half. Meters with no hop
 * count (RS485) keep their order.
 */
export function startOrder(targets: Target[]): Target[] {
  if (targets.every((t) => t.meter.hops === null || t.meter.hops === undefined)) return [...targets];
  const byHops = [...targets].sort((a, b) => (b.meter.hops ?? 0) - (a.meter.hops ?? 0));
  const out: Target[] = [];
  for (let i = 0, j = byHops.length - 1; i <= j; i++, j--) {
    out.push(byHops[i]);
    if (j > i) out.push(byHops[j]);
  }
  return out;
}
