// The IC 70 (Disconnect control) state machine, Blue Book 4.5.8. Three states and eight
// transitions; control_mode selects which triggers are enabled:
//
//   a remote_reconnect  disconnected          -> connected               modes 2, 4
//   b remote_disconnect connected             -> disconnected            modes 1..6
//   c remote_disconnect ready_for_reconnection-> disconnected            modes 1..6
//   d remote_reconnect  disconnected          -> ready_for_reconnection  modes 1, 3, 5, 6
//   e manual_reconnect  ready_for_reconnection-> connected               modes 1..6
//   f manual_disconnect connected             -> ready_for_reconnection  modes 1, 2, 5
//   g local_disconnect  connected             -> ready_for_reconnection  modes 1..6
//   h local_reconnect   ready_for_reconnection-> connected               modes 5, 6
//
// Mode 0: the object is always connected and no trigger does anything.
import { EventCode } from './events.js';

export const ControlState = { disconnected: 0, connected: 1, readyForReconnection: 2 } as const;

export type RelayTrigger =
  | 'remote-disconnect'
  | 'remote-reconnect'
  | 'manual-disconnect'
  | 'manual-reconnect'
  | 'local-disconnect'
  | 'local-reconnect';

interface Transition {
  name: 'a' | 'b' | 'c' | 'd' | 'e' | 'f' | 'g' | 'h';
  trigger: RelayTrigger;
  from: number;
  to: number;
  modes: readonly number[];
  event: number;
}

const { disconnected, connected, readyForReconnection } = ControlState;
const ALL = [1, 2, 3, 4, 5, 6];

const TRANSITIONS: readonly Transition[] = [
  { name: 'a', trigger: 'remote-reconnect', from: disconnected, to: connected, modes: [2, 4], event: EventCode.remoteConnection },
  { name: 'b', trigger: 'remote-disconnect', from: connected, to: disconnected, modes: ALL, event: EventCode.remoteDisconnection },
  { name: 'c', trigger: 'remote-disconnect', from: readyForReconnection, to: disconnected, modes: ALL, event: EventCode.remoteDisconnection },
  { name: 'd', trigger: 'remote-reconnect', from: disconnected, to: readyForReconnection, modes: [1, 3, 5, 6], event: EventCode.remoteConnection },
  { name: 'e', trigger: 'manual-reconnect', from: readyForReconnection, to: connected, modes: ALL, event: EventCode.manualConnection },
  { name: 'f', trigger: 'manual-disconnect', from: connected, to: readyForReconnection, modes: [1, 2, 5], event: EventCode.manualDisconnection },
  { name: 'g', trigger: 'local-disconnect', from: connected, to: readyForReconnection, modes: ALL, event: EventCode.localDisconnection },
  { name: 'h', trigger: 'local-reconnect', from: readyForReconnection, to: connected, modes: [5, 6], event: EventCode.localReconnection },
];

/** The transition `trigger` causes from `state` under `mode`, or null (nothing happens). */
export function relayTransition(state: number, mode: number, trigger: RelayTrigger): Transition | null {
  return TRANSITIONS.find((t) => t.trigger === trigger && t.from === state && t.modes.includes(mode)) ?? null;
}

/** Is `trigger` enabled at all under `mode` (whatever the current state)? */
export function triggerEnabled(mode: number, trigger: RelayTrigger): boolean {
  return TRANSITIONS.some((t) => t.trigger === trigger && t.modes.includes(mode));
}

/** output_state: only the connected state closes the relay. */
export function outputState(controlState: number): boolean {
  return controlState === connected;
}
