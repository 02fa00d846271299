// Settings and results shared by the client and server association state machines.
import { type ConformanceName, conformanceFromNames } from '../apdu/index.js';
import { Obis } from '../obis.js';
import type { SecuritySettings } from './protection.js';

/** The authentication mechanisms this stack speaks (Green Book 9.2.2). */
export type Authentication = 'none' | 'low' | 'high-gmac';

export const MECHANISM_ID: Record<Authentication, number> = { none: 0, low: 1, 'high-gmac': 5 };

/** Association LN object (IC 15) and its method 1, reply_to_HLS_authentication. */
export const ASSOCIATION_LN = { classId: 15, instanceId: Obis.associationLn, methodId: 1 } as const;

export const DLMS_VERSION = 6;

export interface ClientAssociationConfig {
  authentication: Authentication;
  /** LLS password (authentication 'low'). */
  password?: Uint8Array;
  /** Security suite 0 keys and counters; required for 'high-gmac'. */
  security?: SecuritySettings;
  /** Proposed conformance block; defaults to what this client implements. */
  conformance?: number;
  /** Client max receive PDU size; default 0xFFFF. */
  maxReceivePduSize?: number;
  /** Source of the 16-byte client-to-server challenge (HLS). */
  challenge: () => Uint8Array;
}

/** What an association learned from the AARE. */
export interface Negotiated {
  conformance: number;
  /** The most the server accepts in one APDU. */
  serverMaxReceivePduSize: number;
  serverSystemTitle: Uint8Array | null;
}

/** The LN services both ends of this stack implement, block transfer in every direction included. */
const LN_SERVICES: ConformanceName[] = [
  'block-transfer-with-get-or-read',
  'block-transfer-with-set-or-write',
  'block-transfer-with-action',
  'multiple-references',
  'selective-access',
  'get',
  'set',
  'action',
];

/** What a server offers: the LN services. */
export const SERVER_CONFORMANCE = conformanceFromNames(LN_SERVICES);

/** What the client proposes: the LN services, and it takes pushed notifications. */
export const CLIENT_CONFORMANCE = conformanceFromNames([...LN_SERVICES, 'data-notification', 'event-notification']);
