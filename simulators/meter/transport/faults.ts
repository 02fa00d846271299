// Fault injection for one simulated meter, applied where a real fault shows: on the frames
// the meter puts on the line. Each fault has a trigger (a probability, every Nth frame,
// only after N frames, at most K times) evaluated on the meter's outgoing frames, counted
// from 1. Probabilities draw from a generator seeded by (seed, meter, fault), one stream
// per fault, so a run repeats exactly and adding one fault does not reshuffle another.
// Clock jumps and outage gaps belong to the object model, not here.
import { DEFAULT_PARAMETERS, type HdlcParameters } from '../../../shared/hdlc/parameters.js';

export interface FaultTrigger {
  /** Chance per frame, 0..1. */
  probability?: number;
  /** Every Nth frame (N, 2N, 3N…). */
  every?: number;
  /** Only frames after the first N. */
  after?: number;
  /** At most this many times in all. */
  times?: number;
}

export interface MeterFaults {
  /** No answer: the frame is never sent (the link thinks it was). */
  silent?: FaultTrigger;
  /** One byte of the FCS flipped (wrapper: the version field, as IP checksums catch the rest). */
  corruptFcs?: FaultTrigger;
  /** The frame cut after `keep` bytes (default: half of it). */
  truncate?: FaultTrigger & { keep?: number };
  /** The frame sent `delay` ms late — set it beyond the client's response timeout. */
  late?: FaultTrigger & { delay: number };
  /** `length` random bytes (default 16) on the line just before the frame. */
  garbage?: FaultTrigger & { length?: number };
  /** Power cycle instead of sending: connection and association are lost; DM until a new SNRM. */
  reboot?: FaultTrigger;
  /**
   * Ignore the client's window/size proposal and hold the HDLC defaults (window 1, max info
   * 128): 'clamp' answers UA with those (standard negotiation), 'dm' answers DM to any SNRM
   * proposing more (non-standard, seen in the field; the client must retry with defaults).
   */
  refuseProposal?: 'clamp' | 'dm';
}

export const FAULT_KINDS = ['reboot', 'silent', 'corruptFcs', 'truncate', 'late', 'garbage'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Faults by meter: key = HDLC physical address, meter serial, or '*' for every meter. */
export type FaultsByMeter = Record<string, MeterFaults>;

/** What to do with one outgoing frame. */
export interface FaultPlan {
  /** The bytes to send (maybe altered), or null to send nothing. */
  frame: Uint8Array | null;
  /** Noise to put on the line before the frame. */
  garbage: Uint8Array | null;
  /** Extra delay before the frame, ms. */
  delay: number;
  /** Reboot the meter instead of sending (and drop the rest of this answer). */
  reboot: boolean;
  applied: FaultKind[];
}

/** mulberry32: small, fast, good enough to pick which frames fail. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mix(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0x5bd1e995) >>> 0;
  }
  return h;
}

class Trigger {
  private fired = 0;
  private readonly random: () => number;

  constructor(private readonly t: FaultTrigger, seed: number) {
    this.random = seededRandom(seed);
  }

  /** Called for every frame, so the random stream advances the same way whatever fires. */
  check(frame: number): boolean {
    const draw = this.random();
    if (this.t.after !== undefined && frame <= this.t.after) return false;
    if (this.t.times !== undefined && this.fired >= this.t.times) return false;
    if (this.t.every !== undefined && frame % this.t.every !== 0) return false;
    if (this.t.probability !== undefined && draw >= this.t.probability) return false;
    this.fired++;
    return true;
  }
}

export class FaultInjector {
  /** Outgoing frames seen so far. */
  frames = 0;
  readonly counts: Record<FaultKind, number> = { reboot: 0, silent: 0, corruptFcs: 0, truncate: 0, late: 0, garbage: 0 };
  private readonly triggers = new Map<FaultKind, Trigger>();
  private readonly random: () => number;

  /** `framing` says what a corrupted byte means: the FCS of an HDLC frame, or a wrapper header. */
  constructor(readonly faults: MeterFaults, seed: number, meterId: number, readonly framing: 'hdlc' | 'wrapper' = 'hdlc') {
    FAULT_KINDS.forEach((kind, i) => {
      const t = faults[kind];
      if (t) this.triggers.set(kind, new Trigger(t, mix(seed, meterId, i + 1)));
    });
    this.random = seededRandom(mix(seed, meterId, 0));
  }

  get active(): boolean {
    return this.triggers.size > 0;
  }

  outgoing(bytes: Uint8Array): FaultPlan {
    this.frames++;
    const fires = new Set<FaultKind>();
    for (const [kind, t] of this.triggers) if (t.check(this.frames)) fires.add(kind);
    const plan: FaultPlan = { frame: bytes, garbage: null, delay: 0, reboot: false, applied: [] };
    const use = (k: FaultKind) => {
      this.counts[k]++;
      plan.applied.push(k);
    };
    if (fires.has('reboot')) {
      use('reboot');
      return { ...plan, frame: null, reboot: true };
    }
    if (fires.has('silent')) {
      use('silent');
      return { ...plan, frame: null };
    }
    let frame = bytes;
    if (fires.has('corruptFcs') && frame.length > 3) {
      use('corruptFcs');
      frame = frame.slice();
      const at = this.framing === 'hdlc' ? frame.length - 3 : 1;
      frame[at] ^= 1 + Math.floor(this.random() * 255);
    }
    if (fires.has('truncate') && frame.length > 1) {
      use('truncate');
      const keep = this.faults.truncate!.keep ?? Math.floor(frame.length / 2);
      frame = frame.slice(0, Math.max(1, Math.min(frame.length - 1, keep)));
    }
    if (fires.has('late')) {
      use('late');
      plan.delay = this.faults.late!.delay;
    }
    if (fires.has('garbage')) {
      use('garbage');
      plan.garbage = Uint8Array.from({ length: this.faults.garbage!.length ?? 16 }, () => Math.floor(this.random() * 256));
    }
    plan.frame = frame;
    return plan;
  }
}

/** The HDLC limits a meter works with, once a refuseProposal fault holds them at the defaults. */
export function limitsWithFaults(faults: MeterFaults | undefined, limits: HdlcParameters): HdlcParameters {
  return faults?.refuseProposal ? { ...DEFAULT_PARAMETERS } : limits;
}

/** The faults of one meter: '*' first, then its physical address, then its serial. */
export function faultsFor(all: FaultsByMeter | undefined, physical: number, serial?: string): MeterFaults {
  if (!all) return {};
  return { ...all['*'], ...all[String(physical)], ...(serial !== undefined ? all[serial] : undefined) };
}

const TRIGGER_KEYS = ['probability', 'every', 'after', 'times'] as const;

/** Checks a fault configuration (from --faults JSON); throws with the path of what is wrong. */
export function parseFaults(input: unknown): FaultsByMeter {
  const value = typeof input === 'string' ? (JSON.parse(input) as unknown) : input;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('faults: expected an object keyed by meter ({"17": {"silent": {"every": 3}}})');
  const out: FaultsByMeter = {};
  for (const [meter, faults] of Object.entries(value as Record<string, unknown>)) {
    if (typeof faults !== 'object' || faults === null) throw new Error(`faults.${meter}: expected an object`);
    const checked: MeterFaults = {};
    for (const [kind, t] of Object.entries(faults as Record<string, unknown>)) {
      const where = `faults.${meter}.${kind}`;
      if (kind === 'refuseProposal') {
        if (t !== 'clamp' && t !== 'dm') throw new Error(`${where}: expected "clamp" or "dm"`);
        checked.refuseProposal = t;
        continue;
      }
      if (!(FAULT_KINDS as readonly string[]).includes(kind)) throw new Error(`${where}: unknown fault (known: ${[...FAULT_KINDS, 'refuseProposal'].join(', ')})`);
      if (typeof t !== 'object' || t === null) throw new Error(`${where}: expected a trigger object`);
      const o = t as Record<string, unknown>;
      const num = (key: string, min: number, max = Infinity, integer = true) => {
        const v = o[key];
        if (v === undefined) return;
        if (typeof v !== 'number' || v < min || v > max || (integer && !Number.isInteger(v))) throw new Error(`${where}.${key}: expected ${integer ? 'an integer' : 'a number'} in ${min}..${max}, got ${JSON.stringify(v)}`);
      };
      num('probability', 0, 1, false);
      num('every', 1);
      num('after', 0);
      num('times', 1);
      const extra: Record<string, [number, boolean]> = { truncate: [1, false], late: [0, kind === 'late'], garbage: [1, false] };
      const key = kind === 'truncate' ? 'keep' : kind === 'late' ? 'delay' : kind === 'garbage' ? 'length' : null;
      if (key) {
        if (extra[kind][1] && o[key] === undefined) throw new Error(`${where}.${key}: required`);
        num(key, extra[kind][0]);
      }
      const allowed = new Set<string>([...TRIGGER_KEYS, ...(key ? [key] : [])]);
      for (const k of Object.keys(o)) if (!allowed.has(k)) throw new Error(`${where}.${k}: unknown setting (allowed: ${[...allowed].join(', ')})`);
      (checked as Record<string, unknown>)[kind] = { ...o };
    }
    out[meter] = checked;
  }
  return out;
}
