// The order a task's meters start in on one link: farthest, nearest, next farthest, next nearest…
import { describe, expect, it } from 'vitest';
import { startOrder } from '../../../dcu/tasks/scheduler.js';
import type { Target } from '../../../dcu/tasks/run-task.js';

const target = (serial: string, hops: number | null) => ({ meter: { serial, hops } }) as unknown as Target;
const order = (ts: Target[]) => startOrder(ts).map((t) => t.meter.serial);

describe('start order', () => {
  it('takes the farthest and the nearest meters in turn', () => {
    const ts = [target('a', 1), target('b', 8), target('c', 3), target('d', 2), target('e', 5)];
    expect(order(ts)).toEqual(['b', 'a', 'e', 'd', 'c']);
  });

  it('starts every meter once, the far half in the first half of the order', () => {
    const ts = Array.from({ length: 101 }, (_, i) => target(`m${i}`, 1 + ((i * 37) % 8)));
    const started = startOrder(ts);
    expect(new Set(started)).toEqual(new Set(ts));
    expect(started).toHaveLength(ts.length);
    const hops = started.map((t) => t.meter.hops!);
    // Even places: hop counts never rise; odd places: never fall.
    const even = hops.filter((_, i) => i % 2 === 0);
    const odd = hops.filter((_, i) => i % 2 === 1);
    expect(even).toEqual([...even].sort((a, b) => b - a));
    expect(odd).toEqual([...odd].sort((a, b) => a - b));
    const deepest = started.map((t, i) => (t.meter.hops === 8 ? i : -1)).filter((i) => i >= 0);
    expect(Math.max(...deepest)).toBeLessThan(ts.length / 2);
  });

  it('keeps the order of meters with no hop count (RS485)', () => {
    const ts = [target('x', null), target('y', null), target('z', null)];
    expect(order(ts)).toEqual(['x', 'y', 'z']);
  });
});
