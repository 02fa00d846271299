// Discovery on a G3-PLC network is driven by the modem: a COORD-JOIN-COMPLETE is "a meter
// appeared". A node the directory knows (by its EUI-64 on this link) is active again at once
// with its new short address — history kept, no DLMS needed; a new one is associated and
// identified (serial number and logical device name in one GET-with-list) and then added.
// A COORD-LEAVE makes the meter unreachable (never deleted). Pushed data-notifications
// (IDIS alarms) become 'alarm' events of the meter, which the uplink sends like any event.
// After a DCU restart the directory's G3 meters are handed to the network at once (EUI-64,
// short address, hops), so they are read without waiting for them to join again.
import { AccessError, ProtocolError } from '../../shared/errors.js';
import { hex } from '../../shared/bytes.js';
import { Obis } from '../../shared/dlms/obis.js';
import { decodePushedAlarm } from '../links/g3/alarm.js';
import type { G3Network, G3Node, PushedApdu } from '../links/g3/network.js';
import { G3_MAX_APDU, G3Transport } from '../links/g3/transport.js';
import type { G3NetworkConfig, MeterAccess } from '../meters/access.js';
import { DlmsSession } from '../session/session.js';
import type { DcuStore } from '../store/index.js';
import { PRIORITY } from '../tasks/default-schedule.js';
import { identityText } from './identity.js';
import type { DiscoveryLog } from './types.js';

export const G3_LINK_KIND = 'g3-plc';

export interface G3DirectoryOptions {
  network: G3Network;
  config: G3NetworkConfig;
  access: MeterAccess;
  store: DcuStore;
  log?: DiscoveryLog;
  /** Identification attempts of a new node before its failure is recorded (default 3). */
  attempts?: number;
}

export class G3Directory {
  private readonly identifying = new Map<string, Promise<void>>();
  private closed = false;

  constructor(private readonly o: G3DirectoryOptions) {
    o.network.on('join', (node) => this.joined(node));
    o.network.on('leave', (node) => this.left(node));
    o.network.on('push', (push) => this.pushed(push));
    o.network.on('routes', (nodes) => this.routes(nodes));
  }

  private get link(): string {
    return this.o.config.name;
  }

  /** Hands the directory's meters of this network to it (after a restart); returns how many. */
  restore(): number {
    let n = 0;
    for (const m of this.o.store.meters.list({ link: this.link })) {
      if (m.networkAddress === null || m.shortAddress === null || m.status === 'removed') continue;
      this.o.network.remember(m.networkAddress, m.shortAddress, m.hops);
      n++;
    }
    return n;
  }

  /** Resolves when the identifications under way are done (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.identifying.size > 0) await Promise.allSettled([...this.identifying.values()]);
  }

  close(): void {
    this.closed = true;
  }

  private joined(node: G3Node): void {
    if (this.closed) return;
    const { store } = this.o;
    const known = store.meters.byNetworkAddress(this.link, node.eui64);
    if (known) {
      const wasActive = known.status === 'active';
      store.meters.upsert({ serial: known.serial, link: this.link, linkKind: G3_LINK_KIND, networkAddress: node.eui64, shortAddress: node.shortAddress, ...(node.hops !== null && { hops: node.hops }) });
      if (!wasActive) this.o.log?.info({ serial: known.serial, eui64: node.eui64 }, `meter ${known.serial} joined ${this.link} again (short address ${node.shortAddress})`);
      return;
    }
    if (this.identifying.has(node.eui64)) return;
    const work = this.identify(node).finally(() => this.identifying.delete(node.eui64));
    this.identifying.set(node.eui64, work);
  }

  /** Hop counts go into the directory, so that after a restart timeouts fit at once. */
  private routes(nodes: G3Node[]): void {
    if (this.closed) return;
    for (const node of nodes) {
      const m = this.o.store.meters.byNetworkAddress(this.link, node.eui64);
      if (m && m.status === 'active' && m.hops !== node.hops) this.o.store.meters.upsert({ serial: m.serial, hops: node.hops }, m.lastSeen);
    }
  }

  private left(node: G3Node): void {
    const m = this.o.store.meters.byNetworkAddress(this.link, node.eui64);
    if (!m || m.status !== 'active') return;
    this.o.store.meters.setStatus(m.id, 'unreachable', `left G3 network ${this.link} (short address ${node.shortAddress})`);
    this.o.log?.warn({ serial: m.serial, eui64: node.eui64 }, `meter ${m.serial} left ${this.link}: unreachable`);
  }

  /** Associates with the new node and reads who it is; then it is in the directory. */
  private async identify(node: G3Node): Promise<void> {
    const { network, config, access, store } = this.o;
    const attempts = this.o.attempts ?? 3;
    let lastError: unknown = null;
    for (let attempt = 0; attempt < attempts && !this.closed && !node.left; attempt++) {
      try {
        const found = await network.exclusive(async () => {
          const session = new DlmsSession({
            meter: `${node.eui64} on ${this.link}`,
            transport: new G3Transport(network, { eui64: node.eui64, client: access.clientSap(config.profile), logicalDevice: config.logicalDevice, maxRetries: config.maxRetries }),
            association: { ...access.association(config.profile), maxReceivePduSize: G3_MAX_APDU },
            operationTimeout: 600_000,
          });
          try {
            await session.connect();
            const [ldn, serial] = await session.getList([
              { classId: 1, instanceId: Obis.logicalDeviceName, attributeId: 2 },
              { classId: 1, instanceId: Obis.serialNumber, attributeId: 2 },
            ]);
            const logicalDeviceName = ldn instanceof AccessError ? null : identityText(ldn);
            const serialNumber = serial instanceof AccessError ? null : identityText(serial);
            return { logicalDeviceName, serial: serialNumber ?? logicalDeviceName };
          } finally {
            await session.close();
            access.saveReceived();
          }
        }, PRIORITY.scheduled);
        if (found.serial === null) throw new ProtocolError('neither serial number (0.0.96.1.0.255) nor logical device name (0.0.42.0.0.255) readable', 0, 'cosem');
        if (this.closed) return;
        const upserted = store.meters.upsert({
          serial: found.serial,
          logicalDeviceName: found.logicalDeviceName,
          link: this.link,
          linkKind: G3_LINK_KIND,
          physicalAddress: null,
          logicalDevice: config.logicalDevice,
          networkAddress: node.eui64,
          shortAddress: node.shortAddress,
          hops: node.hops,
          clientSap: access.clientSap(config.profile),
          securityProfile: config.profile,
        });
        store.meters.recordExchange(upserted.meter.id, { ok: true });
        this.o.log?.info({ serial: found.serial, eui64: node.eui64, short: node.shortAddress }, `meter ${found.serial} joined ${this.link}${upserted.created ? ' (new)' : ''}`);
        return;
      } catch (e) {
        lastError = e;
      }
    }
    if (this.closed || lastError === null) return;
    const error = lastError instanceof Error ? lastError : new Error(String(lastError));
    store.events.append({
      kind: 'discovery-failed',
      severity: 'warning',
      details: { link: this.link, eui64: node.eui64, shortAddress: node.shortAddress, stage: 'identity', cause: `node ${node.eui64} joined ${this.link} but could not be identified: ${error.message}`, error: error.name, profile: config.profile },
    });
    this.o.log?.warn({ eui64: node.eui64, error: error.message }, `node ${node.eui64} on ${this.link} not identified`);
  }

  private pushed(push: PushedApdu): void {
    const { store } = this.o;
    const meter = push.node ? store.meters.byNetworkAddress(this.link, push.node.eui64) : undefined;
    const where = { link: this.link, eui64: push.node?.eui64 ?? null, shortAddress: push.from };
    try {
      const alarm = decodePushedAlarm(push.apdu);
      store.events.append({
        meter: meter?.id ?? null,
        kind: 'alarm',
        severity: 'warning',
        // ts: when the DCU received it; the meter's own time stamp is in the details.
        details: { serial: meter?.serial ?? alarm.logicalDeviceName, ...where, alarmRegister: alarm.alarmRegister, bits: alarm.bits, logicalDeviceName: alarm.logicalDeviceName, meterTime: alarm.at, invokeId: alarm.invokeId },
      });
    } catch (e) {
      store.events.append({ meter: meter?.id ?? null, kind: 'push-undecodable', severity: 'warning', details: { serial: meter?.serial ?? null, ...where, error: (e as Error).message, apdu: hex(push.apdu) } });
    }
  }
}
