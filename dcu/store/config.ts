// Configuration as key → JSON value, each key with a version that counts its changes. A
// writer that read version n can set with expectedVersion n and loses cleanly (a 'conflict'
// StoreError) if someone else changed the key meanwhile — the console and the cloud may
// both edit the same setting.
import type { Db, Statement } from './database.js';
import { fromJson, num, toJson } from './codec.js';
import { StoreError } from './errors.js';

export interface ConfigEntry<T = unknown> {
  key: string;
  value: T;
  /** 1 for the first value, +1 per change. */
  version: number;
  updatedAt: number;
}

interface Row {
  key: string;
  value: string;
  version: number;
  updated_at: number;
}

const fromRow = <T>(r: Row): ConfigEntry<T> => ({ key: r.key, value: fromJson<T>(r.value), version: num(r.version), updatedAt: num(r.updated_at) });

export class ConfigStore {
  private readonly getStmt: Statement;
  private readonly listStmt: Statement;
  private readonly upsertStmt: Statement;
  private readonly deleteStmt: Statement;
  private readonly tx: <T>(fn: () => T) => T;

  constructor(
    db: Db,
    private readonly clock: () => number,
  ) {
    this.getStmt = db.prepare('SELECT * FROM config WHERE key = ?');
    this.listStmt = db.prepare('SELECT * FROM config WHERE key >= ? AND key < ? ORDER BY key');
    this.upsertStmt = db.prepare(
      `INSERT INTO config (key, value, version, updated_at) VALUES (?, ?, 1, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = version + 1, updated_at = excluded.updated_at
       RETURNING *`,
    );
    this.deleteStmt = db.prepare('DELETE FROM config WHERE key = ?');
    this.tx = <T>(fn: () => T): T => db.transaction(fn).immediate();
  }

  get<T = unknown>(key: string): ConfigEntry<T> | undefined {
    const r = this.getStmt.get(key) as Row | undefined;
    return r === undefined ? undefined : fromRow<T>(r);
  }

  /** The value, or `fallback` when the key is not set. */
  value<T>(key: string, fallback: T): T {
    const e = this.get<T>(key);
    return e === undefined ? fallback : e.value;
  }

  /** Keys starting with `prefix` (all keys without one), in key order. */
  list(prefix = ''): ConfigEntry[] {
    return (this.listStmt.all(prefix, `${prefix}\u{10ffff}`) as Row[]).map((r) => fromRow(r));
  }

  /**
   * Sets the value; returns the new entry. With expectedVersion (0 = "must not exist yet")
   * the write happens only if the stored version is that one.
   */
  set<T>(key: string, value: T, options: { expectedVersion?: number; now?: number } = {}): ConfigEntry<T> {
    if (value === undefined) throw new StoreError(`config ${key}: undefined is not a JSON value (use remove)`, 'invalid');
    const json = toJson(value);
    return this.tx(() => {
      if (options.expectedVersion !== undefined) {
        const current = this.get(key)?.version ?? 0;
        if (current !== options.expectedVersion) {
          throw new StoreError(`config ${key} is at version ${current}, not ${options.expectedVersion}: changed by someone else`, 'conflict');
        }
      }
      return fromRow<T>(this.upsertStmt.get(key, json, options.now ?? this.clock()) as Row);
    });
  }

  remove(key: string): boolean {
    return this.deleteStmt.run(key).changes > 0;
  }
}
