import fc from 'fast-check';
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { hex } from '../../../shared/bytes.js';
import { decodeCbor, encodeCbor } from '../../../shared/sync/cbor.js';
import { SyncError } from '../../../shared/sync/errors.js';
import { boxKeyPairFromSeed, openSealed, sealForDcu, type MeterKeys } from '../../../shared/sync/sealed.js';

const seedOf = (b: number): Uint8Array => new Uint8Array(32).fill(b);
const cloud = boxKeyPairFromSeed(seedOf(1));
const dcu1 = boxKeyPairFromSeed(seedOf(2));
const dcu2 = boxKeyPairFromSeed(seedOf(3));
const nonce = Uint8Array.from({ length: 24 }, (_, i) => i);

const keys: MeterKeys = {
  dcu: 'dcu-0001', meter: 'LGZ001', clientSap: 1,
  ek: Uint8Array.from({ length: 16 }, (_, i) => 0xe0 + i), ak: Uint8Array.from({ length: 16 }, (_, i) => 0xd0 + i), password: 'ABCDEFGH',
};

function cannotOpen(f: () => unknown): SyncError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SyncError);
    expect((e as SyncError).kind).toBe('cannot-open');
    return e as SyncError;
  }
  throw new Error('expected SyncError(cannot-open), got a value');
}

describe('sealed key transfer', () => {
  it('box key pairs are tweetnacl key pairs', () => {
    const kp = nacl.box.keyPair.fromSecretKey(seedOf(2));
    expect(hex(dcu1.publicKey)).toBe(hex(kp.publicKey));
    expect(hex(dcu1.secretKey)).toBe(hex(seedOf(2)));
  });

  it('the DCU it is sealed for opens it', () => {
    const sealed = sealForDcu(keys, dcu1.publicKey, cloud.secretKey, nonce);
    expect(sealed.length).toBeLessThan(140);
    expect(hex(sealed)).not.toContain(hex(keys.ek!)); // the keys do not travel in clear
    expect(openSealed(sealed, cloud.publicKey, dcu1.secretKey, 'dcu-0001')).toEqual(keys);
    const minimal: MeterKeys = { dcu: 'dcu-0001', meter: 'M', clientSap: 17, password: new Uint8Array([1, 2, 3]) };
    expect(openSealed(sealForDcu(minimal, dcu1.publicKey, cloud.secretKey, nonce), cloud.publicKey, dcu1.secretKey, 'dcu-0001')).toEqual(minimal);
  });

  it('is what tweetnacl opens, too (plain nacl.box underneath)', () => {
    const [, , n, box] = decodeCbor(sealForDcu(keys, dcu1.publicKey, cloud.secretKey, nonce)) as [number, number, Uint8Array, Uint8Array];
    const inner = nacl.box.open(box, n, cloud.publicKey, dcu1.secretKey);
    expect(inner).not.toBeNull();
    expect((decodeCbor(inner!) as unknown[]).slice(2, 5)).toEqual(['dcu-0001', 'LGZ001', 1]);
  });

  it('another DCU key cannot open it', () => {
    const sealed = sealForDcu(keys, dcu1.publicKey, cloud.secretKey, nonce);
    expect(cannotOpen(() => openSealed(sealed, cloud.publicKey, dcu2.secretKey, 'dcu-0001')).where).toBe('box');
  });

  it('a blob not sealed by the cloud key is refused', () => {
    const forged = sealForDcu(keys, dcu1.publicKey, boxKeyPairFromSeed(seedOf(9)).secretKey, nonce);
    expect(cannotOpen(() => openSealed(forged, cloud.publicKey, dcu1.secretKey, 'dcu-0001')).where).toBe('box');
  });

  it('a blob for another DCU is refused even when it opens (keys mixed up)', () => {
    const forDcu2 = sealForDcu({ ...keys, dcu: 'dcu-0002' }, dcu1.publicKey, cloud.secretKey, nonce);
    const e = cannotOpen(() => openSealed(forDcu2, cloud.publicKey, dcu1.secretKey, 'dcu-0001'));
    expect(e.where).toBe('dcu');
    expect(e.message).toContain('dcu-0002');
  });

  it('any change to the blob is refused', () => {
    const sealed = sealForDcu(keys, dcu1.publicKey, cloud.secretKey, nonce);
    for (let i = 0; i < sealed.length; i++) {
      const t = new Uint8Array(sealed);
      t[i] ^= 0x40;
      cannotOpen(() => openSealed(t, cloud.publicKey, dcu1.secretKey, 'dcu-0001'));
    }
    cannotOpen(() => openSealed(sealed.subarray(0, sealed.length - 1), cloud.publicKey, dcu1.secretKey, 'dcu-0001'));
    cannotOpen(() => openSealed(encodeCbor([2, 8, nonce, new Uint8Array(40)]), cloud.publicKey, dcu1.secretKey, 'dcu-0001'));
    cannotOpen(() => openSealed(sealed, cloud.publicKey, new Uint8Array(5), 'dcu-0001'));
  });

  it('refuses to seal what does not fit', () => {
    const invalid = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        return e instanceof SyncError ? `${e.kind} ${e.where}` : 'other';
      }
      return 'sealed';
    };
    expect(invalid(() => sealForDcu(keys, dcu1.publicKey, cloud.secretKey, new Uint8Array(12)))).toBe('invalid nonce');
    expect(invalid(() => sealForDcu({ ...keys, ek: new Uint8Array(15) }, dcu1.publicKey, cloud.secretKey, nonce))).toBe('invalid ek');
    expect(invalid(() => sealForDcu({ ...keys, clientSap: 300 }, dcu1.publicKey, cloud.secretKey, nonce))).toBe('invalid clientSap');
    expect(invalid(() => sealForDcu(keys, new Uint8Array(31), cloud.secretKey, nonce))).toBe('invalid dcuBoxPublicKey');
  });

  it('property: any bytes are refused with cannot-open, never another exception', () => {
    const sealed = sealForDcu(keys, dcu1.publicKey, cloud.secretKey, nonce);
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([at, x]) => {
        const t = new Uint8Array(sealed);
        t[at % t.length] ^= x;
        return t;
      }),
    );
    fc.assert(fc.property(bytes, (b) => void cannotOpen(() => openSealed(b, cloud.publicKey, dcu1.secretKey, 'dcu-0001'))), { numRuns: 1000 });
  });
});
