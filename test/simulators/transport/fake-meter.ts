// A small stand-in object model for transport tests: a serial number, an energy register
// and a long array (to force HDLC segmentation and GET block transfer), with the three
// associations of the real simulator (public 16, reader 17 with LLS, management 1 with
// HLS-GMAC). The transports never look inside the model, so this is all they need.
import type { CosemData } from '../../../shared/dlms/data.js';
import { Obis, parseObis } from '../../../shared/dlms/obis.js';
import type { CosemServerObjects, ServerPolicy } from '../../../shared/dlms/association/server-objects.js';
import type { ClientAssociationConfig } from '../../../shared/dlms/association/settings.js';
import { ReplayGuard, SendingCounter } from '../../../shared/dlms/security/invocation-counter.js';
import type { MeterServer } from '../../../simulators/meter/transport/meter-endpoint.js';

export const LONG = parseObis('1.0.99.1.0.255');
export const PASSWORD = new TextEncoder().encode('12345678');
export const key = (b: number) => Uint8Array.from({ length: 16 }, (_, i) => (b + i) & 0xff);
export const BLOCK_CIPHER_KEY = key(0x00);
export const AUTHENTICATION_KEY = key(0xd0);
const CLIENT_TITLE = Uint8Array.from([0x44, 0x43, 0x55, 0, 0, 0, 0, 9]);
// One client counter for every test: the meters' replay guards remember the highest seen.
const clientCounter = new SendingCounter(1);

export const serialOf = (physical: number) => `SIM${String(physical).padStart(5, '0')}`;
export const energyOf = (physical: number) => physical * 1000 + 7;
export const longArray: CosemData = { type: 'array', value: Array.from({ length: 120 }, (_, i) => ({ type: 'double-long-unsigned', value: i * 1001 })) };

export function fakeMeter(physical: number): MeterServer {
  const objects: CosemServerObjects = {
    get: (a) => {
      if (a.attributeId !== 2) return { error: 4 };
      if (a.instanceId === Obis.serialNumber) return { data: { type: 'octet-string', value: new TextEncoder().encode(serialOf(physical)) } };
      if (a.instanceId === Obis.activeEnergyImport) return { data: { type: 'double-long-unsigned', value: energyOf(physical) } };
      if (a.instanceId === LONG) return { data: longArray };
      return { error: 4 };
    },
    set: () => 3,
    action: () => ({ result: 3 }),
  };
  const policies: Record<number, ServerPolicy> = {
    16: { authentication: 'none' },
    17: { authentication: 'low', password: PASSWORD },
    1: { authentication: 'high-gmac', keys: { blockCipherKey: BLOCK_CIPHER_KEY, authenticationKey: AUTHENTICATION_KEY } },
  };
  return {
    objects,
    policy: (sap) => policies[sap],
    systemTitle: Uint8Array.from([0x53, 0x49, 0x4d, 0, 0, 0, 0, physical]),
    counter: new SendingCounter(100),
    guard: new ReplayGuard(),
  };
}

/** Client settings for each of the three associations. */
export function clientSettings(sap: number): ClientAssociationConfig {
  const challenge = () => Uint8Array.from({ length: 16 }, (_, i) => (i * 13 + 5) & 0xff);
  if (sap === 16) return { authentication: 'none', challenge };
  if (sap === 17) return { authentication: 'low', password: PASSWORD, challenge };
  return {
    authentication: 'high-gmac',
    challenge,
    security: { systemTitle: CLIENT_TITLE, blockCipherKey: BLOCK_CIPHER_KEY, authenticationKey: AUTHENTICATION_KEY, counter: clientCounter, guard: new ReplayGuard() },
  };
}
