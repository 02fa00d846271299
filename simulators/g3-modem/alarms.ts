// Alarms a G3 meter pushes to the data concentrator, unsolicited: a DLMS DataNotification
// (push setup, IC 40) in the wrapper, from the meter's management logical device
// (wPort 1) to wPort 102 — the push client SAP of IDIS-style push setups — in UDP 4059 to
// the coordinator's link-local address (short address 0). IDIS-like content:
//   long-invoke-id: per meter, counting up from 0; unconfirmed, high priority
//   date-time:      the meter's clock (12-byte COSEM date-time, deviation per the meter)
//   body:           structure { logical device name (0.0.42.0.0.255) octet-string,
//                               alarm register 1 (0.0.97.98.0.255) double-long-unsigned }
// The alarm register has exactly one bit set, drawn from the seed among ALARM_BITS.
import { encodeApdu } from '../../shared/dlms/apdu/index.js';
import { dateTimeFromUtc, encodeDateTime } from '../../shared/dlms/datetime.js';
import { dlmsPacket } from '../../shared/g3/dlms.js';
import type { PlcNode } from './node.js';
import { type Draws, Stream } from './seeded.js';

/** wPort the alarms go to: the push client SAP. */
export const PUSH_CLIENT_WPORT = 102;
/** Bits of the simulated alarm register: 0 clock invalid, 1 replace battery, 8 program memory error, 13 fraud attempt (cover). */
export const ALARM_BITS = [0, 1, 8, 13] as const;

export interface Alarm {
  invokeId: number;
  alarmRegister: number;
  packet: Uint8Array;
}

/** The IPv6 packet of node's next alarm. `now` is real time (the meter's clock runs on it). */
export function alarmPacket(node: PlcNode, panId: number, draws: Draws, now: number): Alarm {
  const bit = ALARM_BITS[Math.floor(draws.next(Stream.alarmBit, node.index) * ALARM_BITS.length)];
  const alarmRegister = 2 ** bit;
  const invokeId = node.pushInvokeId;
  node.pushInvokeId = (node.pushInvokeId + 1) & 0xffffff;
  const meter = node.meter.meter;
  const apdu = encodeApdu({
    kind: 'DataNotification',
    invokeId,
    serviceClass: 'unconfirmed',
    priority: 'high',
    selfDescriptive: false,
    breakOnError: false,
    // Blue Book deviation has the opposite sign of the time zone (as simulators/meter/meter.ts).
    dateTime: encodeDateTime(dateTimeFromUtc(meter.meterTime(now), 0 - meter.model.timeZoneMinutes)),
    body: {
      type: 'structure',
      value: [
        { type: 'octet-string', value: node.logicalDeviceName(now) },
        { type: 'double-long-unsigned', value: alarmRegister },
      ],
    },
  });
  const packet = dlmsPacket({ panId, from: node.shortAddress, to: 0, sourceWPort: meter.logicalDeviceAddress, destinationWPort: PUSH_CLIENT_WPORT, apdu });
  return { invokeId, alarmRegister, packet };
}

/** Model ms until a node's next spontaneous alarm: exponential (Poisson arrivals) at `perHour`. */
export function nextAlarmDelay(node: PlcNode, draws: Draws, perHour: number): number {
  const u = draws.next(Stream.alarmTime, node.index);
  return (-Math.log(1 - u) / perHour) * 3_600_000;
}
