import { describe, expect, it } from 'vitest';
import { hex } from '../../../shared/bytes.js';
import { serverAddress } from '../../../shared/hdlc/address.js';
import { HdlcClientLink } from '../../../shared/hdlc/client-link.js';
import { decodeFrame } from '../../../shared/hdlc/frame.js';
import type { LinkAction } from '../../../shared/hdlc/link.js';
import { HdlcServerLink } from '../../../shared/hdlc/server-link.js';
import { Wire } from './wire.js';

function pair(opts: { clientWindow?: number; clientInfo?: number; serverWindow?: number; serverInfo?: number; physical?: number } = {}) {
  const physical = opts.physical ?? 17;
  const client = new HdlcClientLink({
    client: 16,
    server: serverAddress(1, physical),
    proposal: { maxInfoTx: opts.clientInfo ?? 128, maxInfoRx: opts.clientInfo ?? 128, windowTx: opts.clientWindow ?? 1, windowRx: opts.clientWindow ?? 1 },
    responseTimeout: 1000,
    maxRetries: 3,
  });
  const server = new HdlcServerLink({
    logical: 1,
    physical,
    limits: { maxInfoTx: opts.serverInfo ?? 512, maxInfoRx: opts.serverInfo ?? 512, windowTx: opts.serverWindow ?? 7, windowRx: opts.serverWindow ?? 7 },
  });
  return { client, server, wire: new Wire(client, server) };
}

const bytesOf = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe('HDLC client and server links back to back', () => {
  it('connects with SNRM/UA and negotiates the smaller of both limits', () => {
    const { client, wire } = pair({ clientWindow: 7, clientInfo: 1024, serverWindow: 3, serverInfo: 256 });
    wire.fromClient(client.open(wire.now));
    wire.run();
    expect(client.state).toBe('connected');
    expect(client.parameters).toEqual({ maxInfoTx: 256, maxInfoRx: 256, windowTx: 3, windowRx: 3 });
  });

  for (const window of [1, 7]) {
    it(`moves a 5,000-byte request and a 20,000-byte answer in 128-byte segments, window ${window}`, () => {
      const { client, server, wire } = pair({ clientWindow: window, serverWindow: window });
      const request = bytesOf(5000, 3);
      const answer = bytesOf(20000, 9);
      wire.serverApp = () => answer;
      wire.fromClient(client.open(wire.now));
      wire.run();
      wire.fromClient(client.send(request, wire.now));
      wire.run();
      expect(hex(wire.events.serverGot[0])).toBe(hex(request));
      expect(hex(wire.events.clientGot[0])).toBe(hex(answer));
      const serverFrames = wire.events.frames.filter((f) => f.from === 'server').map((f) => decodeFrame(f.bytes));
      expect(Math.max(...serverFrames.map((f) => f.info.length))).toBeLessThanOrEqual(128);
      // With a window of 7, the server sends up to 7 frames per client poll.
      const polls = wire.events.frames.filter((f) => f.from === 'client' && decodeFrame(f.bytes).control.type === 'RR').length;
      expect(polls).toBeLessThanOrEqual(Math.ceil(20003 / 128 / window) + 1);
      expect(server.state).toBe('connected');
    });
  }

  it('recovers from lost frames in both directions by repeating, and delivers each APDU once', () => {
    const { client, wire } = pair({ clientWindow: 4, serverWindow: 4 });
    const answers = [bytesOf(3000, 1), bytesOf(10, 2), bytesOf(900, 3)];
    let served = 0;
    wire.serverApp = () => answers[served++];
    let seed = 7;
    wire.drop = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % 100) < 12; // lose ~12 % of frames
    wire.fromClient(client.open(wire.now));
    wire.run();
    expect(client.state).toBe('connected');
    for (let i = 0; i < answers.length; i++) {
      wire.fromClient(client.send(bytesOf(400 + i, i), wire.now));
      wire.run();
    }
    expect(wire.events.clientGot.map(hex)).toEqual(answers.map(hex));
    expect(served).toBe(3);
    expect(wire.events.frames.some((f) => f.dropped)).toBe(true);
  });

  it('gives up with a LinkTimeout after the configured retries when the meter is silent', () => {
    const { client, wire } = pair();
    wire.drop = (from) => from === 'server';
    wire.fromClient(client.open(wire.now));
    wire.run();
    const fail = wire.events.clientEvents.find((e) => e.kind === 'fail');
    expect(fail && fail.kind === 'fail' && fail.error.name).toBe('LinkTimeout');
    expect(client.state).toBe('disconnected');
    expect(wire.events.frames.filter((f) => f.from === 'client').length).toBe(4); // 1 + 3 retries
    expect(wire.now).toBeLessThanOrEqual(4000 + 10);
  });

  it('ignores frames for another physical address on a multi-drop bus', () => {
    const { client, server } = pair({ physical: 17 });
    const other = new HdlcServerLink({ logical: 1, physical: 18 });
    const snrm = client.open(0).flatMap((a) => (a.kind === 'transmit' ? [a.bytes] : []))[0];
    expect(other.received(snrm, 0).filter((a) => a.kind === 'transmit')).toEqual([]);
    expect(other.state).toBe('disconnected');
    const answer = server.received(snrm, 0).flatMap((a) => (a.kind === 'transmit' ? [decodeFrame(a.bytes)] : []));
    expect(answer.map((f) => f.control.type)).toEqual(['UA']);
    expect(answer[0].src).toEqual({ logical: 1, physical: 17, size: 2 });
  });

  it('answers DM to a frame when not connected and UA to DISC when connected', () => {
    const { client, server, wire } = pair();
    wire.fromClient(client.open(wire.now));
    wire.run();
    wire.fromClient(client.close(wire.now));
    wire.run();
    expect(client.state).toBe('disconnected');
    expect(server.state).toBe('disconnected');
    const last = decodeFrame(wire.events.frames[wire.events.frames.length - 1].bytes);
    expect(last.control.type).toBe('UA');
  });
});

describe('HDLC client while the server holds the poll (a window in progress)', () => {
  // At 9600 baud a window of 7 × 512 bytes takes 3.7 s: longer than any response timeout.
  // The client must not poll again while frames with F = 0 (or the bytes of a frame) keep
  // coming; a poll then would collide with the rest of the window on a half-duplex bus.
  const limits = { maxInfoTx: 512, maxInfoRx: 512, windowTx: 7, windowRx: 7 };
  const sent = (actions: LinkAction[]) => actions.flatMap((a) => (a.kind === 'transmit' ? [a.bytes] : []));

  function connected() {
    const client = new HdlcClientLink({ client: 16, server: serverAddress(1, 17), proposal: limits, responseTimeout: 1000, interFrameTimeout: 200, maxRetries: 3 });
    const server = new HdlcServerLink({ logical: 1, physical: 17, limits });
    for (const b of sent(server.received(sent(client.open(0))[0], 0))) client.received(b, 0);
    expect(client.state).toBe('connected');
    const request = sent(client.send(bytesOf(20), 0));
    const delivered = request.flatMap((b) => server.received(b, 0)).filter((a) => a.kind === 'deliver');
    expect(delivered).toHaveLength(1);
    const window = sent(server.send(bytesOf(7 * 512 - 3 - 100, 4), 0)); // LLC header + 7 frames, the last short
    expect(window).toHaveLength(7);
    return { client, window };
  }

  it('restarts the response timer with each frame of the window', () => {
    const { client, window } = connected();
    const out: Uint8Array[] = [];
    const got: Uint8Array[] = [];
    // One frame every 550 ms (a 512-byte frame at 9600 baud), ticking just before each.
    window.forEach((frame, i) => {
      const at = 550 * (i + 1);
      out.push(...sent(client.tick(at - 1)));
      for (const a of client.received(frame, at)) {
        if (a.kind === 'transmit') out.push(a.bytes);
        if (a.kind === 'deliver') got.push(a.apdu);
      }
    });
    expect(out).toEqual([]); // not one repeated poll during 3.85 s of window
    expect(got.map(hex)).toEqual([hex(bytesOf(7 * 512 - 3 - 100, 4))]);
    expect(client.busy).toBe(false);
  });

  it('does not repeat while the bytes of a long frame are still arriving, and does once the line goes quiet', () => {
    const { client, window } = connected();
    const frame = window[0];
    // The first frame trickles in over 1.5 s, past the 1 s response timeout: 16 bytes per 45 ms.
    let at = 0;
    const out: Uint8Array[] = [];
    for (let i = 0; i + 16 < frame.length; i += 16) {
      at += 45;
      out.push(...sent(client.tick(at)));
      out.push(...sent(client.received(frame.subarray(i, i + 16), at)));
    }
    expect(at).toBeGreaterThan(1000);
    expect(out).toEqual([]);
    // The rest never comes: after the inter-frame timeout the partial frame is dropped and,
    // the response timeout being over, the poll is repeated.
    const repeat = sent(client.tick(at + 200));
    expect(repeat.map((b) => decodeFrame(b).control.type)).toEqual(['I']);
  });
});

describe('HDLC link under random loss (property)', () => {
  it('either delivers every answer exactly and in order, or fails with a typed error — never a wrong APDU', async () => {
    const fc = (await import('fast-check')).default;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer(),
        fc.array(fc.integer({ min: 1, max: 4000 }), { minLength: 1, maxLength: 4 }),
        (window, lossPercent, seed, sizes) => {
          const { client, wire } = pair({ clientWindow: window, serverWindow: window });
          let s = seed >>> 0;
          wire.drop = () => ((s = (s * 1103515245 + 12345) >>> 0) % 100) < lossPercent;
          const answers = sizes.map((n, i) => bytesOf(n, i + 1));
          let served = 0;
          wire.serverApp = () => answers[Math.min(served++, answers.length - 1)];
          wire.fromClient(client.open(wire.now));
          wire.run();
          for (let i = 0; i < answers.length && client.state === 'connected'; i++) {
            wire.fromClient(client.send(bytesOf(300, i), wire.now));
            wire.run();
          }
          const got = wire.events.clientGot.map(hex);
          expect(got).toEqual(answers.slice(0, got.length).map(hex));
          expect(served).toBe(wire.events.serverGot.length);
          if (got.length < answers.length) {
            expect(wire.events.clientEvents.some((e) => e.kind === 'fail')).toBe(true);
          }
          expect(client.busy).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('HDLC server on a multi-drop bus', () => {
  it('does not take another meter’s answer (2-byte source) for a client frame', () => {
    const a = new HdlcServerLink({ logical: 1, physical: 17 });
    const b = new HdlcServerLink({ logical: 1, physical: 18 });
    const client = new HdlcClientLink({ client: 1, server: serverAddress(1, 17) });
    const snrm = client.open(0).flatMap((x) => (x.kind === 'transmit' ? [x.bytes] : []))[0];
    const ua = a.received(snrm, 0).flatMap((x) => (x.kind === 'transmit' ? [x.bytes] : []))[0];
    // Meter b hears meter a's UA to client 1 (dest = 1-byte address 1, like b's logical device).
    expect(b.received(ua, 1).filter((x) => x.kind !== 'wake')).toEqual([]);
  });
});
