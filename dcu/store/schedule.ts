// The schedule (what to read, when, how urgently, how often to retry) and the task runs
// (what came of each attempt, per meter). The scheduler in dcu/tasks turns the schedule into
// jobs; the store only keeps it. Runs left open by a crash are closed as 'interrupted' when
// the store opens, so "last run" questions never see a run that will not finish.
import type { Db, Statement } from './database.js';
import { checkTime, fromJson, num, numOrNull, toJson } from './codec.js';
import type { RowCounts } from './counts.js';
import { StoreError } from './errors.js';

export type TaskType =
  | 'load-profile'
  | 'billing'
  | 'registers'
  | 'events'
  | 'clock-sync'
  | 'recollect'
  | 'discovery'
  | 'relay'
  | (string & {});

export interface TaskDefinition {
  /** Unique; the key for updates. */
  name: string;
  type: TaskType;
  /** What to read: OBIS codes, attributes, ranges… (JSON, as the task type defines it). */
  items?: unknown;
  /** Cron expression (as the scheduler understands it), or null. */
  cron?: string | null;
  /** The task is active from startAt (inclusive) to endAt (exclusive), UTC ms; null = unbounded. */
  startAt?: number | null;
  endAt?: number | null;
  /** Period in ms, for tasks that repeat without a cron expression. */
  periodMs?: number | null;
  /** Higher runs first. */
  priority?: number;
  /** Retries after a failed attempt. */
  retries?: number;
  enabled?: boolean;
}

export interface TaskRecord extends Required<TaskDefinition> {
  id: number;
  createdAt: number;
  updatedAt: number;
}

export type RunOutcome = 'ok' | 'partial' | 'failed' | 'timeout' | 'skipped' | 'interrupted';

export interface TaskRun {
  id: number;
  task: number;
  meter: number | null;
  startedAt: number;
  finishedAt: number | null;
  outcome: RunOutcome | null;
  error: string | null;
  rows: number;
}

interface Row {
  [column: string]: unknown;
}

const taskFromRow = (r: Row): TaskRecord => ({
  id: num(r.id),
  name: r.name as string,
  type: r.type as TaskType,
  items: fromJson(r.items as string),
  cron: r.cron as string | null,
  startAt: numOrNull(r.start_at),
  endAt: numOrNull(r.end_at),
  periodMs: numOrNull(r.period_ms),
  priority: num(r.priority),
  retries: num(r.retries),
  enabled: num(r.enabled) === 1,
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});

const runFromRow = (r: Row): TaskRun => ({
  id: num(r.id),
  task: num(r.task),
  meter: numOrNull(r.meter),
  startedAt: num(r.started_at),
  finishedAt: numOrNull(r.finished_at),
  outcome: r.outcome as RunOutcome | null,
  error: r.error as string | null,
  rows: num(r.rows),
});

export class Schedule {
  private readonly putStmt: Statement;
  private readonly byNameStmt: Statement;
  private readonly byIdStmt: Statement;
  private readonly listStmt: Statement;
  private readonly enableStmt: Statement;
  private readonly runsOfTaskStmt: Statement;
  private readonly removeStmt: Statement;
  private readonly startStmt: Statement;
  private readonly finishStmt: Statement;
  private readonly interruptStmt: Statement;
  private readonly lastRunStmt: Statement;
  private readonly runsStmt: Statement;
  private readonly tx: <T>(fn: () => T) => T;

  constructor(
    db: Db,
    private readonly counts: RowCounts,
    private readonly clock: () => number,
  ) {
    this.putStmt = db.prepare(
      `INSERT INTO tasks (name, type, items, cron, start_at, end_at, period_ms, priority, retries, enabled, created_at, updated_at)
       VALUES (@name, @type, @items, @cron, @startAt, @endAt, @periodMs, @priority, @retries, @enabled, @now, @now)
       ON CONFLICT (name) DO UPDATE SET type = excluded.type, items = excluded.items, cron = excluded.cron,
         start_at = excluded.start_at, end_at = excluded.end_at, period_ms = excluded.period_ms, priority = excluded.priority,
         retries = excluded.retries, enabled = excluded.enabled, updated_at = excluded.updated_at
       RETURNING *`,
    );
    this.byNameStmt = db.prepare('SELECT * FROM tasks WHERE name = ?');
    this.byIdStmt = db.prepare('SELECT * FROM tasks WHERE id = ?');
    this.listStmt = db.prepare('SELECT * FROM tasks WHERE enabled >= ? ORDER BY priority DESC, name');
    this.enableStmt = db.prepare('UPDATE tasks SET enabled = ?, updated_at = ? WHERE name = ? RETURNING *');
    this.runsOfTaskStmt = db.prepare('SELECT count(*) FROM task_runs WHERE task = ?').pluck();
    this.removeStmt = db.prepare('DELETE FROM tasks WHERE id = ?');
    this.startStmt = db.prepare('INSERT INTO task_runs (task, meter, started_at) VALUES (?, ?, ?)');
    this.finishStmt = db.prepare(
      'UPDATE task_runs SET finished_at = ?, outcome = ?, error = ?, rows = ? WHERE id = ? AND finished_at IS NULL RETURNING *',
    );
    this.interruptStmt = db.prepare(
      `UPDATE task_runs SET finished_at = ?, outcome = 'interrupted', error = 'the DCU stopped during the run' WHERE finished_at IS NULL`,
    );
    this.lastRunStmt = db.prepare(
      'SELECT * FROM task_runs WHERE task = ? AND meter IS ? ORDER BY started_at DESC, id DESC LIMIT 1',
    );
    this.runsStmt = db.prepare(
      `SELECT * FROM task_runs WHERE (@task IS NULL OR task = @task) AND (@meter IS NULL OR meter = @meter)
       ORDER BY started_at DESC, id DESC LIMIT @limit`,
    );
    this.tx = <T>(fn: () => T): T => db.transaction(fn).immediate();
  }

  /** Adds the task, or replaces the definition of the task with this name (its id and runs stay). */
  put(def: TaskDefinition, now: number = this.clock()): TaskRecord {
    if (typeof def.name !== 'string' || def.name === '') throw new StoreError('a task needs a name', 'invalid');
    if (typeof def.type !== 'string' || def.type === '') throw new StoreError(`task ${def.name}: a task needs a type`, 'invalid');
    for (const [field, v] of [['startAt', def.startAt], ['endAt', def.endAt], ['periodMs', def.periodMs]] as const) {
      if (v !== undefined && v !== null) checkTime(v, `task ${def.name}: ${field}`);
    }
    if (def.periodMs != null && def.periodMs <= 0) throw new StoreError(`task ${def.name}: periodMs must be positive`, 'invalid');
    const row = this.putStmt.get({
      name: def.name,
      type: def.type,
      items: toJson(def.items ?? []),
      cron: def.cron ?? null,
      startAt: def.startAt ?? null,
      endAt: def.endAt ?? null,
      periodMs: def.periodMs ?? null,
      priority: def.priority ?? 0,
      retries: def.retries ?? 0,
      enabled: def.enabled === false ? 0 : 1,
      now,
    }) as Row;
    return taskFromRow(row);
  }

  get(name: string): TaskRecord | undefined {
    const r = this.byNameStmt.get(name) as Row | undefined;
    return r === undefined ? undefined : taskFromRow(r);
  }

  getById(id: number): TaskRecord | undefined {
    const r = this.byIdStmt.get(id) as Row | undefined;
    return r === undefined ? undefined : taskFromRow(r);
  }

  /** By priority (highest first), then name. */
  list(filter: { enabledOnly?: boolean } = {}): TaskRecord[] {
    return (this.listStmt.all(filter.enabledOnly === true ? 1 : 0) as Row[]).map(taskFromRow);
  }

  setEnabled(name: string, enabled: boolean, now: number = this.clock()): TaskRecord {
    const r = this.enableStmt.get(enabled ? 1 : 0, now, name) as Row | undefined;
    if (r === undefined) throw new StoreError(`no task named ${JSON.stringify(name)}`, 'not-found');
    return taskFromRow(r);
  }

  /** Deletes the task and its runs. */
  remove(name: string): boolean {
    return this.tx(() => {
      const task = this.get(name);
      if (task === undefined) return false;
      const runs = this.runsOfTaskStmt.get(task.id) as number;
      this.removeStmt.run(task.id);
      this.counts.add('taskRuns', -runs);
      return true;
    });
  }

  /** Records the start of a run; returns its id. */
  startRun(task: number, meter: number | null, now: number = this.clock()): number {
    return this.tx(() => {
      const id = Number(this.startStmt.run(task, meter, now).lastInsertRowid);
      this.counts.add('taskRuns', 1);
      return id;
    });
  }

  /** Records how a run ended. A run finishes once; finishing it again is a conflict. */
  finishRun(run: number, result: { outcome: RunOutcome; error?: string | null; rows?: number }, now: number = this.clock()): TaskRun {
    const r = this.finishStmt.get(now, result.outcome, result.error ?? null, result.rows ?? 0, run) as Row | undefined;
    if (r === undefined) throw new StoreError(`task run ${run} does not exist or has already finished`, 'conflict');
    return runFromRow(r);
  }

  /** Closes runs left open by a crash as 'interrupted'; returns how many. */
  interruptOpenRuns(now: number = this.clock()): number {
    return this.interruptStmt.run(now).changes;
  }

  lastRun(task: number, meter: number | null = null): TaskRun | undefined {
    const r = this.lastRunStmt.get(task, meter) as Row | undefined;
    return r === undefined ? undefined : runFromRow(r);
  }

  /** Newest first. */
  runs(filter: { task?: number; meter?: number; limit?: number } = {}): TaskRun[] {
    return (this.runsStmt.all({ task: filter.task ?? null, meter: filter.meter ?? null, limit: filter.limit ?? 100 }) as Row[]).map(runFromRow);
  }
}
