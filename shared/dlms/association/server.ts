// The server side of a COSEM association (a meter), sans-I/O and the mirror of the client:
// it checks the AARQ against the policy of the calling client SAP (LLS password, HLS-GMAC
// challenge and reply), deciphers and enciphers xDLMS APDUs, and answers GET/SET/ACTION
// through the object model, splitting long answers into blocks and reassembling long
// requests. One instance serves one connection from one client SAP.
import { ProtocolError, SecurityError } from '../../errors.js';
import {
  type AARQ,
  type AcseApdu,
  type Apdu,
  ActionResult,
  AcseServiceUserDiagnostic,
  ApplicationContextName,
  InitiateError,
  ServiceError,
  ServiceErrorType,
  decodeApdu,
  encodeApdu,
} from '../apdu/index.js';
import { isCipheredTag } from '../security/ciphered-apdu.js';
import { checkLowLevelPassword, hlsGmacReply, verifyHlsGmacReply } from '../security/hls-gmac.js';
import { SecurityPolicy } from '../security/suite0.js';
import type { ReplayGuard, SendingCounter } from '../security/invocation-counter.js';
import { Protection } from './protection.js';
import type { AccessContext, CosemServerObjects, ServerPolicy } from './server-objects.js';
import { ASSOCIATION_LN, DLMS_VERSION, MECHANISM_ID, SERVER_CONFORMANCE } from './settings.js';
export { SERVER_CONFORMANCE } from './settings.js';
import { type BlockState, newBlockState, serveRequest } from './server-services.js';

export interface ServerAssociationConfig {
  objects: CosemServerObjects;
  /** How a client SAP may associate; undefined: that client is not known here. */
  policy: (clientSap: number) => ServerPolicy | undefined;
  /** The meter's system title, its sending counter and the counters it has seen. */
  systemTitle: Uint8Array;
  counter: SendingCounter;
  guard: ReplayGuard;
  conformance?: number;
  maxReceivePduSize?: number;
  /** Source of the 16-byte server-to-client challenge (HLS). */
  challenge: () => Uint8Array;
}

export class ServerAssociation {
  state: 'idle' | 'awaiting-hls' | 'associated' = 'idle';
  /** Negotiated with the client: the most we may send in one APDU. */
  clientMaxReceivePduSize = 0xffff;
  conformance = 0;
  private policy: ServerPolicy | null = null;
  private protection: Protection | null = null;
  private serverChallenge: Uint8Array = new Uint8Array(0);
  private clientChallenge: Uint8Array = new Uint8Array(0);
  /** Long GET answers waiting for GET-Request-Next, and long SET/ACTION requests being assembled. */
  private blocks: BlockState = newBlockState();

  constructor(readonly config: ServerAssociationConfig, readonly clientSap: number) {}

  /** The client's system title, in a ciphered association (security setup shows it). */
  get clientSystemTitle(): Uint8Array | null {
    return this.protection?.peerSystemTitle ?? null;
  }

  /** Answers one APDU; null when no answer is due. */
  receive(bytes: Uint8Array, now: number): Uint8Array | null {
    let apdu: Apdu;
    let ciphered = false;
    try {
      if (bytes.length > 0 && isCipheredTag(bytes[0])) {
        if (!this.protection) return this.exception(1, ServiceError['deciphering-error']);
        apdu = decodeApdu(this.protection.open(bytes));
        ciphered = true;
      } else {
        apdu = decodeApdu(bytes);
      }
    } catch (e) {
      if (e instanceof SecurityError) {
        const error = e.reason === 'replayed-counter' ? ServiceError['invocation-counter-error'] : ServiceError['deciphering-error'];
        return error === ServiceError['invocation-counter-error']
          ? encodeApdu({ kind: 'ExceptionResponse', stateError: 1, serviceError: error, invocationCounter: (this.config.guard.lastAccepted(this.protection!.peerSystemTitle!) ?? 0) + 1 })
          : this.exception(1, error);
      }
      if (e instanceof ProtocolError) return this.exception(2, ServiceError['service-not-supported']);
      throw e;
    }
    if (apdu.kind === 'AARQ') return this.onAarq(apdu);
    if (apdu.kind === 'RLRQ') {
      this.release();
      return encodeApdu({ kind: 'RLRE', reason: 0 });
    }
    if (this.state === 'idle') return this.exception(1);
    // With a ciphered context nothing but ciphered APDUs is accepted.
    if (this.protection && !ciphered) return this.exception(1);
    const answer = this.state === 'awaiting-hls' ? this.onHlsReply(apdu) : this.serve(apdu, now);
    if (!answer) return null;
    return this.protection ? this.protection.seal(answer) : answer;
  }

  private serve(apdu: Apdu, now: number): Uint8Array | null {
    const ctx: AccessContext = { clientSap: this.clientSap, authentication: this.policy!.authentication, now };
    // Room for block headers and, with ciphering, the security header and tag.
    const maxPdu = this.clientMaxReceivePduSize - (this.protection ? 32 : 16);
    return serveRequest(apdu, this.config.objects, ctx, this.blocks, Math.max(32, maxPdu));
  }

  private onAarq(aarq: AARQ): Uint8Array {
    this.release();
    const policy = this.config.policy(this.clientSap);
    const ciphered = aarq.applicationContextName === ApplicationContextName['logical-name-ciphered'];
    if (aarq.applicationContextName !== ApplicationContextName['logical-name'] && !ciphered) {
      return this.reject(AcseServiceUserDiagnostic['application-context-name-not-supported'], aarq.applicationContextName);
    }
    if (!policy) return this.reject(AcseServiceUserDiagnostic['no-reason-given'], 1);
    const mechanism = aarq.mechanismName ?? 0;
    if (mechanism !== MECHANISM_ID[policy.authentication]) {
      const d = mechanism === 0 ? AcseServiceUserDiagnostic['authentication-mechanism-name-required'] : AcseServiceUserDiagnostic['authentication-mechanism-name-not-recognised'];
      return this.reject(d, ciphered ? 3 : 1);
    }
    const given = aarq.callingAuthenticationValue?.kind === 'charstring' ? aarq.callingAuthenticationValue.value : null;
    if (policy.authentication === 'low') {
      try {
        if (!given) throw new SecurityError('no password', 'wrong-password');
        checkLowLevelPassword(policy.password ?? new Uint8Array(0), given);
      } catch {
        return this.reject(AcseServiceUserDiagnostic['authentication-failure'], 1);
      }
    }
    if (ciphered !== (policy.keys !== undefined) || (ciphered && !aarq.callingApTitle)) {
      return this.reject(AcseServiceUserDiagnostic['application-context-name-not-supported'], ciphered ? 3 : 1);
    }
    if (policy.keys) {
      // Requests protected less than the security policy demands are refused (the InitiateRequest
      // in the AARQ included): accepting them would let a downgrade go unnoticed.
      const requiredProtection = policy.requestProtection ?? SecurityPolicy.authenticatedEncrypted;
      this.protection = new Protection({ systemTitle: this.config.systemTitle, ...policy.keys, counter: this.config.counter, guard: this.config.guard, requiredProtection });
      this.protection.peerSystemTitle = aarq.callingApTitle!;
    }
    let initiate: Apdu;
    try {
      if (!aarq.userInformation) throw new ProtocolError('AARQ without InitiateRequest', 0, 'acse');
      initiate = decodeApdu(this.protection ? this.protection.open(aarq.userInformation) : aarq.userInformation);
      if (initiate.kind !== 'InitiateRequest') throw new ProtocolError(`user-information holds ${initiate.kind}`, 0, 'acse');
    } catch (e) {
      if (!(e instanceof ProtocolError || e instanceof SecurityError)) throw e;
      this.protection = null;
      return this.reject(e instanceof SecurityError ? AcseServiceUserDiagnostic['authentication-failure'] : AcseServiceUserDiagnostic['no-reason-given'], ciphered ? 3 : 1);
    }
    if (initiate.proposedDlmsVersionNumber < DLMS_VERSION) {
      // The AARE carries a ConfirmedServiceError: initiateError / initiate / dlms-version-too-low.
      const error = encodeApdu({ kind: 'ConfirmedServiceError', service: 1, errorType: ServiceErrorType.initiate, value: InitiateError['dlms-version-too-low'] });
      return this.reject(AcseServiceUserDiagnostic['no-reason-given'], ciphered ? 3 : 1, error);
    }
    this.policy = policy;
    this.conformance = initiate.proposedConformance & (this.config.conformance ?? SERVER_CONFORMANCE);
    this.clientMaxReceivePduSize = initiate.clientMaxReceivePduSize === 0 ? 0xffff : initiate.clientMaxReceivePduSize;
    const response = encodeApdu({
      kind: 'InitiateResponse',
      negotiatedDlmsVersionNumber: DLMS_VERSION,
      negotiatedConformance: this.conformance,
      serverMaxReceivePduSize: this.config.maxReceivePduSize ?? 0x400,
      vaaName: 0x0007,
    });
    const hls = policy.authentication === 'high-gmac';
    if (hls) {
      this.clientChallenge = given ?? new Uint8Array(0);
      this.serverChallenge = this.config.challenge();
    }
    this.state = hls ? 'awaiting-hls' : 'associated';
    const aare: AcseApdu = {
      kind: 'AARE',
      applicationContextName: ciphered ? 3 : 1,
      result: 0,
      resultSourceDiagnostic: { source: 'acse-service-user', diagnostic: hls ? AcseServiceUserDiagnostic['authentication-required'] : 0 },
      ...(this.protection && { respondingApTitle: this.config.systemTitle }),
      ...(policy.authentication !== 'none' && {
        responderAcseRequirements: { authentication: true },
        mechanismName: MECHANISM_ID[policy.authentication],
      }),
      ...(hls && { respondingAuthenticationValue: { kind: 'charstring', value: this.serverChallenge } }),
      userInformation: this.protection ? this.protection.seal(response) : response,
    };
    return encodeApdu(aare);
  }

  /** HLS passes 3 and 4: check the client's f(StoC), answer with our f(CtoS). */
  private onHlsReply(apdu: Apdu): Uint8Array {
    const isReply =
      apdu.kind === 'ActionRequestNormal' &&
      apdu.method.classId === ASSOCIATION_LN.classId &&
      apdu.method.instanceId === ASSOCIATION_LN.instanceId &&
      apdu.method.methodId === ASSOCIATION_LN.methodId &&
      apdu.parameters?.type === 'octet-string';
    const invoke = 'invokeId' in apdu ? { invokeId: apdu.invokeId, serviceClass: apdu.serviceClass, priority: apdu.priority } : { invokeId: 0, serviceClass: 'confirmed' as const, priority: 'high' as const };
    if (!isReply) return encodeApdu({ kind: 'ActionResponseNormal', ...invoke, result: ActionResult['read-write-denied'] });
    const keys = this.policy!.keys!;
    try {
      verifyHlsGmacReply({ reply: (apdu.parameters as { value: Uint8Array }).value, challenge: this.serverChallenge, peerSystemTitle: this.protection!.peerSystemTitle!, ...keys });
    } catch (e) {
      if (!(e instanceof SecurityError || e instanceof ProtocolError)) throw e;
      this.state = 'idle';
      return encodeApdu({ kind: 'ActionResponseNormal', ...invoke, result: ActionResult['other-reason'] });
    }
    const reply = hlsGmacReply({ challenge: this.clientChallenge, systemTitle: this.config.systemTitle, invocationCounter: this.config.counter.take(), ...keys });
    this.state = 'associated';
    return encodeApdu({ kind: 'ActionResponseNormal', ...invoke, result: 0, returnParameters: { kind: 'data', data: { type: 'octet-string', value: reply } } });
  }

  private reject(diagnostic: number, context: number, userInformation?: Uint8Array): Uint8Array {
    this.release();
    return encodeApdu({
      kind: 'AARE',
      applicationContextName: context,
      result: 1,
      resultSourceDiagnostic: { source: 'acse-service-user', diagnostic },
      ...(userInformation && { userInformation }),
    });
  }

  /** exception-response (Green Book 9.3.?): state-error 1 service-not-allowed, 2 service-unknown. */
  private exception(stateError: number, serviceError: number = ServiceError['operation-not-possible']): Uint8Array {
    return encodeApdu({ kind: 'ExceptionResponse', stateError, serviceError });
  }

  private release(): void {
    this.state = 'idle';
    this.policy = null;
    this.protection = null;
    this.blocks = newBlockState();
  }
}
