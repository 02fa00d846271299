// createSimulatedMeter: one simulated meter — its value model, run-time state and COSEM
// object model — ready for an association state machine (shared/dlms/association) and a
// transport. Pure: no I/O, no timers; every call takes the time it happens at.
import type { AccessContext, CosemServerObjects, ServerPolicy } from '../../shared/dlms/association/server-objects.js';
import { Obis } from '../../shared/dlms/obis.js';
import { type Role, DEFAULT_CLIENT_SAPS } from './access.js';
import { DEFAULT_XDLMS, buildCatalog } from './catalog.js';
import { type ClockJump, MeterClock } from './clock.js';
import type { RelayTrigger } from './disconnect.js';
import { MeterEnv } from './env.js';
import { type CoverOpening, configuredEvents, eventLog } from './events.js';
import { hashInts, hashString } from './hash.js';
import { type EnergyRegisters, MeterModel } from './model.js';
import { ObjectModel } from './object-model.js';
import type { XdlmsContext } from './objects/association-ln.js';
import type { TimeRange } from './ranges.js';
import { type MeterEvent, type MeterState, PaymentMode, initialState, restoreState } from './state.js';
import type { FriendlyPeriods } from '../../shared/prepayment/friendly.js';
import { parseFriendlyPeriods } from '../../shared/prepayment/friendly.js';
import { PrepaymentAccount, type TokenOutcome } from './prepayment/account.js';
import { addPrepaymentObjects } from './prepayment/objects.js';
import { type StsConfig, type StsIdentity, initialStsState, stsIdentity } from './prepayment/sts-identity.js';
import { TokenDelivery } from './objects/token-gateway.js';

export interface SimulatedMeterConfig {
  serial: string;
  seed: number;
  /** HDLC physical device address (lower HDLC address); for the transports. */
  physicalAddress: number;
  /** HDLC upper address / wrapper wPort of the management logical device. Default 1. */
  logicalDeviceAddress?: number;
  /** UTC ms at which the registers were 0 and the profiles start. */
  startOfLife: number;
  /** Local standard time, minutes east of UTC (multiple of 15). Default 0. */
  timeZoneMinutes?: number;
  /** Power outages [from, to) in meter time: gaps in the profiles, power down/up events. */
  outages?: TimeRange[];
  /** Meter cover removals (events 44/45), meter time. */
  coverOpenings?: CoverOpening[];
  /** Has PV (exports by day). Default: from the seed. */
  pv?: boolean;
  /** Initial clock error and drift (only used when no saved state is given). */
  clock?: { offsetMs?: number; driftPpm?: number };
  /** Initial IC 70 control mode. Default 1; 5 for a meter that starts in prepayment mode. */
  controlMode?: number;
  /**
   * The meter's STS identity and decoder key (prepayment/sts-identity.ts). Every meter has
   * one; by default PAN and key derive from the serial and a well-known test vending key.
   */
  sts?: StsConfig;
  /** Prepayment account at first start (later the saved state rules). */
  prepayment?: {
    /** 'credit' (postpaid, default: tokens add credit, nothing is drawn or disconnected) or 'prepayment'. */
    mode?: 'credit' | 'prepayment';
    /** Credit at first start, Wh. Default 0. */
    initialCreditWh?: number;
    /** Low-credit warning threshold, Wh. Default 5000. */
    lowCreditThresholdWh?: number;
  };
  /** When the relay must not open for want of credit (night, weekend, holidays). */
  friendlyPeriods?: FriendlyPeriods;
  /** Client SAP of each role. Default public 16, reader 17, management 1. */
  clientSaps?: Partial<Record<Role, number>>;
  /** LLS password of the reader client. Default ASCII "12345678". */
  readerPassword?: Uint8Array;
  /** Suite 0 keys of the management client. Default the Gurux defaults (000102…0F, D0D1…DF). */
  managementKeys?: { blockCipherKey: Uint8Array; authenticationKey: Uint8Array };
  /** Server system title (8 bytes). Default "SIM" + 5 bytes derived from the serial. */
  systemTitle?: Uint8Array;
  /** Logical device name (0.0.42.0.0.255). Default "SIM" + serial. */
  logicalDeviceName?: string;
  /** Buffer sizes. Defaults: load profile 3840 (40 days), daily billing 62, event log 256. */
  profileEntries?: { load?: number; daily?: number; events?: number };
  faults?: {
    /** Steps of the meter clock at given real times, without an event (RTC fault). */
    clockJumps?: ClockJump[];
  };
  /** Values owned by the association layer. */
  hooks?: {
    /** Value of 0.0.43.1.0.255; default state.invocationCounter. */
    invocationCounter?: (ctx: AccessContext) => number;
    /** The client system title of the association (security setup attribute 4). */
    clientSystemTitle?: (ctx: AccessContext) => Uint8Array | undefined;
    /** Negotiated xDLMS context (association LN attribute 5). */
    xdlms?: (ctx: AccessContext) => XdlmsContext;
  };
}

export interface SimulatedMeter {
  readonly objects: CosemServerObjects;
  /** How a client SAP may associate, or undefined: the SAP is not served. */
  policy(clientSap: number): ServerPolicy | undefined;
  readonly model: MeterModel;
  /** Plain data; persist it and pass it back to createSimulatedMeter to resume. */
  readonly state: MeterState;
  readonly serial: string;
  readonly physicalAddress: number;
  readonly logicalDeviceAddress: number;
  readonly systemTitle: Uint8Array;
  readonly clientSaps: Readonly<Record<Role, number>>;
  /** The meter's clock (UTC ms) at real time `now`. */
  meterTime(now: number): number;
  /** The registers as the meter shows them at real time `now` (relay-open periods included). */
  energy(now: number): EnergyRegisters;
  /** The standard event log as it stands at real time `now`, oldest first. */
  events(now: number): MeterEvent[];
  /** A relay trigger outside DLMS (button, local function); false if nothing changed. */
  trigger(trigger: RelayTrigger, now: number): boolean;
  /** Fault injection: the meter clock jumps by `byMs` now, without an event. */
  jumpClock(byMs: number): void;
  /** The STS identity the meter was built with (its current key is in state.prepayment.sts). */
  readonly sts: StsIdentity;
  /** Prepayment credit in Wh at real time `now` (relay opened first if the credit ran out). */
  credit(now: number): number;
  /** A token keyed in on the meter's keypad (token_delivery_method 2, manual entry). */
  keypad(digits: string, now: number): TokenOutcome;
}

const GURUX_BLOCK_CIPHER_KEY = Uint8Array.from({ length: 16 }, (_, i) => i);
const GURUX_AUTHENTICATION_KEY = Uint8Array.from({ length: 16 }, (_, i) => 0xd0 + i);

function defaultSystemTitle(serial: string, seed: number): Uint8Array {
  const h = hashInts(hashString(serial), seed);
  return Uint8Array.from([0x53, 0x49, 0x4d, (h >>> 24) & 0xff, (h >>> 16) & 0xff, (h >>> 8) & 0xff, h & 0xff, hashString(serial) & 0xff]);
}

export function createSimulatedMeter(config: SimulatedMeterConfig, saved?: Partial<MeterState>): SimulatedMeter {
  const model = new MeterModel({
    seed: config.seed,
    serial: config.serial,
    startOfLife: config.startOfLife,
    timeZoneMinutes: config.timeZoneMinutes,
    outages: config.outages,
    pv: config.pv,
  });
  const sts = stsIdentity(config.serial, config.sts);
  const prepaid = config.prepayment?.mode === 'prepayment';
  const defaults = initialState({
    offsetMs: config.clock?.offsetMs,
    driftPpm: config.clock?.driftPpm,
    // Mode 5 = mode 1 plus local reconnection: a purchase can close the relay (prepayment/account.ts).
    controlMode: config.controlMode ?? (prepaid ? 5 : undefined),
    now: config.startOfLife,
    prepayment: {
      sts: initialStsState(sts, config.sts),
      paymentMode: prepaid ? PaymentMode.prepayment : PaymentMode.credit,
      creditWh: config.prepayment?.initialCreditWh ?? 0,
      settledAt: config.startOfLife,
      creditDisconnect: false,
      activatedAt: config.startOfLife,
      lastToken: null,
    },
  });
  const state = saved === undefined ? defaults : restoreState(saved, defaults);
  // Blue Book deviation has the opposite sign; 0 - x, not -x, so UTC gives +0 and not -0.
  const clock = new MeterClock(state.clock, config.faults?.clockJumps ?? [], 0 - model.timeZoneMinutes);
  const systemTitle = config.systemTitle ?? defaultSystemTitle(config.serial, config.seed);
  if (systemTitle.length !== 8) throw new RangeError(`system title must be 8 bytes, got ${systemTitle.length}`);
  const configured = configuredEvents(model.outages, config.coverOpenings ?? []);
  const env = new MeterEnv(model, state, clock, {
    serial: config.serial,
    logicalDeviceName: config.logicalDeviceName ?? `SIM${config.serial}`,
    systemTitle,
    logicalDeviceAddress: config.logicalDeviceAddress ?? 1,
    configuredEvents: configured,
    eventLogEntries: config.profileEntries?.events ?? 256,
    loadProfileEntries: config.profileEntries?.load ?? 3840,
    dailyProfileEntries: config.profileEntries?.daily ?? 62,
    invocationCounter: config.hooks?.invocationCounter,
    clientSystemTitle: config.hooks?.clientSystemTitle,
  });
  const clientSaps: Record<Role, number> = { ...DEFAULT_CLIENT_SAPS, ...config.clientSaps };
  const objectModel = new ObjectModel(clientSaps);
  buildCatalog(env, objectModel, config.hooks?.xdlms ?? (() => DEFAULT_XDLMS));
  const account = new PrepaymentAccount(env, {
    ...(config.friendlyPeriods && { friendlyPeriods: parseFriendlyPeriods(config.friendlyPeriods) }),
    lowCreditThresholdWh: config.prepayment?.lowCreditThresholdWh ?? 5000,
  });
  addPrepaymentObjects(env, objectModel, account);
  // Credit runs out between requests: bring the relay up to date before each one.
  const settle = (now: number) => account.update(clock.time(now));
  const objects: CosemServerObjects = {
    get: (d, access, ctx) => (settle(ctx.now), objectModel.get(d, access, ctx)),
    set: (d, value, access, ctx) => (settle(ctx.now), objectModel.set(d, value, access, ctx)),
    action: (m, parameters, ctx) => (settle(ctx.now), objectModel.action(m, parameters, ctx)),
  };

  const password = config.readerPassword ?? new TextEncoder().encode('12345678');
  const keys = config.managementKeys ?? { blockCipherKey: GURUX_BLOCK_CIPHER_KEY, authenticationKey: GURUX_AUTHENTICATION_KEY };

  return {
    objects,
    model,
    state,
    serial: config.serial,
    physicalAddress: config.physicalAddress,
    logicalDeviceAddress: env.options.logicalDeviceAddress,
    systemTitle,
    clientSaps,
    policy(clientSap) {
      if (clientSap === clientSaps.public) return { authentication: 'none' };
      if (clientSap === clientSaps.reader) return { authentication: 'low', password };
      if (clientSap === clientSaps.management) return { authentication: 'high-gmac', keys };
      return undefined;
    },
    meterTime: (now) => clock.time(now),
    energy: (now) => (settle(now), env.energyFunction()(clock.time(now))),
    events: (now) => {
      settle(now);
      const log = eventLog(configured, state.events, clock.time(now), state.profileResets[Obis.standardEventLog]);
      return log.slice(Math.max(0, log.length - env.options.eventLogEntries));
    },
    trigger: (trigger, now) => (settle(now), env.relay(trigger, clock.time(now))),
    jumpClock: (byMs) => clock.jump(byMs),
    sts,
    credit: (now) => (settle(now), account.creditAt(clock.time(now))),
    keypad: (digits, now) => account.enter(new TextEncoder().encode(digits), clock.time(now), TokenDelivery.manual),
  };
}
