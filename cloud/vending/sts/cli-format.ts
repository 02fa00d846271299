// Output of the STS command-line tool: aligned "label  value" lines for people,
// and JSON (bigints as hex, dates as ISO) for scripts.
import type { DecodedToken } from '../../../shared/sts/decode.js';
import type { GeneratedToken } from '../../../shared/sts/generate.js';
import { groupDigits } from '../../../shared/sts/token-number.js';

export interface KeyInfo {
  decoderKey: string;
  algorithm: string;
  derivation?: string;
  pan?: string;
  baseDate: number;
}

function hex64(x: bigint): string {
  return x.toString(16).padStart(16, '0');
}

function minute(d: Date): string {
  return d.toISOString().replace(/:00\.000Z$/, 'Z');
}

function lines(rows: [string, string | undefined][]): string {
  return rows
    .filter((r): r is [string, string] => r[1] !== undefined)
    .map(([k, v]) => `${k.padEnd(11)}${v}`)
    .join('\n');
}

function keyLine(k: KeyInfo): string {
  return `${k.decoderKey} (${k.algorithm}${k.derivation ? `, ${k.derivation}` : ''}${k.pan ? `, PAN ${k.pan}` : ''})`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function formatGenerated(tokens: GeneratedToken[], key: KeyInfo | undefined): string {
  return tokens
    .map((t) =>
      lines([
        ['Token', t.grouped],
        ['Type', `${t.class}/${t.subclass} ${t.name}`],
        ['Amount', t.amount !== undefined ? `${t.amount} ${t.unit} (${plural(t.transferUnits!, 'transfer unit')})` : undefined],
        ['Value', t.value !== undefined ? describeValue({ ...t, crcOk: true, digits: t.digits }) : undefined],
        ['TID', t.tid !== undefined ? `${t.tid} = ${minute(t.issuedAt!)}${key ? ` (base date ${key.baseDate})` : ''}` : undefined],
        ['RND', t.rnd !== undefined ? String(t.rnd) : undefined],
        ['Block', hex64(t.block)],
        ['Key', t.class === 1 ? 'none (class 1 is not encrypted)' : key ? keyLine(key) : undefined],
      ]),
    )
    .join('\n\n');
}

function describeValue(t: DecodedToken): string | undefined {
  if (t.amount !== undefined) return `${t.amount} ${t.unit} (${plural(t.transferUnits!, 'transfer unit')})`;
  if (t.value === undefined) return undefined;
  switch (t.subclass) {
    case 0:
    case 6:
      return `${t.value} W`;
    case 1:
      return t.value === 0xffff ? 'register 0xFFFF (all credit registers)' : `register ${t.value}`;
    default:
      return `${t.value} (0x${t.value.toString(16).padStart(4, '0')})`;
  }
}

function describeKeyChange(t: DecodedToken): string | undefined {
  const k = t.keyChange;
  if (!k) return undefined;
  const parts = [`section ${k.section}`, `key bits ${k.keyPart}`];
  if (k.section === 1) parts.push(`KENHO ${k.keyExpiryNumberPart}`, `KRN ${k.keyRevisionNumber}`, `KT ${k.keyType}`, `RO ${k.rollover ? 1 : 0}`);
  if (k.section === 2) parts.push(`KENLO ${k.keyExpiryNumberPart}`, `TI ${k.tariffIndex}`);
  if (k.section >= 3) parts.push(`${k.section === 3 ? 'SGCLO' : 'SGCHO'} ${k.supplyGroupCodePart}`);
  return parts.join(', ');
}

export function verdict(t: DecodedToken): string {
  if (!t.crcOk) return 'CRC error: not for this meter/key, or mistyped';
  return t.class === 1 ? 'CRC OK (class 1: valid for any meter)' : 'CRC OK: valid for this meter and key';
}

export function formatDecoded(t: DecodedToken, key: KeyInfo | undefined): string {
  return lines([
    ['Token', groupDigits(t.digits)],
    ['Class', `${t.class}`],
    ['Subclass', t.crcOk ? `${t.subclass} ${t.name}` : undefined],
    ['TID', t.tid !== undefined ? `${t.tid} = ${minute(t.issuedAt!)}${key ? ` (base date ${key.baseDate})` : ''}` : undefined],
    ['RND', t.rnd !== undefined ? String(t.rnd) : undefined],
    [t.amount !== undefined ? 'Amount' : 'Value', describeValue(t)],
    ['Control', t.control !== undefined ? `0x${t.control.toString(16)}` : undefined],
    ['Mfr code', t.manufacturerCode !== undefined ? String(t.manufacturerCode) : undefined],
    ['Key change', describeKeyChange(t)],
    ['Block', hex64(t.block)],
    ['Key', t.class === 1 ? undefined : key ? keyLine(key) : undefined],
    ['Verdict', verdict(t)],
  ]);
}

/** JSON.stringify replacer: bigints as hex strings, so output stays valid JSON. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `0x${value.toString(16)}` : value;
}
