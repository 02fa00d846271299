// The objects of the simulated three-phase meter, with their access beyond "readers read
// everything" (access.ts). Values are computed per request from the model at the meter
// time of the request.
import type { AccessContext } from '../../shared/dlms/association/server-objects.js';
import type { CaptureObjectDefinition } from '../../shared/dlms/apdu/selective-access.js';
import { conformanceFromNames } from '../../shared/dlms/apdu/initiate.js';
import type { CosemData } from '../../shared/dlms/data.js';
import { Obis, parseObis } from '../../shared/dlms/obis.js';
import { outputState } from './disconnect.js';
import type { MeterEnv } from './env.js';
import { eventLog } from './events.js';
import type { EnergyRegisters, Instantaneous } from './model.js';
import type { ObjectModel } from './object-model.js';
import { type XdlmsContext, AssociationLnObject } from './objects/association-ln.js';
import { ClockObject } from './objects/clock.js';
import { DataObject } from './objects/data.js';
import { DisconnectControlObject } from './objects/disconnect-control.js';
import { LimiterObject } from './objects/limiter.js';
import { ProfileGenericObject } from './objects/profile-generic.js';
import { EventLogProfile, PeriodicProfile } from './objects/profile-source.js';
import { RegisterObject, Unit } from './objects/register.js';
import { SecuritySetupObject } from './objects/security-setup.js';
import { ascii, dateTimeOctets, doubleLongUnsigned, longUnsigned, unsigned } from './objects/values.js';
import { INTERVAL_MS, DAY_MS } from './tariff.js';
import { CaptureTimeline } from './timeline.js';

export const MeterObis = {
  invocationCounter: parseObis('0.0.43.1.0.255'),
  profileStatus: parseObis('0.0.96.10.1.255'),
  eventCode: parseObis('0.0.96.11.0.255'),
  reactiveEnergyImport: parseObis('1.0.3.8.0.255'),
  reactiveEnergyExport: parseObis('1.0.4.8.0.255'),
  activePowerImport: parseObis('1.0.1.7.0.255'),
  activePowerExport: parseObis('1.0.2.7.0.255'),
  frequency: parseObis('1.0.14.7.0.255'),
  voltage: ['1.0.32.7.0.255', '1.0.52.7.0.255', '1.0.72.7.0.255'].map(parseObis),
  current: ['1.0.31.7.0.255', '1.0.51.7.0.255', '1.0.71.7.0.255'].map(parseObis),
  activePowerImportPhase: ['1.0.21.7.0.255', '1.0.41.7.0.255', '1.0.61.7.0.255'].map(parseObis),
} as const;

/** Load profile status bit (IDIS AMR profile status): a power down happened in the period. */
export const PROFILE_STATUS_POWER_DOWN = 0x80;

export const DEFAULT_XDLMS: XdlmsContext = {
  conformance: conformanceFromNames([
    'block-transfer-with-get-or-read', 'block-transfer-with-set-or-write', 'block-transfer-with-action',
    'multiple-references', 'selective-access', 'get', 'set', 'action',
  ]),
  maxReceivePduSize: 1024,
  maxSendPduSize: 1024,
};

const column = (classId: number, logicalName: Obis): CaptureObjectDefinition => ({ classId, logicalName, attributeIndex: 2, dataIndex: 0 });
const CLOCK_COLUMN = column(8, Obis.clock);
const TARIFFS = [Obis.activeEnergyImportTariff1, Obis.activeEnergyImportTariff2, Obis.activeEnergyImportTariff3, Obis.activeEnergyImportTariff4];

export function buildCatalog(env: MeterEnv, model: ObjectModel, xdlms: (ctx: AccessContext) => XdlmsContext): void {
  const { options } = env;
  const energyNow = (ctx: AccessContext): EnergyRegisters => env.energyFunction()(env.meterNow(ctx));
  const instant = (ctx: AccessContext): Instantaneous =>
    env.model.instantaneous(env.meterNow(ctx), outputState(env.state.relay.controlState));
  const register = (ln: Obis, scaler: number, unit: number, value: (ctx: AccessContext) => CosemData) =>
    model.add({ object: new RegisterObject(ln, scaler, unit, value), access: {} });
  const energy = (ln: Obis, unit: number, pick: (e: EnergyRegisters) => number) =>
    register(ln, 0, unit, (ctx) => doubleLongUnsigned(pick(energyNow(ctx))));

  // Public view.
  model.add({ object: new DataObject(Obis.logicalDeviceName, () => ascii(options.logicalDeviceName)), access: { public: true } });
  model.add({ object: new DataObject(Obis.serialNumber, () => ascii(options.serial)), access: { public: true } });
  model.add({ object: new ClockObject(env), access: { public: true, writable: [2], methods: [1, 2, 3, 4, 5, 6] } });
  model.add({
    object: new AssociationLnObject(env, (ctx) => model.objectList(ctx), xdlms),
    access: { public: true, unreadable: [7], methods: [1] },
  });
  model.add({
    object: new DataObject(MeterObis.invocationCounter, (ctx) =>
      doubleLongUnsigned(options.invocationCounter?.(ctx) ?? env.state.invocationCounter)),
    access: { public: true },
  });

  // Energy registers (Wh / varh, scaler 0).
  energy(Obis.activeEnergyImport, Unit.Wh, (e) => e.importTotal);
  TARIFFS.forEach((ln, k) => energy(ln, Unit.Wh, (e) => e.importTariffs[k]));
  energy(Obis.activeEnergyExport, Unit.Wh, (e) => e.exportTotal);
  energy(MeterObis.reactiveEnergyImport, Unit.varh, (e) => e.reactiveImport);
  energy(MeterObis.reactiveEnergyExport, Unit.varh, (e) => e.reactiveExport);

  // Instantaneous values.
  MeterObis.voltage.forEach((ln, p) => register(ln, -1, Unit.V, (ctx) => longUnsigned(instant(ctx).voltage[p])));
  MeterObis.current.forEach((ln, p) => register(ln, -2, Unit.A, (ctx) => longUnsigned(instant(ctx).current[p])));
  register(MeterObis.activePowerImport, 0, Unit.W, (ctx) => doubleLongUnsigned(instant(ctx).powerImport));
  MeterObis.activePowerImportPhase.forEach((ln, p) =>
    register(ln, 0, Unit.W, (ctx) => doubleLongUnsigned(instant(ctx).powerImportPhases[p])));
  register(MeterObis.activePowerExport, 0, Unit.W, (ctx) => doubleLongUnsigned(instant(ctx).powerExport));
  register(MeterObis.frequency, -2, Unit.Hz, (ctx) => longUnsigned(instant(ctx).frequency));

  // Profiles and the objects their columns name.
  const events = new EventLogProfile(env, Obis.standardEventLog, [CLOCK_COLUMN, column(1, MeterObis.eventCode)], options.eventLogEntries,
    (time, code) => [dateTimeOctets(env.clock.dateTime(time)), unsigned(code)]);
  model.add({ object: new DataObject(MeterObis.profileStatus, () => unsigned(0)), access: {} });
  model.add({
    object: new DataObject(MeterObis.eventCode, (ctx) => {
      const log = eventLog(options.configuredEvents, env.state.events, env.meterNow(ctx), undefined);
      return unsigned(log.length === 0 ? 0 : log[log.length - 1].code);
    }),
    access: {},
  });
  const outages = env.model.outages;
  const tzMs = env.model.timeZoneMinutes * 60_000;
  const loadProfile = new PeriodicProfile(env, Obis.loadProfile,
    [CLOCK_COLUMN, column(1, MeterObis.profileStatus), column(3, Obis.activeEnergyImport), column(3, Obis.activeEnergyExport)],
    new CaptureTimeline(INTERVAL_MS, 0, outages), options.loadProfileEntries,
    (time, at) => {
      const e = at(time);
      const powerDown = outages.some((o) => o.from < time && o.to > time - INTERVAL_MS);
      return [dateTimeOctets(env.clock.dateTime(time)), unsigned(powerDown ? PROFILE_STATUS_POWER_DOWN : 0),
        doubleLongUnsigned(e.importTotal), doubleLongUnsigned(e.exportTotal)];
    });
  const daily = new PeriodicProfile(env, Obis.dailyBilling,
    [CLOCK_COLUMN, ...[Obis.activeEnergyImport, ...TARIFFS, Obis.activeEnergyExport].map((ln) => column(3, ln))],
    new CaptureTimeline(DAY_MS, (((-tzMs) % DAY_MS) + DAY_MS) % DAY_MS, outages), options.dailyProfileEntries,
    (time, at) => {
      const e = at(time);
      return [dateTimeOctets(env.clock.dateTime(time)), ...[e.importTotal, ...e.importTariffs, e.exportTotal].map(doubleLongUnsigned)];
    });
  for (const source of [loadProfile, daily, events]) {
    model.add({ object: new ProfileGenericObject(env, source), access: { methods: [1] } });
  }

  // Control and security.
  model.add({ object: new DisconnectControlObject(env), access: { writable: [4], methods: [1, 2] } });
  model.add({ object: new LimiterObject(env), access: { writable: [4, 5, 6, 7] } });
  model.add({ object: new SecuritySetupObject(env), access: {} });
}
