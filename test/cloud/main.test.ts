// `npx tsx cloud/main.ts` with nothing configured: SQLite in CLOUD_DB, the embedded broker on
// a free port; a DCU's batch gets stored and acknowledged; SIGTERM closes cleanly (exit 0).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrCreateCloudKeys } from '../../cloud/provisioning/cloud-keys.js';
import { SqliteCloudStore } from '../../cloud/store/index.js';
import { verifyAck } from '../../shared/sync/signing.js';
import { dcuId, profileReadings, readingsBatch } from './helpers.js';
import { FakeDcu } from './ingest/fake-dcu.js';

const dir = mkdtempSync(join(tmpdir(), 'cloud-main-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function waitForLine(child: ChildProcess, pattern: RegExp, ms = 30_000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output:\n${seen}`)), ms);
    const on = (d: Buffer) => {
      seen += d.toString();
      for (const line of seen.split('\n')) {
        if (pattern.test(line)) {
          clearTimeout(timer);
          resolve(JSON.parse(line) as Record<string, unknown>);
          return;
        }
      }
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
  });
}

describe('cloud/main.ts', () => {
  it('runs with the embedded broker and SQLite, stores what a DCU sends, and stops on SIGTERM', async () => {
    const file = join(dir, 'sub', 'cloud.db');
    const env = { ...process.env, CLOUD_DB: file, CLOUD_KEYS: join(dir, 'keys'), MQTT_URL: '', DATABASE_URL: '', CLOUD_MQTT_PORT: '' };
    const child = spawn(process.execPath, ['--import', 'tsx', 'cloud/main.ts'], { stdio: ['ignore', 'pipe', 'pipe'], env });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const running = await waitForLine(child, /"cloud running"/);
      expect(running).toMatchObject({ broker: 'embedded', store: `sqlite ${file}`, mqtt: expect.stringMatching(/^mqtt:\/\/127\.0\.0\.1:\d+$/) });
      expect(running.mqtt).not.toBe('mqtt://127.0.0.1:1883');
      const dcu = await FakeDcu.connect(running.mqtt as string, dcuId());
      await dcu.send(readingsBatch(dcu.id, 1, profileReadings(24)));
      const [ack] = await dcu.waitForAcks(1);
      expect(ack).toMatchObject({ v: 2, kind: 'ack', dcu: dcu.id, epoch: '', stream: 'readings', upTo: 1 });
      // signed with the cloud's signing key, the one the DCUs trust for commands
      const { signing } = await loadOrCreateCloudKeys(join(dir, 'keys'));
      expect(verifyAck(ack!, new Map([[signing.keyId, signing.publicKey]]))).toEqual({ ok: true });
      await dcu.close();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const store = await SqliteCloudStore.open(file);
      expect(await store.countReadings()).toBe(24);
      await store.close();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
