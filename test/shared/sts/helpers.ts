// Shared by the STS tests: the vector files (outside the repo, in /work/shared)
// and key derivation from a compact key setup.
import { readFileSync } from 'node:fs';
import { deriveDecoderKey, keyParameters, meterIdentity, toHex } from '../../../shared/sts/index.js';
import type { KeySetup } from './published-vectors.js';

export function readVectorFile<T = any>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../../../shared/vectors/${name}`, import.meta.url), 'utf8')) as T;
}

export function keyOf(setup: KeySetup): string {
  return toHex(
    deriveDecoderKey({
      keyDerivation: setup.dkga,
      algorithm: setup.algorithm,
      vendingKey: setup.vendingKey,
      meter: meterIdentity({ pan: setup.pan }),
      keyParameters: keyParameters({ keyType: setup.kt, supplyGroupCode: setup.sgc, tariffIndex: setup.ti, keyRevisionNumber: setup.krn, baseDate: setup.baseDate }),
    }),
  );
}
