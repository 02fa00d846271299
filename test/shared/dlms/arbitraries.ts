// fast-check generators for COSEM data, shared by the A-XDR and date-time tests.
import fc from 'fast-check';
import type { CosemData, TypeDescription } from '../../../shared/dlms/data.js';
import type { CosemDate, CosemDateTime, CosemTime } from '../../../shared/dlms/datetime.js';

const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(a, { nil: null, freq: 5 });
const byteIn = (min: number, max: number) => fc.integer({ min, max });

export const cosemDate: fc.Arbitrary<CosemDate> = fc.record({
  year: opt(byteIn(0, 0xfffe)),
  month: opt(fc.oneof(byteIn(1, 12), fc.constantFrom(0xfd, 0xfe))),
  dayOfMonth: opt(fc.oneof(byteIn(1, 31), fc.constantFrom(0xfd, 0xfe))),
  dayOfWeek: opt(byteIn(1, 7)),
});

export const cosemTime: fc.Arbitrary<CosemTime> = fc.record({
  hour: opt(byteIn(0, 23)),
  minute: opt(byteIn(0, 59)),
  second: opt(byteIn(0, 59)),
  hundredths: opt(byteIn(0, 99)),
});

export const cosemDateTime: fc.Arbitrary<CosemDateTime> = fc
  .tuple(cosemDate, cosemTime, opt(byteIn(-840, 840)), opt(byteIn(0, 0xfe)))
  .map(([d, t, deviation, clockStatus]) => ({ ...d, ...t, deviation, clockStatus }));

const bitString = fc.integer({ min: 0, max: 70 }).chain((length) =>
  fc.uint8Array({ minLength: Math.ceil(length / 8), maxLength: Math.ceil(length / 8) }).map((bytes) => ({ length, bytes })),
);

const latin1 = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 20 });

/** Simple types that occupy bytes (allowed inside compact-array). */
const sizedSimple = {
  boolean: fc.boolean().map((value): CosemData => ({ type: 'boolean', value })),
  'bit-string': bitString.map((value): CosemData => ({ type: 'bit-string', value })),
  'double-long': fc.integer({ min: -0x80000000, max: 0x7fffffff }).map((value): CosemData => ({ type: 'double-long', value })),
  'double-long-unsigned': fc.integer({ min: 0, max: 0xffffffff }).map((value): CosemData => ({ type: 'double-long-unsigned', value })),
  'octet-string': fc.uint8Array({ maxLength: 140 }).map((value): CosemData => ({ type: 'octet-string', value })),
  'visible-string': latin1.map((value): CosemData => ({ type: 'visible-string', value })),
  'utf8-string': fc.string({ unit: 'grapheme', maxLength: 10 }).map((value): CosemData => ({ type: 'utf8-string', value })),
  bcd: byteIn(0, 255).map((value): CosemData => ({ type: 'bcd', value })),
  integer: byteIn(-128, 127).map((value): CosemData => ({ type: 'integer', value })),
  long: byteIn(-32768, 32767).map((value): CosemData => ({ type: 'long', value })),
  unsigned: byteIn(0, 255).map((value): CosemData => ({ type: 'unsigned', value })),
  'long-unsigned': byteIn(0, 65535).map((value): CosemData => ({ type: 'long-unsigned', value })),
  long64: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }).map((value): CosemData => ({ type: 'long64', value })),
  'long64-unsigned': fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((value): CosemData => ({ type: 'long64-unsigned', value })),
  enum: byteIn(0, 255).map((value): CosemData => ({ type: 'enum', value })),
  float32: fc.float().map((value): CosemData => ({ type: 'float32', value })),
  float64: fc.double().map((value): CosemData => ({ type: 'float64', value })),
  'date-time': cosemDateTime.map((value): CosemData => ({ type: 'date-time', value })),
  date: cosemDate.map((value): CosemData => ({ type: 'date', value })),
  time: cosemTime.map((value): CosemData => ({ type: 'time', value })),
};
type SizedSimpleType = keyof typeof sizedSimple;
const sizedSimpleTypes = Object.keys(sizedSimple) as SizedSimpleType[];

export const simpleData: fc.Arbitrary<CosemData> = fc.oneof(
  ...Object.values(sizedSimple),
  fc.constant<CosemData>({ type: 'null-data' }),
  fc.constant<CosemData>({ type: 'dont-care' }),
);

/** Descriptions whose every part occupies at least one byte. */
export const typeDescription: fc.Arbitrary<TypeDescription> = fc.letrec<{ desc: TypeDescription }>((tie) => ({
  desc: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...sizedSimpleTypes).map((type): TypeDescription => ({ type })),
    fc.record({ count: fc.integer({ min: 1, max: 3 }), element: tie('desc') })
      .map(({ count, element }): TypeDescription => ({ type: 'array', count, element })),
    fc.array(tie('desc'), { minLength: 1, maxLength: 4 }).map((fields): TypeDescription => ({ type: 'structure', fields })),
  ),
})).desc;

export function dataOfType(desc: TypeDescription): fc.Arbitrary<CosemData> {
  switch (desc.type) {
    case 'array':
      return fc.array(dataOfType(desc.element), { minLength: desc.count, maxLength: desc.count })
        .map((value): CosemData => ({ type: 'array', value }));
    case 'structure':
      return fc.tuple(...desc.fields.map(dataOfType)).map((value): CosemData => ({ type: 'structure', value }));
    default:
      return sizedSimple[desc.type as SizedSimpleType];
  }
}

export const compactArray: fc.Arbitrary<CosemData> = typeDescription.chain((description) =>
  fc.array(dataOfType(description), { maxLength: 4 })
    .map((elements): CosemData => ({ type: 'compact-array', value: { description, elements } })),
);

export const cosemData: fc.Arbitrary<CosemData> = fc.letrec<{ data: CosemData }>((tie) => ({
  data: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    simpleData,
    fc.array(tie('data'), { maxLength: 5 }).map((value): CosemData => ({ type: 'array', value })),
    fc.array(tie('data'), { maxLength: 5 }).map((value): CosemData => ({ type: 'structure', value })),
    compactArray,
  ),
})).data;
