// IC 71 Limiter (version 0), 0.0.17.0.0.255, minimal: it monitors active power import
// (1.0.1.7.0.255 attribute 2) and holds thresholds the management client may change
// (4 threshold_normal, 5 threshold_emergency, 6/7 min over/under threshold durations in
// s); 3 threshold_active follows threshold_normal as no emergency profile is ever active.
// It does not act on the relay: the simulator has no timers to measure a duration over
// the threshold with. A change logs "limiter threshold changed".
import type { AccessContext } from '../../../shared/dlms/association/server-objects.js';
import { DataAccessResult } from '../../../shared/dlms/apdu/results.js';
import type { CosemData } from '../../../shared/dlms/data.js';
import { parseObis } from '../../../shared/dlms/obis.js';
import type { MeterEnv } from '../env.js';
import { EventCode } from '../events.js';
import { type CosemObject, ok, readOnly } from './object.js';
import { array, bool, dateTimeOctets, doubleLongUnsigned, integer, logicalName, longUnsigned, structure } from './values.js';

export const LIMITER = parseObis('0.0.17.0.0.255');
const ACTIVE_POWER_IMPORT = parseObis('1.0.1.7.0.255');
const DISCONNECT_SCRIPT_TABLE = parseObis('0.0.10.0.106.255');
export const UNSPECIFIED_TIME = dateTimeOctets({
  year: null, month: null, dayOfMonth: null, dayOfWeek: null, hour: null, minute: null,
  second: null, hundredths: null, deviation: null, clockStatus: null,
});

export class LimiterObject implements CosemObject {
  readonly classId = 71;
  readonly version = 0;
  readonly logicalName = LIMITER;
  readonly attributeCount = 11;
  readonly methodCount = 0;

  constructor(private readonly env: MeterEnv) {}

  get(attributeId: number) {
    const l = this.env.state.limiter;
    switch (attributeId) {
      case 2: return ok(structure(longUnsigned(3), logicalName(ACTIVE_POWER_IMPORT), integer(2)));
      case 3: return ok(doubleLongUnsigned(l.thresholdActive));
      case 4: return ok(doubleLongUnsigned(l.thresholdNormal));
      case 5: return ok(doubleLongUnsigned(l.thresholdEmergency));
      case 6: return ok(doubleLongUnsigned(l.minOverThresholdDuration));
      case 7: return ok(doubleLongUnsigned(l.minUnderThresholdDuration));
      case 8: return ok(structure(longUnsigned(0), UNSPECIFIED_TIME, doubleLongUnsigned(0)));
      case 9: return ok(array([]));
      case 10: return ok(bool(false));
      default: return ok(structure(
        structure(logicalName(DISCONNECT_SCRIPT_TABLE), longUnsigned(1)),
        structure(logicalName(DISCONNECT_SCRIPT_TABLE), longUnsigned(2)),
      ));
    }
  }

  set(attributeId: number, value: CosemData, ctx: AccessContext): number {
    if (value.type !== 'double-long-unsigned') return DataAccessResult['type-unmatched'];
    const l = this.env.state.limiter;
    switch (attributeId) {
      case 4: l.thresholdNormal = l.thresholdActive = value.value; break;
      case 5: l.thresholdEmergency = value.value; break;
      case 6: l.minOverThresholdDuration = value.value; break;
      case 7: l.minUnderThresholdDuration = value.value; break;
      default: return DataAccessResult['read-write-denied'];
    }
    this.env.logEvent(this.env.meterNow(ctx), EventCode.limiterThresholdChanged);
    return DataAccessResult.success;
  }

  action = readOnly.action;
}
