// The cloud as it runs on a server: `cloud/main.ts` in its own Node process (SQLite store, an
// external broker), started and stopped by a benchmark. Its JSON log goes to a pipe: warnings
// and errors are shown, 'cloud running' says it is ready.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface CloudProcess {
  pid: number;
  /** User + system CPU time of the process so far (Linux /proc), s. */
  cpuSeconds(): number;
  exited(): boolean;
  /** SIGTERM (finish the message in hand, close the store), then wait for the exit. */
  stop(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('../../cloud/main.ts', import.meta.url));

export async function startCloudProcess(mqttUrl: string, sqliteFile: string, keysDir: string): Promise<CloudProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, MQTT_URL: mqttUrl, CLOUD_DB: sqliteFile, CLOUD_KEYS: keysDir, CLOUD_API_PORT: '0', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let exitCode: number | null = null;
  const exit = new Promise<void>((resolve) => child.once('exit', (code) => ((exitCode = code ?? -1), resolve())));
  await new Promise<void>((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let entry: { level?: number; msg?: string } = {};
        try {
          entry = JSON.parse(line) as typeof entry;
        } catch {
          // not a log line
        }
        if (entry.msg === 'cloud running') resolve();
        if ((entry.level ?? 0) >= 40) console.log(`  cloud: ${line}`);
      }
    });
    exit.then(() => reject(new Error(`the cloud process exited with ${exitCode} before it was ready`)));
  });
  return {
    pid: child.pid!,
    cpuSeconds() {
      try {
        const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks
      } catch {
        return NaN;
      }
    },
    exited: () => exitCode !== null,
    async stop() {
      if (exitCode !== null) return;
      child.kill('SIGTERM');
      await exit;
    },
  };
}
