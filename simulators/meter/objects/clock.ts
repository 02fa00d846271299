// IC 8 Clock (version 0), 0.0.1.0.0.255. The meter time is an offset from the `now` of
// the request (MeterClock); writing attribute 2 or calling methods 1..6 moves the offset
// and logs "clock adjusted" old/new time events (codes 4 and 5).
//
// Attributes: 2 time octet-string(12), 3 time_zone long (Blue Book deviation: UTC =
// local + deviation, CET = -60), 4 status unsigned, 5/6 daylight_savings_begin/end
// octet-string(12) (EU rule, last Sunday of March 02:00 / October 03:00), 7
// daylight_savings_deviation integer, 8 daylight_savings_enabled boolean (false: the
// tariff calendar and daily billing follow standard time), 9 clock_base enum (1 crystal).
// Only attribute 2 is writable; the time zone comes from the configuration because the
// value model's days follow it.
// Methods: 1 adjust_to_quarter, 2 adjust_to_measuring_period (15 min here), 3
// adjust_to_minute, 4 adjust_to_preset_time, 5 preset_adjusting_time, 6 shift_time.
import type { AccessContext } from '../../../shared/dlms/association/server-objects.js';
import { DataAccessResult } from '../../../shared/dlms/apdu/results.js';
import type { CosemData } from '../../../shared/dlms/data.js';
import { DayOfMonthSpecial } from '../../../shared/dlms/datetime.js';
import { Obis } from '../../../shared/dlms/obis.js';
import type { MeterEnv } from '../env.js';
import { EventCode } from '../events.js';
import { ACTION_OK, type ActionReply, type CosemObject, actionFail, ok } from './object.js';
import { bool, dateTimeOctets, enumValue, instantOf, integer, integerOf, long, unsigned } from './values.js';

const QUARTER_MS = 15 * 60_000;
const MAX_SHIFT_SECONDS = 900;

function dstRule(month: number, hour: number): CosemData {
  return dateTimeOctets({
    year: null, month, dayOfMonth: DayOfMonthSpecial.lastDay, dayOfWeek: 7,
    hour, minute: 0, second: 0, hundredths: 0, deviation: null, clockStatus: null,
  });
}

export class ClockObject implements CosemObject {
  readonly classId = 8;
  readonly version = 0;
  readonly logicalName = Obis.clock;
  readonly attributeCount = 9;
  readonly methodCount = 6;

  constructor(private readonly env: MeterEnv) {}

  get(attributeId: number, _access: unknown, ctx: AccessContext) {
    const clock = this.env.clock;
    switch (attributeId) {
      case 2: return ok(dateTimeOctets(clock.dateTime(this.env.meterNow(ctx))));
      case 3: return ok(long(clock.deviation));
      case 4: return ok(unsigned(0));
      case 5: return ok(dstRule(3, 2));
      case 6: return ok(dstRule(10, 3));
      case 7: return ok(integer(60));
      case 8: return ok(bool(false));
      default: return ok(enumValue(1));
    }
  }

  set(attributeId: number, value: CosemData, ctx: AccessContext): number {
    if (attributeId !== 2) return DataAccessResult['read-write-denied'];
    if (!(value.type === 'date-time' || (value.type === 'octet-string' && value.value.length === 12))) {
      return DataAccessResult['type-unmatched'];
    }
    const target = instantOf(value, this.env.clock.deviation);
    if (target === null) return DataAccessResult['other-reason'];
    this.adjust(ctx, target);
    return DataAccessResult.success;
  }

  action(methodId: number, parameters: CosemData | undefined, ctx: AccessContext): ActionReply {
    const now = this.env.meterNow(ctx);
    const state = this.env.state.clock;
    switch (methodId) {
      case 1:
      case 2: return this.adjust(ctx, Math.round(now / QUARTER_MS) * QUARTER_MS);
      case 3: return this.adjust(ctx, Math.round(now / 60_000) * 60_000);
      case 4: {
        const p = state.preset;
        if (p === null || now < p.validFrom || now > p.validTo) return actionFail('other-reason');
        state.preset = null;
        return this.adjust(ctx, p.time);
      }
      case 5: {
        if (parameters?.type !== 'structure' || parameters.value.length !== 3) return actionFail('type-unmatched');
        const [time, validFrom, validTo] = parameters.value.map((d) => instantOf(d, this.env.clock.deviation));
        if (time === null || validFrom === null || validTo === null) return actionFail('type-unmatched');
        state.preset = { time, validFrom, validTo };
        return ACTION_OK;
      }
      default: {
        const seconds = integerOf(parameters);
        if (seconds === null) return actionFail('type-unmatched');
        if (Math.abs(seconds) > MAX_SHIFT_SECONDS) return actionFail('other-reason');
        return this.adjust(ctx, now + seconds * 1000);
      }
    }
  }

  private adjust(ctx: AccessContext, target: number): ActionReply {
    const old = this.env.meterNow(ctx);
    this.env.logEvent(old, EventCode.clockAdjustedOldTime);
    this.env.clock.set(ctx.now, target);
    this.env.logEvent(target, EventCode.clockAdjustedNewTime);
    return ACTION_OK;
  }
}
