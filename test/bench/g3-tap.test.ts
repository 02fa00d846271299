// bench/g3's lower bound leans on the UART tap telling first copies from repeats and on the
// sequential sample keeping the network's hop mix: both checked here with real USI frames
// and real DLMS-over-G3 packets through an in-memory byte channel. No timing here.
import { describe, expect, it } from 'vitest';
import type { ByteChannel } from '../../dcu/links/channel.js';
import { encodeAdp, type AdpMessage } from '../../shared/g3/adp.js';
import { dlmsPacket } from '../../shared/g3/dlms.js';
import { G3_ADP_PROTOCOL, encodeUsiFrame } from '../../shared/g3/usi.js';
import { UartTap } from '../../bench/lib/g3-uart-tap.js';
import { hopClasses, sampleByHops } from '../../bench/lib/g3-measure.js';
import { ipv6OnAir } from '../../simulators/g3-modem/air.js';
import { plcNodes } from '../../simulators/g3-modem/index.js';

const PAN = 0x4d31;
const EUI = '0253494d02625a01';

/** Both directions of a UART in memory: `written` collects what the host sends, `deliver` plays the modem. */
class MemoryChannel implements ByteChannel {
  readonly name = 'memory';
  readonly counters = { written: 0, received: 0 };
  written: Uint8Array[] = [];
  private listeners = new Set<(b: Uint8Array) => void>();
  async write(bytes: Uint8Array): Promise<void> {
    this.counters.written += bytes.length;
    this.written.push(bytes);
  }
  onData(l: (b: Uint8Array) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  deliver(bytes: Uint8Array): void {
    this.counters.received += bytes.length;
    for (const l of this.listeners) l(bytes);
  }
  async close(): Promise<void> {}
}

const frame = (m: AdpMessage) => encodeUsiFrame(G3_ADP_PROTOCOL, encodeAdp(m));
const request = (apdu: number[]) => dlmsPacket({ panId: PAN, from: 0, to: 7, sourceWPort: 17, destinationWPort: 1, apdu: new Uint8Array(apdu) });
const answer = (apdu: number[]) => dlmsPacket({ panId: PAN, from: 7, to: 0, sourceWPort: 1, destinationWPort: 17, apdu: new Uint8Array(apdu) });
const send = (ch: ByteChannel, packet: Uint8Array, handle: number) => ch.write(frame({ type: 'data-request', nsduHandle: handle, discoverRoute: true, qualityOfService: 0, packet }));
const indicate = (ch: MemoryChannel, packet: Uint8Array) => ch.deliver(frame({ type: 'data-indication', linkQualityIndicator: 100, packet }));
const air = (packet: Uint8Array, hops: number) => ipv6OnAir(packet.length, hops).bytes * hops;

describe('bench/g3 UART tap', () => {
  it('counts first copies at their air cost and takes a repeat answered twice as waste', async () => {
    const ch = new MemoryChannel();
    const tap = new UartTap(ch, (eui) => (eui === EUI ? 3 : 1));
    ch.deliver(frame({ type: 'join-complete', eui64: EUI, shortAddress: 7 }));
    const get = request([0xc0, 0x01, 0xc1, 0x00, 0x03, 1, 0, 1, 8, 0, 255, 2, 0]);
    const reply = answer([0xc4, 0x01, 0xc1, 0x00, 0x06, 0, 0, 0x30, 0x39]);
    await send(ch, get, 1);
    await send(ch, get, 2); // the DCU gave up too early and sent it again…
    indicate(ch, reply);
    indicate(ch, reply); // …and both copies were answered
    const next = request([0xc0, 0x01, 0xc2, 0x00, 0x03, 1, 0, 2, 8, 0, 255, 2, 0]);
    await send(ch, next, 3);
    await send(ch, next, 4); // a repeat after a loss: answered once, not waste
    const reply2 = answer([0xc4, 0x01, 0xc2, 0x00, 0x06, 0, 0, 0x00, 0x07]);
    indicate(ch, reply2);
    const c = tap.take();
    expect(c).toMatchObject({ requests: 4, answers: 3, repeatedRequests: 2, duplicateAnswers: 1 });
    expect(c.firstCopyAirBytes).toBe(air(get, 3) + air(reply, 3) + air(next, 3) + air(reply2, 3));
    expect(c.wastedAirBytes).toBe(air(reply, 3) + air(get, 3));
    expect(c.uartOut).toBe(ch.counters.written);
    expect(c.uartIn).toBe(ch.counters.received);
    expect(tap.take().requests).toBe(0);
  });

  it('ignores pushed notifications, other nodes it has not seen join, and refusals apart', async () => {
    const ch = new MemoryChannel();
    const tap = new UartTap(ch, () => 2);
    ch.deliver(frame({ type: 'join-complete', eui64: EUI, shortAddress: 7 }));
    indicate(ch, answer([0x0f, 0, 0, 0, 1, 0, 0x02, 0x02, 0x09, 0x00, 0x06, 0, 0, 0, 1]));
    await send(ch, dlmsPacket({ panId: PAN, from: 0, to: 9, sourceWPort: 17, destinationWPort: 1, apdu: new Uint8Array([0x62, 0x00]) }), 5);
    ch.deliver(frame({ type: 'data-confirm', status: 0xb4, nsduHandle: 5 }));
    const c = tap.take();
    expect(c).toMatchObject({ requests: 0, answers: 0, firstCopyAirBytes: 0, refusals: { 0xb4: 1 } });
  });
});

describe('bench/g3 sequential sample', () => {
  it('keeps the hop mix and has every hop count of the network', () => {
    const nodes = plcNodes({ count: 1000, seed: 1 });
    const sample = sampleByHops(nodes, 20);
    const all = hopClasses(nodes);
    const got = hopClasses(sample);
    expect([...got.keys()]).toEqual([...all.keys()]);
    for (const [h, n] of all) expect(got.get(h)).toBe(Math.max(1, Math.round((20 * n) / 1000)));
    for (const s of sample) expect(nodes.find((n) => n.eui64 === s.eui64)?.hops).toBe(s.hops);
  });
});
