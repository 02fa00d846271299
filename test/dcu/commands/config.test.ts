// A schedule pushed with a version: applied when newer, refused when stale or invalid, and
// the scheduler is told to reload.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONFIG_VERSION_KEY, type CommandDeps, parseCommandRequest, submitCommand } from '../../../dcu/commands/index.js';
import { DcuStore } from '../../../dcu/store/index.js';

const dir = mkdtempSync(join(tmpdir(), 'config-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('schedule pushed from the cloud', () => {
  it('applies a newer version, refuses an older one and an invalid task, and reloads the scheduler', async () => {
    const store = DcuStore.open(join(dir, 'dcu.db'));
    let reloads = 0;
    const deps = { store, onScheduleChanged: () => reloads++ } as unknown as CommandDeps & { onScheduleChanged: () => void };
    const push = (id: string, version: number, cron: string) => {
      const parsed = parseCommandRequest({ id, kind: 'config', version, schedule: [{ name: 'load-profile', type: 'load-profile', cron, priority: 1 }] });
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
      return submitCommand(parsed.request, deps).done;
    };
    expect(await push('c1', 2, '*/30 * * * *')).toMatchObject({ status: 'done', outcome: { applied: 2 } });
    expect(store.schedule.get('load-profile')).toMatchObject({ cron: '*/30 * * * *' });
    expect(store.config.value(CONFIG_VERSION_KEY, 0)).toBe(2);
    expect(await push('c2', 1, '0 * * * *')).toMatchObject({ status: 'failed', outcome: { errorKind: 'StaleVersion' } });
    expect(await push('c3', 3, 'every hour')).toMatchObject({ status: 'failed', outcome: { errorKind: 'InvalidSchedule' } });
    expect(store.schedule.get('load-profile')).toMatchObject({ cron: '*/30 * * * *' });
    expect(reloads).toBe(1);
    expect(parseCommandRequest({ id: 'c4', kind: 'config', schedule: [] })).toMatchObject({ ok: false, issues: [{ field: 'version' }] });
    store.close();
  });
});
