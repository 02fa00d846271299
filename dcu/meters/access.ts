// How the DCU opens a DLMS session to a meter in its directory: which bus, which address,
// which security profile — and the DCU's invocation counter and the meters' counters,
// persisted so that no counter is ever reused across restarts.
import { randomBytes } from 'node:crypto';
import { fromHex } from '../../shared/bytes.js';
import type { ClientAssociationConfig } from '../../shared/dlms/association/settings.js';
import { type ReceivedCounters, ReplayGuard, ReservedCounter } from '../../shared/dlms/security/invocation-counter.js';
import { serverAddress } from '../../shared/hdlc/address.js';
import type { DcuConfig } from '../config.js';
import type { Bus, MeterLink } from '../links/bus.js';
import { G3Network } from '../links/g3/network.js';
import { G3_MAX_APDU, G3Transport } from '../links/g3/transport.js';
import { HdlcTransport } from '../links/hdlc-transport.js';
import type { ApduTransport } from '../links/transport.js';
import type { MeterRecord } from '../store/index.js';
import type { DcuStore } from '../store/index.js';
import { DlmsSession } from '../session/session.js';
import { type StoredMeterKeys, meterKeys } from './keys.js';

const COUNTER_KEY = 'security.invocationCounter';
const RECEIVED_KEY = 'security.receivedCounters';

export type BusConfig = DcuConfig['buses'][number];
export type G3NetworkConfig = DcuConfig['g3'][number];
/** The configuration of the link a meter is on: an RS485 bus or a G3-PLC network. */
export type LinkConfig = BusConfig | G3NetworkConfig;

export class MeterAccess {
  /** The DCU's sending counter: one for all meters, since it is tied to the DCU's system title. */
  readonly counter: ReservedCounter;
  /** Counters received from meters, by their system titles. */
  readonly guard: ReplayGuard;
  private readonly systemTitle: Uint8Array;

  constructor(private readonly store: DcuStore, private readonly config: DcuConfig) {
    this.systemTitle = fromHex(config.systemTitle);
    this.counter = new ReservedCounter(store.config.value<number>(COUNTER_KEY, 1), (reserve) => store.config.set(COUNTER_KEY, reserve));
    this.guard = new ReplayGuard(store.config.value<ReceivedCounters>(RECEIVED_KEY, {}));
  }

  association(profileName: string): ClientAssociationConfig {
    const p = this.config.profiles[profileName];
    if (!p) throw new Error(`no security profile "${profileName}" in the configuration`);
    const challenge = () => new Uint8Array(randomBytes(16));
    if (p.authentication === 'none') return { authentication: 'none', challenge };
    if (p.authentication === 'low') return { authentication: 'low', password: new TextEncoder().encode(p.password!), challenge };
    return {
      authentication: 'high-gmac',
      security: { systemTitle: this.systemTitle, blockCipherKey: fromHex(p.blockCipherKey!), authenticationKey: fromHex(p.authenticationKey!), counter: this.counter, guard: this.guard },
      challenge,
    };
  }

  clientSap(profileName: string): number {
    return this.config.profiles[profileName]!.clientSap;
  }

  /** A session to the meter at `physical` on `bus` (the caller holds the bus). */
  session(bus: Bus, busConfig: BusConfig, physical: number, name: string, options: { responseTimeout?: number; maxRetries?: number; profile?: string } = {}): DlmsSession {
    const profile = options.profile ?? busConfig.profile;
    const transport = this.transport(bus, busConfig, physical, this.clientSap(profile), options);
    return new DlmsSession({ meter: name, transport, association: this.association(profile), operationTimeout: 120_000 });
  }

  private transport(bus: Bus, busConfig: BusConfig, physical: number, client: number, options: { responseTimeout?: number; maxRetries?: number } = {}): HdlcTransport {
    return new HdlcTransport(bus.channel, {
      client,
      server: serverAddress(1, physical),
      proposal: { maxInfoTx: busConfig.maxInfo, maxInfoRx: busConfig.maxInfo, windowTx: busConfig.window, windowRx: busConfig.window },
      responseTimeout: options.responseTimeout ?? busConfig.responseTimeoutMs,
      maxRetries: options.maxRetries ?? 3,
    });
  }

  /** A G3 meter's transport: the wrapper through the network's modem, to its EUI-64. */
  private g3Transport(network: G3Network, config: G3NetworkConfig, meter: MeterRecord, client: number): ApduTransport {
    if (meter.networkAddress === null) throw new Error(`meter ${meter.serial} has no EUI-64 in the directory`);
    if (network.node(meter.networkAddress) === undefined && meter.shortAddress !== null) network.remember(meter.networkAddress, meter.shortAddress, meter.hops);
    return new G3Transport(network, { eui64: meter.networkAddress, client, logicalDevice: meter.logicalDevice ?? config.logicalDevice, maxRetries: config.maxRetries });
  }

  /** A session for reading: the meter's own keys (delivered sealed by the cloud), its own profile, else the bus's. */
  sessionFor(bus: MeterLink, busConfig: LinkConfig, meter: MeterRecord): DlmsSession {
    if (bus instanceof G3Network) {
      const config = busConfig as G3NetworkConfig;
      const own = meterKeys(this.store, meter.serial);
      if (own) return new DlmsSession({ meter: meter.serial, transport: this.g3Transport(bus, config, meter, own.clientSap), association: { ...this.ownAssociation(own), maxReceivePduSize: G3_MAX_APDU }, operationTimeout: 600_000 });
      return this.g3Session(bus, config, meter, meter.securityProfile ?? config.profile);
    }
    return this.busSessionFor(bus as Bus, busConfig as BusConfig, meter);
  }

  /** A session to a G3 meter with a named security profile. */
  g3Session(network: G3Network, config: G3NetworkConfig, meter: MeterRecord, profile: string): DlmsSession {
    // Many hops and repeats make one operation long; the deadline is only a last resort.
    return new DlmsSession({ meter: meter.serial, transport: this.g3Transport(network, config, meter, this.clientSap(profile)), association: { ...this.association(profile), maxReceivePduSize: G3_MAX_APDU }, operationTimeout: 600_000 });
  }

  private busSessionFor(bus: Bus, busConfig: BusConfig, meter: MeterRecord): DlmsSession {
    if (meter.physicalAddress === null) throw new Error(`meter ${meter.serial} has no HDLC address in the directory`);
    const own = meterKeys(this.store, meter.serial);
    if (own) {
      const transport = this.transport(bus, busConfig, meter.physicalAddress, own.clientSap);
      return new DlmsSession({ meter: meter.serial, transport, association: this.ownAssociation(own), operationTimeout: 120_000 });
    }
    return this.session(bus, busConfig, meter.physicalAddress, meter.serial, { ...(meter.securityProfile && { profile: meter.securityProfile }) });
  }

  /** The association a meter's own keys give: HLS-GMAC with keys, LLS with a password. */
  private ownAssociation(k: StoredMeterKeys): ClientAssociationConfig {
    const challenge = () => new Uint8Array(randomBytes(16));
    if (k.ek && k.ak) {
      return { authentication: 'high-gmac', security: { systemTitle: this.systemTitle, blockCipherKey: fromHex(k.ek), authenticationKey: fromHex(k.ak), counter: this.counter, guard: this.guard }, challenge };
    }
    return k.password !== null ? { authentication: 'low', password: new TextEncoder().encode(k.password), challenge } : { authentication: 'none', challenge };
  }

  /**
   * A session for changing the meter (relay, clock): the bus's control profile — usually
   * the management client with HLS — since a reading client may not write.
   */
  controlSessionFor(bus: MeterLink, busConfig: LinkConfig, meter: MeterRecord): DlmsSession {
    if (!busConfig.controlProfile) return this.sessionFor(bus, busConfig, meter);
    if (bus instanceof G3Network) return this.g3Session(bus, busConfig as G3NetworkConfig, meter, busConfig.controlProfile);
    if (meter.physicalAddress === null) throw new Error(`meter ${meter.serial} has no HDLC address in the directory`);
    return this.session(bus as Bus, busConfig as BusConfig, meter.physicalAddress, meter.serial, { profile: busConfig.controlProfile });
  }

  /** Stores the counters received from meters (after each session). */
  saveReceived(): void {
    this.store.config.set(RECEIVED_KEY, this.guard.toJSON());
  }
}
