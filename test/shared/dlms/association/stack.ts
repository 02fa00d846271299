// A whole client/server stack in memory for tests: client association → HDLC client
// link → lossy test wire → HDLC server link → server association → an object model.
import { serverAddress } from '../../../../shared/hdlc/address.js';
import { HdlcClientLink } from '../../../../shared/hdlc/client-link.js';
import { HdlcServerLink } from '../../../../shared/hdlc/server-link.js';
import { ClientAssociation, type ClientStep } from '../../../../shared/dlms/association/client.js';
import { ServerAssociation, type ServerAssociationConfig } from '../../../../shared/dlms/association/server.js';
import type { ClientAssociationConfig } from '../../../../shared/dlms/association/settings.js';
import { Wire } from '../../hdlc/wire.js';

export interface StackOptions {
  clientSap: number;
  client: ClientAssociationConfig;
  server: ServerAssociationConfig;
  window?: number;
  maxInfo?: number;
}

export class Stack {
  readonly link: HdlcClientLink;
  readonly serverLink: HdlcServerLink;
  readonly wire: Wire;
  readonly association: ClientAssociation;
  server: ServerAssociation | null = null;
  apdusSent = 0;

  constructor(readonly options: StackOptions) {
    const window = options.window ?? 1;
    const maxInfo = options.maxInfo ?? 128;
    this.link = new HdlcClientLink({ client: options.clientSap, server: serverAddress(1, 17), proposal: { maxInfoTx: maxInfo, maxInfoRx: maxInfo, windowTx: window, windowRx: window }, responseTimeout: 500 });
    this.serverLink = new HdlcServerLink({ logical: 1, physical: 17, limits: { maxInfoTx: 1024, maxInfoRx: 1024, windowTx: 7, windowRx: 7 } });
    this.wire = new Wire(this.link, this.serverLink);
    this.association = new ClientAssociation(options.client);
    this.wire.serverApp = (apdu) => {
      if (!this.server || this.server.clientSap !== this.serverLink.client) this.server = new ServerAssociation(options.server, this.serverLink.client!);
      return this.server.receive(apdu, this.wire.now);
    };
  }

  connect(): void {
    this.wire.fromClient(this.link.open(this.wire.now));
    this.wire.run();
    if (this.link.state !== 'connected') throw new Error('HDLC did not connect');
  }

  /** Sends one APDU over HDLC and returns the server's raw answer. */
  exchange(apdu: Uint8Array): Uint8Array {
    const before = this.wire.events.clientGot.length;
    this.apdusSent++;
    this.wire.fromClient(this.link.send(apdu, this.wire.now));
    this.wire.run();
    const answer = this.wire.events.clientGot[before];
    if (!answer) throw new Error('no answer came back over HDLC');
    return answer;
  }

  /** Runs one association operation to its end, block transfer and HLS passes included. */
  run(first: Uint8Array): ClientStep {
    let apdu = first;
    for (;;) {
      const step = this.association.receive(this.exchange(apdu));
      if (step.kind !== 'send') return step;
      apdu = step.apdu;
    }
  }
}
