// jobs.queues / jobs.reorder through the API router: shapes, validation, and unknown jobs. The queue's
// behaviour itself is tested in device-queue.test.ts (the runner these handlers call).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dispatch } from '../../../main/api/router.ts';
import { handlers } from '../../../main/api/handlers/index.ts';
import { AppSession } from '../../../main/api/session.ts';
import type { Result } from '../../../main/api/contract.ts';

test('jobs.queues lists no lines in a fresh workspace; jobs.reorder validates and names an unknown job', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-queue-api-'));
  const session = new AppSession();
  const call = (method: string, input: unknown) => dispatch(method as never, input, { transport: 'http', session }, handlers) as Promise<Result<unknown>>;
  try {
    const noWorkspace = await call('jobs.queues', {});
    assert.equal(noWorkspace.ok, false);
    assert.ok((await call('workspace.open', { path: join(dir, 'ws'), create: true })).ok);
    assert.deepEqual(await call('jobs.queues', {}), { ok: true, value: [] });
    const bad = await call('jobs.reorder', { id: '20260101T000000-abcdef', position: 0 });
    assert.equal(!bad.ok && bad.error.code, 'invalid_input');
    const missing = await call('jobs.reorder', { id: '20260101T000000-abcdef', position: 1 });
    assert.equal(!missing.ok && missing.error.code, 'not_found');
  } finally {
    await session.close();
    await rm(dir, { recursive: true, force: true });
  }
});
