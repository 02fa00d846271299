// What a COSEM server (a meter) exposes to its association state machine: the object
// model answers GET, SET and ACTION for one association at a time. Results are the
// standard's codes (Data-Access-Result, Action-Result), never exceptions.
import type { CosemData } from '../data.js';
import type { CosemAttributeDescriptor, CosemMethodDescriptor, SelectiveAccessDescriptor } from '../apdu/index.js';
import type { Authentication } from './settings.js';

export interface AccessContext {
  /** Client SAP of the association (16 public, 17 reader, 1 management…). */
  clientSap: number;
  authentication: Authentication;
  /** The time of the request, UTC ms, as passed in by the I/O loop. */
  now: number;
}

export type GetResult = { data: CosemData } | { error: number };

export interface CosemServerObjects {
  get(attribute: CosemAttributeDescriptor, access: SelectiveAccessDescriptor | undefined, ctx: AccessContext): GetResult;
  /** Returns a Data-Access-Result code (0 = success). */
  set(attribute: CosemAttributeDescriptor, value: CosemData, access: SelectiveAccessDescriptor | undefined, ctx: AccessContext): number;
  action(method: CosemMethodDescriptor, parameters: CosemData | undefined, ctx: AccessContext): { result: number; returned?: CosemData };
}

/** How one client SAP may associate with this server. */
export interface ServerPolicy {
  authentication: Authentication;
  /** LLS password. */
  password?: Uint8Array;
  /** Security suite 0 keys (HLS-GMAC and ciphering). */
  keys?: { blockCipherKey: Uint8Array; authenticationKey: Uint8Array };
  /**
   * With keys: the protection every request must carry (security control bits, 0x10
   * authentication, 0x20 encryption), as the security_policy of the association's security
   * setup object says. Default 0x30: authenticated and encrypted requests.
   */
  requestProtection?: number;
}
