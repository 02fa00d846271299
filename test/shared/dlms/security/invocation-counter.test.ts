import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex } from '../../../../shared/bytes.js';
import { SecurityError } from '../../../../shared/errors.js';
import { MAX_INVOCATION_COUNTER, ReplayGuard, SendingCounter } from '../../../../shared/dlms/security/invocation-counter.js';

const a = fromHex('4775727578313233');
const b = fromHex('4142434445464748');

describe('SendingCounter', () => {
  it('hands out increasing counters and restores from its stored value', () => {
    const c = new SendingCounter(41);
    expect(c.take()).toBe(41);
    expect(c.take()).toBe(42);
    expect(c.value).toBe(43);
    const restored = new SendingCounter(JSON.parse(JSON.stringify(c)) as number);
    expect(restored.take()).toBe(43);
  });

  it('advanceTo only moves forward', () => {
    const c = new SendingCounter(100);
    c.advanceTo(50);
    expect(c.value).toBe(100);
    c.advanceTo(500);
    expect(c.take()).toBe(500);
  });

  it('the last value is usable once, then a key change is demanded', () => {
    const c = new SendingCounter(MAX_INVOCATION_COUNTER);
    expect(c.take()).toBe(0xffffffff);
    expect(c.exhausted).toBe(true);
    expect(() => c.take()).toThrow(SecurityError);
    expect(() => c.take()).toThrow(/new block cipher key/);
    expect(new SendingCounter(c.value).exhausted).toBe(true);
  });

  it('rejects impossible stored values', () => {
    expect(() => new SendingCounter(-1)).toThrow(RangeError);
    expect(() => new SendingCounter(1.5)).toThrow(RangeError);
    expect(() => new SendingCounter(2 ** 32 + 1)).toThrow(RangeError);
  });
});

describe('ReplayGuard', () => {
  it('accepts only strictly increasing counters per system title', () => {
    const g = new ReplayGuard();
    g.accept(a, 5);
    g.accept(b, 1); // independent per sender
    expect(() => g.accept(a, 5)).toThrow(expect.objectContaining({ reason: 'replayed-counter' }));
    expect(() => g.check(a, 4)).toThrow(/last accepted was 5/);
    g.accept(a, 9); // gaps are fine (lost messages)
    expect(g.lastAccepted(a)).toBe(9);
    expect(g.lastAccepted(fromHex('0000000000000000'))).toBeUndefined();
  });

  it('check() does not record, so a message failing decryption cannot raise the bar', () => {
    const g = new ReplayGuard();
    g.check(a, 1000);
    g.accept(a, 10);
    expect(g.lastAccepted(a)).toBe(10);
  });

  it('survives persistence as plain data; forget() resets a sender', () => {
    const g = new ReplayGuard();
    g.accept(a, 77);
    const stored = JSON.parse(JSON.stringify(g)) as Record<string, number>;
    expect(stored).toEqual({ '4775727578313233': 77 });
    const again = new ReplayGuard(stored);
    expect(() => again.accept(a, 77)).toThrow(SecurityError);
    again.forget(a);
    again.accept(a, 1);
    expect(() => new ReplayGuard({ nothex: 1 })).toThrow(RangeError);
  });

  it('after accepting the maximum, everything is refused until a key change', () => {
    const g = new ReplayGuard();
    g.accept(a, MAX_INVOCATION_COUNTER);
    expect(() => g.check(a, MAX_INVOCATION_COUNTER)).toThrow(/key change/);
  });

  it('property: a sequence is accepted exactly where it strictly increases', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 50 }), { maxLength: 40 }), (counters) => {
        const g = new ReplayGuard();
        let last = -1;
        for (const c of counters) {
          let ok = true;
          try {
            g.accept(a, c);
          } catch (e) {
            expect(e).toBeInstanceOf(SecurityError);
            ok = false;
          }
          expect(ok).toBe(c > last);
          if (ok) last = c;
        }
      }),
    );
  });
});
