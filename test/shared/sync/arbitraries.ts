// fast-check generators for sync messages (version 2, and the version 1 messages the cloud
// still takes, epoch ''), and a realistic load-profile batch.
import fc from 'fast-check';
import type {
  AckMessage, CommandBody, DownlinkMessage, EventsBatch, ReadingsBatch, ResultMessage, SignedCommand, StatusMessage,
  SyncReading, UplinkMessage,
} from '../../../shared/sync/messages.js';
import { COMMAND_KINDS } from '../../../shared/sync/messages.js';
import { seededRandom } from '../../../simulators/meter/transport/faults.js';

// -0 travels as 0 (as in JSON); CBOR via cbor-x cannot tell them apart for integers.
const double = fc.double().map((x) => (Object.is(x, -0) ? 0 : x));
const text = fc.string({ maxLength: 12 });
const safe = fc.maxSafeInteger();

/** Free values: what params, details and outcome may hold. */
export const freeValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { maxDepth: 4 },
    fc.constant(null), fc.boolean(), fc.integer(), safe, double, fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }), text,
    fc.uint8Array({ maxLength: 8 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(text, tie('value'), { maxKeys: 4 }),
  ),
})).value;
export const freeRecord = fc.dictionary(text, freeValue, { maxKeys: 4 });

const obis = fc.oneof(
  fc.constantFrom('1.0.1.8.0.255', '1.0.2.8.0.255', '0.0.1.0.0.255', '1.0.99.1.0.255'),
  fc.tuple(...Array.from({ length: 6 }, () => fc.integer({ min: 0, max: 255 }))).map((g) => g.join('.')),
  fc.constantFrom('1.0.1.8.0.256', '01.0.1.8.0.255', '1-0:1.8.0*255', ''), // not canonical: travel as text
);

export const reading: fc.Arbitrary<SyncReading> = fc.record({
  ts: fc.oneof(safe, fc.integer({ min: 0, max: 1000 }).map((h) => Date.UTC(2026, 0, 1) + h * 3_600_000)),
  meter: fc.oneof(fc.constantFrom('LGZ001', 'LGZ002', 'ISK-7'), text),
  obis,
  attribute: fc.oneof(fc.constantFrom(2, 3), fc.integer({ min: -128, max: 255 }), safe),
  value: fc.oneof(
    fc.integer({ min: 0, max: 100_000_000 }), safe, double,
    fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
    text, fc.uint8Array({ maxLength: 12 }), fc.constant(null),
  ),
  unit: fc.option(fc.oneof(fc.integer({ min: 0, max: 255 }), safe), { nil: null }),
  scaler: fc.option(fc.oneof(fc.integer({ min: -128, max: 127 }), safe), { nil: null }),
  status: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 255 }), safe),
  source: fc.constantFrom('scheduled', 'recollected', 'on-demand', 'pushed'),
});

const dcu = fc.oneof(fc.constantFrom('dcu-0001', 'dcu-0002'), text);
const seq = fc.nat({ max: Number.MAX_SAFE_INTEGER });

/** A database epoch: mostly random 16 bytes as hex, sometimes the legacy ''. */
export const epoch = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('hex')) },
  { weight: 1, arbitrary: fc.constant('') },
);
/** v2 with any epoch, or v1 (which has no epoch: '' once decoded). */
const versioned = fc.oneof(
  { weight: 3, arbitrary: fc.record({ v: fc.constant(2 as const), epoch }) },
  { weight: 1, arbitrary: fc.constant({ v: 1 as const, epoch: '' }) },
);

export const readingsBatch: fc.Arbitrary<ReadingsBatch> = fc.tuple(versioned, fc.record({
  kind: fc.constant('readings' as const), dcu, seq, readings: fc.array(reading, { maxLength: 60 }),
})).map(([h, b]) => ({ ...h, ...b }));

const eventsBatch: fc.Arbitrary<EventsBatch> = fc.tuple(versioned, fc.record({
  kind: fc.constant('events' as const), dcu, seq,
  events: fc.array(fc.record({ id: safe, ts: safe, meter: fc.option(text, { nil: null }), kind: text, severity: text, details: freeRecord }), { maxLength: 5 }),
})).map(([h, b]) => ({ ...h, ...b }));

const status: fc.Arbitrary<StatusMessage> = fc.tuple(versioned, fc.record(
  {
    kind: fc.constant('status' as const), dcu, state: fc.constantFrom('online', 'offline'), at: safe,
    backlog: fc.record({ readings: fc.nat(), events: fc.nat() }, { requiredKeys: [] }), software: text,
  },
  { requiredKeys: ['kind', 'dcu', 'state', 'at'] },
)).map(([h, b]) => ({ ...h, ...b }));

const result: fc.Arbitrary<ResultMessage> = fc.record({
  v: fc.constantFrom(1 as const, 2 as const), kind: fc.constant('result' as const), dcu, id: text, status: fc.constantFrom('done', 'failed', 'refused'),
  at: safe, outcome: freeRecord,
});

/** A v2 ack (what a DCU takes), signed with random bytes or not. */
export const ack: fc.Arbitrary<AckMessage> = fc.record(
  {
    v: fc.constant(2 as const), kind: fc.constant('ack' as const), dcu, epoch, stream: fc.constantFrom('readings', 'events'), upTo: seq,
    resend: fc.array(fc.tuple(fc.nat(), fc.nat()).map(([a, b]): [number, number] => [Math.min(a, b), Math.max(a, b)]), { maxLength: 4 }),
    signature: fc.record({ keyId: text, bytes: fc.uint8Array({ minLength: 64, maxLength: 64 }) }),
  },
  { requiredKeys: ['v', 'kind', 'dcu', 'epoch', 'stream', 'upTo'] },
);

/** The ack the cloud sends a v1 DCU: no epoch, no signature. */
export const legacyAck: fc.Arbitrary<AckMessage> = ack.map(({ signature: _s, ...a }) => ({ ...a, v: 1 as const, epoch: '' }));

export const commandBody: fc.Arbitrary<CommandBody> = fc.record({
  v: fc.constant(2 as const), kind: fc.constant('command' as const), id: text, dcu, seq, issuedAt: safe, notAfter: safe,
  command: fc.constantFrom(...COMMAND_KINDS), params: freeRecord,
});

const signedCommand: fc.Arbitrary<SignedCommand> = fc.record({
  body: commandBody, keyId: text, signature: fc.uint8Array({ minLength: 64, maxLength: 64 }),
});

export const uplink: fc.Arbitrary<UplinkMessage> = fc.oneof(readingsBatch, eventsBatch, status, result);
export const downlink: fc.Arbitrary<DownlinkMessage> = fc.oneof(ack, signedCommand);

/**
 * Hourly load profile as a DCU sends it: `meters` meters × import/export registers (Wh,
 * cumulative) × `hours`, ordered by (ts, meter, obis) or (meter, ts, obis).
 */
export function loadProfileBatch(o: { meters: number; hours: number; order: 'ts' | 'meter'; bigint?: boolean; seed?: number }): ReadingsBatch {
  const rnd = seededRandom(o.seed ?? 1); // deterministic: the realistic batch is the same on every run
  const t0 = Date.UTC(2026, 2, 10, 0, 0, 0);
  const serials = Array.from({ length: o.meters }, (_, m) => `LGZ${String(91_000_000 + m * 37).padStart(10, '0')}`);
  const totals = serials.map(() => [Math.floor(1e6 + rnd() * 9e7), Math.floor(rnd() * 1e6)]);
  const rows: SyncReading[][][] = serials.map(() => []); // [meter][hour] → 2 readings
  for (let h = 0; h < o.hours; h++) {
    serials.forEach((meter, m) => {
      totals[m][0] += Math.floor(rnd() * 3000);
      if (rnd() < 0.3) totals[m][1] += Math.floor(rnd() * 800);
      rows[m][h] = (['1.0.1.8.0.255', '1.0.2.8.0.255'] as const).map((obisCode, r) => ({
        ts: t0 + h * 3_600_000, meter, obis: obisCode, attribute: 2,
        value: o.bigint ? BigInt(totals[m][r]) : totals[m][r], unit: 30, scaler: 0, status: 0, source: 'scheduled' as const,
      }));
    });
  }
  const readings: SyncReading[] = [];
  if (o.order === 'ts') for (let h = 0; h < o.hours; h++) for (let m = 0; m < o.meters; m++) readings.push(...rows[m][h]);
  else for (let m = 0; m < o.meters; m++) for (let h = 0; h < o.hours; h++) readings.push(...rows[m][h]);
  return { v: 2, kind: 'readings', dcu: 'dcu-0001', epoch: '0123456789abcdef0123456789abcdef', seq: 1234, readings };
}
