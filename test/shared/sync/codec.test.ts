import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../../shared/bytes.js';
import { decodeCbor, encodeCbor } from '../../../shared/sync/cbor.js';
import { decodeColumn, encodeColumn } from '../../../shared/sync/columns.js';
import { decodeDownlink, decodeMessage, decodeUplink, encodeMessage } from '../../../shared/sync/codec.js';
import { SyncError } from '../../../shared/sync/errors.js';
import { parseTopic, Topics, type AckMessage, type ReadingsBatch, type StatusMessage, type SyncReading } from '../../../shared/sync/messages.js';
import { downlink, epoch, legacyAck, loadProfileBatch, readingsBatch, uplink } from './arbitraries.js';

function syncError(f: () => unknown): SyncError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SyncError);
    return e as SyncError;
  }
  throw new Error('expected a SyncError, got a value');
}

/** The property every decoder of untrusted bytes has: a message (that re-encodes) or a SyncError. */
function valueOrSyncError(bytes: Uint8Array): void {
  let msg;
  try {
    msg = decodeMessage(bytes);
  } catch (e) {
    if (!(e instanceof SyncError)) throw e;
    return;
  }
  encodeMessage(msg); // whatever decoding lets through is a message the encoder accepts
}

const t0 = Date.UTC(2026, 0, 15);
const EPOCH = '00112233445566778899aabbccddeeff';
const small: ReadingsBatch = {
  v: 2, kind: 'readings', dcu: 'dcu-0001', epoch: EPOCH, seq: 7,
  readings: [0, 1].flatMap((h) =>
    (['LGZ001', 'LGZ002'] as const).map((meter, m): SyncReading => ({
      ts: t0 + h * 3_600_000, meter, obis: '1.0.1.8.0.255', attribute: 2, value: (m ? 5000 : 1000) + h * 250,
      unit: 30, scaler: 0, status: 0, source: 'scheduled',
    })),
  ),
};

describe('readings batch', () => {
  it('a small fixed batch, byte by byte', () => {
    const bytes = encodeMessage(small);
    expect(hex(bytes)).toBe(
      '93' + '02' + '01' + '68' + hex(new TextEncoder().encode('dcu-0001')) + // [v 2, kind, dcu,
        '7820' + hex(new TextEncoder().encode(EPOCH)) + '07' + '04' + // epoch (32 characters), seq, n = 4
        '82' + '66' + hex(new TextEncoder().encode('LGZ001')) + '66' + hex(new TextEncoder().encode('LGZ002')) + // meters
        '81fb42700010800ff000' + // obis: 0x0100_0108_00ff (cbor-x writes ints beyond 32 bits as float64)
        '83011a0036ee8084' + '1a00077ee0' + '000100' + // ts: deltas / 3,600,000: [491232, 0, 1, 0]
        '830401820001' + // meter: periodic [0, 1]
        '00' + '02' + '181e' + '00' + '00' + '00' + '00' + '00' + // obis, attribute 2, unit 30, scaler, nulls, status, source, value kind
        '84' + '1903e8' + '191388' + '18fa' + '18fa', // values: 1000, 5000, then +250, +250 per series
    );
    expect(bytes.length).toBe(81 + 34); // the epoch costs 34 bytes per batch
    expect(decodeMessage(bytes)).toEqual(small);
    expect(decodeUplink(bytes)).toEqual(small);
  });

  it('typical hourly load profile: bytes per reading (goal ≤ 12)', () => {
    const cases = [
      { meters: 50, hours: 10, order: 'ts' as const },
      { meters: 50, hours: 10, order: 'meter' as const },
      { meters: 50, hours: 10, order: 'ts' as const, bigint: true },
      { meters: 20, hours: 24, order: 'ts' as const },
    ];
    for (const c of cases) {
      const batch = loadProfileBatch(c);
      const bytes = encodeMessage(batch);
      const json = JSON.stringify(batch, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)).length;
      const n = batch.readings.length;
      const perReading = bytes.length / n;
      console.log(
        `sync codec: ${n} readings (${c.meters} meters × 2 registers × ${c.hours} h, by ${c.order}${c.bigint ? ', bigint' : ''}): ` +
          `${bytes.length} B = ${perReading.toFixed(2)} B/reading (JSON ${(json / n).toFixed(1)} B/reading)`,
      );
      expect(perReading).toBeLessThanOrEqual(12);
      expect(decodeMessage(bytes)).toEqual(batch);
    }
  });

  it('encodes and decodes fast enough for the 50k readings/s pipeline', () => {
    const batch = loadProfileBatch({ meters: 50, hours: 20, order: 'ts' });
    const bytes = encodeMessage(batch);
    const rate = (f: () => unknown): number => {
      const start = performance.now();
      for (let i = 0; i < 50; i++) f();
      return (50 * batch.readings.length) / ((performance.now() - start) / 1000);
    };
    const enc = rate(() => encodeMessage(batch));
    const dec = rate(() => decodeMessage(bytes));
    console.log(`sync codec: encode ${Math.round(enc / 1000)}k readings/s, decode ${Math.round(dec / 1000)}k readings/s`);
  });

  it('keeps every kind of value: bigint, bytes, text, floats, null, huge jumps', () => {
    const base = small.readings[0];
    const values: SyncReading['value'][] = [
      2n ** 64n - 1n, 5n, -(2n ** 70n), 0n, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 12, 1.5, NaN, -Infinity,
      1e300, 'abc', new Uint8Array([0, 1, 255]), null, 7,
    ];
    const batch: ReadingsBatch = { ...small, readings: values.map((value, i) => ({ ...base, value, ts: base.ts + i, unit: i % 2 ? null : 30, scaler: i % 3 ? -3 : null })) };
    const back = decodeMessage(encodeMessage(batch)) as ReadingsBatch;
    expect(back).toEqual(batch);
    expect(typeof back.readings[1].value).toBe('bigint');
    expect(back.readings[12].value).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(back.readings[12].value)).toBe(false);
  });

  it('an empty batch', () => {
    const batch: ReadingsBatch = { ...small, readings: [] };
    expect(decodeMessage(encodeMessage(batch))).toEqual(batch);
  });

  it('refuses to encode what does not fit the schema', () => {
    const bad = (patch: Partial<SyncReading>): SyncError =>
      syncError(() => encodeMessage({ ...small, readings: [small.readings[0], { ...small.readings[0], ...patch }] }));
    expect(bad({ ts: 1.5 })).toMatchObject({ kind: 'invalid', where: 'readings[1].ts' });
    expect(bad({ source: 'guessed' as 'pushed' })).toMatchObject({ kind: 'invalid', where: 'readings[1].source' });
    expect(bad({ value: {} as unknown as null })).toMatchObject({ kind: 'invalid', where: 'readings[1].value' });
  });

  it('property: generated batches round-trip', () => {
    fc.assert(fc.property(readingsBatch, (b) => {
      expect(decodeMessage(encodeMessage(b))).toEqual(b);
    }), { numRuns: 300 });
  });
});

describe('int columns', () => {
  it('pick constant, runs, periodic or plain, on values or differences', () => {
    expect(encodeColumn([5, 5, 5])).toBe(5);
    expect(encodeColumn([0, 0, 0, 7, 7, 7])).toEqual([2, 7, [0, 3, 1, 3]]); // runs of values / 7
    expect(encodeColumn([0, 1, 2, 0, 1, 2, 0])).toEqual([4, 1, [0, 1, 2]]); // periodic
    expect(encodeColumn([10, 20, 30, 40])).toEqual([5, 10, [1]]); // differences / 10, period 1
    expect(encodeColumn([100, 103, 109, 112, 130])).toEqual([1, 1, [100, 3, 6, 3, 18]]); // plain differences
    expect(encodeColumn([3, 0, 0, 900, 0])).toEqual([0, 3, [1, 0, 0, 300, 0]]); // plain values / 3
  });

  it('property: any safe integers round-trip', () => {
    const col = fc.array(fc.oneof(fc.maxSafeInteger(), fc.integer({ min: -3, max: 3 })), { maxLength: 40 });
    fc.assert(fc.property(col, (v) => {
      expect(decodeColumn(encodeColumn(v), v.length, 'c')).toEqual(v);
    }), { numRuns: 500 });
  });

  it('refuses columns that do not cover exactly n readings', () => {
    expect(syncError(() => decodeColumn([0, 1, [1, 2]], 3, 'c'))).toMatchObject({ kind: 'malformed' });
    expect(syncError(() => decodeColumn([2, 1, [1, 2, 1, 2]], 3, 'c'))).toMatchObject({ kind: 'malformed' }); // runs past n
    expect(syncError(() => decodeColumn([2, 1, [1, 1e9]], 3, 'c'))).toMatchObject({ kind: 'malformed' });
    expect(syncError(() => decodeColumn([4, 1, [1, 2, 3, 4]], 3, 'c'))).toMatchObject({ kind: 'malformed' });
    expect(syncError(() => decodeColumn([1, 2 ** 52, [4, 4]], 2, 'c'))).toMatchObject({ kind: 'malformed' }); // beyond safe
  });
});

describe('other messages', () => {
  it('property: every uplink and downlink message round-trips, in its own direction only', () => {
    fc.assert(
      fc.property(uplink, (m) => {
        const bytes = encodeMessage(m);
        expect(decodeUplink(bytes)).toEqual(m);
        // a DCU speaks only v2: a v1 message is refused for its version before its kind
        expect(syncError(() => decodeDownlink(bytes)).kind).toBe(m.v === 1 ? 'unknown-version' : 'unknown-kind');
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(legacyAck, (m) => {
        const bytes = encodeMessage(m);
        expect(decodeMessage(bytes)).toEqual(m);
        expect(syncError(() => decodeDownlink(bytes)).kind).toBe('unknown-version');
      }),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(downlink, (m) => {
        const bytes = encodeMessage(m);
        expect(decodeDownlink(bytes)).toEqual(m);
        expect(syncError(() => decodeUplink(bytes)).kind).toBe('unknown-kind');
      }),
      { numRuns: 300 },
    );
  });

  it('free values keep bigint, bytes and odd keys, in a deterministic order', () => {
    const outcome = { b: 1, a: [2n, new Uint8Array([9])], '10': 'x', '2': null, ['__proto__']: { deep: true } }; // an own '__proto__'
    const msg = { v: 2 as const, kind: 'result' as const, dcu: 'd', id: 'c-1', status: 'done' as const, at: 5, outcome };
    const back = decodeMessage(encodeMessage(msg)) as typeof msg;
    expect(back).toEqual(msg);
    expect(Object.getPrototypeOf(back.outcome)).toBe(Object.prototype);
    const reordered = { ...msg, outcome: { ['__proto__']: { deep: true }, '2': null, a: outcome.a, '10': 'x', b: 1 } };
    expect(hex(encodeMessage(reordered))).toBe(hex(encodeMessage(msg)));
  });
});

describe('version 2: epochs and signed acks', () => {
  // The first test's batch as a version 1 DCU wrote it (before epochs): these bytes stay valid.
  const V1_SMALL =
    '92' + '01' + '01' + '68' + hex(new TextEncoder().encode('dcu-0001')) + '07' + '04' +
    '82' + '66' + hex(new TextEncoder().encode('LGZ001')) + '66' + hex(new TextEncoder().encode('LGZ002')) +
    '81fb42700010800ff000' + '83011a0036ee8084' + '1a00077ee0' + '000100' + '830401820001' +
    '00' + '02' + '181e' + '00' + '00' + '00' + '00' + '00' + '84' + '1903e8' + '191388' + '18fa' + '18fa';
  const ack: AckMessage = { v: 2, kind: 'ack', dcu: 'dcu-0001', epoch: EPOCH, stream: 'events', upTo: 41, resend: [[43, 44]] };
  const status: StatusMessage = { v: 2, kind: 'status', dcu: 'dcu-0001', epoch: EPOCH, state: 'online', at: t0, backlog: { readings: 2 } };

  it('batches, status and acks carry the epoch; an ack its signature', () => {
    expect(decodeUplink(encodeMessage(status))).toEqual(status);
    expect(decodeDownlink(encodeMessage(ack))).toEqual(ack);
    const signed: AckMessage = { ...ack, signature: { keyId: 'cloud-1', bytes: new Uint8Array(64).fill(7) } };
    expect(decodeDownlink(encodeMessage(signed))).toEqual(signed);
    expect(decodeCbor(encodeMessage(ack))).toEqual([2, 5, 'dcu-0001', EPOCH, 'events', 41, [[43, 44]], null, null]);
    expect(decodeUplink(encodeMessage({ ...small, epoch: '' }))).toMatchObject({ v: 2, epoch: '' }); // a database from before epochs
  });

  it('a v1 batch (a DCU not yet upgraded) decodes as the legacy epoch; a DCU refuses v1', () => {
    const bytes = fromHex(V1_SMALL);
    expect(decodeUplink(bytes)).toEqual({ ...small, v: 1, epoch: '' });
    expect(hex(encodeMessage({ ...small, v: 1, epoch: '' }))).toBe(V1_SMALL); // and the cloud can write v1 for it
    const v1Status = encodeCbor([1, 3, 'dcu-0001', 'online', t0, null, 'dcu 0.1.0']);
    expect(decodeUplink(v1Status)).toEqual({ v: 1, kind: 'status', dcu: 'dcu-0001', epoch: '', state: 'online', at: t0, software: 'dcu 0.1.0' });
    const v1Ack: AckMessage = { v: 1, kind: 'ack', dcu: 'dcu-0001', epoch: '', stream: 'readings', upTo: 3 };
    expect(decodeCbor(encodeMessage(v1Ack))).toEqual([1, 5, 'dcu-0001', 'readings', 3, null]); // exactly what a v1 DCU reads
    expect(syncError(() => decodeDownlink(encodeMessage(v1Ack)))).toMatchObject({ kind: 'unknown-version', where: 'v' });
    // commands exist in version 2 only
    expect(syncError(() => decodeMessage(encodeCbor([1, 6, 'k', new Uint8Array(64), []])))).toMatchObject({ kind: 'unknown-version' });
  });

  it('a v1 message cannot carry an epoch or a signature', () => {
    expect(syncError(() => encodeMessage({ ...small, v: 1 }))).toMatchObject({ kind: 'invalid', where: 'epoch' });
    const signedV1: AckMessage = { ...ack, v: 1, epoch: '', signature: { keyId: 'k', bytes: new Uint8Array(64) } };
    expect(syncError(() => encodeMessage(signedV1))).toMatchObject({ kind: 'invalid', where: 'signature' });
  });

  it('a bad epoch is refused by name, on decoding and on encoding', () => {
    const withEpoch = (e: unknown): Uint8Array => {
      const f = decodeCbor(encodeMessage(small)) as unknown[];
      f[3] = e;
      return encodeCbor(f);
    };
    const cases: [unknown, RegExp][] = [
      [42, /expected text/], [null, /expected text/], [new Uint8Array(16), /expected text/], [['x'], /expected text/],
      [EPOCH.slice(1), /got 31 characters/], [`${EPOCH}0`, /got 33 characters/], ['x', /got 1 characters/],
      [EPOCH.toUpperCase(), /lowercase hex/], [`${EPOCH.slice(0, 31)}g`, /lowercase hex/], [`${EPOCH.slice(0, 31)} `, /lowercase hex/],
    ];
    for (const [value, message] of cases) {
      const e = syncError(() => decodeUplink(withEpoch(value)));
      expect(e, String(value)).toMatchObject({ kind: 'malformed', where: 'epoch' });
      expect(e.message).toMatch(message);
    }
    expect(syncError(() => encodeMessage({ ...small, epoch: 'ABC' }))).toMatchObject({ kind: 'invalid', where: 'epoch' });
    expect(syncError(() => encodeMessage({ ...ack, epoch: undefined as unknown as string }))).toMatchObject({ kind: 'invalid', where: 'epoch' });
  });

  it('half a signature is malformed', () => {
    const f = decodeCbor(encodeMessage(ack)) as unknown[];
    expect(syncError(() => decodeDownlink(encodeCbor([...f.slice(0, 7), 'cloud-1', null])))).toMatchObject({ kind: 'malformed', where: 'signature.bytes' });
    expect(syncError(() => decodeDownlink(encodeCbor([...f.slice(0, 7), null, new Uint8Array(64)])))).toMatchObject({ kind: 'malformed', where: 'signature.keyId' });
    expect(syncError(() => decodeDownlink(encodeCbor([...f.slice(0, 7), 'cloud-1', new Uint8Array(63)])))).toMatchObject({ kind: 'malformed', where: 'signature.bytes' });
  });
});

describe('untrusted bytes', () => {
  it('unknown version and kind are typed errors', () => {
    expect(syncError(() => decodeMessage(encodeCbor([3, 1, 'x'])))).toMatchObject({ kind: 'unknown-version' });
    // a newer peer may use CBOR we refuse; its version is still recognised first
    expect(syncError(() => decodeMessage(fromHex('9f03ff')))).toMatchObject({ kind: 'malformed' });
    expect(syncError(() => decodeMessage(fromHex('8303d90103a0')))).toMatchObject({ kind: 'unknown-version' });
    expect(syncError(() => decodeMessage(encodeCbor([1, 42])))).toMatchObject({ kind: 'unknown-kind', where: 'kind' });
    expect(syncError(() => decodeMessage(encodeCbor([1, 'readings'])))).toMatchObject({ kind: 'unknown-kind' });
  });

  it('refuses what could allocate, recurse or construct', () => {
    const cases: [string, string][] = [
      ['9b00000000ffffffff01', 'array claiming 2^32 items'],
      ['5a7fffffff00', 'byte string claiming 2 GB'],
      ['9f0102ff', 'indefinite array'],
      ['d81c01', 'tag 28 (shared reference)'],
      ['d9010400', 'tag 260'],
      ['c4820102', 'decimal fraction tag'],
      ['f7', 'undefined'],
      ['f814', 'simple value in two bytes'],
      ['0102', 'trailing bytes'],
      ['', 'nothing'],
      ['1c', 'reserved additional info'],
      ['81'.repeat(10_000) + '00', 'deep nesting'],
    ];
    for (const [h, what] of cases) {
      const e = syncError(() => decodeMessage(fromHex(h)));
      expect(e.kind, what).toBe('malformed');
    }
    expect(syncError(() => decodeMessage(new Uint8Array(5 * 2 ** 20))).kind).toBe('too-large');
    expect(syncError(() => decodeMessage('not bytes' as unknown as Uint8Array)).kind).toBe('malformed');
  });

  it('names the field that is wrong', () => {
    const good = encodeMessage(small);
    const fields = (decodeCbor(good) as unknown[]).slice();
    fields[5] = 5; // n ≠ number of values
    expect(syncError(() => decodeMessage(encodeCbor(fields)))).toMatchObject({ kind: 'malformed', where: 'readings.n' });
    const f2 = (decodeCbor(good) as unknown[]).slice();
    f2[9] = [0, 1, [0, 1, 0, 5]]; // meter index 5 of 2
    expect(syncError(() => decodeMessage(encodeCbor(f2)))).toMatchObject({ kind: 'malformed', where: 'readings.meter[3]' });
  });

  it('property: arbitrary bytes give a message or a SyncError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => valueOrSyncError(b)), { numRuns: 3000 });
    // well-formed CBOR that starts like a message, with random fields
    const field = fc.oneof(fc.integer({ min: -5, max: 70 }), fc.string({ maxLength: 3 }), fc.constant(null),
      fc.array(fc.oneof(fc.integer({ min: -2, max: 6 }), fc.array(fc.integer({ min: -1, max: 4 }), { maxLength: 6 })), { maxLength: 6 }));
    const frame = fc.tuple(fc.constantFrom(1, 2), fc.integer({ min: 0, max: 7 }), fc.array(fc.oneof(field, epoch), { minLength: 2, maxLength: 19 }))
      .map(([v, k, f]) => encodeCbor([v, k, ...f]));
    fc.assert(fc.property(frame, (b) => valueOrSyncError(b)), { numRuns: 3000 });
  });

  it('a batch of more readings than a batch may hold is too large, whatever its size in bytes', () => {
    const n = 100_001; // every column constant, every value null: 100 KB of input
    const columns = [n, ['m'], ['x'], 0, 0, 0, 2, 0, 0, 0, 0, 0, 5, new Array(n).fill(null)];
    expect(syncError(() => decodeMessage(encodeCbor([1, 1, 'd', 1, ...columns])))).toMatchObject({ kind: 'too-large', where: 'readings' });
    expect(syncError(() => decodeMessage(encodeCbor([2, 1, 'd', EPOCH, 1, ...columns])))).toMatchObject({ kind: 'too-large', where: 'readings' });
  });

  it('property: a readings batch with one field replaced gives a batch or a SyncError', () => {
    const fieldValue = fc.oneof(fc.integer({ min: -3, max: 60 }), fc.constant(null), fc.string({ maxLength: 2 }), fc.maxSafeInteger(),
      fc.array(fc.oneof(fc.integer({ min: -3, max: 10 }), fc.array(fc.integer({ min: -2, max: 5 }), { maxLength: 12 }), fc.constant(null)), { maxLength: 4 }));
    fc.assert(
      fc.property(readingsBatch, fc.nat(), fieldValue, (b, at, value) => {
        const f = decodeCbor(encodeMessage(b)) as unknown[];
        f[2 + (at % (f.length - 2))] = value;
        valueOrSyncError(encodeCbor(f));
      }),
      { numRuns: 3000 },
    );
  });

  it('property: mutated messages give a message or a SyncError', () => {
    const mutation = fc.array(fc.tuple(fc.constantFrom('flip', 'insert', 'delete', 'truncate'), fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(fc.oneof(uplink, downlink), mutation, (m, ops) => {
        let b = Array.from(encodeMessage(m));
        for (const [op, at, byte] of ops) {
          const i = at % (b.length + 1);
          if (op === 'flip') b[i % b.length] ^= 1 << byte % 8;
          else if (op === 'insert') b.splice(i, 0, byte);
          else if (op === 'delete') b.splice(i % b.length, 1);
          else b = b.slice(0, i);
          if (b.length === 0) b = [byte];
        }
        valueOrSyncError(Uint8Array.from(b));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('topics', () => {
  it('parse back what Topics builds', () => {
    expect(parseTopic(Topics.readings('dcu-0001'))).toEqual({ dcu: 'dcu-0001', name: 'readings' });
    expect(parseTopic(`$share/cloud/${Topics.status('d7')}`)).toEqual({ dcu: 'd7', name: 'status' });
    expect(parseTopic(Topics.commands('d7'))).toEqual({ dcu: 'd7', name: 'commands' });
    expect(parseTopic('dcu/d7/up/other')).toBeNull();
    expect(parseTopic('dcu/+/up/readings')).toBeNull();
    expect(parseTopic('meters/d7/up/readings')).toBeNull();
  });
});
