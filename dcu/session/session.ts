// A DLMS client session with one meter over one transport: connect and associate, then
// GET/SET/ACTION with block transfer and ciphering done by the association state machine.
// Errors keep their kind (LinkTimeout, ProtocolError, AccessError, SecurityError) and
// gain the meter's name, so a technician reads "meter 12345678: wrong password…".
import { LinkTimeout, ProtocolError } from '../../shared/errors.js';
import { ClientAssociation, type ClientResult } from '../../shared/dlms/association/client.js';
import type { ClientAssociationConfig, Negotiated } from '../../shared/dlms/association/settings.js';
import type { CosemData } from '../../shared/dlms/data.js';
import type { Obis } from '../../shared/dlms/obis.js';
import type { SelectiveAccessDescriptor } from '../../shared/dlms/apdu/index.js';
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
}

export class DlmsSession {
  private association: ClientAssociation;
  negotiated: Negotiated | null = null;
  /** One operation at a time: callers may fire several, they run in turn. */
  private queue: Promise<unknown> = Promise.resolve();

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
    const result = await this.exchange(() => this.association.associate());
    if (result.kind !== 'associated') throw new ProtocolError(`association ended in ${result.kind}`, 0, 'acse');
    this.negotiated = result.negotiated;
    return result.negotiated;
  }

  async get(classId: number, instanceId: Obis, attributeId: number, access?: SelectiveAccessDescriptor): Promise<CosemData> {
    const result = await this.retrying(() => this.exchange(() => this.association.get({ classId, instanceId, attributeId }, access)));
    if (result.kind !== 'data') throw new ProtocolError(`GET ended in ${result.kind}`, 0, 'xdlms');
    return result.value;
  }

  async set(classId: number, instanceId: Obis, attributeId: number, value: CosemData): Promise<void> {
    await this.exchange(() => this.association.set({ classId, instanceId, attributeId }, value));
  }

  /** ACTIONs are not repeated after a link failure: the caller reads back and decides. */
  async action(classId: number, instanceId: Obis, methodId: number, parameters?: CosemData): Promise<CosemData | null> {
    const result = await this.exchange(() => this.association.action({ classId, instanceId, methodId }, parameters));
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
  private exchange(first: () => Uint8Array): Promise<ClientResult> {
    const next = this.queue.then(() => this.exchangeNow(first));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private exchangeNow(first: () => Uint8Array): Promise<ClientResult> {
    const transport = this.options.transport;
    const run = async (): Promise<ClientResult> => {
      if (!transport.isOpen) throw new LinkTimeout(`${transport.description} is not connected`, 0);
      let apdu = first();
      for (;;) {
        let answer: Uint8Array;
        try {
          answer = await transport.request(apdu);
        } catch (e) {
          this.association = new ClientAssociation(this.options.association); // its state died with the link
          throw e;
        }
        const step = this.association.receive(answer);
        if (step.kind === 'done') return step.result;
        if (step.kind === 'fail') throw step.error;
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
