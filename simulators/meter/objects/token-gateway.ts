// IC 115 Token gateway (version 0, Blue Book 4.6.5), 0.0.19.40.0.255: 2 token (octet-string,
// the last token received), 3 token_time (date-time), 4 token_description (array of
// octet-string: the STS result name, then the reason), 5 token_delivery_method (enum 0
// remote, 1 local, 2 manual), 6 token_status (structure { enum status_code, bit-string
// data_value }, data_value = the STS result code in 8 bits); method 1 enter(octet-string).
// A token entered over DLMS is processed at once, so status 8 (received, not yet processed)
// is never seen; before the first token the status is 0 with an empty data_value.
import type { AccessContext } from '../../../shared/dlms/association/server-objects.js';
import type { CosemData } from '../../../shared/dlms/data.js';
import { parseObis } from '../../../shared/dlms/obis.js';
import type { MeterEnv } from '../env.js';
import type { PrepaymentAccount } from '../prepayment/account.js';
import { stsCodeBits } from '../prepayment/token-status.js';
import { UNSPECIFIED_TIME } from './limiter.js';
import { ACTION_OK, type CosemObject, actionFail, ok, readOnly } from './object.js';
import { array, dateTimeOctets, enumValue, octets, structure } from './values.js';

export const TOKEN_GATEWAY = parseObis('0.0.19.40.0.255');

/** IC 115 token_delivery_method. */
export const TokenDelivery = { remote: 0, local: 1, manual: 2 } as const;

const text = (s: string): CosemData => octets(new TextEncoder().encode(s));

export class TokenGatewayObject implements CosemObject {
  readonly classId = 115;
  readonly version = 0;
  readonly logicalName = TOKEN_GATEWAY;
  readonly attributeCount = 6;
  readonly methodCount = 1;

  constructor(
    private readonly env: MeterEnv,
    private readonly account: PrepaymentAccount,
  ) {}

  get(attributeId: number) {
    const last = this.account.state.lastToken;
    switch (attributeId) {
      case 2: return ok(octets(last ? Uint8Array.from(Buffer.from(last.octets, 'hex')) : new Uint8Array(0)));
      case 3: return ok(last ? dateTimeOctets(this.env.clock.dateTime(last.time)) : UNSPECIFIED_TIME);
      case 4: return ok(array((last?.description ?? []).map(text)));
      case 5: return ok(enumValue(last?.deliveryMethod ?? TokenDelivery.remote));
      default: return ok(structure(
        enumValue(last?.statusCode ?? 0),
        { type: 'bit-string', value: last ? stsCodeBits(last.stsCode) : { length: 0, bytes: new Uint8Array(0) } },
      ));
    }
  }

  set = readOnly.set;

  action(_methodId: number, parameters: CosemData | undefined, ctx: AccessContext) {
    if (parameters?.type !== 'octet-string') return actionFail('type-unmatched');
    this.account.enter(parameters.value, this.env.meterNow(ctx), TokenDelivery.remote);
    return ACTION_OK;
  }
}
