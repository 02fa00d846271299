// IC 15 Association LN (version 1), 0.0.40.0.0.255 — "the current association": every
// client reads the same logical name and sees its own association.
//   2 object_list: array of { class_id long-unsigned, version unsigned, logical_name
//     octet-string, access_rights { attribute_access array of { attribute_id integer,
//     access_mode enum, access_selectors null | array of integer }, method_access array
//     of { method_id integer, access_mode enum } } } — the objects this client may see
//   3 associated_partners_id { client_SAP integer, server_SAP long-unsigned }
//   4 application_context_name, 6 authentication_mechanism_name: octet-strings holding
//     the BER-encoded OID (60 85 74 05 08 01 0x / 60 85 74 05 08 02 0x), the version 1 form
//   5 xDLMS_context_info { conformance bit-string(24), max_receive_pdu_size, max_send_pdu_size,
//     dlms_version_number unsigned, quality_of_service integer, cyphering_info octet-string }
//   7 secret (never readable), 8 association_status enum (2 associated: a request can only
//     reach this object inside an established association), 9 security_setup_reference
// Method 1 reply_to_HLS_authentication belongs to the association state machine, which
// answers it before the object model is asked; methods 2..4 are not offered.
import type { AccessContext } from '../../../shared/dlms/association/server-objects.js';
import { ApplicationContextName } from '../../../shared/dlms/apdu/acse.js';
import type { CosemData } from '../../../shared/dlms/data.js';
import { MECHANISM_ID } from '../../../shared/dlms/association/settings.js';
import { Obis } from '../../../shared/dlms/obis.js';
import { type AuthenticationMechanismId, mechanismNameOid } from '../../../shared/dlms/security/hls-gmac.js';
import type { MeterEnv } from '../env.js';
import { type CosemObject, actionFail, ok, readOnly } from './object.js';
import { SECURITY_SETUP } from './security-setup.js';
import { enumValue, integer, logicalName, longUnsigned, octets, structure, unsigned } from './values.js';

const ASSOCIATED = 2;
const DLMS_VERSION = 6;

export interface XdlmsContext {
  conformance: number;
  maxReceivePduSize: number;
  maxSendPduSize: number;
}

export class AssociationLnObject implements CosemObject {
  readonly classId = 15;
  readonly version = 1;
  readonly logicalName = Obis.associationLn;
  readonly attributeCount = 9;
  readonly methodCount = 4;

  constructor(
    private readonly env: MeterEnv,
    /** The object_list of the association of `ctx`. */
    private readonly objectList: (ctx: AccessContext) => CosemData,
    private readonly xdlms: (ctx: AccessContext) => XdlmsContext,
  ) {}

  get(attributeId: number, _access: unknown, ctx: AccessContext) {
    switch (attributeId) {
      case 2: return ok(this.objectList(ctx));
      case 3: return ok(structure(integer(ctx.clientSap), longUnsigned(this.env.options.logicalDeviceAddress)));
      case 4: {
        const ciphered = ctx.authentication === 'high-gmac';
        const last = ApplicationContextName[ciphered ? 'logical-name-ciphered' : 'logical-name'];
        return ok(octets(Uint8Array.from([0x60, 0x85, 0x74, 0x05, 0x08, 0x01, last])));
      }
      case 5: {
        const x = this.xdlms(ctx);
        const c = x.conformance;
        const bits: CosemData = { type: 'bit-string', value: { length: 24, bytes: Uint8Array.from([c >> 16, c >> 8, c].map((b) => b & 0xff)) } };
        return ok(structure(bits, longUnsigned(x.maxReceivePduSize), longUnsigned(x.maxSendPduSize), unsigned(DLMS_VERSION), integer(0), octets(new Uint8Array(0))));
      }
      case 6: return ok(octets(mechanismNameOid(MECHANISM_ID[ctx.authentication] as AuthenticationMechanismId)));
      case 8: return ok(enumValue(ASSOCIATED));
      case 9: return ok(logicalName(SECURITY_SETUP));
      default: return ok(octets(new Uint8Array(0))); // 7: never reached, the access rights deny it
    }
  }

  set = readOnly.set;

  action() {
    return actionFail('other-reason');
  }
}
