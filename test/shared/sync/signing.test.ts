import fc from 'fast-check';
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { equalBytes, hex } from '../../../shared/bytes.js';
import { decodeDownlink, encodeAckBody, encodeCommandBody, encodeMessage } from '../../../shared/sync/codec.js';
import type { AckMessage, CommandBody, SignedCommand } from '../../../shared/sync/messages.js';
import { privateKey, signAck, signCommand, signingKeyPairFromSeed, verifyAck, verifyCommand, type VerifyContext } from '../../../shared/sync/signing.js';
import { ack as anyAck, commandBody } from './arbitraries.js';

const seed = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const cloud = signingKeyPairFromSeed(seed);
const other = signingKeyPairFromSeed(new Uint8Array(32).fill(0xee));
const now = Date.UTC(2026, 4, 1, 12, 0, 0);

const body: CommandBody = {
  v: 2, kind: 'command', id: 'cmd-0001', dcu: 'dcu-0001', seq: 42, issuedAt: now - 1000, notAfter: now + 60_000,
  command: 'relay', params: { meter: 'LGZ001', action: 'disconnect' },
};

const ctx = (patch: Partial<VerifyContext> = {}): VerifyContext => ({
  trustedKeys: new Map([['cloud-2026', cloud.publicKey]]), dcuId: 'dcu-0001', now, lastSeq: 41, seenIds: new Set(['cmd-0000']), ...patch,
});

const signed = (patch: Partial<CommandBody> = {}, secret = cloud.seed): SignedCommand => signCommand({ ...body, ...patch }, 'cloud-2026', secret);

describe('keys and signatures interoperate with tweetnacl', () => {
  it('the same key pair from the same seed', () => {
    const kp = nacl.sign.keyPair.fromSeed(seed);
    expect(hex(cloud.publicKey)).toBe(hex(kp.publicKey));
    expect(hex(kp.secretKey)).toBe(hex(cloud.seed) + hex(cloud.publicKey));
  });

  it('node:crypto signs, tweetnacl verifies (and the signatures are identical: Ed25519 is deterministic)', () => {
    const s = signed();
    const message = encodeCommandBody(s.body);
    expect(nacl.sign.detached.verify(message, s.signature, cloud.publicKey)).toBe(true);
    expect(hex(nacl.sign.detached(message, nacl.sign.keyPair.fromSeed(seed).secretKey))).toBe(hex(s.signature));
  });

  it('tweetnacl signs, verifyCommand (node:crypto) accepts', () => {
    const kp = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(7));
    const signature = nacl.sign.detached(encodeCommandBody(body), kp.secretKey);
    const s: SignedCommand = { body, keyId: 'nacl', signature };
    expect(verifyCommand(s, ctx({ trustedKeys: new Map([['nacl', kp.publicKey]]) }))).toEqual({ ok: true });
  });

  it('the signed bytes are fixed: field order and map key order do not depend on the object', () => {
    // Pinned, so that a change of cbor-x or of the encoding cannot silently break signatures between versions.
    expect(hex(encodeCommandBody(body))).toBe(
      '89' + '02' + '07' + // [version 2, kind 7 (command body),
        '68' + hex(new TextEncoder().encode('cmd-0001')) + '68' + hex(new TextEncoder().encode('dcu-0001')) + '182a' + // id, dcu, seq 42,
        'fb4279de368f218000' + 'fb4279de369e060000' + // issuedAt, notAfter (cbor-x writes ints beyond 32 bits as float64)
        '65' + hex(new TextEncoder().encode('relay')) + // command
        'a2' + '656d65746572' + '664c475a303031' + '66616374696f6e' + '6a646973636f6e6e656374', // {meter, action}: shorter key first
    );
    const reordered = { ...body, params: { action: 'disconnect', meter: 'LGZ001' } };
    expect(hex(encodeCommandBody(reordered))).toBe(hex(encodeCommandBody(body)));
    const numericKeys = encodeCommandBody({ ...body, params: { b: 1, 10: 2, 2: 3 } });
    expect(hex(numericKeys).endsWith('a3' + '6132' + '03' + '6162' + '01' + '623130' + '02')).toBe(true); // "2", "b", "10"
  });

  it('the wire form carries exactly the signed bytes and verifies after decoding', () => {
    const s = signed({ params: { meter: 'LGZ001', big: 2n ** 70n, raw: new Uint8Array([1, 2]) } });
    const wire = encodeMessage(s);
    expect(hex(wire)).toContain(hex(encodeCommandBody(s.body)));
    const back = decodeDownlink(wire) as SignedCommand;
    expect(back).toEqual(s);
    expect(verifyCommand(back, ctx())).toEqual({ ok: true });
  });

  it('property: any command signed by node:crypto verifies with tweetnacl and with verifyCommand after a round trip', () => {
    fc.assert(
      fc.property(commandBody, (b) => {
        const s = signCommand(b, 'k', cloud.seed);
        expect(nacl.sign.detached.verify(encodeCommandBody(b), s.signature, cloud.publicKey)).toBe(true);
        const back = decodeDownlink(encodeMessage(s)) as SignedCommand;
        const check = verifyCommand(back, { trustedKeys: new Map([['k', cloud.publicKey]]), dcuId: b.dcu, now: b.notAfter, lastSeq: null, seenIds: new Set(), maxClockSkewMs: Infinity });
        expect(check).toEqual({ ok: true });
      }),
      { numRuns: 60 },
    );
  });
});

describe('verifyCommand refuses, each for its reason', () => {
  const reason = (s: SignedCommand, c = ctx()): string => {
    const r = verifyCommand(s, c);
    return r.ok ? 'ok' : r.reason;
  };

  it('accepts a good command', () => {
    expect(verifyCommand(signed(), ctx())).toEqual({ ok: true });
    expect(reason(signed(), ctx({ lastSeq: null, seenIds: new Set() }))).toBe('ok');
    expect(reason(signed({ notAfter: now }))).toBe('ok'); // expiry is notAfter < now
    expect(reason(signed({ issuedAt: now + 300_000 }))).toBe('ok'); // within the default 5 min skew
  });

  it('malformed', () => {
    expect(reason({ ...signed(), signature: new Uint8Array(10) })).toBe('malformed');
    expect(reason({ ...signed(), body: { ...body, seq: -1 } })).toBe('malformed');
    expect(reason({ ...signed(), body: { ...body, params: new Date() as unknown as Record<string, unknown> } })).toBe('malformed');
    expect(reason({ ...signed(), body: null as unknown as CommandBody })).toBe('malformed');
    expect(reason(null as unknown as SignedCommand)).toBe('malformed');
  });

  it('unknown-key', () => {
    expect(reason({ ...signed(), keyId: 'cloud-2019' })).toBe('unknown-key');
    expect(reason(signed(), ctx({ trustedKeys: new Map([['cloud-2026', new Uint8Array(31)]]) }))).toBe('bad-signature');
  });

  it('bad-signature: a flipped bit, an altered body, another key under a trusted id', () => {
    const s = signed();
    const flipped = new Uint8Array(s.signature);
    flipped[5] ^= 1;
    expect(reason({ ...s, signature: flipped })).toBe('bad-signature');
    expect(reason({ ...s, body: { ...s.body, params: { meter: 'LGZ002', action: 'disconnect' } } })).toBe('bad-signature');
    expect(reason({ ...s, body: { ...s.body, notAfter: s.body.notAfter + 1 } })).toBe('bad-signature');
    expect(reason(signed({}, other.seed))).toBe('bad-signature');
    const r = verifyCommand(signed({}, other.seed), ctx());
    expect(r.ok ? '' : r.message).toContain('cmd-0001');
  });

  it('wrong-dcu', () => {
    expect(reason(signed({ dcu: 'dcu-0002' }))).toBe('wrong-dcu');
  });

  it('expired', () => {
    const r = verifyCommand(signed({ notAfter: now - 1 }), ctx());
    expect(r).toMatchObject({ ok: false, reason: 'expired' });
    expect(r.ok ? '' : r.message).toContain('2026-05-01T11:59:59.999Z');
  });

  it('not-yet-valid (issued beyond the clock skew allowance)', () => {
    expect(reason(signed({ issuedAt: now + 300_001, notAfter: now + 900_000 }))).toBe('not-yet-valid');
    expect(reason(signed({ issuedAt: now + 1000 }), ctx({ maxClockSkewMs: 0 }))).toBe('not-yet-valid');
  });

  it('replayed-id', () => {
    expect(reason(signed({ id: 'cmd-0000' }))).toBe('replayed-id');
  });

  it('stale-seq', () => {
    expect(reason(signed({ seq: 41 }))).toBe('stale-seq');
    expect(reason(signed({ seq: 3 }))).toBe('stale-seq');
  });

  it('checks in order: key, signature, DCU, expiry, issuedAt, id, seq', () => {
    const all = signed({ dcu: 'dcu-0002', notAfter: now - 1, id: 'cmd-0000', seq: 1 });
    expect(reason({ ...all, keyId: 'nope' })).toBe('unknown-key');
    expect(reason({ ...all, signature: new Uint8Array(64) })).toBe('bad-signature');
    expect(reason(all)).toBe('wrong-dcu');
    expect(reason(all, ctx({ dcuId: 'dcu-0002' }))).toBe('expired');
    expect(reason(signed({ issuedAt: now + 1e6, id: 'cmd-0000', seq: 1, notAfter: now + 2e6 }))).toBe('not-yet-valid');
    expect(reason(signed({ id: 'cmd-0000', seq: 1 }))).toBe('replayed-id');
  });
});

describe('signed acks', () => {
  const EPOCH = 'ffeeddccbbaa99887766554433221100';
  const ack: AckMessage = { v: 2, kind: 'ack', dcu: 'dcu-0001', epoch: EPOCH, stream: 'readings', upTo: 17, resend: [[19, 20]] };
  const trusted = new Map([['cloud-2026', cloud.publicKey]]);
  const reason = (a: AckMessage, keys = trusted): string => {
    const r = verifyAck(a, keys);
    return r.ok ? 'ok' : r.reason;
  };

  it('the signed bytes are the ack without its signature, pinned; tweetnacl verifies them', () => {
    expect(hex(encodeAckBody(ack))).toBe(
      '87' + '02' + '0a' + '68' + hex(new TextEncoder().encode('dcu-0001')) + '7820' + hex(new TextEncoder().encode(EPOCH)) +
        '68' + hex(new TextEncoder().encode('readings')) + '11' + '81821314', // [2, 10, dcu, epoch, stream, 17, [[19, 20]]]
    );
    const s = signAck(ack, 'cloud-2026', cloud.seed);
    expect(s.signature?.keyId).toBe('cloud-2026');
    expect(nacl.sign.detached.verify(encodeAckBody(ack), s.signature!.bytes, cloud.publicKey)).toBe(true);
    expect(hex(encodeAckBody(s))).toBe(hex(encodeAckBody(ack))); // the signature is not part of what it covers
  });

  it('a signed ack verifies after the wire; every field is covered', () => {
    const s = signAck(ack, 'cloud-2026', privateKey(seed));
    const back = decodeDownlink(encodeMessage(s)) as AckMessage;
    expect(back).toEqual(s);
    expect(verifyAck(back, trusted)).toEqual({ ok: true });
    for (const patch of [{ upTo: 18 }, { epoch: '' }, { epoch: EPOCH.replace('f', '0') }, { stream: 'events' as const }, { dcu: 'dcu-0002' }, { resend: undefined }, { resend: [[19, 21]] as [number, number][] }]) {
      expect(reason({ ...s, ...patch }), JSON.stringify(patch)).toBe('bad-signature');
    }
  });

  it('refuses unsigned, malformed, unknown key, another key, a flipped bit — never throws', () => {
    const s = signAck(ack, 'cloud-2026', cloud.seed);
    expect(reason(ack)).toBe('unsigned');
    expect(reason({ ...s, signature: { keyId: 'cloud-2026', bytes: new Uint8Array(10) } })).toBe('malformed');
    expect(reason({ ...s, v: 1 })).toBe('malformed'); // a v1 ack is never signed
    expect(reason({ ...s, upTo: -1 })).toBe('malformed');
    expect(reason({ ...s, signature: { ...s.signature!, keyId: 'cloud-2019' } })).toBe('unknown-key');
    expect(reason(signAck(ack, 'cloud-2026', other.seed))).toBe('bad-signature');
    const flipped = new Uint8Array(s.signature!.bytes);
    flipped[63] ^= 0x80;
    expect(reason({ ...s, signature: { keyId: 'cloud-2026', bytes: flipped } })).toBe('bad-signature');
    expect(reason(s, new Map([['cloud-2026', new Uint8Array(31)]]))).toBe('bad-signature');
    expect(reason(null as unknown as AckMessage)).toBe('unsigned');
  });

  it('property: any v2 ack signed verifies after a round trip, and not with another key', () => {
    fc.assert(
      fc.property(anyAck, (a) => {
        const back = decodeDownlink(encodeMessage(signAck(a, 'k', cloud.seed))) as AckMessage;
        expect(verifyAck(back, new Map([['k', cloud.publicKey]]))).toEqual({ ok: true });
        expect(verifyAck(back, new Map([['k', other.publicKey]]))).toMatchObject({ ok: false, reason: 'bad-signature' });
      }),
      { numRuns: 60 },
    );
  });
});

describe('speed', () => {
  it('node:crypto vs tweetnacl (logged, not asserted)', () => {
    const s = signed();
    const message = encodeCommandBody(s.body);
    const secretKey = nacl.sign.keyPair.fromSeed(seed).secretKey;
    const perSecond = (n: number, f: () => unknown): number => {
      const start = performance.now();
      for (let i = 0; i < n; i++) f();
      return n / ((performance.now() - start) / 1000);
    };
    const c = ctx({ lastSeq: null, seenIds: new Set() });
    const nodeVerify = perSecond(3000, () => verifyCommand(s, c));
    const naclVerify = perSecond(100, () => nacl.sign.detached.verify(message, s.signature, cloud.publicKey));
    const key = privateKey(seed);
    const nodeSign = perSecond(3000, () => signCommand(body, 'k', key));
    const naclSign = perSecond(100, () => nacl.sign.detached(message, secretKey));
    console.log(
      `ed25519: verifyCommand (node:crypto) ${Math.round(nodeVerify)}/s, tweetnacl verify ${Math.round(naclVerify)}/s ` +
        `(×${(nodeVerify / naclVerify).toFixed(0)}); signCommand (node:crypto) ${Math.round(nodeSign)}/s, ` +
        `tweetnacl sign ${Math.round(naclSign)}/s (×${(nodeSign / naclSign).toFixed(0)})`,
    );
    expect(equalBytes(signCommand(body, 'k', seed).signature, nacl.sign.detached(message, secretKey))).toBe(true);
  });
});
