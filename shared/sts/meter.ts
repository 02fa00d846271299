// The meter side: what an STS meter does with 20 keyed-in digits (IEC 62055-41
// token acceptance). Order of checks:
//   format → class 1 (no key: CRC, then manufacturer code)
//   → lockout → decrypt with the stored key → CRC
//   → key-change sections (stage; rotate when complete)
//   → DDTK → key expiry → TID store (USED, OLD) → apply (Range, Overflow) → Accept.
// Pure: the caller passes the time and gets the next state back.
import { blockCipher } from './cipher.js';
import { type DecodedToken, describeBlock } from './decode.js';
import { StsError } from './errors.js';
import type { KeyType } from './identity.js';
import { checkTid, lockoutAfterReject, type StagedKeyChange, type StsMeterState, storeTid } from './meter-state.js';
import { isAccepted, STS_RESULT_CODES, type StsResultName } from './results.js';
import { nextBaseDate, tidExpired } from './tid.js';
import { parseTokenDigits, untransposeClass } from './token-number.js';
import { CREDIT_UNITS, type CreditSubclass, type CreditUnit, type TokenClass } from './token-types.js';

export interface AcceptedCredit {
  readonly subclass: CreditSubclass;
  readonly transferUnits: number;
  readonly amount: number;
  readonly unit: CreditUnit['unit'];
}

export interface AcceptResult {
  readonly result: StsResultName;
  readonly code: number;
  /** Why, in words a technician can act on. */
  readonly reason: string;
  readonly newState: StsMeterState;
  /** Credit added by an accepted class 0 token. */
  readonly credit?: AcceptedCredit;
  /** The decoded token, once it decrypted with a good CRC. */
  readonly token?: DecodedToken;
}

type Outcome = { result: StsResultName; reason: string; state?: StsMeterState; credit?: AcceptedCredit; token?: DecodedToken };

export function acceptToken(state: StsMeterState, digits: string, now: Date | number): AcceptResult {
  const at = now instanceof Date ? now.getTime() : now;
  const outcome = evaluate(state, digits, at);
  const meterSpecific = outcome.token === undefined || outcome.token.class !== 1;
  let next = outcome.state ?? state;
  if (next.lockout && meterSpecific && outcome.result !== 'TokenLockout') {
    next = { ...next, lockout: isAccepted(outcome.result) ? { rejects: 0, until: 0 } : lockoutAfterReject(next.lockout, at) };
  }
  const code = STS_RESULT_CODES[outcome.result];
  next = { ...next, lastResult: { result: outcome.result, code, at } };
  return {
    result: outcome.result,
    code,
    reason: outcome.reason,
    newState: next,
    ...(outcome.credit ? { credit: outcome.credit } : {}),
    ...(outcome.token ? { token: outcome.token } : {}),
  };
}

function evaluate(state: StsMeterState, digits: string, at: number): Outcome {
  let tokenNumber: bigint;
  let cleanDigits: string;
  try {
    ({ tokenNumber, digits: cleanDigits } = parseTokenDigits(digits));
  } catch (e) {
    if (e instanceof StsError) return { result: 'Format', reason: e.message };
    throw e;
  }
  const { tokenClass, ciphertext } = untransposeClass(tokenNumber);

  if (tokenClass === 1) return testToken(state, describeBlock(cleanDigits, 1, ciphertext, state.baseDate));

  if (state.lockout && at < state.lockout.until) {
    return { result: 'TokenLockout', reason: `keypad locked for another ${Math.ceil((state.lockout.until - at) / 1000)} s after ${state.lockout.rejects} rejected tokens` };
  }
  const block = blockCipher(state.algorithm, Buffer.from(state.decoderKey, 'hex')).decrypt(ciphertext);
  const token = describeBlock(cleanDigits, tokenClass as TokenClass, block, state.baseDate);
  if (!token.crcOk) return { result: 'CRC', reason: 'CRC mismatch: corrupt, mistyped, or made for another meter, SGC, TI or key revision' };
  if (token.keyChange) return keyChangeToken(state, token);
  if (token.tid === undefined) return { result: 'Function', reason: `${token.name} is not supported by this meter`, token };

  if (token.class === 0 && state.keyType === 1) return { result: 'DDTK', reason: 'credit tokens are refused under the default key (DDTK)', token };
  if (tidExpired(token.tid, state.keyExpiryNumber)) {
    return { result: 'KeyExpired', reason: `TID ${token.tid} is beyond key expiry number ${state.keyExpiryNumber}`, token };
  }
  const tidVerdict = checkTid(state, token.tid);
  if (tidVerdict === 'Used') return { result: 'Used', reason: `TID ${token.tid} (${token.issuedAt!.toISOString()}) was already used`, token };
  if (tidVerdict === 'Old') return { result: 'Old', reason: `TID ${token.tid} is older than the oldest stored TID ${state.tidStore[0]}`, token };

  const applied = token.class === 0 ? applyCredit(state, token) : applyManagement(state, token);
  if ('result' in applied) return { ...applied, token };
  return { result: 'Accept', reason: `${token.name} accepted`, state: { ...applied.state, tidStore: storeTid(state, token.tid) }, token, ...(applied.credit ? { credit: applied.credit } : {}) };
}

function testToken(state: StsMeterState, token: DecodedToken): Outcome {
  if (!token.crcOk) return { result: 'CRC', reason: 'CRC mismatch in a class 1 (test) token', token };
  if (token.manufacturerCode === undefined) return { result: 'Function', reason: `${token.name} is not supported by this meter`, token };
  // Manufacturer code 0 addresses every meter (the standard test tokens use it).
  if (token.manufacturerCode !== 0 && token.manufacturerCode !== state.manufacturerCode) {
    return { result: 'MfrCode', reason: `token is for manufacturer ${token.manufacturerCode}, this meter is ${state.manufacturerCode}`, token };
  }
  return { result: 'Accept', reason: `${token.name} accepted (control 0x${token.control!.toString(16)})`, token };
}

function applyCredit(state: StsMeterState, token: DecodedToken): { state: StsMeterState; credit: AcceptedCredit } | Outcome {
  const subclass = token.subclass as CreditSubclass;
  const total = state.credit[subclass]! + token.transferUnits!;
  if (state.creditLimit !== undefined && total > state.creditLimit) {
    return { result: 'Overflow', reason: `credit register ${subclass} would exceed ${state.creditLimit} transfer units` };
  }
  const credit = state.credit.map((c, i) => (i === subclass ? total : c));
  return {
    state: { ...state, credit },
    credit: { subclass, transferUnits: token.transferUnits!, amount: token.amount!, unit: CREDIT_UNITS[subclass].unit },
  };
}

function applyManagement(state: StsMeterState, token: DecodedToken): { state: StsMeterState; credit?: undefined } | Outcome {
  const value = token.value!;
  switch (token.subclass) {
    case 0:
      return { state: { ...state, settings: { ...state.settings, maximumPowerLimit: value } } };
    case 1: {
      // Register 0xFFFF clears every credit register; 0–7 clears that class 0 subclass.
      if (value !== 0xffff && value > 7) return { result: 'Range', reason: `no credit register ${value}` };
      return { state: { ...state, credit: state.credit.map((c, i) => (value === 0xffff || i === value ? 0 : c)) } };
    }
    case 2:
      return { state: { ...state, settings: { ...state.settings, tariffRate: value } } };
    case 5:
      return { state: { ...state, tamper: false } };
    case 6:
      return { state: { ...state, settings: { ...state.settings, maximumPhasePowerUnbalanceLimit: value } } };
    default:
      return { state: { ...state, settings: { ...state.settings, waterMeterFactor: value } } };
  }
}

function keyChangeToken(state: StsMeterState, token: DecodedToken): Outcome {
  const kc = token.keyChange!;
  const sectionCount = state.algorithm === 'EA11' ? 4 : 2;
  if (kc.section > sectionCount) return { result: 'Function', reason: `${token.name} exists only for 128-bit (EA11) keys`, token };
  let staged: StagedKeyChange;
  switch (kc.section) {
    case 1:
      if (kc.keyType === 0) return { result: 'KeyType', reason: 'a key change may not install an initialisation key (KT 0)', token };
      if (kc.keyRevisionNumber! < 1 || kc.keyRevisionNumber! > 9) return { result: 'Range', reason: `key revision number ${kc.keyRevisionNumber} is outside 1–9`, token };
      if (kc.rollover && nextBaseDate(state.baseDate) === undefined) return { result: 'Range', reason: 'no base date after 2035 to roll over to', token };
      staged = { ...state.keyChange, section1: { kenHigh: kc.keyExpiryNumberPart!, keyRevisionNumber: kc.keyRevisionNumber!, rollover: kc.rollover!, keyType: kc.keyType!, keyPart: kc.keyPart } };
      break;
    case 2:
      staged = { ...state.keyChange, section2: { kenLow: kc.keyExpiryNumberPart!, tariffIndex: kc.tariffIndex!, keyPart: kc.keyPart } };
      break;
    case 3:
      staged = { ...state.keyChange, section3: { supplyGroupCodeLow: kc.supplyGroupCodePart!, keyPart: kc.keyPart } };
      break;
    case 4:
      staged = { ...state.keyChange, section4: { supplyGroupCodeHigh: kc.supplyGroupCodePart!, keyPart: kc.keyPart } };
      break;
  }
  const { section1: s1, section2: s2, section3: s3, section4: s4 } = staged;
  const complete = s1 && s2 && (sectionCount === 2 || (s3 && s4));
  if (!complete) {
    return { result: '1stKCT', reason: `key-change section ${kc.section} staged, waiting for the other section(s)`, state: { ...state, keyChange: staged }, token };
  }
  const newKey = sectionCount === 2 ? s1.keyPart + s2.keyPart : s1.keyPart + s3!.keyPart + s4!.keyPart + s2.keyPart;
  const supplyGroupCode = sectionCount === 4 ? String((s4!.supplyGroupCodeHigh << 12) | s3!.supplyGroupCodeLow).padStart(6, '0') : state.supplyGroupCode;
  const rolled = s1.rollover ? nextBaseDate(state.baseDate)! : state.baseDate;
  const next: StsMeterState = {
    ...state,
    decoderKey: newKey,
    keyType: s1.keyType as KeyType,
    keyRevisionNumber: s1.keyRevisionNumber,
    keyExpiryNumber: (s1.kenHigh << 4) | s2.kenLow,
    tariffIndex: s2.tariffIndex,
    supplyGroupCode,
    baseDate: rolled,
    // A rollover restarts TIDs from the new base date, so the old ones must go.
    tidStore: s1.rollover ? [] : state.tidStore,
    keyChange: {},
  };
  const what = s1.rollover ? `; TID rollover: base date ${rolled}, TID store cleared` : '';
  return { result: '2ndKCT', reason: `decoder key changed (KRN ${s1.keyRevisionNumber}, TI ${s2.tariffIndex}${what})`, state: next, token };
}
