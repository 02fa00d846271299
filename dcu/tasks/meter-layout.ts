// What a meter's profiles look like, kept between sessions: the scaler and unit of each
// register column, and the capture objects each profile had when they were read. Reading
// them anew in every session costs round trips that are seconds each on G3-PLC and most of
// a small register read on RS485, for values a meter changes only when it is reconfigured.
// They are trusted no longer than `maxAgeDays`, and a profile whose capture objects differ
// from the ones remembered (they come with every profile read: dcu/session/readers.ts) has
// its columns' scalers read again before its rows are stored.
import type { CaptureObjectDefinition } from '../../shared/dlms/apdu/index.js';
import type { DcuStore } from '../store/index.js';
import type { ScalerUnit } from './profile-readings.js';

const DAY = 86_400_000;

interface Saved {
  /** When the oldest value kept was read, UTC ms. */
  readAt: number;
  /** Per profile OBIS, its capture objects as last read. */
  profiles: Record<string, string>;
  /** Per register OBIS, [scaler, unit]. */
  scalers: Record<string, [number, number]>;
}

export class MeterLayout {
  /** Scaler/unit per register OBIS: hand this to the collection as its cache. */
  readonly scalers: Map<string, ScalerUnit>;
  private readonly profiles: Map<string, string>;
  private readonly readAt: number;
  private readonly savedScalers: number;
  private changed = false;

  private constructor(private readonly key: string, saved: Saved | null, now: number) {
    this.readAt = saved?.readAt ?? now;
    this.profiles = new Map(Object.entries(saved?.profiles ?? {}));
    this.scalers = new Map(Object.entries(saved?.scalers ?? {}).map(([obis, [scaler, unit]]) => [obis, { scaler, unit }]));
    this.savedScalers = this.scalers.size;
  }

  /** The layout remembered for a meter, or an empty one when there is none, it is too old, or caching is off (maxAgeDays 0). */
  static load(store: DcuStore, meterId: number, now: number, maxAgeDays: number): MeterLayout {
    const key = `layout.${meterId}`;
    const saved = store.config.value<Saved | null>(key, null);
    const fresh = saved !== null && maxAgeDays > 0 && now - saved.readAt < maxAgeDays * DAY && now >= saved.readAt;
    return new MeterLayout(key, fresh ? saved : null, now);
  }

  /**
   * The capture objects a profile read came with: when they are not the ones remembered, the
   * scalers of its columns are forgotten (and so read again).
   */
  columnsRead(profile: string, columns: CaptureObjectDefinition[]): void {
    const seen = JSON.stringify(columns.map((c) => [c.classId, c.logicalName, c.attributeIndex, c.dataIndex]));
    const before = this.profiles.get(profile);
    if (before === seen) return;
    if (before !== undefined) for (const c of columns) this.scalers.delete(c.logicalName);
    this.profiles.set(profile, seen);
    this.changed = true;
  }

  /** Writes what was learnt in this session (nothing when nothing was). */
  save(store: DcuStore): void {
    if (!this.changed && this.scalers.size === this.savedScalers) return;
    const saved: Saved = {
      readAt: this.readAt,
      profiles: Object.fromEntries(this.profiles),
      scalers: Object.fromEntries([...this.scalers].map(([obis, su]) => [obis, [su.scaler, su.unit]])),
    };
    store.config.set(this.key, saved);
    this.changed = false;
  }
}
