// A Mosquitto broker started and stopped by a test: a TLS listener with certificates the test
// generated, the project's ACL (deploy/mosquitto/acl), on a free port (1883 belongs to the
// machine's own broker). Missing mosquitto fails loudly with what to install.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CertificateAuthority, Pem } from '../../cloud/provisioning/certificates.js';
import { issueServerCertificate } from '../../cloud/provisioning/certificates.js';

export interface TestBroker {
  port: number;
  url: string;
  dir: string;
  stop(): Promise<void>;
  /** Kills the broker without a clean shutdown (chaos tests). */
  kill(): void;
  restart(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function mosquittoBinary(): string {
  for (const candidate of ['/usr/sbin/mosquitto', 'mosquitto']) {
    if (spawnSync(candidate, ['-h']).error === undefined) return candidate;
  }
  throw new Error('mosquitto is needed for this test: install it (apt-get install mosquitto)');
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`mosquitto did not listen on ${port} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts Mosquitto with mutual TLS on a free port; `tls: false` gives a plain, anonymous
 * listener (then `ca` may be null).
 */
export async function startMosquitto(ca: CertificateAuthority | null, options: { tls?: boolean; port?: number } = {}): Promise<TestBroker> {
  const binary = mosquittoBinary();
  const tls = options.tls ?? true;
  if (tls && ca === null) throw new Error('startMosquitto: a TLS listener needs the CA');
  const dir = mkdtempSync(join(tmpdir(), 'mosquitto-'));
  // Started as root, Mosquitto drops to its own user: it must be able to read this folder.
  chmodSync(dir, 0o777);
  const port = options.port ?? (await freePort());
  if (tls && ca !== null) {
    const server: Pem = await issueServerCertificate(ca, ['localhost', '127.0.0.1']);
    writeFileSync(join(dir, 'ca.pem'), ca.cert);
    writeFileSync(join(dir, 'broker.pem'), server.cert);
    writeFileSync(join(dir, 'broker.key'), server.key, { mode: 0o644 });
  }
  copyFileSync(new URL('../../deploy/mosquitto/acl', import.meta.url), join(dir, 'acl'));
  const conf = [
    'per_listener_settings false',
    `allow_anonymous ${tls ? 'false' : 'true'}`,
    'persistence true',
    `persistence_location ${dir}/`,
    'max_queued_messages 1000000',
    'max_inflight_messages 100',
    `listener ${port} 127.0.0.1`,
    ...(tls
      ? [`cafile ${dir}/ca.pem`, `certfile ${dir}/broker.pem`, `keyfile ${dir}/broker.key`, 'require_certificate true', 'use_identity_as_username true', `acl_file ${dir}/acl`]
      : []),
  ].join('\n');
  writeFileSync(join(dir, 'mosquitto.conf'), `${conf}\n`);
  let child: ChildProcess | null = null;
  let log = '';
  const start = async () => {
    child = spawn(binary, ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    await waitForPort(port, 10_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${log}`);
    });
  };
  await start();
  const stop = async () => {
    const c = child;
    child = null;
    // A process killed by a signal has exitCode null and signalCode set: it is gone too, and
    // its 'exit' event has already been emitted (waiting for it again would hang).
    if (c && c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await exited;
    }
  };
  return {
    port,
    url: `${tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    dir,
    kill: () => child?.kill('SIGKILL'),
    restart: async () => {
      await stop();
      await start();
    },
    stop: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
