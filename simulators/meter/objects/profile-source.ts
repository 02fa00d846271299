// Where a Profile generic buffer comes from. Nothing is stored: a view computes, for the
// meter time of one request, how many entries the buffer holds and any slice of them, by
// entry number or by capture time. A periodic profile (load profile, daily billing) is a
// capture timeline with gaps over the value model; the event log is the merged event list.
import type { AccessContext } from '../../../shared/dlms/association/server-objects.js';
import type { CaptureObjectDefinition } from '../../../shared/dlms/apdu/selective-access.js';
import type { CosemData } from '../../../shared/dlms/data.js';
import type { Obis } from '../../../shared/dlms/obis.js';
import type { MeterEnv } from '../env.js';
import { eventLog } from '../events.js';
import type { EnergyRegisters } from '../model.js';
import type { CaptureTimeline } from '../timeline.js';

export type Row = CosemData[];

export interface ProfileView {
  entriesInUse: number;
  /** Entries [from, to], 1-based oldest first, within 1..entriesInUse. */
  byEntry(from: number, to: number): Row[];
  /** Entries captured at from <= time <= to (UTC ms). */
  byTime(from: number, to: number): Row[];
}

export interface ProfileSource {
  readonly logicalName: Obis;
  readonly captureObjects: readonly CaptureObjectDefinition[];
  readonly capturePeriodSeconds: number;
  readonly profileEntries: number;
  view(ctx: AccessContext): ProfileView;
  /** IC 7 method 1: empties the buffer. */
  reset(ctx: AccessContext): void;
}

/** Builds one row at capture time `time` (meter UTC ms). */
export type RowBuilder = (time: number, energy: (t: number) => EnergyRegisters) => Row;

export class PeriodicProfile implements ProfileSource {
  constructor(
    private readonly env: MeterEnv,
    readonly logicalName: Obis,
    readonly captureObjects: readonly CaptureObjectDefinition[],
    private readonly timeline: CaptureTimeline,
    readonly profileEntries: number,
    private readonly row: RowBuilder,
  ) {}

  get capturePeriodSeconds(): number {
    return this.timeline.periodMs / 1000;
  }

  view(ctx: AccessContext): ProfileView {
    const tl = this.timeline;
    const now = this.env.meterNow(ctx);
    const resetAt = this.env.state.profileResets[this.logicalName];
    let first = tl.firstAtOrAfter(this.env.model.startOfLife);
    if (resetAt !== undefined) first = Math.max(first, tl.lastAtOrBefore(resetAt) + 1);
    const last = tl.lastAtOrBefore(now);
    const total = tl.count(first, last);
    const entriesInUse = Math.min(total, this.profileEntries);
    // The buffer keeps the youngest profileEntries captures (FIFO).
    const oldest = entriesInUse > 0 ? tl.nth(first, total - entriesInUse + 1, last) : last + 1;
    const energy = this.env.energyFunction();
    const rows = (slots: number[]) => slots.map((s) => this.row(tl.timeOf(s), energy));
    return {
      entriesInUse,
      byEntry: (from, to) => (from > to ? [] : rows(tl.slots(tl.nth(oldest, from, last), last, to - from + 1))),
      byTime: (from, to) => rows(tl.slots(Math.max(oldest, tl.firstAtOrAfter(from)), Math.min(last, tl.lastAtOrBefore(to)))),
    };
  }

  reset(ctx: AccessContext): void {
    this.env.state.profileResets[this.logicalName] = this.env.meterNow(ctx);
  }
}

export class EventLogProfile implements ProfileSource {
  readonly capturePeriodSeconds = 0; // asynchronous: captured when an event happens

  constructor(
    private readonly env: MeterEnv,
    readonly logicalName: Obis,
    readonly captureObjects: readonly CaptureObjectDefinition[],
    readonly profileEntries: number,
    private readonly row: (time: number, code: number) => Row,
  ) {}

  view(ctx: AccessContext): ProfileView {
    const now = this.env.meterNow(ctx);
    const all = eventLog(this.env.options.configuredEvents, this.env.state.events, now, this.env.state.profileResets[this.logicalName]);
    const kept = all.slice(Math.max(0, all.length - this.profileEntries));
    const rows = (events: typeof kept) => events.map((e) => this.row(e.time, e.code));
    return {
      entriesInUse: kept.length,
      byEntry: (from, to) => rows(kept.slice(from - 1, to)),
      byTime: (from, to) => rows(kept.filter((e) => e.time >= from && e.time <= to)),
    };
  }

  reset(ctx: AccessContext): void {
    this.env.state.profileResets[this.logicalName] = this.env.meterNow(ctx);
    this.env.state.events.length = 0;
  }
}
