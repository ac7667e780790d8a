// A run's automatic recoveries (an out-of-memory retry with a halved micro-batch, #21) reach the UI:
// run.json's `recoveries` come back from runs.list and runs.get, in order, and a run without any has none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dispatch } from '../../../main/api/router.ts';
import { handlers } from '../../../main/api/handlers/index.ts';
import { AppSession } from '../../../main/api/session.ts';
import { RunFolder } from '../../../main/train/run/index.ts';

test('runs.list / runs.get carry the run\'s recoveries', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-recoveries-'));
  const session = new AppSession({});
  const call = (method: string, input: object) => dispatch(method as never, input as never, { transport: 'http', session }, handlers) as Promise<{ ok: boolean; value?: any; error?: unknown }>;
  try {
    const root = join(dir, 'ws');
    assert.ok((await call('workspace.open', { path: root, create: true })).ok);
    const notes = ['out of memory on cuda: retrying from the last checkpoint with micro-batch 8 → 4 and gradient accumulation 1 → 2 (same effective batch 8)', 'second'];
    const run = RunFolder.inWorkspace(root, 'oom');
    await run.create({ name: 'oom', kind: 'sft', config: {} });
    await run.update({ status: 'finished', recoveries: notes });
    await RunFolder.inWorkspace(root, 'plain').create({ name: 'plain', kind: 'sft', config: {} });
    const list = await call('runs.list', {});
    assert.ok(list.ok, JSON.stringify(list.error));
    const byName = new Map((list.value as { name: string; recoveries?: string[] }[]).map((r) => [r.name, r]));
    assert.deepEqual(byName.get('oom')!.recoveries, notes);
    assert.equal(byName.get('plain')!.recoveries, undefined);
    const got = await call('runs.get', { name: 'oom' });
    assert.ok(got.ok, JSON.stringify(got.error));
    assert.deepEqual(got.value.run.recoveries, notes);
  } finally {
    await session.close();
    await rm(dir, { recursive: true, force: true });
  }
});
