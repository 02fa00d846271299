// The embedded MQTT broker (aedes, MQTT 3.1.1 only): what the cloud starts when no MQTT_URL
// is given, so one command runs the whole system on one machine. It listens on the port it
// is given or, by default, on a free one (port 0) — never assuming 1883 is free — and says
// where in `url`. Not for production: no TLS, no ACL, no persistence beyond memory.
import net from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from 'pino';

export interface EmbeddedBrokerOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  log?: Logger;
}

export interface EmbeddedBroker {
  /** mqtt://host:port */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly aedes: Aedes;
  /** Disconnects every client and stops listening. */
  close(): Promise<void>;
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const aedes = await Aedes.createBroker();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  aedes.on('clientError', (client, error) => options.log?.debug({ client: client?.id, err: error.message }, 'broker: client error'));
  aedes.on('connectionError', (_client, error) => options.log?.debug({ err: error.message }, 'broker: connection error'));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => (server.off('error', reject), resolve()));
    });
  } catch (error) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`embedded MQTT broker cannot listen on ${host}:${options.port ?? 0}: ${why}`);
  }
  const { port } = server.address() as net.AddressInfo;
  const url = `mqtt://${host.includes(':') ? `[${host}]` : host}:${port}`;
  options.log?.info({ url }, 'embedded MQTT broker listening');
  let closing: Promise<void> | undefined;
  return {
    url,
    host,
    port,
    aedes,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await stopped;
      })();
      return closing;
    },
  };
}
