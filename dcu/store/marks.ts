// "Collected up to": per meter and profile, the UTC ms time of the last entry stored. The next
// collection reads from there. DcuStore.storeChunk writes the mark in the same transaction as
// the rows of the chunk, so after a crash the mark never claims rows that are not there, and
// rows are never stored without the mark (which would only cost a re-read: they are ignored).
import type { Obis } from '../../shared/dlms/obis.js';
import { tryParseObis } from '../../shared/dlms/obis.js';
import type { Db, Statement } from './database.js';
import { checkTime, num } from './codec.js';
import { StoreError } from './errors.js';

export interface CollectionMark {
  meter: number;
  profile: Obis;
  /** UTC ms of the last entry stored. */
  upto: number;
  updatedAt: number;
}

interface Row {
  meter: number;
  profile: string;
  upto: number;
  updated_at: number;
}

function canonical(profile: Obis | string): Obis {
  const o = tryParseObis(profile);
  if (o === null) throw new StoreError(`not an OBIS code: ${JSON.stringify(profile)}`, 'invalid');
  return o;
}

const fromRow = (r: Row): CollectionMark => ({ meter: num(r.meter), profile: r.profile as Obis, upto: num(r.upto), updatedAt: num(r.updated_at) });

export class CollectionMarks {
  private readonly getStmt: Statement;
  private readonly listStmt: Statement;
  private readonly listAllStmt: Statement;
  private readonly advanceStmt: Statement;
  private readonly setStmt: Statement;
  private readonly deleteStmt: Statement;

  constructor(
    db: Db,
    private readonly clock: () => number,
  ) {
    this.getStmt = db.prepare('SELECT * FROM collection_marks WHERE meter = ? AND profile = ?');
    this.listStmt = db.prepare('SELECT * FROM collection_marks WHERE meter = ? ORDER BY profile');
    this.listAllStmt = db.prepare('SELECT * FROM collection_marks ORDER BY meter, profile');
    this.advanceStmt = db.prepare(
      `INSERT INTO collection_marks (meter, profile, upto, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (meter, profile) DO UPDATE SET upto = max(upto, excluded.upto), updated_at = excluded.updated_at
       RETURNING *`,
    );
    this.setStmt = db.prepare(
      `INSERT INTO collection_marks (meter, profile, upto, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (meter, profile) DO UPDATE SET upto = excluded.upto, updated_at = excluded.updated_at
       RETURNING *`,
    );
    this.deleteStmt = db.prepare('DELETE FROM collection_marks WHERE meter = ? AND profile = ?');
  }

  get(meter: number, profile: Obis | string): CollectionMark | undefined {
    const r = this.getStmt.get(meter, canonical(profile)) as Row | undefined;
    return r === undefined ? undefined : fromRow(r);
  }

  list(meter?: number): CollectionMark[] {
    return ((meter === undefined ? this.listAllStmt.all() : this.listStmt.all(meter)) as Row[]).map(fromRow);
  }

  /** Moves the mark forward to `upto` (never back: a recollected older chunk leaves it). Use inside the chunk's transaction. */
  advance(meter: number, profile: Obis | string, upto: number, now: number = this.clock()): CollectionMark {
    return fromRow(this.advanceStmt.get(meter, canonical(profile), checkTime(upto, 'mark'), now) as Row);
  }

  /** Sets the mark, also backwards (a meter whose clock was set back, an operator asking for a re-read). */
  set(meter: number, profile: Obis | string, upto: number, now: number = this.clock()): CollectionMark {
    return fromRow(this.setStmt.get(meter, canonical(profile), checkTime(upto, 'mark'), now) as Row);
  }

  /** Forgets the mark: the next collection starts from the task's default window. */
  clear(meter: number, profile: Obis | string): boolean {
    return this.deleteStmt.run(meter, canonical(profile)).changes > 0;
  }
}
