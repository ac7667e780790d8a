import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobRecord } from '../../../main/api/contract.ts';
import { JobRunner } from '../../../main/jobs/runner.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

async function withRunner(fn: (runner: JobRunner, updates: JobRecord[], workspace: string) => Promise<void>) {
  const workspace = await mkdtemp(join(tmpdir(), 'saenggak-jobs-'));
  const updates: JobRecord[] = [];
  const runner = new JobRunner({
    workspace,
    onUpdate: (r) => updates.push(r),
    extraKinds: {
      count: fixture('counting-job.ts'),
      crash: fixture('crashing-job.ts'),
      stubborn: fixture('stubborn-job.ts'),
    },
    cancelGraceMs: 300,
  });
  try {
    await fn(runner, updates, workspace);
  } finally {
    await runner.close();
    await rm(workspace, { recursive: true, force: true });
  }
}

async function readJobJson(workspace: string, id: string) {
  return JSON.parse(await readFile(join(workspace, 'jobs', id, 'job.json'), 'utf8'));
}

test('a job reports progress with rate and ETA, succeeds, and leaves a durable record and log', async () => {
  await withRunner(async (runner, updates, workspace) => {
    const started = await runner.start('count', { total: 12, stepMs: 40 }, 'Count to 12');
    assert.equal(started.status, 'running');
    const final = await runner.wait(started.id);
    assert.equal(final.status, 'succeeded');
    assert.deepEqual(final.result, { counted: 12 });
    assert.equal(final.progress?.done, 12);
    assert.equal(final.progress?.total, 12);
    assert.equal(final.progress?.unit, 'steps');

    const progressUpdates = updates.filter((u) => u.id === started.id && u.progress);
    assert.ok(progressUpdates.length >= 2, 'progress events arrive while the job runs');
    // Over 12 steps of ~40 ms a rate must have been measured and an ETA given before the end.
    assert.ok(progressUpdates.some((u) => u.progress!.rate !== null && u.progress!.rate > 0));
    assert.ok(progressUpdates.some((u) => u.progress!.etaSeconds !== null && u.progress!.done < 12));
    assert.equal(updates.at(-1)!.status, 'succeeded');

    const stored = await readJobJson(workspace, started.id);
    assert.equal(stored.status, 'succeeded');
    assert.deepEqual(stored.result, { counted: 12 });
    assert.ok(stored.startedAt && stored.endedAt);
    const log = await readFile(join(workspace, 'jobs', started.id, 'log.txt'), 'utf8');
    assert.match(log, /counting started\n[\s\S]*counting finished/);

    const listed = await runner.list();
    assert.deepEqual(listed.map((r) => r.id), [started.id]);
    assert.equal('input' in listed[0]!, false, 'the public record hides the input and process ids');
  });
});

test('cancel stops the process and marks the job cancelled', async () => {
  await withRunner(async (runner, updates, workspace) => {
    const started = await runner.start('count', { total: 1000, stepMs: 20 });
    // Cancel once the job reports progress (an event), not after a fixed delay a busy machine may outlast.
    while (!updates.some((u) => u.id === started.id && (u.progress?.done ?? 0) >= 1)) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(runner.cancel(started.id), true);
    const final = await runner.wait(started.id);
    assert.equal(final.status, 'cancelled');
    assert.ok((final.progress?.done ?? 0) < 1000);
    assert.equal((await readJobJson(workspace, started.id)).status, 'cancelled');
    assert.equal(runner.cancel(started.id), false, 'a finished job cannot be cancelled again');
  });
});

test('a job that ignores cancel and SIGTERM is killed and marked cancelled', async () => {
  await withRunner(async (runner) => {
    const started = await runner.start('stubborn', {});
    // Its first progress report comes after it has installed its SIGTERM handler.
    while (!(await runner.get(started.id))?.progress) await new Promise((resolve) => setTimeout(resolve, 20));
    runner.cancel(started.id);
    const final = await runner.wait(started.id);
    assert.equal(final.status, 'cancelled');
    assert.ok((await runner.log(started.id, 50)).includes('ignoring SIGTERM'));
  });
});

for (const how of ['exit', 'throw', 'sigkill'] as const) {
  test(`a job whose process dies (${how}) is marked failed with its last log lines; the parent stays up`, async () => {
    await withRunner(async (runner, _updates, workspace) => {
      const started = await runner.start('crash', { how });
      const final = await runner.wait(started.id);
      assert.equal(final.status, 'failed');
      const expected = { exit: /exited with code 3/, throw: /the parser blew up/, sigkill: /killed by SIGKILL/ }[how];
      assert.match(final.error!, expected);
      assert.match(final.error!, /Last log lines:[\s\S]*working on part 3/);
      assert.match(final.error!, /about to fail/);
      assert.equal((await readJobJson(workspace, started.id)).status, 'failed');
      // The parent still runs jobs after the crash.
      const next = await runner.wait((await runner.start('count', { total: 2, stepMs: 1 })).id);
      assert.equal(next.status, 'succeeded');
    });
  });
}

test('jobs left running by a dead app are marked failed on open', async () => {
  await withRunner(async (runner, _updates, workspace) => {
    const id = '20240101T000000-abcdef';
    await mkdir(join(workspace, 'jobs', id), { recursive: true });
    const orphan = {
      id, kind: 'import', title: 'Import', status: 'running', createdAt: '2024-01-01T00:00:00.000Z',
      startedAt: '2024-01-01T00:00:00.000Z', endedAt: null, progress: null, ownerPid: 2 ** 22 + 12345,
    };
    await writeFile(join(workspace, 'jobs', id, 'job.json'), JSON.stringify(orphan));
    await writeFile(join(workspace, 'jobs', id, 'log.txt'), 'read 500 rows\n');
    assert.deepEqual(await runner.recoverInterrupted(), [id]);
    const stored = await readJobJson(workspace, id);
    assert.equal(stored.status, 'failed');
    assert.match(stored.error, /app stopped[\s\S]*read 500 rows/);
    assert.ok(stored.endedAt);
  });
});

test('unknown kinds are refused before anything is written', async () => {
  await withRunner(async (runner) => {
    await assert.rejects(runner.start('no-such-kind', {}), /unknown job kind/);
    assert.deepEqual(await runner.list(), []);
  });
});
