// What the wrapper transports (TCP and UDP) share: the meter they serve, and how a fault
// plan turns into writes. Over IP a "frame" is one wrapper PDU; a reboot also loses the
// transport session (the meter's IP stack restarts).
import { encodeWrapper, type WrapperPdu } from '../../../shared/wrapper/wrapper.js';
import type { FaultInjector, FaultKind } from './faults.js';
import type { EndpointEvent, MeterServer } from './meter-endpoint.js';

export interface WrapperMeter {
  server: MeterServer;
  /** Logical device = destination wPort it answers (default 1). */
  logical?: number;
  /** Faults, built with framing 'wrapper'; kept across sessions. */
  faults?: FaultInjector;
  /** For logs, e.g. the serial number. */
  label?: string;
}

export interface WrapperHooks {
  clock?: () => number;
  onEvent?: (meter: WrapperMeter, event: EndpointEvent, peer: string) => void;
  onFault?: (meter: WrapperMeter, kinds: FaultKind[]) => void;
}

/** Runs fn after ms and lets a closing server cancel it. */
export class LateTimers {
  private readonly timers = new Set<NodeJS.Timeout>();

  schedule(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  cancel(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

/** Sends an answer through the meter's faults. `send` puts bytes on the wire; `reboot` forgets the sessions. */
export function sendAnswer(meter: WrapperMeter, hooks: WrapperHooks, answer: WrapperPdu, send: (bytes: Uint8Array) => void, reboot: () => void, late: LateTimers): void {
  const bytes = encodeWrapper(answer);
  const plan = meter.faults?.outgoing(bytes);
  if (!plan) {
    send(bytes);
    return;
  }
  if (plan.applied.length > 0) hooks.onFault?.(meter, plan.applied);
  if (plan.reboot) {
    reboot();
    return;
  }
  const go = () => {
    if (plan.garbage) send(plan.garbage);
    if (plan.frame) send(plan.frame);
  };
  if (plan.delay > 0) late.schedule(go, plan.delay);
  else go();
}
