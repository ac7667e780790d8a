// Pausing a device's queue (#21): while paused, the job running there finishes but the next in line does
// not start, and a job started on a paused, idle device waits; resuming starts the next. Other devices
// are not affected. Real job processes (fixtures/device-job.ts), as in device-queue.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JobRunner } from '../../../main/jobs/runner.ts';
import { DeviceQueues } from '../../../main/jobs/device-queue.ts';

const fixture = fileURLToPath(new URL('./fixtures/device-job.ts', import.meta.url));

test('DeviceQueues: a paused line does not advance; resuming starts the next', () => {
  const q = new DeviceQueues();
  const started: string[] = [];
  q.enqueue('cuda:0', 'a', () => started.push('a'));
  q.enqueue('cuda:0', 'b', () => started.push('b'));
  q.setPaused('cuda:0', true);
  q.enqueue('cuda:1', 'c', () => started.push('c'));
  q.release('cuda:0', 'a');
  assert.deepEqual(started, ['a', 'c'], 'b waits while cuda:0 is paused; cuda:1 runs');
  assert.deepEqual(q.paused(), ['cuda:0']);
  q.setPaused('cuda:0', false);
  assert.deepEqual(started, ['a', 'c', 'b']);
  assert.deepEqual(q.paused(), []);
  // Paused while idle: a new job waits instead of starting.
  q.release('cuda:0', 'b');
  q.setPaused('cuda:0', true);
  assert.equal(q.enqueue('cuda:0', 'd', () => started.push('d')), 1);
  assert.deepEqual(started, ['a', 'c', 'b']);
  q.setPaused('cuda:0', false);
  assert.deepEqual(started, ['a', 'c', 'b', 'd']);
});

test('JobRunner: pausing cuda:0 holds its next job after the running one ends', { timeout: 60_000 }, async () => {
  const ws = await mkdtemp(join(tmpdir(), 'saenggak-pause-'));
  const runner = new JobRunner({ workspace: ws, extraKinds: { gpu: fixture }, cancelGraceMs: 300 });
  try {
    const trace = join(ws, 'trace.jsonl');
    const a = await runner.start('gpu', { ms: 300, trace, device: 'cuda:0' });
    const b = await runner.start('gpu', { ms: 300, trace, device: 'cuda:0' });
    assert.deepEqual(runner.pauseQueue('cuda:0', true), ['cuda:0']);
    assert.equal((await runner.wait(a.id)).status, 'succeeded');
    await new Promise((r) => setTimeout(r, 300));
    const held = await runner.get(b.id);
    assert.equal(held?.status, 'queued', 'b still waits: the queue is paused');
    assert.deepEqual(runner.queues(), [{ device: 'cuda:0', running: null, waiting: [b.id] }]);
    assert.deepEqual(runner.pauseQueue('cuda:0', false), []);
    assert.equal((await runner.wait(b.id)).status, 'succeeded');
  } finally {
    await runner.close();
    await rm(ws, { recursive: true, force: true });
  }
});

test('a paused queue stays paused after a restart', { timeout: 60_000 }, async () => {
  const ws = await mkdtemp(join(tmpdir(), 'saenggak-pause-restart-'));
  try {
    const first = new JobRunner({ workspace: ws, extraKinds: { gpu: fixture }, cancelGraceMs: 300 });
    first.pauseQueue('cuda:1', true);
    await first.close();
    const second = new JobRunner({ workspace: ws, extraKinds: { gpu: fixture }, cancelGraceMs: 300 });
    try {
      assert.deepEqual(second.pausedQueues(), ['cuda:1']);
      const job = await second.start('gpu', { ms: 100, trace: join(ws, 'trace.jsonl'), device: 'cuda:1' });
      assert.equal(job.status, 'queued', 'a job on the paused device waits');
      second.pauseQueue('cuda:1', false);
      assert.equal((await second.wait(job.id)).status, 'succeeded');
    } finally {
      await second.close();
    }
    assert.deepEqual(new JobRunner({ workspace: ws }).pausedQueues(), [], 'resuming is kept too');
  } finally {
    await rm(ws, { recursive: true, force: true });
  }
});
