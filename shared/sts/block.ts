// The 64-bit data block of each token type (IEC 62055-41 §6.3), MSB → LSB,
// CRC always in bits 15..0. Fields here are the raw bit fields; turning amounts
// into kWh, TIDs into dates and key halves into keys happens in token.ts.
//
//   credit (0/x), management (2/0,1,2,5,6,7):
//                 Subclass(4) ‖ RND(4) ‖ TID(24) ‖ Amount/Value(16) ‖ CRC(16)
//   test 1/0:     Subclass(4) ‖ Control(36) ‖ MfrCode(8) ‖ CRC(16)
//   test 1/1:     Subclass(4) ‖ Control(28) ‖ MfrCode(16) ‖ CRC(16)
//   KCT 1st 2/3:  Subclass(4) ‖ KENHO(4) ‖ KRN(4) ‖ RO(1) ‖ Res(1) ‖ KT(2) ‖ NKHO(32) ‖ CRC(16)
//   KCT 2nd 2/4:  Subclass(4) ‖ KENLO(4) ‖ TI(8) ‖ NKLO(32) ‖ CRC(16)
//   KCT 3rd 2/8:  Subclass(4) ‖ SGCLO(12) ‖ NKMO2(32) ‖ CRC(16)
//   KCT 4th 2/9:  Subclass(4) ‖ SGCHO(12) ‖ NKMO1(32) ‖ CRC(16)
//   anything else: Subclass(4) ‖ Data(44) ‖ CRC(16), kept opaque.
import { crcMatches, withCrc } from './crc.js';
import { MANAGEMENT_SUBCLASSES } from './token-types.js';
import { field } from './uint64.js';

export interface TransferBlock {
  readonly layout: 'transfer';
  readonly tokenClass: 0 | 2;
  readonly subclass: number;
  readonly rnd: number;
  readonly tid: number;
  /** The raw 16-bit amount/value field. */
  readonly value16: number;
}

export interface TestBlock {
  readonly layout: 'test';
  readonly tokenClass: 1;
  readonly subclass: 0 | 1;
  readonly control: bigint;
  readonly manufacturerCode: number;
}

export interface KeyChangeBlock {
  readonly layout: 'key-change';
  readonly tokenClass: 2;
  readonly section: 1 | 2 | 3 | 4;
  /** KENHO (1st section) or KENLO (2nd); 0 in 3rd/4th. */
  readonly kenNibble: number;
  /** 1st section only. */
  readonly keyRevisionNumber: number;
  readonly rollover: boolean;
  readonly reserved: number;
  readonly keyType: number;
  /** 2nd section: the tariff index as an 8-bit number. */
  readonly tariffIndex: number;
  /** 3rd section: SGCLO; 4th: SGCHO (12 bits each). */
  readonly supplyGroupCodePart: number;
  /** The 32 key bits this section carries. */
  readonly keyPart: number;
}

export interface OpaqueBlock {
  readonly layout: 'opaque';
  readonly tokenClass: number;
  readonly subclass: number;
  /** Bits 59..16. */
  readonly data: bigint;
}

export type BlockFields = TransferBlock | TestBlock | KeyChangeBlock | OpaqueBlock;

const SECTION_SUBCLASS = { 1: 3, 2: 4, 3: 8, 4: 9 } as const;

function put(value: number | bigint, from: number): bigint {
  return BigInt(value) << BigInt(from);
}

/** Fields → plain 64-bit block with its CRC. Field widths are the caller's job (token.ts checks them). */
export function buildBlock(f: BlockFields): bigint {
  let block: bigint;
  switch (f.layout) {
    case 'transfer':
      block = put(f.subclass, 60) | put(f.rnd, 56) | put(f.tid, 32) | put(f.value16, 16);
      break;
    case 'test':
      block = f.subclass === 0
        ? put(0, 60) | put(f.control, 24) | put(f.manufacturerCode, 16)
        : put(1, 60) | put(f.control, 32) | put(f.manufacturerCode, 16);
      break;
    case 'key-change': {
      block = put(SECTION_SUBCLASS[f.section], 60) | put(f.keyPart >>> 0, 16);
      if (f.section === 1) {
        block |= put(f.kenNibble, 56) | put(f.keyRevisionNumber, 52) | put(f.rollover ? 1 : 0, 51) | put(f.reserved, 50) | put(f.keyType, 48);
      } else if (f.section === 2) {
        block |= put(f.kenNibble, 56) | put(f.tariffIndex, 48);
      } else {
        block |= put(f.supplyGroupCodePart, 48);
      }
      break;
    }
    case 'opaque':
      block = put(f.subclass, 60) | (f.data << 16n);
      break;
  }
  return withCrc(f.tokenClass, block);
}

/** Plain block → fields, by class and subclass. Never throws: unknown types come back opaque. */
export function parseBlock(tokenClass: number, block: bigint): BlockFields {
  const subclass = field(block, 60, 4);
  if (tokenClass === 0 && subclass <= 7) {
    return { layout: 'transfer', tokenClass: 0, subclass, rnd: field(block, 56, 4), tid: field(block, 32, 24), value16: field(block, 16, 16) };
  }
  if (tokenClass === 2 && MANAGEMENT_SUBCLASSES.includes(subclass)) {
    return { layout: 'transfer', tokenClass: 2, subclass, rnd: field(block, 56, 4), tid: field(block, 32, 24), value16: field(block, 16, 16) };
  }
  if (tokenClass === 1 && (subclass === 0 || subclass === 1)) {
    return subclass === 0
      ? { layout: 'test', tokenClass: 1, subclass, control: BigInt(field(block, 24, 36)), manufacturerCode: field(block, 16, 8) }
      : { layout: 'test', tokenClass: 1, subclass, control: BigInt(field(block, 32, 28)), manufacturerCode: field(block, 16, 16) };
  }
  const section = tokenClass === 2 ? ({ 3: 1, 4: 2, 8: 3, 9: 4 } as const)[subclass as 3 | 4 | 8 | 9] : undefined;
  if (section !== undefined) {
    return {
      layout: 'key-change',
      tokenClass: 2,
      section,
      kenNibble: section <= 2 ? field(block, 56, 4) : 0,
      keyRevisionNumber: section === 1 ? field(block, 52, 4) : 0,
      rollover: section === 1 && field(block, 51, 1) === 1,
      reserved: section === 1 ? field(block, 50, 1) : 0,
      keyType: section === 1 ? field(block, 48, 2) : 0,
      tariffIndex: section === 2 ? field(block, 48, 8) : 0,
      supplyGroupCodePart: section >= 3 ? field(block, 48, 12) : 0,
      keyPart: field(block, 16, 32),
    };
  }
  return { layout: 'opaque', tokenClass, subclass, data: (block >> 16n) & ((1n << 44n) - 1n) };
}

export { crcMatches };
