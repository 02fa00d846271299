// IC 70 Disconnect control (version 0), 0.0.96.3.10.255: 2 output_state boolean, 3
// control_state enum, 4 control_mode enum (writable by management, 0..6); methods 1
// remote_disconnect and 2 remote_reconnect (parameter integer 0). The transitions are in
// disconnect.ts. A remote trigger the control mode does not enable at all (mode 0, or a
// mode without that trigger) answers other-reason; one that is enabled but has nothing
// to do in the current state (disconnect when already disconnected) succeeds unchanged.
import type { AccessContext } from '../../../shared/dlms/association/server-objects.js';
import { DataAccessResult } from '../../../shared/dlms/apdu/results.js';
import type { CosemData } from '../../../shared/dlms/data.js';
import { Obis } from '../../../shared/dlms/obis.js';
import { outputState, triggerEnabled } from '../disconnect.js';
import type { MeterEnv } from '../env.js';
import { ACTION_OK, type CosemObject, actionFail, ok } from './object.js';
import { bool, enumValue } from './values.js';

export class DisconnectControlObject implements CosemObject {
  readonly classId = 70;
  readonly version = 0;
  readonly logicalName = Obis.disconnectControl;
  readonly attributeCount = 4;
  readonly methodCount = 2;

  constructor(private readonly env: MeterEnv) {}

  get(attributeId: number) {
    const r = this.env.state.relay;
    if (attributeId === 2) return ok(bool(outputState(r.controlState)));
    return ok(enumValue(attributeId === 3 ? r.controlState : r.controlMode));
  }

  set(attributeId: number, value: CosemData): number {
    if (attributeId !== 4) return DataAccessResult['read-write-denied'];
    if (value.type !== 'enum') return DataAccessResult['type-unmatched'];
    if (value.value > 6) return DataAccessResult['other-reason'];
    const r = this.env.state.relay;
    r.controlMode = value.value;
    return DataAccessResult.success;
  }

  action(methodId: number, _parameters: CosemData | undefined, ctx: AccessContext) {
    const trigger = methodId === 1 ? 'remote-disconnect' : 'remote-reconnect';
    if (!triggerEnabled(this.env.state.relay.controlMode, trigger)) return actionFail('other-reason');
    this.env.relay(trigger, this.env.meterNow(ctx));
    return ACTION_OK;
  }
}
