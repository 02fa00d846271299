// A stopwatch on the DCU's UART to the G3 modem, for bench/g3: it decodes the USI frames
// going both ways (it only watches; bytes go through unchanged) and keeps what the
// benchmark's bound needs beside the simulator's own counters:
//   - the UART's bytes (its line time at the configured baud rate);
//   - the DLMS packets of each meter, and their air cost per hop (the simulator's 6LoWPAN
//     model, simulators/g3-modem/air.ts) × the meter's hops;
//   - repeats that were not needed: an answer byte for byte equal to the previous answer of
//     the same meter means the DCU sent a request again although an earlier copy got
//     through and was answered (a timeout too short for the queue on the channel). Such a
//     pair — the repeated request and its answer, both all the way — is the DCU's waste,
//     not the channel's, and comes off the bound. (DLMS answers of different requests
//     differ: each request has a new invoke-id, each block its number.)
import { type AdpMessage, decodeAdp } from '../../shared/g3/adp.js';
import { parseDlmsPacket } from '../../shared/g3/dlms.js';
import { G3_ADP_PROTOCOL, UsiDeframer } from '../../shared/g3/usi.js';
import { equalBytes } from '../../shared/bytes.js';
import type { ByteChannel } from '../../dcu/links/channel.js';
import { ipv6OnAir } from '../../simulators/g3-modem/air.js';

export interface TapCounts {
  /** UART bytes, host → modem and modem → host (USI frames as sent, stuffing included). */
  uartOut: number;
  uartIn: number;
  requests: number;
  answers: number;
  /** Requests equal to the previous one to the same meter. */
  repeatedRequests: number;
  /** Answers equal to the previous one from the same meter: a repeat that was not needed. */
  duplicateAnswers: number;
  /** Air bytes (all hops) of the first copy of every request and answer. */
  firstCopyAirBytes: number;
  /** Air bytes (all hops) of the unneeded pairs: the duplicate answers and the requests they answer. */
  wastedAirBytes: number;
  /** Confirms other than success, by status. */
  refusals: Record<number, number>;
}

const zero = (): TapCounts => ({ uartOut: 0, uartIn: 0, requests: 0, answers: 0, repeatedRequests: 0, duplicateAnswers: 0, firstCopyAirBytes: 0, wastedAirBytes: 0, refusals: {} });

export class UartTap {
  private counts = zero();
  private readonly out = new UsiDeframer();
  private readonly in = new UsiDeframer();
  private readonly shortToEui = new Map<number, string>();
  private readonly lastRequest = new Map<number, Uint8Array>();
  private readonly lastAnswer = new Map<number, Uint8Array>();

  /** Wraps `channel.write` and listens to its data; `hopsOf` gives a meter's hops by EUI-64. */
  constructor(channel: ByteChannel, private readonly hopsOf: (eui64: string) => number) {
    const write = channel.write.bind(channel);
    channel.write = (bytes: Uint8Array) => {
      this.counts.uartOut += bytes.length;
      this.frames(this.out.push(bytes));
      return write(bytes);
    };
    channel.onData((bytes) => {
      this.counts.uartIn += bytes.length;
      this.frames(this.in.push(bytes));
    });
  }

  /** Counts since the last reset (the per-meter memory of last packets is kept). */
  take(): TapCounts {
    const c = this.counts;
    this.counts = zero();
    return c;
  }

  private frames(events: ReturnType<UsiDeframer['push']>): void {
    for (const e of events) {
      if (e.kind !== 'frame' || e.protocolId !== G3_ADP_PROTOCOL) continue;
      let m: AdpMessage;
      try {
        m = decodeAdp(e.payload);
      } catch {
        continue;
      }
      this.message(m);
    }
  }

  private message(m: AdpMessage): void {
    if (m.type === 'join-complete') this.shortToEui.set(m.shortAddress, m.eui64);
    else if (m.type === 'data-confirm' && m.status !== 0) this.counts.refusals[m.status] = (this.counts.refusals[m.status] ?? 0) + 1;
    else if (m.type === 'data-request') this.packet(m.packet, 'request');
    else if (m.type === 'data-indication') this.packet(m.packet, 'answer');
  }

  private packet(packet: Uint8Array, kind: 'request' | 'answer'): void {
    let p: ReturnType<typeof parseDlmsPacket>;
    try {
      p = parseDlmsPacket(packet);
    } catch {
      return;
    }
    const short = kind === 'request' ? p.to : p.from;
    const eui = this.shortToEui.get(short);
    if (eui === undefined) return;
    const hops = this.hopsOf(eui);
    const air = ipv6OnAir(packet.length, hops).bytes * hops;
    const c = this.counts;
    if (kind === 'request') {
      c.requests++;
      const before = this.lastRequest.get(short);
      if (before && equalBytes(before, packet)) c.repeatedRequests++;
      else c.firstCopyAirBytes += air;
      this.lastRequest.set(short, packet);
      return;
    }
    if (p.apdu[0] === 0x0f) return; // a pushed DataNotification, not an answer
    c.answers++;
    const before = this.lastAnswer.get(short);
    if (before && equalBytes(before, packet)) {
      c.duplicateAnswers++;
      const request = this.lastRequest.get(short);
      c.wastedAirBytes += air + (request ? ipv6OnAir(request.length, hops).bytes * hops : 0);
    } else c.firstCopyAirBytes += air;
    this.lastAnswer.set(short, packet);
  }
}
