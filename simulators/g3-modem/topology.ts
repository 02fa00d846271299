// Who is where in the simulated PAN: node specs (EUI-64, meter serial, hop count) and the
// relays between the coordinator and each node. A node h hops away reaches the coordinator
// through a node h-1 hops away (picked from the seed), that one through a node h-2 away…
// When the PAN has no node at some distance (a sparse hand-written topology), the relay
// there is a PLC device that is not one of our meters, with a short address from
// FOREIGN_RELAY_BASE up; it forwards but never joins, answers or leaves.
import type { SimulatedMeterConfig } from '../meter/meter.js';
import { Draws, Stream } from './seeded.js';

export interface PlcNodeSpec {
  /** 16 lowercase hex digits. */
  eui64: string;
  /** Meter serial number (decimal digits). */
  serial: string;
  /** Hops from the coordinator, 1..8 (G3 adpMaxHops is 8 by default). */
  hops: number;
  meter?: Partial<SimulatedMeterConfig>;
}

export const MAX_HOPS = 8;
/** Serial numbers of G3 meters start here (the RS485 simulated meters use 30000001…). */
export const FIRST_G3_SERIAL = 40000001;
export const FOREIGN_RELAY_BASE = 0x7f00;

/** Share of nodes at 1, 2, … 8 hops: most within 3 hops, a thin tail out to 8. */
const HOP_WEIGHTS = [0.3, 0.3, 0.2, 0.08, 0.05, 0.03, 0.02, 0.02];

/** A locally administered EUI-64 for a simulated meter: 02 'S' 'I' 'M' + the serial as a 32-bit number. */
export function simulatedEui64(serial: number): string {
  return `0253494d${(serial >>> 0).toString(16).padStart(8, '0')}`;
}

/** N node specs with seeded hop counts (the same seed gives the same PAN). */
export function plcNodes(o: { count: number; seed: number; firstSerial?: number; maxHops?: number }): PlcNodeSpec[] {
  const maxHops = o.maxHops ?? MAX_HOPS;
  if (!Number.isInteger(o.count) || o.count < 0) throw new RangeError(`node count must be a whole number ≥ 0, got ${o.count}`);
  if (!Number.isInteger(maxHops) || maxHops < 1 || maxHops > MAX_HOPS) throw new RangeError(`maxHops must be 1..${MAX_HOPS}, got ${maxHops}`);
  const weights = HOP_WEIGHTS.slice(0, maxHops);
  const sum = weights.reduce((a, b) => a + b, 0);
  const draws = new Draws(o.seed);
  const first = o.firstSerial ?? FIRST_G3_SERIAL;
  return Array.from({ length: o.count }, (_, i) => {
    let u = draws.fixed(Stream.topology, i) * sum;
    let hops = 1;
    while (hops < maxHops && u >= weights[hops - 1]) u -= weights[hops++ - 1];
    const serial = first + i;
    return { eui64: simulatedEui64(serial), serial: String(serial), hops };
  });
}

/** Checks specs and says which one is wrong and why. */
export function checkNodes(nodes: readonly PlcNodeSpec[]): void {
  const euis = new Set<string>();
  const serials = new Set<string>();
  for (const [i, n] of nodes.entries()) {
    const at = `node ${i} (${n.eui64})`;
    if (!/^[0-9a-f]{16}$/.test(n.eui64)) throw new Error(`${at}: EUI-64 must be 16 lowercase hex digits`);
    if (!/^[0-9]{1,15}$/.test(n.serial)) throw new Error(`${at}: serial "${n.serial}" must be decimal digits`);
    if (!Number.isInteger(n.hops) || n.hops < 1 || n.hops > MAX_HOPS) throw new Error(`${at}: hops ${n.hops} is not 1..${MAX_HOPS}`);
    if (euis.has(n.eui64)) throw new Error(`${at}: EUI-64 used twice`);
    if (serials.has(n.serial)) throw new Error(`${at}: serial ${n.serial} used twice`);
    euis.add(n.eui64);
    serials.add(n.serial);
  }
}

/**
 * The relays of each node, nearest the coordinator first: node indexes, or
 * FOREIGN_RELAY_BASE + distance for a relay that is not one of our nodes.
 */
export function relayChains(nodes: readonly PlcNodeSpec[], seed: number): { node: number | null; foreign: number }[][] {
  const draws = new Draws(seed);
  const byHops = new Map<number, number[]>();
  nodes.forEach((n, i) => byHops.set(n.hops, [...(byHops.get(n.hops) ?? []), i]));
  // The relay at distance d of node i is drawn from (i, d): a relay's own chain uses the
  // same draws, so the routes form a tree.
  return nodes.map((n, i) => {
    const chain: { node: number | null; foreign: number }[] = [];
    let key = i;
    for (let distance = n.hops - 1; distance >= 1; distance--) {
      const candidates = byHops.get(distance) ?? [];
      const pick = candidates.length === 0 ? null : candidates[Math.floor(draws.fixed(Stream.parent, key, distance) * candidates.length)];
      chain.unshift({ node: pick, foreign: FOREIGN_RELAY_BASE + distance });
      if (pick !== null) key = pick;
    }
    return chain;
  });
}
