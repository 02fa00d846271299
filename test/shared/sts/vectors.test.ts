// Every vector in vectors/sts.json, reproduced exactly: decoder keys, TIDs, plain
// blocks and token numbers, and each token decoded back to its block.
import { describe, expect, it } from 'vitest';
import {
  decodeToken,
  deriveDecoderKey,
  generateKeyChangeTokens,
  generateToken,
  keyParameters,
  meterIdentity,
  toHex,
  type GenerateTokenInput,
} from '../../../shared/sts/index.js';
import { readVectorFile } from './helpers.js';

interface Case {
  case: string;
  pan?: 'A' | 'B';
  decoder_key?: string;
  issued?: string;
  tid?: number;
  block?: string;
  token?: string;
  tokens?: string[];
}

const vectors = readVectorFile('sts.json');
const s02 = vectors.dkga02.setup;
const s04 = vectors.dkga04.setup;

const params02 = keyParameters({ keyType: s02.key_type, supplyGroupCode: s02.supply_group_code, tariffIndex: s02.tariff_index, keyRevisionNumber: s02.key_revision });
const meters02 = { A: meterIdentity({ iin: s02.pan_A.iin, drn: s02.pan_A.drn }), B: meterIdentity({ iin: s02.pan_B.iin, drn: s02.pan_B.drn }) };
const keys02 = {
  A: toHex(deriveDecoderKey({ keyDerivation: 'DKGA02', algorithm: 'EA07', vendingKey: s02.vending_key_dkga02, meter: meters02.A, keyParameters: params02 })),
  B: toHex(deriveDecoderKey({ keyDerivation: 'DKGA02', algorithm: 'EA07', vendingKey: s02.vending_key_dkga02, meter: meters02.B, keyParameters: params02 })),
};

/** What each dkga02 case asks for, keyed by the start of its description. */
function specOf(c: Case): Partial<GenerateTokenInput> {
  const rnd = /RND (\d+)/.exec(c.case)?.[1];
  const common = { rnd: rnd !== undefined ? Number(rnd) : s02.rnd, baseDate: 1993 };
  if (c.case.startsWith('CTSA01 step 1') || c.case.startsWith('CTSA01 step 2')) return { ...common, class: 0, subclass: 0, amount: 0.1 };
  if (c.case.startsWith('CTSA01 step 3')) return { ...common, class: 0, subclass: 1, amount: 0.1 };
  if (c.case.startsWith('CTSA03')) return { ...common, class: 2, subclass: 0, value: 1000 };
  if (c.case.startsWith('CTSA04 step 1')) return { ...common, class: 2, subclass: 1, value: 0xffff };
  if (c.case.startsWith('direct decoder key')) return { ...common, class: 0, subclass: 0, amount: 25.6 };
  if (c.case.startsWith('CTSA02 step 1')) return { class: 1, subclass: 0, control: (1n << 36n) - 1n, manufacturerCode: 0 };
  throw new Error(`no spec for vector '${c.case}' — every vector must be covered`);
}

describe('sts.json DKGA02 setup', () => {
  it.each(['A', 'B'] as const)('PAN %s: identity and decoder key', (p) => {
    expect(meters02[p].pan).toBe(s02[`pan_${p}`].pan);
    expect(keys02[p]).toBe(s02[`pan_${p}`].decoder_key);
  });
});

describe('sts.json DKGA02 + EA07 cases', () => {
  const cases: Case[] = vectors.dkga02.cases;

  for (const c of cases.filter((x) => x.tokens === undefined)) {
    it(c.case, () => {
      const decoderKey = c.decoder_key ?? (c.pan ? keys02[c.pan] : undefined);
      const input = { ...specOf(c), decoderKey, algorithm: 'EA07', ...(c.issued ? { issuedAt: Date.parse(c.issued) } : {}) } as GenerateTokenInput;
      const t = generateToken(input);
      expect(t.digits).toBe(c.token);
      if (c.block) expect(t.block.toString(16).padStart(16, '0')).toBe(c.block);
      if (c.tid !== undefined) expect(t.tid).toBe(c.tid);

      const d = decodeToken(c.token!, decoderKey, 'EA07');
      expect(d.crcOk).toBe(true);
      expect(d.block).toBe(t.block);
      expect(d.class).toBe(input.class);
      expect(d.subclass).toBe(input.subclass);
      if (c.issued) expect(d.issuedAt!.getTime()).toBe(Math.floor(Date.parse(c.issued) / 60_000) * 60_000);
    });
  }

  const kct = cases.find((x) => x.tokens !== undefined)!;
  it(kct.case, () => {
    // "new tariff index 02, new DK 060b8643c59a27f1, KEN 255, KRN 1, KT 2, RO 0"
    const newParams = keyParameters({ ...params02, tariffIndex: '02' });
    const newKey = toHex(deriveDecoderKey({ keyDerivation: 'DKGA02', algorithm: 'EA07', vendingKey: s02.vending_key_dkga02, meter: meters02.A, keyParameters: newParams }));
    expect(newKey).toBe('060b8643c59a27f1');
    const tokens = generateKeyChangeTokens({ decoderKey: keys02.A, algorithm: 'EA07', newDecoderKey: newKey, newKey: newParams, rollover: false });
    expect(tokens.map((t) => t.digits)).toEqual(kct.tokens);

    const [first, second] = kct.tokens!.map((digits) => decodeToken(digits, keys02.A, 'EA07'));
    expect(first!.keyChange).toEqual({ section: 1, keyExpiryNumberPart: 15, keyRevisionNumber: 1, rollover: false, keyType: 2, keyPart: '060b8643' });
    expect(second!.keyChange).toEqual({ section: 2, keyExpiryNumberPart: 15, tariffIndex: '02', keyPart: 'c59a27f1' });
  });
});

describe('sts.json DKGA04 cases', () => {
  const meter = meterIdentity({ pan: s04.pan });
  for (const c of vectors.dkga04.cases as Case[]) {
    it(c.case, () => {
      const algorithm = c.case.includes('EA11') ? 'EA11' : 'EA07';
      const params = keyParameters({ keyType: s04.key_type, supplyGroupCode: s04.supply_group_code, tariffIndex: s04.tariff_index, keyRevisionNumber: 1, baseDate: 1993 });
      const dk = toHex(deriveDecoderKey({ keyDerivation: 'DKGA04', algorithm, vendingKey: s04.vending_key_160, meter, keyParameters: params }));
      expect(dk).toBe(c.decoder_key);
      const t = generateToken({ class: 0, subclass: 0, amount: 0.1, rnd: s04.rnd, issuedAt: Date.parse(c.issued!), decoderKey: dk, algorithm });
      expect(t.digits).toBe(c.token);
      if (c.tid !== undefined) expect(t.tid).toBe(c.tid);
      const d = decodeToken(c.token!, dk, algorithm);
      expect(d).toMatchObject({ crcOk: true, class: 0, subclass: 0, transferUnits: 1, amount: 0.1, unit: 'kWh', rnd: 5 });
    });
  }
});

describe('sts.json coverage', () => {
  it('has the number of vectors this file was written for', () => {
    // If vectors are added, the spec table above must learn them.
    expect(vectors.dkga02.cases).toHaveLength(8);
    expect(vectors.dkga04.cases).toHaveLength(2);
  });
});
