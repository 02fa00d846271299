// sts — generate and decode STS prepaid tokens from the command line.
//   npx tsx cloud/vending/sts/cli.ts --help
// The engine is pure; this file is the I/O shell: arguments in, text out, and the
// only place that reads the clock (the default issue time is "now").
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { formatDecoded, formatGenerated, jsonReplacer, type KeyInfo, verdict } from './cli-format.js';
import { decodeToken } from '../../../shared/sts/decode.js';
import { deriveDecoderKey, type EncryptionAlgorithm, parseHexKey, toHex } from '../../../shared/sts/decoder-key.js';
import { StsError } from '../../../shared/sts/errors.js';
import { type GenerateTokenInput, generateToken } from '../../../shared/sts/generate.js';
import { keyParameters, meterIdentity } from '../../../shared/sts/identity.js';
import { generateKeyChangeTokens } from '../../../shared/sts/key-change.js';
import { isBaseDate, nextBaseDate } from '../../../shared/sts/tid.js';

const HELP = `sts — STS prepaid tokens (IEC 62055-41)
(sts = npx tsx cloud/vending/sts/cli.ts)

Usage:
  sts generate [key options] --class C --subclass S [token options]
  sts decode <20-digit token> [key options]

Key options (either a decoder key, or a vending key plus the meter's parameters):
  --decoder-key HEX      the meter's decoder key (16 hex digits EA07, 32 EA11)
  --vending-key HEX      vending key: 16 hex digits (DKGA02) or 40 (DKGA04)
  --dkga 02|04           key derivation (default: from the vending key length)
  --pan DIGITS           18-digit meter PAN, or:  --iin DIGITS --drn DIGITS
  --kt N  --sgc NNNNNN  --ti NN  --krn N  --ken N (default 255)
  --base-date 1993|2014|2035   (default 1993)
  --algorithm EA07|EA11  token cipher (default EA07)

Token options (generate):
  --amount X             class 0 credit in kWh / m3 / min / currency (rounded up)
  --units N              class 0 credit in transfer units (0.1 kWh …) instead
  --value N              class 2: MPL or MPPUL in W, register, rate, pad, factor
  --control N --mfr N    class 1 test token: control bits and manufacturer code
  --issued TIME          issue time, ISO 8601 (default now; no zone means UTC)
  --tid N                explicit TID instead of --issued
  --rnd N                random nibble 0–15 (default random)
  --key-change           the whole key-change set (2 tokens EA07, 4 tokens EA11);
                         or --class 2 --subclass 3|4|8|9 for one section
  --new-decoder-key HEX  new key, or derive it with the same vending key and
  --new-kt --new-sgc --new-ti --new-krn --new-ken --new-base-date (default: current)
  --rollover             set the TID-rollover bit (new base date = next one)

Output: readable text, or --json. Exit status: 0 ok, 1 decode CRC error, 2 bad arguments.

Examples:
  sts generate --vending-key abababababababab --pan 600727000000000009 \\
      --kt 2 --sgc 123456 --ti 01 --krn 1 --class 0 --subclass 0 --amount 0.1 \\
      --issued 2004-03-01T13:55Z --rnd 5
  sts decode 23716100501183194197 --decoder-key e653341f9d5bf36f
  sts generate --vending-key abababababababab949494949494949401234567 --algorithm EA11 \\
      --pan 600727000000000009 --kt 2 --sgc 123457 --ti 01 --krn 4 --base-date 2014 \\
      --class 0 --amount 25
  sts generate --class 1 --subclass 0 --control 0xFFFFFFFFF --mfr 0
  sts generate --vending-key abababababababab --pan 600727000000000009 \\
      --kt 2 --sgc 123456 --ti 01 --krn 1 --key-change --new-ti 02
`;

/** Engine field names → the flag a user typed. */
const FLAGS: Record<string, string> = {
  pan: '--pan', iin: '--iin', drn: '--drn', vendingKey: '--vending-key', decoderKey: '--decoder-key',
  keyType: '--kt', supplyGroupCode: '--sgc', tariffIndex: '--ti', keyRevisionNumber: '--krn',
  keyExpiryNumber: '--ken', baseDate: '--base-date', algorithm: '--algorithm', keyDerivation: '--dkga',
  issuedAt: '--issued', tid: '--tid', rnd: '--rnd', amount: '--amount', transferUnits: '--units',
  value: '--value', control: '--control', manufacturerCode: '--mfr', class: '--class', subclass: '--subclass',
  token: '<token>', newDecoderKey: '--new-decoder-key', newKeyType: '--new-kt', newSupplyGroupCode: '--new-sgc',
  newTariffIndex: '--new-ti', newKeyRevisionNumber: '--new-krn', newKeyExpiryNumber: '--new-ken',
};

const OPTIONS = {
  help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' }, 'key-change': { type: 'boolean' }, rollover: { type: 'boolean' },
  'decoder-key': { type: 'string' }, 'vending-key': { type: 'string' }, dkga: { type: 'string' },
  pan: { type: 'string' }, iin: { type: 'string' }, drn: { type: 'string' },
  kt: { type: 'string' }, sgc: { type: 'string' }, ti: { type: 'string' }, krn: { type: 'string' }, ken: { type: 'string' },
  'base-date': { type: 'string' }, algorithm: { type: 'string' },
  class: { type: 'string' }, subclass: { type: 'string' }, amount: { type: 'string' }, units: { type: 'string' },
  value: { type: 'string' }, control: { type: 'string' }, mfr: { type: 'string' },
  issued: { type: 'string' }, tid: { type: 'string' }, rnd: { type: 'string' },
  'new-decoder-key': { type: 'string' }, 'new-kt': { type: 'string' }, 'new-sgc': { type: 'string' }, 'new-ti': { type: 'string' },
  'new-krn': { type: 'string' }, 'new-ken': { type: 'string' }, 'new-base-date': { type: 'string' },
} as const;

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

class UsageError extends Error {}

function int(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^(0x[0-9a-f]+|[0-9]+)$/i.test(text.trim())) throw new UsageError(`${flag}: must be a whole number, got '${text}'`);
  return Number(text.trim());
}

function decimal(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[0-9]+(\.[0-9]+)?$/.test(text.trim())) throw new UsageError(`${flag}: must be a decimal number like 12.5, got '${text}'`);
  return Number(text.trim());
}

function time(text: string | undefined): number {
  if (text === undefined) return Date.now();
  const withZone = /([zZ]|[+-]\d\d:?\d\d)$/.test(text.trim()) ? text.trim() : `${text.trim()}Z`;
  const ms = Date.parse(withZone);
  if (Number.isNaN(ms)) throw new UsageError(`--issued: not an ISO 8601 time, got '${text}'`);
  return ms;
}

function algorithmOf(v: Values): EncryptionAlgorithm {
  const a = (v.algorithm ?? 'EA07').toUpperCase();
  if (a !== 'EA07' && a !== 'EA11') throw new UsageError(`--algorithm: must be EA07 or EA11, got '${v.algorithm}'`);
  return a;
}

/** The meter's key (given, or derived) plus what the output should say about it. */
function resolveKey(v: Values, override: { kt?: string; sgc?: string; ti?: string; krn?: string; baseDate?: number } = {}): KeyInfo | undefined {
  const algorithm = algorithmOf(v);
  const baseDate = override.baseDate ?? int(v['base-date'], '--base-date') ?? 1993;
  if (!isBaseDate(baseDate)) throw new UsageError(`--base-date: must be 1993, 2014 or 2035, got '${baseDate}'`);
  if (v['decoder-key'] !== undefined && Object.keys(override).length === 0) {
    return { decoderKey: toHex(parseHexKey(v['decoder-key'], 'decoderKey', [algorithm === 'EA07' ? 8 : 16])), algorithm, baseDate };
  }
  if (v['vending-key'] === undefined) return undefined;
  const vendingKey = parseHexKey(v['vending-key'], 'vendingKey', [8, 20]);
  const derivation = v.dkga !== undefined ? `DKGA${v.dkga.replace(/^dkga/i, '').padStart(2, '0')}` : vendingKey.length === 8 ? 'DKGA02' : 'DKGA04';
  if (derivation !== 'DKGA02' && derivation !== 'DKGA04') throw new UsageError(`--dkga: must be 02 or 04, got '${v.dkga}'`);
  if (v.pan === undefined && (v.iin === undefined || v.drn === undefined)) throw new UsageError('--pan (or --iin and --drn) is required with --vending-key');
  const meter = v.pan !== undefined ? meterIdentity({ pan: v.pan }) : meterIdentity({ iin: v.iin!, drn: v.drn! });
  const required = (value: string | undefined, flag: string): string => {
    if (value === undefined) throw new UsageError(`${flag} is required with --vending-key`);
    return value;
  };
  const params = keyParameters({
    keyType: int(required(override.kt ?? v.kt, '--kt'), '--kt')!,
    supplyGroupCode: required(override.sgc ?? v.sgc, '--sgc'),
    tariffIndex: required(override.ti ?? v.ti, '--ti'),
    keyRevisionNumber: int(required(override.krn ?? v.krn, '--krn'), '--krn')!,
    baseDate,
  });
  const dk = deriveDecoderKey({ keyDerivation: derivation, algorithm, vendingKey, meter, keyParameters: params });
  return { decoderKey: toHex(dk), algorithm, derivation, pan: meter.pan, baseDate };
}

function generate(v: Values): { text: string; json: unknown } {
  const key = resolveKey(v);
  const algorithm = algorithmOf(v);
  const kctSubclass = int(v.subclass, '--subclass');
  const isKct = v['key-change'] === true || (int(v.class, '--class') === 2 && [3, 4, 8, 9].includes(kctSubclass ?? -1));
  if (isKct) {
    if (!key) throw new UsageError('--decoder-key or --vending-key is required for a key change');
    const rollover = v.rollover === true;
    const newBaseDate = int(v['new-base-date'], '--new-base-date') ?? (rollover ? nextBaseDate(key.baseDate as 1993 | 2014 | 2035) : key.baseDate);
    if (newBaseDate === undefined) throw new UsageError('--rollover: there is no base date after 2035');
    const newKey = v['new-decoder-key'] ?? resolveKey(v, { kt: v['new-kt'] ?? v.kt, sgc: v['new-sgc'] ?? v.sgc, ti: v['new-ti'] ?? v.ti, krn: v['new-krn'] ?? v.krn, baseDate: newBaseDate })?.decoderKey;
    if (newKey === undefined) throw new UsageError('--new-decoder-key (or --vending-key to derive it) is required for a key change');
    // The sections carry the new KT, KRN, TI (and SGC for EA11): never guess them.
    const need = (value: string | undefined, flags: string): string => {
      if (value === undefined) throw new UsageError(`${flags} is required for a key change`);
      return value;
    };
    const newParams = keyParameters({
      keyType: int(need(v['new-kt'] ?? v.kt, '--new-kt (or --kt)'), '--new-kt')!,
      supplyGroupCode: algorithm === 'EA11' ? need(v['new-sgc'] ?? v.sgc, '--new-sgc (or --sgc)') : (v['new-sgc'] ?? v.sgc ?? '000000'),
      tariffIndex: need(v['new-ti'] ?? v.ti, '--new-ti (or --ti)'),
      keyRevisionNumber: int(need(v['new-krn'] ?? v.krn, '--new-krn (or --krn)'), '--new-krn')!,
      keyExpiryNumber: int(v['new-ken'], '--new-ken') ?? 255,
      baseDate: newBaseDate,
    });
    const all = generateKeyChangeTokens({ decoderKey: key.decoderKey, algorithm, newDecoderKey: newKey, newKey: newParams, rollover });
    const tokens = v['key-change'] ? all : all.filter((t) => t.subclass === kctSubclass);
    return { text: `${formatGenerated(tokens, key)}\n\nNew key    ${toHex(parseHexKey(newKey, 'newDecoderKey', [8, 16]))} (KRN ${newParams.keyRevisionNumber}, TI ${newParams.tariffIndex}, base date ${newBaseDate})`, json: { tokens, newDecoderKey: newKey, key } };
  }
  if (v.class === undefined) throw new UsageError('--class is required (or --key-change)');
  const input: GenerateTokenInput = {
    class: int(v.class, '--class')!,
    subclass: kctSubclass ?? 0,
    algorithm,
    baseDate: key?.baseDate ?? int(v['base-date'], '--base-date') ?? 1993,
  };
  if (key) input.decoderKey = key.decoderKey;
  if (v.tid !== undefined) input.tid = int(v.tid, '--tid')!;
  else input.issuedAt = time(v.issued);
  const optional: [keyof GenerateTokenInput, number | undefined][] = [
    ['rnd', int(v.rnd, '--rnd')], ['amount', decimal(v.amount, '--amount')], ['transferUnits', int(v.units, '--units')],
    ['value', int(v.value, '--value')], ['manufacturerCode', int(v.mfr, '--mfr')], ['keyExpiryNumber', int(v.ken, '--ken')],
  ];
  for (const [name, value] of optional) if (value !== undefined) (input as unknown as Record<string, number>)[name] = value;
  if (v.control !== undefined) {
    if (!/^(0x[0-9a-f]+|[0-9]+)$/i.test(v.control)) throw new UsageError(`--control: must be a whole number, got '${v.control}'`);
    input.control = BigInt(v.control);
  }
  if (input.class !== 1 && !key) throw new UsageError('--decoder-key or --vending-key is required for a class 0 or 2 token');
  const token = generateToken(input);
  return { text: formatGenerated([token], key), json: { tokens: [token], key } };
}

function decode(v: Values, positionals: string[]): { text: string; json: unknown; ok: boolean } {
  if (positionals.length === 0) throw new UsageError('<token>: give the 20-digit token to decode');
  const key = resolveKey(v);
  const digits = positionals.join('');
  const algorithm = algorithmOf(v);
  const token = decodeToken(digits, key?.decoderKey, algorithm, { baseDate: key?.baseDate ?? int(v['base-date'], '--base-date') ?? 1993 });
  return { text: formatDecoded(token, key), json: { token, verdict: verdict(token), key }, ok: token.crcOk };
}

export function main(argv: string[], out: (s: string) => void = console.log, err: (s: string) => void = console.error): number {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    const v = values as Values;
    const [command, ...rest] = positionals;
    if (v.help || command === undefined || command === 'help') {
      out(HELP);
      return command === undefined && !v.help ? 2 : 0;
    }
    if (command !== 'generate' && command !== 'decode') throw new UsageError(`unknown command '${command}' (use generate or decode; --help for more)`);
    if (command === 'generate' && rest.length > 0) throw new UsageError(`generate takes no positional arguments, got '${rest.join(' ')}'`);
    const result = command === 'generate' ? { ...generate(v), ok: true } : decode(v, rest);
    out(v.json ? JSON.stringify(result.json, jsonReplacer, 2) : result.text);
    return result.ok ? 0 : 1;
  } catch (e) {
    if (e instanceof StsError) {
      err(`error: ${FLAGS[e.field] ?? e.field}: ${e.message.slice(e.field.length + 2)}`);
      return 2;
    }
    if (e instanceof UsageError || (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'))) {
      err(`error: ${e.message}\n(run with --help for usage)`);
      return 2;
    }
    throw e;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = main(process.argv.slice(2));
}
