// A DLMS client session with one meter over one transport: connect and associate, then
// GET/SET/ACTION with block transfer and ciphering done by the association state machine.
// Errors keep their kind (LinkTimeout, ProtocolError, AccessError, SecurityError) and
// gain the meter's name, so a technician reads "meter 12345678: wrong password…".
//
// Over UDP (wrapper, G3-PLC) a lost answer makes the transport send the same bytes again,
// with the same invocation counter: once the meter's repeat cache has forgotten them, a
// standard meter refuses the repeat as a replay (exception-response invocation-counter-error).
// A request that is safe to run twice (any GET; a SET or ACTION the caller marks idempotent)
// is then ciphered again with a new counter and sent once more. Any other request is not:
// the meter has it, so its refusal is reported as a lost answer (LinkTimeout), for the
// caller to read back what the meter did.
import { AccessError, LinkTimeout, ProtocolError } from '../../shared/errors.js';
import { ClientAssociation, type ClientResult, ExceptionResponseError } from '../../shared/dlms/association/client.js';
import { isCipheredTag, parseCipheredApdu } from '../../shared/dlms/security/ciphered-apdu.js';
import type { ClientAssociationConfig, Negotiated } from '../../shared/dlms/association/settings.js';
import type { CosemData } from '../../shared/dlms/data.js';
import type { Obis } from '../../shared/dlms/obis.js';
import { type AttributeWithSelection, type SelectiveAccessDescriptor, dataAccessResultName, hasConformance } from '../../shared/dlms/apdu/index.js';
import type { ApduTransport } from '../links/transport.js';

export interface SessionOptions {
  /** How the meter is named in errors and logs (serial number or address). */
  meter: string;
  transport: ApduTransport;
  association: ClientAssociationConfig;
  /** Upper bound for one operation, block transfer included, in ms. */
  operationTimeout?: number;
  /** Reconnects (link + association) before a failed read is given up. */
  reconnects?: number;
  /**
   * Most attributes asked for in one GET-with-list (default 10); longer lists go in several
   * requests. Meters cap list length (often at 10 to 32); 1 turns lists off.
   */
  maxListItems?: number;
  /** Told each time the meter refuses a repeated ciphered request as a replay (also kept in `replays`). */
  onReplayRefused?: (event: ReplayRefused) => void;
}

/** SET and ACTION options. */
export interface RequestOptions {
  /**
   * Running it twice, even a while later, does what running it once does (relay connect or
   * disconnect): when the meter refuses a repeat as a replay, it is ciphered again and re-sent.
   * Default false: never sent a second time (an STS token entry; a clock shift, which would
   * shift twice; a clock set, whose time would be stale by then).
   */
  idempotent?: boolean;
}

/** A ciphered request whose transport repeat the meter refused as a replay, and what was done. */
export interface ReplayRefused {
  meter: string;
  /** e.g. "ACTION 0.0.96.3.10.255 method 1". */
  request: string;
  /** Invocation counter of the refused request, and the one the meter reported. */
  counter: number;
  reported: number | undefined;
  /** The meter's counter shows it took this very request (its answer was lost). */
  received: boolean;
  /** 'reciphered': sent again under a new counter; 'not-repeated': reported as a lost answer or a refusal. */
  outcome: 'reciphered' | 'not-repeated';
}

/**
 * The meter took the request (it refused the transport's repeat of it as a replay) but its
 * answer was lost. A LinkTimeout, so callers that read back after a lost answer do so; the
 * association is still open.
 */
export class AnswerLost extends LinkTimeout {
  constructor(message: string) {
    super(message, 0);
  }
}

/** What exchangeNow needs to know of an xDLMS request to decide on re-ciphering it. */
interface RequestKind {
  name: string;
  idempotent: boolean;
}

/** One attribute of a GET-with-list: its class, logical name, attribute and optional selective access. */
export interface ListItem {
  classId: number;
  instanceId: Obis;
  attributeId: number;
  access?: SelectiveAccessDescriptor;
}

export class DlmsSession {
  private association: ClientAssociation;
  negotiated: Negotiated | null = null;
  /** One operation at a time: callers may fire several, they run in turn. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Every replay refusal met in this session, in order. */
  readonly replays: ReplayRefused[] = [];

  constructor(readonly options: SessionOptions) {
    this.association = new ClientAssociation(options.association);
  }

  get connected(): boolean {
    return this.options.transport.isOpen && this.association.state === 'associated';
  }

  /** Opens the link and the association. */
  async connect(): Promise<Negotiated> {
    await this.named(() => this.options.transport.open());
    this.association = new ClientAssociation(this.options.association);
    // Associating again is harmless: a refused repeat of the HLS reply (pass 3) starts over.
    const result = await this.exchange(() => this.association.associate(), { name: 'association (HLS reply)', idempotent: true });
    if (result.kind !== 'associated') throw new ProtocolError(`association ended in ${result.kind}`, 0, 'acse');
    this.negotiated = result.negotiated;
    return result.negotiated;
  }

  async get(classId: number, instanceId: Obis, attributeId: number, access?: SelectiveAccessDescriptor): Promise<CosemData> {
    const request = { name: `GET ${instanceId}:${attributeId}`, idempotent: true };
    const result = await this.retrying(() => this.exchange(() => this.association.get({ classId, instanceId, attributeId }, access), request));
    if (result.kind !== 'data') throw new ProtocolError(`GET ended in ${result.kind}`, 0, 'xdlms');
    return result.value;
  }

  /** Selective access (profiles by range or entry) was negotiated; without it, it must not be used. */
  get canSelect(): boolean {
    return this.negotiated !== null && hasConformance(this.negotiated.conformance, 'selective-access');
  }

  /** Whether the meter takes several attributes in one GET (multiple-references conformance). */
  get canGetList(): boolean {
    return this.negotiated !== null && hasConformance(this.negotiated.conformance, 'multiple-references') && (this.options.maxListItems ?? 10) > 1;
  }

  /**
   * Reads several attributes with one request and one answer per list (GET-Request-With-List)
   * where the meter allows it, one GET each otherwise. Each attribute has its own outcome: its
   * value, or the meter's refusal as an AccessError value (link and protocol faults throw).
   * Every exchange saved is a turnaround and a poll saved on a slow line.
   */
  async getList(items: ListItem[]): Promise<(CosemData | AccessError)[]> {
    const out: (CosemData | AccessError)[] = [];
    if (!this.canGetList) {
      for (const i of items) out.push(await this.get(i.classId, i.instanceId, i.attributeId, i.access).catch(refusal));
      return out;
    }
    const size = this.options.maxListItems ?? 10;
    for (let at = 0; at < items.length; at += size) {
      const chunk = items.slice(at, at + size);
      if (chunk.length === 1) {
        out.push(await this.get(chunk[0].classId, chunk[0].instanceId, chunk[0].attributeId, chunk[0].access).catch(refusal));
        continue;
      }
      const attributes: AttributeWithSelection[] = chunk.map((i) => ({ attribute: { classId: i.classId, instanceId: i.instanceId, attributeId: i.attributeId }, ...(i.access && { access: i.access }) }));
      const request = { name: `GET-with-list of ${chunk.length} attributes`, idempotent: true };
      const result = await this.retrying(() => this.exchange(() => this.association.getList(attributes), request));
      if (result.kind !== 'data-list') throw new ProtocolError(`GET-with-list ended in ${result.kind}`, 0, 'xdlms');
      result.results.forEach((r, k) => {
        if (r.kind === 'data') out.push(r.data);
        else out.push(new AccessError(`meter ${this.options.meter}: GET ${chunk[k].instanceId}:${chunk[k].attributeId} refused by the meter: ${dataAccessResultName(r.dataAccessResult)}`, dataAccessResultName(r.dataAccessResult), r.dataAccessResult));
      });
    }
    return out;
  }

  /** Not repeated after a link failure; re-ciphered after a replay refusal only if idempotent. */
  async set(classId: number, instanceId: Obis, attributeId: number, value: CosemData, options: RequestOptions = {}): Promise<void> {
    const request = { name: `SET ${instanceId}:${attributeId}`, idempotent: options.idempotent ?? false };
    await this.exchange(() => this.association.set({ classId, instanceId, attributeId }, value), request);
  }

  /**
   * ACTIONs are not repeated after a link failure: the caller reads back and decides. After a
   * replay refusal they are re-ciphered and sent again only if marked idempotent.
   */
  async action(classId: number, instanceId: Obis, methodId: number, parameters?: CosemData, options: RequestOptions = {}): Promise<CosemData | null> {
    const request = { name: `ACTION ${instanceId} method ${methodId}`, idempotent: options.idempotent ?? false };
    const result = await this.exchange(() => this.association.action({ classId, instanceId, methodId }, parameters), request);
    return result.kind === 'action' ? result.returned : null;
  }

  /** Releases the association (RLRQ) and closes the link (DISC); never throws. */
  async close(): Promise<void> {
    if (this.connected) await this.exchange(() => this.association.release()).catch(() => undefined);
    await this.options.transport.close().catch(() => undefined);
  }

  /** Reads are safe to repeat: after a link failure, reconnect and try again. */
  private async retrying<T>(run: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await run();
      } catch (e) {
        const linkFault = e instanceof LinkTimeout || e instanceof ProtocolError;
        if (!linkFault || attempt >= (this.options.reconnects ?? 1)) throw e;
        await this.options.transport.close().catch(() => undefined);
        await this.connect();
      }
    }
  }

  /** Runs one association operation to its end over the transport, within the deadline. */
  private exchange(first: () => Uint8Array, request?: RequestKind): Promise<ClientResult> {
    const next = this.queue.then(() => this.exchangeNow(first, request));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private exchangeNow(first: () => Uint8Array, request?: RequestKind): Promise<ClientResult> {
    const transport = this.options.transport;
    const run = async (): Promise<ClientResult> => {
      if (!transport.isOpen) throw new LinkTimeout(`${transport.description} is not connected`, 0);
      let apdu = first();
      let reciphered = false;
      let restarted = false;
      for (;;) {
        let answer: Uint8Array;
        try {
          answer = await transport.request(apdu, (a) => this.association.answers(a));
        } catch (e) {
          this.association = new ClientAssociation(this.options.association); // its state died with the link
          throw e;
        }
        const step = this.association.receive(answer);
        if (step.kind === 'done') return step.result;
        if (step.kind === 'fail') {
          // A block transfer the meter lost track of: a repeated GET-Request-Next after a lost
          // answer (the meter already sent that block, or the last one) is refused. A GET can
          // start over, once: same operation from its first APDU, a new invoke-id.
          if (request?.idempotent && !restarted && blockTransferLost(step.error)) {
            restarted = true;
            apdu = first();
            continue;
          }
          const replay = request ? replayRefusal(apdu, step.error) : null;
          if (!replay) throw step.error;
          const again = request!.idempotent && !reciphered;
          this.recordReplay({ meter: this.options.meter, request: request!.name, ...replay, outcome: again ? 'reciphered' : 'not-repeated' });
          if (!again) {
            if (!replay.received) throw step.error;
            throw new AnswerLost(`the answer to ${request!.name} was lost and the meter refused the repeat as a replay (invocation counter ${replay.counter}): it has the request; ${request!.idempotent ? 'it was already sent again once' : 'not idempotent, so not sent again'}`);
          }
          // The association is still open (an exception-response leaves it so): the same
          // operation from its first APDU, with a new invoke-id and invocation counter.
          reciphered = true;
          apdu = first();
          continue;
        }
        apdu = step.apdu;
      }
    };
    const limit = this.options.operationTimeout ?? 120_000;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        void transport.close().catch(() => undefined);
        reject(new LinkTimeout(`operation did not finish within ${limit} ms`, limit));
      }, limit);
    });
    return this.named(() => Promise.race([run(), deadline]).finally(() => clearTimeout(timer)));
  }

  private recordReplay(event: ReplayRefused): void {
    this.replays.push(event);
    this.options.onReplayRefused?.(event);
  }

  /** Puts the meter's name in front of any error, keeping its kind. */
  private async named<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      if (e instanceof Error && !e.message.startsWith(`meter ${this.options.meter}`)) {
        e.message = `meter ${this.options.meter}: ${e.message}`;
      }
      throw e;
    }
  }
}

/**
 * The sent APDU's invocation counter, when `error` is the meter refusing that counter; null
 * for any other failure. The meter took this very request when the counter it reports is
 * this one (the last it accepted, as Gurux reports) or the next (the lowest it accepts).
 */
function replayRefusal(sent: Uint8Array, error: Error): { counter: number; reported: number | undefined; received: boolean } | null {
  if (!(error instanceof ExceptionResponseError) || !error.counterRefused || sent.length === 0 || !isCipheredTag(sent[0])) return null;
  const counter = parseCipheredApdu(sent).invocationCounter;
  const reported = error.reportedCounter;
  return { counter, reported, received: reported === counter || reported === counter + 1 };
}

function blockTransferLost(error: Error): boolean {
  return error instanceof AccessError && (error.result === 'data-block-number-invalid' || error.result === 'no-long-get-in-progress');
}

/** A meter's refusal becomes a value; anything else stays an exception. */
function refusal(e: unknown): AccessError {
  if (e instanceof AccessError) return e;
  throw e;
}
