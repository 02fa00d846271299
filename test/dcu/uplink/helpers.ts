// Shared by the uplink tests: real brokers (an embedded aedes on a free port, MQTT 3.1.1, that
// can be taken down and brought back; the Mosquitto at 127.0.0.1:1883, MQTT 5), a fake cloud
// that subscribes, decodes and acknowledges like the real one (in the epoch of the batches it
// got, signed when given a signer), signed commands, a fake command executor on the real
// journal, and DCU stores with readings.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterEach } from 'vitest';
import { decodeUplink, encodeMessage } from '../../../shared/sync/codec.js';
import { SYNC_VERSION, Topics, type AckMessage, type CommandBody, type ResultMessage, type StatusMessage, type Stream, type UplinkMessage } from '../../../shared/sync/messages.js';
import { signAck, signCommand, signingKeyPairFromSeed } from '../../../shared/sync/signing.js';
import { type Accepted, type CommandRequest } from '../../../dcu/commands/index.js';
import { acceptCommand } from '../../../dcu/commands/journal.js';
import { UplinkConfigSchema, type UplinkConfig } from '../../../dcu/config.js';
import type { DcuStore } from '../../../dcu/store/index.js';
import { Uplink, type UplinkLog } from '../../../dcu/uplink/index.js';
import { addMeters, profileRows, T0 } from '../store/helpers.js';

export const MOSQUITTO_URL = process.env.MOSQUITTO_URL ?? 'mqtt://127.0.0.1:1883';

const cleanups: (() => Promise<void> | void)[] = [];
/** Runs after the test, last registered first. */
export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, fn: () => T | undefined | null | false, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

export const uniqueId = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;

export function testLog(): UplinkLog {
  return process.env.UPLINK_TEST_LOG ? pino({ level: 'debug' }, pino.destination(2)) : { debug() {}, info() {}, warn() {}, error() {} };
}

// ---- brokers ----

export interface AedesBroker {
  url: string;
  port: number;
  /** Takes the broker off the network: listener closed, every connection cut (sessions kept). */
  down(): Promise<void>;
  /** Back on the same port. */
  up(): Promise<void>;
  /** Cuts one client's connection without a DISCONNECT (its last will goes out). */
  kick(clientId: string): void;
  close(): Promise<void>;
}

export async function startAedes(): Promise<AedesBroker> {
  const broker = await Aedes.createBroker();
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;
  const listen = async (): Promise<void> => {
    const s = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      broker.handle(socket);
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.address() as net.AddressInfo).port;
    server = s;
  };
  const down = async (): Promise<void> => {
    const s = server;
    server = null;
    if (s === null) return;
    const closed = new Promise<void>((r) => s.close(() => r()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  await listen();
  const handle: AedesBroker = {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    down,
    up: listen,
    kick(clientId) {
      (broker as unknown as { clients: Record<string, { conn: net.Socket }> }).clients[clientId]?.conn.destroy();
    },
    async close() {
      await down();
      await new Promise<void>((r) => broker.close(() => r()));
    },
  };
  onCleanup(() => handle.close());
  return handle;
}

/** Fails (naming what to do) when the Mosquitto at MOSQUITTO_URL does not answer. */
export async function requireMosquitto(): Promise<string> {
  const { hostname, port } = new URL(MOSQUITTO_URL);
  const ok = await new Promise<boolean>((resolve) => {
    const s = net.connect(Number(port || 1883), hostname);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
  if (!ok) throw new Error(`this test needs Mosquitto at ${MOSQUITTO_URL} (Debian: apt-get install mosquitto; service mosquitto start), or MOSQUITTO_URL`);
  return MOSQUITTO_URL;
}

// ---- the fake cloud ----

export interface Arrival {
  seq: number;
  bytes: Buffer;
  at: number;
  message: UplinkMessage;
}

export class FakeCloud {
  readonly arrivals: Record<Stream, Arrival[]> = { readings: [], events: [] };
  readonly results: ResultMessage[] = [];
  readonly statuses: StatusMessage[] = [];
  /** Per stream: the batch numbers stored (the real cloud writes them in one transaction). */
  readonly stored: Record<Stream, Set<number>> = { readings: new Set(), events: new Set() };
  autoAck: boolean;
  /** The epoch of the last batch received: what ack() names unless told otherwise. */
  epoch = '';

  private constructor(
    readonly client: MqttClient,
    readonly dcuId: string,
    autoAck: boolean,
    /** Signs acks as the real cloud does; without it acks go unsigned (a DCU in development mode without keys takes them). */
    readonly signer: CloudSigner | undefined,
  ) {
    this.autoAck = autoAck;
    client.on('message', (topic, payload) => this.received(topic, payload));
  }

  static async connect(
    url: string,
    dcuId: string,
    options: { autoAck?: boolean; protocolVersion?: 4 | 5; tls?: { ca: string; cert: string; key: string }; signer?: CloudSigner } = {},
  ): Promise<FakeCloud> {
    const client = mqtt.connect(url, {
      clientId: uniqueId('cloud'),
      clean: false,
      protocolVersion: options.protocolVersion ?? 4,
      reconnectPeriod: 100,
      ...(options.protocolVersion === 5 && { properties: { sessionExpiryInterval: 300 } }),
      ...(options.tls && { ca: readFileSync(options.tls.ca), cert: readFileSync(options.tls.cert), key: readFileSync(options.tls.key), rejectUnauthorized: true }),
    });
    const cloud = new FakeCloud(client, dcuId, options.autoAck ?? true, options.signer);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    await client.subscribeAsync(`dcu/${dcuId}/up/#`, { qos: 1 });
    onCleanup(() => cloud.close());
    return cloud;
  }

  /** Distinct batch numbers received, in order of first arrival. */
  firstArrivals(stream: Stream): number[] {
    const seen = new Set<number>();
    const out: number[] = [];
    for (const a of this.arrivals[stream]) if (!seen.has(a.seq)) (seen.add(a.seq), out.push(a.seq));
    return out;
  }

  /** Highest contiguous stored batch (what the real cloud acknowledges). */
  contiguous(stream: Stream): number {
    let n = 0;
    while (this.stored[stream].has(n + 1)) n++;
    return n;
  }

  async ack(stream: Stream, upTo: number, resend?: [number, number][], epoch = this.epoch): Promise<void> {
    const ack: AckMessage = { v: SYNC_VERSION, kind: 'ack', dcu: this.dcuId, epoch, stream, upTo, ...(resend && { resend }) };
    await this.publishAck(this.signer ? signAck(ack, this.signer.keyId, this.signer.seed) : ack);
  }

  /** Publishes an ack exactly as given (forged, unsigned, of another epoch…). */
  async publishAck(ack: AckMessage): Promise<void> {
    await this.client.publishAsync(Topics.acks(this.dcuId), Buffer.from(encodeMessage(ack)), { qos: 1 });
  }

  async send(topic: string, payload: Uint8Array): Promise<void> {
    await this.client.publishAsync(topic, Buffer.from(payload), { qos: 1 });
  }

  async close(): Promise<void> {
    // Clear the retained status so the next run on a shared broker starts clean.
    if (this.client.connected) await this.client.publishAsync(Topics.status(this.dcuId), Buffer.alloc(0), { qos: 1, retain: true }).catch(() => undefined);
    await this.client.endAsync(true).catch(() => undefined);
  }

  private received(topic: string, payload: Buffer): void {
    if (payload.length === 0) return;
    const message = decodeUplink(new Uint8Array(payload));
    if (message.kind === 'status') {
      this.statuses.push(message);
      return;
    }
    if (message.kind === 'result') {
      this.results.push(message);
      return;
    }
    const stream: Stream = message.kind;
    if (!topic.endsWith(`/up/${stream}`)) throw new Error(`${stream} batch on ${topic}`);
    this.arrivals[stream].push({ seq: message.seq, bytes: Buffer.from(payload), at: Date.now(), message });
    this.stored[stream].add(message.seq);
    this.epoch = message.epoch;
    if (this.autoAck) void this.ack(stream, this.contiguous(stream));
  }
}

// ---- the DCU side ----

/** An uplink config for tests: development mode on `url`, fast timings, overrides on top. */
export function uplinkConfig(url: string, overrides: Partial<UplinkConfig> = {}): UplinkConfig {
  return UplinkConfigSchema.parse({
    url,
    development: true,
    batchSize: 10,
    maxInFlight: 4,
    maxBatchesPerSecond: 1000,
    pollMs: 50,
    reconnectMinMs: 50,
    reconnectMaxMs: 300,
    connectTimeoutMs: 2000,
    ...overrides,
  });
}

/** Meters SN-0001… with `hours` of 2-channel hourly profile each: meters × hours × 2 rows. */
export function seedReadings(store: DcuStore, meters: number, hours: number, start = T0): number {
  const ids = store.meters.list().length > 0 ? store.meters.list().map((m) => m.id) : addMeters(store, meters);
  let n = 0;
  for (const id of ids) n += store.insertReadings(profileRows(id, start, hours)).inserted;
  return n;
}

export interface FakeExecutor {
  execute(request: CommandRequest): Accepted;
  calls: CommandRequest[];
}

/** Runs commands through the real journal (idempotent by id) with a fake meter: done after `delayMs`. */
export function fakeExecutor(store: DcuStore, delayMs = 20): FakeExecutor {
  const calls: CommandRequest[] = [];
  return {
    calls,
    execute(request) {
      const meter = 'meter' in request ? request.meter : null;
      const params =
        request.kind === 'relay' ? { action: request.action }
        : request.kind === 'read' ? { registers: request.registers ?? null }
        : request.kind === 'config' ? { version: request.version }
        : request.kind === 'meter-keys' ? { bytes: request.sealed.length }
        : request.kind === 'token' ? { token: request.token }
        : { force: request.force ?? false };
      return acceptCommand(store, { id: request.id, kind: request.kind, meter, params }, async () => {
        calls.push(request);
        await sleep(delayMs);
        return { status: 'done', outcome: request.kind === 'relay' ? { result: request.action === 'disconnect' ? 'disconnected' : 'connected' } : { action: 'none', offsetMs: 12 } };
      });
    },
  };
}

export function startUplink(store: DcuStore, config: UplinkConfig, dcuId: string, execute: FakeExecutor['execute'] = fakeExecutor(store).execute, clock?: () => number): Uplink {
  const uplink = Uplink.start({ store, config, dcuId, execute, log: testLog(), ...(clock && { clock }) });
  onCleanup(() => uplink.stop());
  return uplink;
}

// ---- signed commands ----

export interface CloudSigner {
  keyId: string;
  publicHex: string;
  seed: Uint8Array;
}

export function cloudSigner(keyId = 'cloud-test'): CloudSigner {
  const seed = new Uint8Array(randomBytes(32));
  return { keyId, seed, publicHex: Buffer.from(signingKeyPairFromSeed(seed).publicKey).toString('hex') };
}

let commandSeq = 0;

export function commandBody(dcuId: string, body: Partial<CommandBody> & Pick<CommandBody, 'command' | 'params'>): CommandBody {
  const now = Date.now();
  return { v: SYNC_VERSION, kind: 'command', id: uniqueId('cmd'), dcu: dcuId, seq: ++commandSeq + 1000, issuedAt: now, notAfter: now + 60_000, ...body };
}

/** The bytes the cloud publishes on down/commands. */
export function signed(signer: CloudSigner, body: CommandBody): Uint8Array {
  return encodeMessage(signCommand(body, signer.keyId, signer.seed));
}

// ---- TLS ----

export interface Pki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** Another CA, with a client certificate and a server certificate of its own. */
  rogueCa: string;
  rogueClientCert: string;
  rogueClientKey: string;
  rogueServerCert: string;
  rogueServerKey: string;
}

/** A CA with a broker certificate (127.0.0.1/localhost) and a client certificate (CN = dcuId), and a rogue CA with the same; made with the openssl CLI. */
export function makePki(dir: string, dcuId: string): Pki {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ext = (name: string, text: string) => (writeFileSync(join(dir, name), text), name);
  const serverExt = ext('server.ext', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  const clientExt = ext('client.ext', 'extendedKeyUsage=clientAuth\n');
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  for (const prefix of ['', 'rogue-']) {
    ssl('req', '-x509', ...ecKey, '-keyout', `${prefix}ca.key`, '-out', `${prefix}ca.pem`, '-days', '2', '-subj', `/CN=${prefix}test CA`);
    for (const [name, cn, extFile] of [['server', 'localhost', serverExt], ['client', dcuId, clientExt]] as const) {
      ssl('req', ...ecKey, '-keyout', `${prefix}${name}.key`, '-out', `${prefix}${name}.csr`, '-subj', `/CN=${cn}`);
      ssl('x509', '-req', '-in', `${prefix}${name}.csr`, '-CA', `${prefix}ca.pem`, '-CAkey', `${prefix}ca.key`, '-CAcreateserial', '-out', `${prefix}${name}.pem`, '-days', '2', '-extfile', extFile);
    }
  }
  const p = (f: string) => join(dir, f);
  return {
    dir,
    ca: p('ca.pem'),
    serverCert: p('server.pem'),
    serverKey: p('server.key'),
    clientCert: p('client.pem'),
    clientKey: p('client.key'),
    rogueCa: p('rogue-ca.pem'),
    rogueClientCert: p('rogue-client.pem'),
    rogueClientKey: p('rogue-client.key'),
    rogueServerCert: p('rogue-server.pem'),
    rogueServerKey: p('rogue-server.key'),
  };
}

export interface TlsBroker {
  url: string;
  /** CNs of the client certificates the broker accepted. */
  clients: string[];
  /** TLS handshakes the broker refused, with the reason. */
  refused: string[];
}

/** aedes behind a TLS listener that requires a client certificate signed by `ca`. */
export async function startTlsAedes(server: { cert: string; key: string; ca: string }): Promise<TlsBroker> {
  const broker = await Aedes.createBroker();
  const clients: string[] = [];
  const refused: string[] = [];
  const srv = tls.createServer(
    { cert: readFileSync(server.cert), key: readFileSync(server.key), ca: readFileSync(server.ca), requestCert: true, rejectUnauthorized: true },
    (socket) => {
      clients.push(String(socket.getPeerCertificate().subject?.CN));
      broker.handle(socket);
    },
  );
  srv.on('tlsClientError', (e) => refused.push(e.message));
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  const port = (srv.address() as net.AddressInfo).port;
  onCleanup(async () => {
    await new Promise<void>((r) => {
      srv.close(() => r());
      for (const c of Object.values((broker as unknown as { clients: Record<string, { conn: net.Socket }> }).clients)) c.conn.destroy();
    });
    await new Promise<void>((r) => broker.close(() => r()));
  });
  return { url: `mqtts://127.0.0.1:${port}`, clients, refused };
}
