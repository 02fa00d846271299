// The cipher constants in tables.ts are copied from the standards; they must
// equal vectors/sts-tables.json entry for entry.
import { describe, expect, it } from 'vitest';
import * as tables from '../../../shared/sts/tables.js';
import { readVectorFile } from './helpers.js';

const json = readVectorFile('sts-tables.json');

describe('STS constant tables', () => {
  it.each([
    ['EA07_ENCRYPT_SUBSTITUTION_1', json.ea07.encryptSubstitution1],
    ['EA07_ENCRYPT_SUBSTITUTION_2', json.ea07.encryptSubstitution2],
    ['EA07_DECRYPT_SUBSTITUTION_1', json.ea07.decryptSubstitution1],
    ['EA07_DECRYPT_SUBSTITUTION_2', json.ea07.decryptSubstitution2],
    ['EA07_ENCRYPT_PERMUTATION', json.ea07.encryptPermutation],
    ['EA07_DECRYPT_PERMUTATION', json.ea07.decryptPermutation],
    ['MISTY1_S7', json.misty1.S7],
    ['MISTY1_S9', json.misty1.S9],
  ] as const)('%s equals sts-tables.json', (name, expected) => {
    expect((tables as Record<string, readonly number[]>)[name]).toEqual(expected);
  });

  it('the decryption tables invert the encryption tables', () => {
    const { EA07_ENCRYPT_SUBSTITUTION_1: s1, EA07_ENCRYPT_SUBSTITUTION_2: s2, EA07_DECRYPT_SUBSTITUTION_1: d1, EA07_DECRYPT_SUBSTITUTION_2: d2 } = tables;
    for (let x = 0; x < 16; x++) {
      expect(d2[s1[x]!]).toBe(x); // box 1 is undone by decryption box 2 …
      expect(d1[s2[x]!]).toBe(x); // … and box 2 by decryption box 1
    }
    for (let i = 0; i < 64; i++) expect(tables.EA07_DECRYPT_PERMUTATION[tables.EA07_ENCRYPT_PERMUTATION[i]!]).toBe(i);
  });
});
