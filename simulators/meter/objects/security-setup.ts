// IC 64 Security setup (version 1), 0.0.43.0.0.255, the minimum a client reads: 2
// security_policy (bit-mapped enum: authenticated + encrypted requests and responses),
// 3 security_suite (0: AES-GCM-128), 4 client_system_title (of the current association,
// empty if unknown), 5 server_system_title, 6 certificates (none). Methods 1..8 (key
// transfer, certificates) are not offered: keys come from the configuration.
import type { AccessContext } from '../../../shared/dlms/association/server-objects.js';
import type { MeterEnv } from '../env.js';
import { type CosemObject, ok, readOnly } from './object.js';
import { array, enumValue, octets } from './values.js';
import { parseObis } from '../../../shared/dlms/obis.js';

export const SECURITY_SETUP = parseObis('0.0.43.0.0.255');

/** Version 1 security_policy bits 2, 3, 5, 6: authenticated/encrypted request/response. */
const AUTHENTICATED_ENCRYPTED_BOTH_WAYS = 0x04 | 0x08 | 0x20 | 0x40;

export class SecuritySetupObject implements CosemObject {
  readonly classId = 64;
  readonly version = 1;
  readonly logicalName = SECURITY_SETUP;
  readonly attributeCount = 6;
  readonly methodCount = 8;

  constructor(private readonly env: MeterEnv) {}

  get(attributeId: number, _access: unknown, ctx: AccessContext) {
    switch (attributeId) {
      case 2: return ok(enumValue(AUTHENTICATED_ENCRYPTED_BOTH_WAYS));
      case 3: return ok(enumValue(0));
      case 4: return ok(octets(this.env.options.clientSystemTitle?.(ctx) ?? new Uint8Array(0)));
      case 5: return ok(octets(this.env.options.systemTitle));
      default: return ok(array([]));
    }
  }

  set = readOnly.set;
  action = readOnly.action;
}
