// The client side of a COSEM association (IEC 62056-5-3; Green Book 9.4), sans-I/O: each
// operation returns the APDU to send, and `receive` answers every APDU that comes back
// with the next APDU to send (block transfer, HLS pass 3), the result, or a typed error.
// Block transfer in both directions and ciphering are handled here, so the caller only
// says get/set/action.
import { ByteReader, ByteWriter, concat } from '../../bytes.js';
import { AccessError, ProtocolError, SecurityError } from '../../errors.js';
import { decodeData, encodeData, writeData } from '../axdr.js';
import type { CosemData } from '../data.js';
import {
  type Apdu,
  type AttributeWithSelection,
  type CosemAttributeDescriptor,
  type GetDataResult,
  type CosemMethodDescriptor,
  type InitiateResponse,
  type SelectiveAccessDescriptor,
  ApplicationContextName,
  AcseServiceUserDiagnostic,
  actionResultName,
  dataAccessResultName,
  decodeApdu,
  encodeApdu,
  nameOf,
  readGetDataResult,
} from '../apdu/index.js';
import { readSequenceOf } from '../apdu/xdr.js';
import { hlsGmacReply, verifyHlsGmacReply } from '../security/hls-gmac.js';
import { isCipheredTag } from '../security/ciphered-apdu.js';
import { ExceptionResponseError } from './exception-error.js';
import { lateAnswerReason } from './late-answer.js';
import { Protection } from './protection.js';
import { ASSOCIATION_LN, CLIENT_CONFORMANCE, type ClientAssociationConfig, DLMS_VERSION, MECHANISM_ID, type Negotiated } from './settings.js';
export { CLIENT_CONFORMANCE } from './settings.js';

export type ClientResult =
  | { kind: 'associated'; negotiated: Negotiated }
  | { kind: 'data'; value: CosemData }
  /** GET-with-list: one result per attribute asked for, in order (data or data-access-result). */
  | { kind: 'data-list'; results: GetDataResult[] }
  | { kind: 'set' }
  | { kind: 'action'; returned: CosemData | null }
  | { kind: 'released' };

export type ClientStep =
  | { kind: 'send'; apdu: Uint8Array }
  | { kind: 'done'; result: ClientResult }
  | { kind: 'fail'; error: Error };

type Operation =
  | { kind: 'associate' }
  | { kind: 'hls'; serverChallenge: Uint8Array }
  | { kind: 'get'; blocks: Uint8Array[]; last: number; count?: number }
  | { kind: 'set'; blocks: Uint8Array[]; next: number }
  | { kind: 'action'; blocks: Uint8Array[]; next: number; returned: Uint8Array[] }
  | { kind: 'release' };

/** Room for the APDU header around a block's raw data, and for ciphering. */
const BLOCK_OVERHEAD = 32;

export class ClientAssociation {
  state: 'idle' | 'associating' | 'associated' | 'released' = 'idle';
  negotiated: Negotiated | null = null;
  private op: Operation | null = null;
  /** The last APDU answers() opened, so that receive() does not decipher it twice. */
  private opened: { bytes: Uint8Array; apdu: Apdu } | null = null;
  private invokeId = 0;
  private clientChallenge: Uint8Array = new Uint8Array(0);
  private readonly protection: Protection | null;

  constructor(readonly config: ClientAssociationConfig) {
    if (config.authentication === 'high-gmac' && !config.security) {
      throw new Error('HLS-GMAC needs security settings (system title, keys, invocation counter)');
    }
    if (config.authentication === 'low' && !config.password) throw new Error('LLS needs a password');
    this.protection = config.security ? new Protection(config.security) : null;
  }

  get busy(): boolean {
    return this.op !== null;
  }

  /** The AARQ that opens the association. */
  associate(): Uint8Array {
    const c = this.config;
    const initiate = encodeApdu({
      kind: 'InitiateRequest',
      responseAllowed: true,
      proposedDlmsVersionNumber: DLMS_VERSION,
      proposedConformance: c.conformance ?? CLIENT_CONFORMANCE,
      clientMaxReceivePduSize: c.maxReceivePduSize ?? 0xffff,
    });
    const mechanism = MECHANISM_ID[c.authentication];
    if (c.authentication === 'high-gmac') this.clientChallenge = c.challenge();
    const authenticationValue = c.authentication === 'low' ? c.password : c.authentication === 'high-gmac' ? this.clientChallenge : undefined;
    this.begin({ kind: 'associate' });
    this.state = 'associating';
    return encodeApdu({
      kind: 'AARQ',
      applicationContextName: this.protection ? ApplicationContextName['logical-name-ciphered'] : ApplicationContextName['logical-name'],
      ...(this.protection && { callingApTitle: this.protection.settings.systemTitle }),
      ...(mechanism !== 0 && {
        senderAcseRequirements: { authentication: true },
        mechanismName: mechanism,
        callingAuthenticationValue: { kind: 'charstring', value: authenticationValue! },
      }),
      userInformation: this.protection ? this.protection.seal(initiate) : initiate,
    });
  }

  get(attribute: CosemAttributeDescriptor, access?: SelectiveAccessDescriptor): Uint8Array {
    this.begin({ kind: 'get', blocks: [], last: 0 });
    return this.xdlms({ kind: 'GetRequestNormal', ...this.invoke(), attribute, ...(access && { access }) });
  }

  /**
   * GET-Request-With-List: several attributes in one request and one answer (needs the
   * multiple-references conformance bit). Each attribute gets its own result, so one refused
   * attribute does not fail the others. The caller keeps the request within the server's
   * max receive PDU size and within what the meter takes in one list.
   */
  getList(attributes: AttributeWithSelection[]): Uint8Array {
    if (attributes.length === 0) throw new Error('GET-with-list needs at least one attribute');
    this.begin({ kind: 'get', blocks: [], last: 0, count: attributes.length });
    return this.xdlms({ kind: 'GetRequestWithList', ...this.invoke(), attributes });
  }

  set(attribute: CosemAttributeDescriptor, value: CosemData, access?: SelectiveAccessDescriptor): Uint8Array {
    const normal = encodeApdu({ kind: 'SetRequestNormal', ...this.invoke(), attribute, ...(access && { access }), value });
    if (normal.length + BLOCK_OVERHEAD <= this.maxRequest()) {
      this.begin({ kind: 'set', blocks: [], next: 0 });
      return this.xdlms(normal);
    }
    const blocks = this.split(encodeData(value));
    this.begin({ kind: 'set', blocks, next: 1 });
    return this.xdlms({ kind: 'SetRequestWithFirstDatablock', ...this.invoke(), attribute, ...(access && { access }), lastBlock: blocks.length === 1, blockNumber: 1, rawData: blocks[0] });
  }

  action(method: CosemMethodDescriptor, parameters?: CosemData): Uint8Array {
    const normal = encodeApdu({ kind: 'ActionRequestNormal', ...this.invoke(), method, ...(parameters && { parameters }) });
    if (!parameters || normal.length + BLOCK_OVERHEAD <= this.maxRequest()) {
      this.begin({ kind: 'action', blocks: [], next: 0, returned: [] });
      return this.xdlms(normal);
    }
    const blocks = this.split(encodeData(parameters));
    this.begin({ kind: 'action', blocks, next: 1, returned: [] });
    return this.xdlms({ kind: 'ActionRequestWithFirstPblock', ...this.invoke(), method, lastBlock: blocks.length === 1, blockNumber: 1, rawData: blocks[0] });
  }

  /** RLRQ; with ciphering the InitiateRequest goes along, as the Green Book asks. */
  release(): Uint8Array {
    this.begin({ kind: 'release' });
    return encodeApdu({ kind: 'RLRQ', reason: 0 });
  }

  /** Takes an APDU from the server: the next thing to send, the result, or an error. */
  receive(bytes: Uint8Array): ClientStep {
    const op = this.op;
    if (!op) return { kind: 'fail', error: new ProtocolError(`unexpected APDU 0x${bytes[0]?.toString(16)} with no request outstanding`, 0, 'xdlms') };
    try {
      const step = this.handle(op, this.open(bytes));
      if (step.kind !== 'send') this.op = null;
      return step;
    } catch (e) {
      this.op = null;
      if (op.kind === 'associate' || op.kind === 'hls') this.state = 'idle';
      if (e instanceof ProtocolError || e instanceof SecurityError || e instanceof AccessError) return { kind: 'fail', error: e };
      throw e;
    }
  }

  /**
   * Whether `bytes` may answer the request outstanding rather than an earlier one (see
   * late-answer.ts): a datagram transport keeps waiting past an answer that does not. The
   * APDU is opened once: receive() then takes the same bytes without deciphering them again.
   */
  answers(bytes: Uint8Array): boolean {
    const op = this.op;
    if (!op) return false;
    let apdu: Apdu;
    try {
      apdu = this.open(bytes);
    } catch (e) {
      // A counter already used: an earlier answer sent again. Anything else is receive()'s to report.
      return !(e instanceof SecurityError && e.reason === 'replayed-counter');
    }
    this.opened = { bytes, apdu };
    const blocks = op.kind === 'set' || op.kind === 'action' ? op.blocks.length > 0 : false;
    return lateAnswerReason({ kind: op.kind, invokeId: this.invokeId, ...(op.kind === 'get' && { lastBlock: op.last }), ...(blocks && { awaitedBlock: (op as { next: number }).next }) }, apdu) === null;
  }

  /** Decodes, deciphering first when the APDU is protected. */
  private open(bytes: Uint8Array): Apdu {
    if (this.opened?.bytes === bytes) return this.opened.apdu;
    this.opened = null;
    if (bytes.length > 0 && isCipheredTag(bytes[0])) {
      if (!this.protection) throw new SecurityError('the meter sent a ciphered APDU but this association has no keys', 'rejected');
      return decodeApdu(this.protection.open(bytes));
    }
    return decodeApdu(bytes);
  }

  private handle(op: Operation, apdu: Apdu): ClientStep {
    if (apdu.kind === 'ExceptionResponse') {
      throw new ExceptionResponseError(apdu);
    }
    if (apdu.kind === 'ConfirmedServiceError') {
      throw new AccessError(`the meter answered with confirmed-service-error ${JSON.stringify(apdu)}`, 'confirmed-service-error', 0);
    }
    switch (op.kind) {
      case 'associate':
        return this.onAare(apdu);
      case 'hls':
        return this.onHlsReply(apdu);
      case 'get':
        return this.onGet(op, apdu);
      case 'set':
        return this.onSet(op, apdu);
      case 'action':
        return this.onAction(op, apdu);
      case 'release':
        if (apdu.kind !== 'RLRE') throw unexpected(apdu, 'RLRE');
        this.state = 'released';
        return { kind: 'done', result: { kind: 'released' } };
    }
  }

  private onAare(apdu: Apdu): ClientStep {
    if (apdu.kind !== 'AARE') throw unexpected(apdu, 'AARE');
    const diagnostic = apdu.resultSourceDiagnostic;
    const diagnosticName = diagnostic.source === 'acse-service-user' ? nameOf(AcseServiceUserDiagnostic, diagnostic.diagnostic) : `provider ${diagnostic.diagnostic}`;
    if (apdu.result !== 0) {
      const why = `association rejected by the meter: ${diagnosticName}`;
      if (diagnostic.source === 'acse-service-user' && diagnostic.diagnostic === AcseServiceUserDiagnostic['authentication-failure']) {
        throw new SecurityError(`${why} — ${this.config.authentication === 'low' ? 'wrong password' : 'wrong key or system title'} for this client`, this.config.authentication === 'low' ? 'wrong-password' : 'authentication-failed');
      }
      throw new AccessError(why, 'association-rejected', diagnostic.diagnostic);
    }
    if (this.protection) {
      if (!apdu.respondingApTitle) throw new SecurityError('the AARE carries no server system title', 'rejected');
      this.protection.peerSystemTitle = apdu.respondingApTitle;
    }
    if (!apdu.userInformation) throw new ProtocolError('AARE accepted but carries no InitiateResponse', 0, 'acse');
    const info = this.open(apdu.userInformation);
    if (info.kind === 'ConfirmedServiceError') throw new AccessError(`the meter refused the InitiateRequest: ${JSON.stringify(info)}`, 'initiate-error', 0);
    if (info.kind !== 'InitiateResponse') throw unexpected(info, 'InitiateResponse');
    this.negotiated = negotiatedFrom(info, this.protection?.peerSystemTitle ?? null);
    if (this.config.authentication === 'high-gmac') {
      if (diagnostic.diagnostic !== AcseServiceUserDiagnostic['authentication-required'] || apdu.respondingAuthenticationValue?.kind !== 'charstring') {
        throw new SecurityError('the meter did not send a challenge for HLS-GMAC', 'rejected');
      }
      return this.replyToChallenge(apdu.respondingAuthenticationValue.value);
    }
    this.state = 'associated';
    return { kind: 'done', result: { kind: 'associated', negotiated: this.negotiated } };
  }

  /** HLS pass 3: prove we hold the keys by answering the meter's challenge. */
  private replyToChallenge(serverChallenge: Uint8Array): ClientStep {
    const s = this.protection!.settings;
    const reply = hlsGmacReply({ challenge: serverChallenge, systemTitle: s.systemTitle, invocationCounter: s.counter.take(), blockCipherKey: s.blockCipherKey, authenticationKey: s.authenticationKey });
    this.op = { kind: 'hls', serverChallenge };
    return {
      kind: 'send',
      apdu: this.xdlms({ kind: 'ActionRequestNormal', ...this.invoke(), method: ASSOCIATION_LN, parameters: { type: 'octet-string', value: reply } }),
    };
  }

  /** HLS pass 4: the meter proves it holds the keys by answering ours. */
  private onHlsReply(apdu: Apdu): ClientStep {
    if (apdu.kind !== 'ActionResponseNormal') throw unexpected(apdu, 'ACTION-Response to reply_to_HLS_authentication');
    if (apdu.result !== 0) throw new SecurityError(`the meter rejected our HLS reply (${actionResultName(apdu.result)}): wrong authentication key or system title`, 'authentication-failed');
    const ret = apdu.returnParameters;
    if (ret?.kind !== 'data' || ret.data.type !== 'octet-string') throw new SecurityError('the meter returned no HLS reply of its own', 'authentication-failed');
    const s = this.protection!.settings;
    verifyHlsGmacReply({ reply: ret.data.value, challenge: this.clientChallenge, peerSystemTitle: this.protection!.peerSystemTitle!, blockCipherKey: s.blockCipherKey, authenticationKey: s.authenticationKey });
    this.state = 'associated';
    return { kind: 'done', result: { kind: 'associated', negotiated: this.negotiated! } };
  }

  private onGet(op: Extract<Operation, { kind: 'get' }>, apdu: Apdu): ClientStep {
    const list = op.count !== undefined;
    if (apdu.kind === 'GetResponseWithList') {
      if (!list) throw unexpected(apdu, 'GET-Response-Normal');
      return this.listDone(op, apdu.results);
    }
    if (apdu.kind === 'GetResponseNormal' && list) throw unexpected(apdu, 'GET-Response-With-List');
    if (apdu.kind === 'GetResponseNormal') {
      if (apdu.result.kind === 'data') return { kind: 'done', result: { kind: 'data', value: apdu.result.data } };
      throw accessError('GET', apdu.result.dataAccessResult);
    }
    if (apdu.kind !== 'GetResponseWithDatablock') throw unexpected(apdu, 'GET-Response');
    if (apdu.result.kind === 'data-access-result') throw accessError('GET (block transfer)', apdu.result.dataAccessResult);
    if (apdu.blockNumber !== op.last + 1) throw new ProtocolError(`GET block ${apdu.blockNumber} arrived where block ${op.last + 1} was expected`, 0, 'xdlms');
    op.blocks.push(apdu.result.rawData);
    op.last = apdu.blockNumber;
    if (!apdu.lastBlock) return { kind: 'send', apdu: this.xdlms({ kind: 'GetRequestNext', ...this.invoke(false), blockNumber: op.last }) };
    if (!list) return { kind: 'done', result: { kind: 'data', value: decodeData(concat(op.blocks)) } };
    // With a list, the blocks carry the encoded SEQUENCE OF Get-Data-Result.
    const r = new ByteReader(concat(op.blocks), 'xdlms');
    const results = readSequenceOf(r, 'result list', readGetDataResult);
    if (r.pos !== r.bytes.length) throw new ProtocolError(`${r.bytes.length - r.pos} bytes after the GET-with-list results`, r.pos, 'xdlms');
    return this.listDone(op, results);
  }

  private listDone(op: Extract<Operation, { kind: 'get' }>, results: GetDataResult[]): ClientStep {
    if (results.length !== op.count) throw new ProtocolError(`GET-with-list: ${results.length} results for ${op.count} attributes`, 0, 'xdlms');
    return { kind: 'done', result: { kind: 'data-list', results } };
  }

  private onSet(op: Extract<Operation, { kind: 'set' }>, apdu: Apdu): ClientStep {
    if (apdu.kind === 'SetResponseNormal' || apdu.kind === 'SetResponseLastDatablock') {
      if (apdu.result !== 0) throw accessError('SET', apdu.result);
      return { kind: 'done', result: { kind: 'set' } };
    }
    if (apdu.kind !== 'SetResponseDatablock') throw unexpected(apdu, 'SET-Response');
    if (apdu.blockNumber !== op.next || op.next >= op.blocks.length) throw new ProtocolError(`SET block ${apdu.blockNumber} acknowledged where ${op.next} was sent`, 0, 'xdlms');
    const next = op.next++;
    return { kind: 'send', apdu: this.xdlms({ kind: 'SetRequestWithDatablock', ...this.invoke(false), lastBlock: next === op.blocks.length - 1, blockNumber: next + 1, rawData: op.blocks[next] }) };
  }

  private onAction(op: Extract<Operation, { kind: 'action' }>, apdu: Apdu): ClientStep {
    if (apdu.kind === 'ActionResponseNextPblock') {
      if (apdu.blockNumber !== op.next || op.next >= op.blocks.length) throw new ProtocolError(`ACTION block ${apdu.blockNumber} acknowledged where ${op.next} was sent`, 0, 'xdlms');
      const next = op.next++;
      return { kind: 'send', apdu: this.xdlms({ kind: 'ActionRequestWithPblock', ...this.invoke(false), lastBlock: next === op.blocks.length - 1, blockNumber: next + 1, rawData: op.blocks[next] }) };
    }
    if (apdu.kind === 'ActionResponseWithPblock') {
      if (apdu.blockNumber !== op.returned.length + 1) throw new ProtocolError(`ACTION return block ${apdu.blockNumber} arrived where ${op.returned.length + 1} was expected`, 0, 'xdlms');
      op.returned.push(apdu.rawData);
      if (!apdu.lastBlock) return { kind: 'send', apdu: this.xdlms({ kind: 'ActionRequestNextPblock', ...this.invoke(false), blockNumber: apdu.blockNumber }) };
      // The reassembled blocks hold an Action-Response-With-Optional-Data.
      const item = decodeActionResponseItem(concat(op.returned));
      return this.actionDone(item.result, item.data);
    }
    if (apdu.kind !== 'ActionResponseNormal') throw unexpected(apdu, 'ACTION-Response');
    const ret = apdu.returnParameters;
    if (ret?.kind === 'data-access-result') throw accessError('ACTION return value', ret.dataAccessResult);
    return this.actionDone(apdu.result, ret?.kind === 'data' ? ret.data : null);
  }

  private actionDone(result: number, data: CosemData | null): ClientStep {
    if (result !== 0) throw new AccessError(`ACTION refused by the meter: ${actionResultName(result)}`, actionResultName(result), result);
    return { kind: 'done', result: { kind: 'action', returned: data } };
  }

  private begin(op: Operation): void {
    if (this.op) throw new Error(`DLMS ${op.kind} while a ${this.op.kind} is still outstanding`);
    if (op.kind !== 'associate' && this.state !== 'associated') throw new Error(`DLMS ${op.kind} while the association is ${this.state}`);
    this.op = op;
  }

  /** A new invoke-id for a new request; block continuations keep the current one. */
  private invoke(fresh = true) {
    if (fresh) this.invokeId = (this.invokeId + 1) & 0x0f;
    return { invokeId: this.invokeId, serviceClass: 'confirmed' as const, priority: 'high' as const };
  }

  private xdlms(apdu: Apdu | Uint8Array): Uint8Array {
    const bytes = apdu instanceof Uint8Array ? apdu : encodeApdu(apdu);
    return this.protection && this.state !== 'idle' ? this.protection.seal(bytes) : bytes;
  }

  private maxRequest(): number {
    const max = this.negotiated?.serverMaxReceivePduSize ?? 0;
    return max === 0 ? 0xffff : max;
  }

  private split(data: Uint8Array): Uint8Array[] {
    const size = Math.max(16, this.maxRequest() - BLOCK_OVERHEAD);
    const blocks: Uint8Array[] = [];
    for (let at = 0; at < data.length; at += size) blocks.push(data.subarray(at, at + size));
    return blocks;
  }
}

function negotiatedFrom(info: InitiateResponse, serverSystemTitle: Uint8Array | null): Negotiated {
  return { conformance: info.negotiatedConformance, serverMaxReceivePduSize: info.serverMaxReceivePduSize, serverSystemTitle };
}

function unexpected(apdu: Apdu, wanted: string): ProtocolError {
  return new ProtocolError(`expected ${wanted}, got ${apdu.kind}`, 0, 'xdlms');
}

function accessError(service: string, code: number): AccessError {
  return new AccessError(`${service} refused by the meter: ${dataAccessResultName(code)}`, dataAccessResultName(code), code);
}

/** Action-Response-With-Optional-Data as carried in reassembled pblocks. */
function decodeActionResponseItem(bytes: Uint8Array): { result: number; data: CosemData | null } {
  const w = new ByteWriter(bytes.length + 4).u8(0xc7).u8(0x01).u8(0x81).bytes(bytes);
  const apdu = decodeApdu(w.toBytes());
  if (apdu.kind !== 'ActionResponseNormal') throw new ProtocolError('reassembled ACTION return blocks are not an action response', 0, 'xdlms');
  return { result: apdu.result, data: apdu.returnParameters?.kind === 'data' ? apdu.returnParameters.data : null };
}

export { writeData };
export { ExceptionResponseError };
