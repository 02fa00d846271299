// IC 112 Credit (version 0, Blue Book 4.6.3), 0.0.19.10.0.255: the one token credit of the
// simulated prepayment meter, in Wh (currency of the account: "Wh", scale 0, consumption).
//   2 current_credit_amount double-long    credit now, drawn down by the import energy
//   3 credit_type enum 0 (token credit)    4 priority unsigned 1
//   5 warning_threshold double-long        = the account's low_credit_threshold
//   6 limit double-long 0                  credit is exhausted at 0
//   7 credit_configuration bit-string(5)   only bit 4 "credit can receive tokens"
//   8 status enum                          3 in use while credit > 0, else 4 exhausted
//   9 preset_credit_amount, 10 credit_available_threshold double-long 0
//  11 period date-time, not specified
// Methods 1 update_amount, 2 set_amount_to_value, 3 invoke_credit exist but nobody may call
// them: credit comes through STS tokens only.
import type { AccessContext } from '../../../shared/dlms/association/server-objects.js';
import { parseObis } from '../../../shared/dlms/obis.js';
import type { MeterEnv } from '../env.js';
import type { PrepaymentAccount } from '../prepayment/account.js';
import { UNSPECIFIED_TIME } from './limiter.js';
import { type CosemObject, ok, readOnly } from './object.js';
import { doubleLong, enumValue, unsigned } from './values.js';

export const CREDIT = parseObis('0.0.19.10.0.255');

/** IC 112 credit_status. */
export const CreditStatus = { enabled: 0, selectable: 1, invoked: 2, inUse: 3, exhausted: 4 } as const;

/** A double-long holds −2^31 … 2^31−1. */
export function int32(x: number): number {
  return Math.max(-0x8000_0000, Math.min(0x7fff_ffff, Math.trunc(x)));
}

export class CreditObject implements CosemObject {
  readonly classId = 112;
  readonly version = 0;
  readonly logicalName = CREDIT;
  readonly attributeCount = 11;
  readonly methodCount = 3;

  constructor(
    private readonly env: MeterEnv,
    private readonly account: PrepaymentAccount,
  ) {}

  get(attributeId: number, _access: unknown, ctx: AccessContext) {
    switch (attributeId) {
      case 2: return ok(doubleLong(int32(this.account.creditAt(this.env.meterNow(ctx)))));
      case 3: return ok(enumValue(0));
      case 4: return ok(unsigned(1));
      case 5: return ok(doubleLong(int32(this.account.options.lowCreditThresholdWh)));
      case 7: return ok({ type: 'bit-string', value: { length: 5, bytes: Uint8Array.of(0x08) } });
      case 8: return ok(enumValue(this.account.creditAt(this.env.meterNow(ctx)) > 0 ? CreditStatus.inUse : CreditStatus.exhausted));
      case 11: return ok(UNSPECIFIED_TIME);
      default: return ok(doubleLong(0)); // 6 limit, 9 preset_credit_amount, 10 credit_available_threshold
    }
  }

  set = readOnly.set;
  action = readOnly.action;
}
