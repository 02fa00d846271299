// The DCU's configuration file (JSON), validated with zod. A wrong value stops the start
// with a message naming the field and what is expected, e.g.
//   config /etc/dcu.json: buses.0.baud: expected one of 300…115200, got 9601
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`), `expected ${bytes} bytes as hex`);

const BAUDS = [300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200];
const Baud = z.number().refine((b) => BAUDS.includes(b), { error: (issue) => `expected one of ${BAUDS.join(', ')}, got ${String(issue.input)}` });

const Discovery = z.object({
  /** HDLC physical addresses to scan, inclusive. */
  from: z.number().int().min(16).max(0x3ffd).default(16),
  to: z.number().int().min(16).max(0x3ffd).default(127),
  /** Per-address response timeout while scanning, ms (short: silence is the common answer). */
  timeoutMs: z.number().int().min(50).max(10_000).default(300),
  /** Cron expression of the discovery scan. */
  cron: z.string().default('0 3 * * *'),
  /** Scans a meter may miss before it is marked unreachable. */
  silentCycles: z.number().int().min(1).max(100).default(3),
});

const SerialBusConfig = z.object({
  name: z.string().min(1),
  path: z.string().min(1),
  baud: Baud.default(9600),
  parity: z.enum(['none', 'even', 'odd']).default('none'),
  /** Security profile used to read meters on this bus. */
  profile: z.string().min(1),
  /** Security profile for relay and clock changes (usually the management client, HLS); default: `profile`. */
  controlProfile: z.string().min(1).optional(),
  discovery: Discovery.default(Discovery.parse({})),
  /** HDLC proposal: the largest the meters accept is negotiated from here. */
  maxInfo: z.number().int().min(32).max(2030).default(512),
  window: z.number().int().min(1).max(7).default(7),
  responseTimeoutMs: z.number().int().min(50).max(30_000).default(1500),
});

/** A G3-PLC network: a PLC modem (coordinator) on a UART, and the meters that join its PAN. */
const G3NetworkConfig = z.object({
  name: z.string().min(1),
  /** The modem's serial port. */
  path: z.string().min(1),
  baud: z.number().refine((b) => [115200, 230400, 460800].includes(b), { error: (issue) => `expected 115200, 230400 or 460800, got ${String(issue.input)}` }).default(230400),
  /** PAN identifier the coordinator starts the network with. */
  panId: z.number().int().min(0).max(0xfffe),
  band: z.enum(['cenelec-a', 'cenelec-b', 'fcc', 'arib']).default('cenelec-a'),
  /** Security profile used to read meters on this network. */
  profile: z.string().min(1),
  /** Security profile for relay and clock changes; default: `profile`. */
  controlProfile: z.string().min(1).optional(),
  /** Server logical device (destination wPort) of the meters. */
  logicalDevice: z.number().int().min(1).max(0xffff).default(1),
  /** A meter's answer time beside the PLC hops (its DLMS server, the modems), ms. */
  responseTimeoutMs: z.number().int().min(10).max(120_000).default(5000),
  /** One PLC hop, one way, at worst, ms: a request's timeout is responseTimeoutMs + 2 × hops × this. */
  hopTimeoutMs: z.number().int().min(1).max(30_000).default(3000),
  /** Hops assumed for a meter whose route is not known yet; also the route discovery limit. */
  maxHops: z.number().int().min(1).max(15).default(8),
  /** Repeats of a request after a timeout (its timeout doubles each time). */
  maxRetries: z.number().int().min(0).max(10).default(3),
  /**
   * The adaptive limit of DLMS requests in flight on the network: bounds and start. The max
   * is only the outer bound (the limiter finds the working value from queueing delay): the
   * bandwidth-delay product of CENELEC-A (≈ 0.28 s of air per exchange at 20 kbit/s, ≈ 9 s
   * round trip at 2.5 hops, ≈ 27 s at 8) is 30–100 requests, plus the modem's buffers and
   * requests held by losses until their timeout: 128.
   */
  maxInFlight: z.object({
    min: z.number().int().min(1).max(255).default(1),
    max: z.number().int().min(1).max(255).default(128),
    initial: z.number().int().min(1).max(255).default(4),
  }).default({ min: 1, max: 128, initial: 4 }),
  /** Sessions running at once (each holds at most one request; the limit above gates them): above maxInFlight.max, so sessions between two requests (association, release) never leave the limit unused. */
  maxSessions: z.number().int().min(1).max(1000).default(192),
  /** Pause after the modem says busy or no-buffers, doubling on repeats, ms. */
  backoffMs: z.number().int().min(1).max(60_000).default(500),
  /** Confirms of local modem requests, ms; an ADPD-DATA.confirm may take dataConfirmTimeoutMs. */
  confirmTimeoutMs: z.number().int().min(10).max(60_000).default(3000),
  dataConfirmTimeoutMs: z.number().int().min(10).max(300_000).default(15_000),
  /** An idle modem is asked something this often; no answer = reset and restart it, ms. */
  keepAliveMs: z.number().int().min(10).max(3_600_000).default(30_000),
  /** How long after the network start the meters are expected to have joined, ms. */
  joinWindowMs: z.number().int().min(0).max(86_400_000).default(600_000),
}).superRefine((g, ctx) => {
  if (g.maxInFlight.min > g.maxInFlight.max) ctx.addIssue({ code: 'custom', path: ['maxInFlight', 'min'], message: 'must not be above maxInFlight.max' });
  if (g.maxInFlight.initial < g.maxInFlight.min || g.maxInFlight.initial > g.maxInFlight.max) ctx.addIssue({ code: 'custom', path: ['maxInFlight', 'initial'], message: 'must be within maxInFlight.min..max' });
});

const SecurityProfile = z.object({
  clientSap: z.number().int().min(1).max(127),
  authentication: z.enum(['none', 'low', 'high-gmac']),
  /** LLS password (authentication 'low'). */
  password: z.string().optional(),
  /** Suite 0 keys (authentication 'high-gmac'): global unicast encryption key and authentication key. */
  blockCipherKey: hex(16).optional(),
  authenticationKey: hex(16).optional(),
}).superRefine((p, ctx) => {
  if (p.authentication === 'low' && p.password === undefined) ctx.addIssue({ code: 'custom', path: ['password'], message: 'required with authentication "low"' });
  if (p.authentication === 'high-gmac') {
    for (const k of ['blockCipherKey', 'authenticationKey'] as const) if (!p[k]) ctx.addIssue({ code: 'custom', path: [k], message: 'required with authentication "high-gmac"' });
  }
});

const TimeSync = z.object({
  /** Offsets below this are left alone, s. */
  ignoreBelowS: z.number().min(0).default(10),
  /** Offsets up to this are corrected; beyond it an alarm is raised and nothing is set unless forced, s. */
  correctUpToS: z.number().min(1).default(600),
  /** Offsets up to this are corrected with shift_time (IC 8 method 6, ±900 s); larger ones set the clock, s. */
  shiftUpToS: z.number().min(1).max(900).default(60),
  cron: z.string().default('15 */6 * * *'),
});

/** The MQTT uplink to the cloud (dcu/uplink). Without this section the DCU keeps everything local. */
const Uplink = z.object({
  /** Broker: mqtts://host:8883 on a deployment; mqtt:// only with `development`. */
  url: z.string().regex(/^(mqtts?|wss?):\/\/[^\s]+$/, 'expected mqtts://host:port (or mqtt:// in development mode)'),
  /** The identity in topics and the MQTT client id; default: the top-level dcuId. */
  dcuId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, - and _ only (it goes into MQTT topics)').optional(),
  /** The DCU identity bundle (PEM files): the CA that signed the broker's certificate (pinned: no other CA is trusted), the client certificate and its key. */
  tls: z.object({ ca: z.string().min(1).optional(), cert: z.string().min(1).optional(), key: z.string().min(1).optional() }).default({}),
  /** Cloud signing keys, keyId → Ed25519 public key (32 bytes hex); they sign commands and acks. Several during a key rollover. */
  trustedKeys: z.record(z.string().min(1), hex(32)).default({}),
  /** Sealed meter-key delivery: the DCU's X25519 secret key and the cloud's public one (the identity bundle's box.secretKey and cloud.boxPublicKey). */
  sealing: z.object({ secretKey: hex(32), cloudPublicKey: hex(32) }).optional(),
  /** Rows per batch (readings or events). */
  batchSize: z.number().int().min(1).max(10_000).default(1000),
  /** Batches per stream published and not yet acknowledged by the cloud. */
  maxInFlight: z.number().int().min(1).max(64).default(8),
  /** Publish rate cap for everything in the outbox (a backlog after an outage drains at this rate), batches/s. */
  maxBatchesPerSecond: z.number().min(0.01).max(10_000).default(10),
  /** Without an acknowledgement for this long the unacknowledged batches go out again (doubling up to 10 min), s. */
  ackTimeoutS: z.number().min(1).max(3600).default(30),
  /** How often the buffer is looked at for new rows (notify() also triggers a look), ms. */
  pollMs: z.number().int().min(10).max(600_000).default(1000),
  /** MQTT protocol: 'auto' tries 5 and falls back to 3.1.1 (4) when the broker refuses it. */
  protocolVersion: z.union([z.literal('auto'), z.literal(5), z.literal(4)]).default('auto'),
  keepaliveS: z.number().int().min(5).max(3600).default(30),
  /** MQTT 5: how long the broker keeps the session (subscriptions, queued commands) while the DCU is away, s. */
  sessionExpiryS: z.number().int().min(0).max(0xffff_fffe).default(7 * 86_400),
  /** MQTT 5: how long the broker may hold an uplink message for a cloud that is away, s (the outbox resends anyway). */
  messageExpiryS: z.number().int().min(1).max(0xffff_fffe).default(86_400),
  /** Reconnect delays: from min, doubling (with jitter) to max, ms. */
  reconnectMinMs: z.number().int().min(10).max(600_000).default(1000),
  reconnectMaxMs: z.number().int().min(10).max(3_600_000).default(60_000),
  connectTimeoutMs: z.number().int().min(100).max(300_000).default(30_000),
  /** Allows mqtt:// and a connection without the identity bundle, and unsigned acks when no trustedKeys are set — for test brokers only, never on a deployment. */
  development: z.boolean().default(false),
}).superRefine((u, ctx) => {
  if (u.development) return;
  if (!/^(mqtts|wss):/.test(u.url)) ctx.addIssue({ code: 'custom', path: ['url'], message: `a plain connection (${u.url.split(':')[0]}://) needs "development": true; a deployment uses mqtts://` });
  for (const k of ['ca', 'cert', 'key'] as const) {
    if (!u.tls[k]) ctx.addIssue({ code: 'custom', path: ['tls', k], message: `required: the DCU identity bundle (${k === 'ca' ? 'the CA certificate that signed the broker' : k === 'cert' ? 'the client certificate' : 'the client key'}, PEM file); "development": true connects without one` });
  }
  if (u.reconnectMinMs > u.reconnectMaxMs) ctx.addIssue({ code: 'custom', path: ['reconnectMinMs'], message: 'must not be above reconnectMaxMs' });
});

export type UplinkConfig = z.infer<typeof Uplink>;
export const UplinkConfigSchema = Uplink;

export const DcuConfigSchema = z.object({
  dcuId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, - and _ only (it goes into MQTT topics)'),
  /** The SQLite database file (directory, buffer, schedule). */
  database: z.string().min(1),
  /** The DCU's own system title for ciphered associations. */
  systemTitle: hex(8),
  buses: z.array(SerialBusConfig).default([]),
  /** G3-PLC networks (a modem each); their meters join the same directory as the buses'. */
  g3: z.array(G3NetworkConfig).default([]),
  profiles: z.record(z.string(), SecurityProfile),
  timeSync: TimeSync.default(TimeSync.parse({})),
  /** How far back recollection looks for gaps, days. */
  recollectDays: z.number().min(0).max(31).default(2),
  /** Where a meter's history starts when it is first found, days before now. */
  backfillDays: z.number().min(0).max(62).default(3),
  /** How long a meter's register scalers and profile layouts are kept between sessions, days (0: read them in every session). */
  layoutCacheDays: z.number().min(0).max(365).default(7),
  /** What the buffer keeps: delivered rows older than the age go first; the quota protects the disk. */
  retention: z.object({
    readingsDays: z.number().min(1).max(3650).default(90),
    eventsDays: z.number().min(1).max(3650).default(365),
    taskRunsDays: z.number().min(1).max(3650).default(30),
    /** Upper bound for the database's used pages; over it the oldest data goes, undelivered last (an event says how much). */
    maxDatabaseMB: z.number().min(1).max(1_000_000).default(2048),
  }).default({ readingsDays: 90, eventsDays: 365, taskRunsDays: 30, maxDatabaseMB: 2048 }),
  /** Local API for commands (relay, on-demand reads); bind to localhost unless behind a firewall. */
  api: z.object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(8080) }).default({ host: '127.0.0.1', port: 8080 }),
  log: z.object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info') }).default({ level: 'info' }),
  /**
   * Trust the system clock without an NTP check (tests, simulations). On a gateway leave it
   * false: the DCU then waits for timedatectl/chrony to report synchronisation.
   */
  assumeClockSynchronised: z.boolean().default(false),
  uplink: Uplink.optional(),
}).superRefine((c, ctx) => {
  c.buses.forEach((b, i) => {
    for (const key of ['profile', 'controlProfile'] as const) {
      const name = b[key];
      if (name !== undefined && !c.profiles[name]) ctx.addIssue({ code: 'custom', path: ['buses', i, key], message: `no security profile "${name}" (have: ${Object.keys(c.profiles).join(', ') || 'none'})` });
    }
    if (b.discovery.from > b.discovery.to) ctx.addIssue({ code: 'custom', path: ['buses', i, 'discovery', 'from'], message: 'must not be above discovery.to' });
  });
  c.g3.forEach((g, i) => {
    for (const key of ['profile', 'controlProfile'] as const) {
      const name = g[key];
      if (name !== undefined && !c.profiles[name]) ctx.addIssue({ code: 'custom', path: ['g3', i, key], message: `no security profile "${name}" (have: ${Object.keys(c.profiles).join(', ') || 'none'})` });
    }
  });
  const names = c.buses.map((b) => b.name);
  names.forEach((n, i) => names.indexOf(n) !== i && ctx.addIssue({ code: 'custom', path: ['buses', i, 'name'], message: `bus name "${n}" is used twice` }));
  // Bus and network names share one namespace: the directory's `link`.
  c.g3.forEach((g, i) => {
    if (names.includes(g.name) || c.g3.findIndex((o) => o.name === g.name) !== i) ctx.addIssue({ code: 'custom', path: ['g3', i, 'name'], message: `link name "${g.name}" is used twice` });
  });
});

export type DcuConfig = z.infer<typeof DcuConfigSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Validates a parsed config; every problem is listed with its path. */
export function parseConfig(value: unknown, source = 'config'): DcuConfig {
  const result = DcuConfigSchema.safeParse(value);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(top level)'}: ${i.message}`);
  throw new ConfigError(`${source} is not valid:\n${lines.join('\n')}`);
}

export function loadConfig(path: string): DcuConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config ${path}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`config ${path} is not JSON: ${(e as Error).message}`);
  }
  return parseConfig(json, `config ${path}`);
}
