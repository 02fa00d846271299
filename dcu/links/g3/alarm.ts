// A pushed alarm as IDIS meters send it: a DataNotification whose body is the push
// object list's values, structure { logical device name (0.0.42.0.0.255 attr 2),
// alarm register 1 (0.0.97.98.0.255 attr 2, double-long-unsigned, one bit per alarm) }.
// Pure: APDU bytes in, a value or a ProtocolError out.
import { ProtocolError } from '../../../shared/errors.js';
import { decodeApdu } from '../../../shared/dlms/apdu/index.js';
import { asDateTime, dateTimeToUtc } from '../../../shared/dlms/datetime.js';
import { identityText } from '../../discovery/identity.js';

export interface PushedAlarm {
  logicalDeviceName: string | null;
  /** The alarm register as sent. */
  alarmRegister: number;
  /** Numbers (0 = least significant) of the bits set. */
  bits: number[];
  /** The notification's own time stamp (UTC ms), when it has one. */
  at: number | null;
  invokeId: number;
}

export function decodePushedAlarm(apdu: Uint8Array): PushedAlarm {
  const n = decodeApdu(apdu);
  if (n.kind !== 'DataNotification') throw new ProtocolError(`expected a DataNotification, got ${n.kind}`, 0, 'push');
  const body = n.body;
  if (body.type !== 'structure' || body.value.length < 2) throw new ProtocolError(`alarm push body is ${body.type}${body.type === 'structure' ? ` of ${body.value.length}` : ''}, expected structure { logical device name, alarm register }`, 0, 'push');
  const [ldn, register] = body.value;
  if (register.type !== 'double-long-unsigned' && register.type !== 'long-unsigned' && register.type !== 'unsigned') {
    throw new ProtocolError(`alarm register is ${register.type}, expected double-long-unsigned`, 0, 'push');
  }
  const value = register.value;
  const bits: number[] = [];
  for (let b = 0; b < 32; b++) if (Math.floor(value / 2 ** b) % 2 === 1) bits.push(b);
  const dt = n.dateTime ? asDateTime({ type: 'octet-string', value: n.dateTime }) : null;
  return { logicalDeviceName: identityText(ldn), alarmRegister: value, bits, at: dt ? dateTimeToUtc(dt) : null, invokeId: n.invokeId };
}
