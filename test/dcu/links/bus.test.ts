import { describe, expect, it } from 'vitest';
import { Bus } from '../../../dcu/links/bus.js';
import type { ByteChannel } from '../../../dcu/links/channel.js';

const channel = { name: 'test' } as ByteChannel;
const tick = () => new Promise((r) => setImmediate(r));

describe('Bus', () => {
  it('runs one session at a time, the waiting ones by priority then order', async () => {
    const bus = new Bus('rs485-1', channel);
    const log: string[] = [];
    let releaseFirst!: () => void;
    const first = bus.exclusive(async () => {
      log.push('first start');
      await new Promise<void>((r) => (releaseFirst = r));
      log.push('first end');
    });
    await tick();
    const runs = [
      bus.exclusive(async () => void log.push('scheduled'), 1),
      bus.exclusive(async () => void log.push('recollect'), 0),
      bus.exclusive(async () => void log.push('on-demand'), 3),
      bus.exclusive(async () => void log.push('relay'), 2),
    ];
    await tick();
    expect(log).toEqual(['first start']);
    expect(bus.queued).toBe(4);
    releaseFirst();
    await Promise.all([first, ...runs]);
    expect(log).toEqual(['first start', 'first end', 'on-demand', 'relay', 'scheduled', 'recollect']);
  });

  it('releases the bus when a session fails', async () => {
    const bus = new Bus('rs485-1', channel);
    await expect(bus.exclusive(async () => Promise.reject(new Error('meter gone')))).rejects.toThrow('meter gone');
    await expect(bus.exclusive(async () => 'next')).resolves.toBe('next');
  });
});
