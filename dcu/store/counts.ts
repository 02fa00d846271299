// Exact row counts per data class, kept in the same transactions as the inserts and deletes
// (one UPDATE per batch, not per row), so that retention can compare a class against its
// byte quota in O(1) instead of counting millions of rows on an SD card.
import type { Db, Statement } from './database.js';

export type DataClass = 'readings' | 'events' | 'taskRuns';
export const DATA_CLASSES: readonly DataClass[] = ['readings', 'events', 'taskRuns'];

const TABLE: Record<DataClass, string> = { readings: 'readings', events: 'events', taskRuns: 'task_runs' };

export class RowCounts {
  private readonly addStmt: Statement;
  private readonly getStmt: Statement;
  private readonly setStmt: Statement;

  constructor(private readonly db: Db) {
    this.addStmt = db.prepare('UPDATE row_counts SET rows = rows + ? WHERE class = ?');
    this.getStmt = db.prepare('SELECT rows FROM row_counts WHERE class = ?').pluck();
    this.setStmt = db.prepare('INSERT INTO row_counts (class, rows) VALUES (?, ?) ON CONFLICT (class) DO UPDATE SET rows = excluded.rows');
  }

  /** Call inside the transaction that inserted (n > 0) or deleted (n < 0) the rows. */
  add(cls: DataClass, n: number): void {
    if (n !== 0) this.addStmt.run(n, cls);
  }

  get(cls: DataClass): number {
    return (this.getStmt.get(cls) as number | undefined) ?? 0;
  }

  /** Counts the table (O(rows)) and stores the result; for repair and tests. */
  recount(cls: DataClass): number {
    const n = this.db.prepare(`SELECT count(*) FROM ${TABLE[cls]}`).pluck().get() as number;
    this.setStmt.run(cls, n);
    return n;
  }
}
