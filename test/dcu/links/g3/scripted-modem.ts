// A tiny scripted G3 modem for driver tests: the far end of a real socat pty pair, speaking
// USI/ADP with the shared codec. Every ADP message the host sends is recorded; `onMessage`
// decides what the modem answers (nothing, by default), so a test scripts the faults it needs.
import { SerialChannel } from '../../../../dcu/links/channel.js';
import { type AdpMessage, decodeAdp, encodeAdp } from '../../../../shared/g3/adp.js';
import { G3_ADP_PROTOCOL, UsiDeframer, encodeUsiFrame } from '../../../../shared/g3/usi.js';
import { type PtyPair, openPtyPair } from '../../../helpers/pty-pair.js';

export const BAUD = 230400;

export interface ScriptedModem {
  /** The host's end of the pty pair. */
  path: string;
  received: AdpMessage[];
  onMessage: (m: AdpMessage, modem: ScriptedModem) => void;
  send(m: AdpMessage): Promise<void>;
  /** Raw bytes to the host (noise, broken frames). */
  sendRaw(bytes: Uint8Array): Promise<void>;
  /** Resolves with the first message received from now on that matches. */
  next(match: (m: AdpMessage) => boolean, timeoutMs?: number): Promise<AdpMessage>;
  close(): Promise<void>;
}

export async function openScriptedModem(): Promise<ScriptedModem> {
  const pty: PtyPair = await openPtyPair();
  const channel = await SerialChannel.open({ path: pty.b, baudRate: BAUD });
  const deframer = new UsiDeframer();
  const waiters: { match: (m: AdpMessage) => boolean; resolve: (m: AdpMessage) => void }[] = [];
  const modem: ScriptedModem = {
    path: pty.a,
    received: [],
    onMessage: () => {},
    send: (m) => channel.write(encodeUsiFrame(G3_ADP_PROTOCOL, encodeAdp(m))),
    sendRaw: (bytes) => channel.write(bytes),
    next: (match, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const w = { match, resolve: (m: AdpMessage) => (clearTimeout(timer), resolve(m)) };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`scripted modem: no matching message within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(w);
      }),
    close: async () => {
      await channel.close();
      await pty.close();
    },
  };
  channel.onData((bytes) => {
    for (const e of deframer.push(bytes)) {
      if (e.kind !== 'frame') throw e.error;
      const m = decodeAdp(e.payload);
      modem.received.push(m);
      for (const w of [...waiters]) {
        if (w.match(m)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
      modem.onMessage(m, modem);
    }
  });
  return modem;
}

/** The usual start: initialise silently, confirm the network start. */
export function startsNetwork(m: AdpMessage, modem: ScriptedModem): boolean {
  if (m.type === 'network-start-request') {
    void modem.send({ type: 'network-start-confirm', status: 0 });
    return true;
  }
  return m.type === 'initialize';
}
