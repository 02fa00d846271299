// IC 111 Account (version 0, Blue Book 4.6.2), 0.0.19.0.0.255, for the one token credit
// (IC 112 0.0.19.10.0.255) and token gateway (IC 115 0.0.19.40.0.255):
//   2 account_mode_and_status structure { enum payment_mode (1 credit, 2 prepayment),
//     enum account_status (2 active) } — payment_mode first, as the Blue Book and Gurux
//     order it; the management client may SET it to switch between prepaid and postpaid
//   3 current_credit_in_use unsigned 1 (the first entry of credit_reference_list)
//   4 current_credit_status bit-string(8): bit 0 in credit, 1 low credit, 6 out of credit
//   5 available_credit double-long (Wh), 6 amount_to_clear, 7 clearance_threshold,
//     8 aggregated_debt double-long 0 (no charges in the meter: the cloud deducts them)
//   9 credit_reference_list, 10 charge_reference_list (empty), 11 credit_charge_configuration
//     (empty), 12 token_gateway_configuration { credit, token_proportion 100 }
//  13 account_activation_time, 14 account_closure_time (not specified) date-time
//  15 currency structure { utf8-string "Wh", integer 0, enum 1 consumption }
//  16 low_credit_threshold, 17 next_credit_available_threshold double-long,
//  18 max_provision long-unsigned 0, 19 max_provision_period double-long 0
// Methods 1 activate, 2 close, 3 reset exist; nobody may call them (the account is active).
import type { AccessContext } from '../../../shared/dlms/association/server-objects.js';
import { DataAccessResult } from '../../../shared/dlms/apdu/results.js';
import type { BitString, CosemData } from '../../../shared/dlms/data.js';
import { parseObis } from '../../../shared/dlms/obis.js';
import type { MeterEnv } from '../env.js';
import type { PrepaymentAccount } from '../prepayment/account.js';
import { PaymentMode } from '../state.js';
import { CREDIT, int32 } from './credit.js';
import { UNSPECIFIED_TIME } from './limiter.js';
import { type CosemObject, ok, readOnly } from './object.js';
import { array, dateTimeOctets, doubleLong, enumValue, integer, logicalName, longUnsigned, structure, unsigned } from './values.js';

export const ACCOUNT = parseObis('0.0.19.0.0.255');

/** IC 111 account_status. */
export const AccountStatus = { newInactive: 1, active: 2, closed: 3 } as const;

/** current_credit_status bits, bit 0 = the first (most significant) bit of the string. */
export const CreditStatusBit = { inCredit: 0, lowCredit: 1, outOfCredit: 6 } as const;

function bits(set: number[], length: number): BitString {
  const bytes = new Uint8Array(Math.ceil(length / 8));
  for (const b of set) bytes[b >> 3] |= 0x80 >> (b & 7);
  return { length, bytes };
}

export class AccountObject implements CosemObject {
  readonly classId = 111;
  readonly version = 0;
  readonly logicalName = ACCOUNT;
  readonly attributeCount = 19;
  readonly methodCount = 3;

  constructor(
    private readonly env: MeterEnv,
    private readonly account: PrepaymentAccount,
  ) {}

  get(attributeId: number, _access: unknown, ctx: AccessContext) {
    const p = this.account.state;
    const low = this.account.options.lowCreditThresholdWh;
    switch (attributeId) {
      case 2: return ok(structure(enumValue(p.paymentMode), enumValue(AccountStatus.active)));
      case 3: return ok(unsigned(1));
      case 4: {
        const credit = this.account.creditAt(this.env.meterNow(ctx));
        const set: number[] = [];
        if (credit > 0) set.push(CreditStatusBit.inCredit);
        if (credit <= low) set.push(CreditStatusBit.lowCredit);
        if (credit <= 0 && this.account.prepaymentMode) set.push(CreditStatusBit.outOfCredit);
        return ok({ type: 'bit-string', value: bits(set, 8) });
      }
      case 5: return ok(doubleLong(int32(this.account.creditAt(this.env.meterNow(ctx)))));
      case 9: return ok(array([logicalName(CREDIT)]));
      case 10: case 11: return ok(array([]));
      case 12: return ok(array([structure(logicalName(CREDIT), unsigned(100))]));
      case 13: return ok(dateTimeOctets(this.env.clock.dateTime(p.activatedAt)));
      case 14: return ok(UNSPECIFIED_TIME);
      case 15: return ok(structure({ type: 'utf8-string', value: 'Wh' }, integer(0), enumValue(1)));
      case 16: return ok(doubleLong(int32(low)));
      case 18: return ok(longUnsigned(0));
      default: return ok(doubleLong(0)); // 6, 7, 8, 17, 19
    }
  }

  set(attributeId: number, value: CosemData, ctx: AccessContext): number {
    if (attributeId !== 2) return DataAccessResult['read-write-denied'];
    if (value.type !== 'structure' || value.value.length !== 2 || value.value.some((v) => v.type !== 'enum')) return DataAccessResult['type-unmatched'];
    const [mode, status] = value.value.map((v) => (v as { value: number }).value);
    if (mode !== PaymentMode.credit && mode !== PaymentMode.prepayment) return DataAccessResult['other-reason'];
    // Only the payment mode may change: the account stays active (activate/close are methods).
    if (status !== AccountStatus.active) return DataAccessResult['other-reason'];
    this.account.setPaymentMode(mode, this.env.meterNow(ctx));
    return DataAccessResult.success;
  }

  action = readOnly.action;
}
