// Joining the PAN: the LoWPAN Bootstrapping Protocol (LBP) with EAP-PSK between the node
// (through its LBA neighbour, then routed) and the bootstrap server the modem runs, then
// a route discovery towards the coordinator. What the host sees: COORD-JOIN-REQUEST
// (EUI-64) when the node's first JOINING message reaches the coordinator, and
// COORD-JOIN-COMPLETE (EUI-64, short address) when the final ACCEPTED reaches the node.
// The short address is given at the first join and kept for every re-join (the
// coordinator's table survives modem resets, as it would in non-volatile memory, and
// simulator restarts with a state directory: address-table.ts).
//
// Message content sizes (LBP header, EAP header, EAP-PSK fields; approximate, counted as
// bytes on air via air.ts adpCommandOnAir):
//   up   JOINING  (EAP identity)                                   16
//   down CHALLENGE (EAP-PSK #1: RAND_S, ID_S)                      40
//   up   JOINING  (EAP-PSK #2: RAND_S, RAND_P, MAC_P, ID_P)        72
//   down CHALLENGE (EAP-PSK #3: RAND_S, MAC_S, PCHANNEL: GMK, short address)  91
//   up   JOINING  (EAP-PSK #4: RAND_S, PCHANNEL)                   53
//   down ACCEPTED (EAP success)                                    14
//   then the node's route discovery: RREQ up, RREP down, 14 each (LOADng)
// A lost message is sent again after LBP_RETRY_MS (+ a seeded jitter) until it gets
// through; each resend counts in stats.joins.retries.
import { adpCommandOnAir } from './air.js';
import type { Direction } from './channel.js';
import type { PlcNode } from './node.js';
import type { Radio } from './radio.js';
import type { Scheduler } from './scheduler.js';
import { type Draws, Stream } from './seeded.js';
import type { Counters } from './stats.js';

export const BOOTSTRAP: readonly { direction: Direction; bytes: number }[] = [
  { direction: 'up', bytes: 16 },
  { direction: 'down', bytes: 40 },
  { direction: 'up', bytes: 72 },
  { direction: 'down', bytes: 91 },
  { direction: 'up', bytes: 53 },
  { direction: 'down', bytes: 14 },
];
export const ROUTE_MESSAGE_BYTES = 14;
export const LBP_RETRY_MS = 10_000;

export interface JoinContext {
  scheduler: Scheduler;
  radio: Radio;
  draws: Draws;
  counters: Counters;
  /** The node's short address: from the table, or the next free one. */
  assignShort(node: PlcNode): number;
  joinRequest(node: PlcNode): void;
  joinComplete(node: PlcNode): void;
}

/** Starts node's join at model time `at`. A later join (or leave) of the node cancels this one. */
export function startJoin(ctx: JoinContext, node: PlcNode, at: number): void {
  const attempt = ++node.joinAttempt;
  node.joining = true;
  node.joined = false;
  const current = () => node.joinAttempt === attempt && node.joining;
  const step = (i: number, when: number): void => {
    ctx.scheduler.at(when, () => {
      if (!current()) return;
      const m = BOOTSTRAP[i];
      const carried = ctx.radio.carry(ctx.scheduler.now(), node.index, adpCommandOnAir(m.bytes, node.hops), node.hops, m.direction, 'bootstrap');
      if (carried.lostAtHop !== null) {
        ctx.counters.joins.retries++;
        step(i, carried.arriveAt + LBP_RETRY_MS * (1 + ctx.draws.next(Stream.retry, node.index)));
        return;
      }
      ctx.scheduler.at(carried.arriveAt, () => {
        if (!current()) return;
        if (i === 0) {
          node.shortAddress = ctx.assignShort(node);
          ctx.counters.joins.requests++;
          ctx.joinRequest(node);
        }
        if (i + 1 < BOOTSTRAP.length) return step(i + 1, carried.arriveAt);
        node.joining = false;
        node.joined = true;
        ctx.counters.joins.completed++;
        ctx.joinComplete(node);
        // The node's first route discovery to the coordinator (its RREQ, our RREP).
        const rreq = ctx.radio.carry(ctx.scheduler.now(), node.index, adpCommandOnAir(ROUTE_MESSAGE_BYTES, node.hops), node.hops, 'up', 'routing', true);
        ctx.scheduler.at(rreq.arriveAt, () => {
          ctx.radio.carry(ctx.scheduler.now(), node.index, adpCommandOnAir(ROUTE_MESSAGE_BYTES, node.hops), node.hops, 'down', 'routing', true);
        });
      });
    });
  };
  step(0, at);
}

/** Stops a join in progress (the node left, or the network is gone). */
export function cancelJoin(node: PlcNode): void {
  node.joinAttempt++;
  node.joining = false;
}
