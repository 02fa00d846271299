// Pushed alarms (IDIS-like DataNotification) decoded from untrusted bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePushedAlarm } from '../../../../dcu/links/g3/alarm.js';
import { encodeApdu } from '../../../../shared/dlms/apdu/index.js';
import { dateTimeFromUtc, encodeDateTime } from '../../../../shared/dlms/datetime.js';
import { ProtocolError } from '../../../../shared/errors.js';

const AT = Date.UTC(2026, 10, 22, 3, 0, 0);

function push(register: number, ldn = 'SIM12345678'): Uint8Array {
  return encodeApdu({
    kind: 'DataNotification', invokeId: 42, serviceClass: 'unconfirmed', priority: 'high', selfDescriptive: false, breakOnError: false,
    dateTime: encodeDateTime(dateTimeFromUtc(AT, 0)),
    body: { type: 'structure', value: [{ type: 'octet-string', value: new TextEncoder().encode(ldn) }, { type: 'double-long-unsigned', value: register }] },
  });
}

describe('decodePushedAlarm', () => {
  it('gives the logical device name, the register, its bits and the time stamp', () => {
    expect(decodePushedAlarm(push(2 ** 8 + 2))).toEqual({ logicalDeviceName: 'SIM12345678', alarmRegister: 258, bits: [1, 8], at: AT, invokeId: 42 });
    expect(decodePushedAlarm(push(2 ** 31)).bits).toEqual([31]);
  });

  it('refuses another APDU or body with a ProtocolError that says what was expected', () => {
    expect(() => decodePushedAlarm(Uint8Array.of(0xc0, 0x01, 0xc1, 0x00, 0x08, 0, 0, 1, 0, 0, 0xff, 2, 0))).toThrow(/expected a DataNotification/);
    const other = encodeApdu({ kind: 'DataNotification', invokeId: 1, serviceClass: 'unconfirmed', priority: 'high', selfDescriptive: false, breakOnError: false, body: { type: 'long-unsigned', value: 5 } });
    expect(() => decodePushedAlarm(other)).toThrow(ProtocolError);
  });

  it('any bytes: a value or a ProtocolError, never another error', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 60 }), fc.nat()).map(([r, cut, flip]) => {
        const b = push(r).slice(0, cut || undefined);
        if (b.length > 0) b[flip % b.length] ^= 0xff;
        return b;
      })), (bytes) => {
        try {
          const a = decodePushedAlarm(bytes);
          expect(a.bits.every((b) => b >= 0 && b < 32)).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
    );
  });
});
