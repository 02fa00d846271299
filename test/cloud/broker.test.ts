// The embedded broker: a free port by default (never 1883 by assumption), a clear error for a
// port in use, and a clean close with clients still connected.
import net from 'node:net';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { startEmbeddedBroker } from '../../cloud/broker.js';

describe('embedded broker', () => {
  it('listens on a free port, carries messages, and closes with clients connected', async () => {
    const [a, b] = [await startEmbeddedBroker(), await startEmbeddedBroker()];
    expect(a.port).toBeGreaterThan(0);
    expect(a.port).not.toBe(b.port);
    expect(a.url).toBe(`mqtt://127.0.0.1:${a.port}`);
    await b.close();

    const sub = await mqtt.connectAsync(a.url, { reconnectPeriod: 0 });
    const pub = await mqtt.connectAsync(a.url, { reconnectPeriod: 0 });
    await sub.subscribeAsync('t/#', { qos: 1 });
    const got = new Promise<string>((resolve) => sub.on('message', (_t, p) => resolve(p.toString())));
    await pub.publishAsync('t/1', 'hello', { qos: 1 });
    expect(await got).toBe('hello');

    const closed = new Promise<void>((resolve) => sub.once('close', () => resolve()));
    await a.close();
    await closed;
    await a.close(); // twice is fine
    sub.end(true);
    pub.end(true);
    // the port is free again
    await new Promise<void>((resolve, reject) => {
      const s = net.createServer().once('error', reject).listen(a.port, '127.0.0.1', () => s.close(() => resolve()));
    });
  });

  it('a port in use is an error naming it', async () => {
    const taken = await startEmbeddedBroker();
    try {
      await expect(startEmbeddedBroker({ port: taken.port })).rejects.toThrow(new RegExp(`127\\.0\\.0\\.1:${taken.port}.*EADDRINUSE`));
    } finally {
      await taken.close();
    }
  });

  it('speaks MQTT 3.1.1 only: an MQTT 5 client is refused with "unacceptable protocol version"', async () => {
    const broker = await startEmbeddedBroker();
    try {
      const error = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 }).then(
        (c) => (c.end(true), undefined),
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 1 });
    } finally {
      await broker.close();
    }
  });
});
