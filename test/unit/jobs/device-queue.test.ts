// One queue per device (#21): two jobs on one GPU run one after the other, on two GPUs at once; jobs with no
// device and light kinds never wait; a waiting job can be moved up or cancelled; the job process sees only
// its device; a queue left by a stopped app runs when the workspace opens again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobRecord } from '../../../main/api/contract.ts';
import { JobRunner } from '../../../main/jobs/runner.ts';
import { queueDeviceFor } from '../../../main/jobs/device-queue.ts';

const fixture = fileURLToPath(new URL('./fixtures/device-job.ts', import.meta.url));

async function withRunner(fn: (runner: JobRunner, workspace: string, trace: string, updates: JobRecord[]) => Promise<void>, workspace?: string) {
  const ws = workspace ?? (await mkdtemp(join(tmpdir(), 'saenggak-queue-')));
  const updates: JobRecord[] = [];
  const runner = new JobRunner({ workspace: ws, extraKinds: { gpu: fixture }, cancelGraceMs: 300, onUpdate: (r) => updates.push(r) });
  try {
    await fn(runner, ws, join(ws, 'trace.jsonl'), updates);
  } finally {
    await runner.close();
    if (!workspace) await rm(ws, { recursive: true, force: true });
  }
}

type Event = { job: string; event: 'start' | 'end'; at: number; provider?: string | null; visible?: string | null };
async function events(trace: string): Promise<Event[]> {
  return (await readFile(trace, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
}

test('queue devices: light kinds and jobs without a device run at once; bad devices are refused', () => {
  assert.equal(queueDeviceFor('import', { device: 'cuda:0' }), null);
  assert.equal(queueDeviceFor('sft', {}), null);
  assert.equal(queueDeviceFor('sft', { device: 'cuda' }), 'cuda:0');
  assert.equal(queueDeviceFor('grpo', { device: 'CUDA:1' }), 'cuda:1');
  assert.throws(() => queueDeviceFor('sft', { device: 'tpu:0' }), /job device must be cpu, webgpu or cuda:N/);
});

test('two jobs on one GPU run one after the other; on two GPUs at once; each process sees only its GPU', async () => {
  await withRunner(async (runner, _ws, trace) => {
    // Long enough that two job processes booting on a busy 2-core machine still overlap.
    const a = await runner.start('gpu', { ms: 2500, trace, device: 'cuda:0' });
    const b = await runner.start('gpu', { ms: 300, trace, device: 'cuda:0' });
    const c = await runner.start('gpu', { ms: 2500, trace, device: 'cuda:1' });
    assert.equal(a.status, 'running');
    assert.equal(b.status, 'queued');
    assert.deepEqual(b.queue, { device: 'cuda:0', position: 1 });
    assert.equal(c.status, 'running', 'another GPU does not wait');
    assert.deepEqual(runner.queues(), [
      { device: 'cuda:0', running: a.id, waiting: [b.id] },
      { device: 'cuda:1', running: c.id, waiting: [] },
    ]);
    await Promise.all([a, b, c].map((j) => runner.wait(j.id)));
    const log = await events(trace);
    const at = (job: string, event: string) => log.find((e) => e.job === job && e.event === event)!.at;
    assert.ok(at(b.id, 'start') >= at(a.id, 'end'), 'b started after a ended');
    assert.ok(at(c.id, 'start') < at(a.id, 'end') && at(a.id, 'start') < at(c.id, 'end'), 'c ran alongside a');
    const startOf = (job: string) => log.find((e) => e.job === job && e.event === 'start')!;
    assert.deepEqual([startOf(a.id).visible, startOf(b.id).visible, startOf(c.id).visible], ['0', '0', '1']);
    assert.equal(startOf(a.id).provider, 'cuda');
    assert.equal((await runner.get(b.id))!.status, 'succeeded');
    assert.equal((await runner.get(b.id))!.queue, undefined);
  });
});

test('a waiting job can be moved to the front or cancelled; the line moves up', async () => {
  await withRunner(async (runner, _ws, trace) => {
    const first = await runner.start('gpu', { ms: 800, trace, device: 'cpu' });
    const x = await runner.start('gpu', { ms: 50, trace, device: 'cpu' });
    const y = await runner.start('gpu', { ms: 50, trace, device: 'cpu' });
    const z = await runner.start('gpu', { ms: 50, trace, device: 'cpu' });
    assert.deepEqual([x, y, z].map((j) => j.queue?.position), [1, 2, 3]);
    assert.equal(runner.reorder(z.id, 1), true);
    assert.deepEqual((await runner.get(x.id))!.queue, { device: 'cpu', position: 2 });
    assert.equal(runner.cancel(y.id), true);
    assert.equal((await runner.get(y.id))!.status, 'cancelled');
    assert.deepEqual((await runner.get(x.id))!.queue, { device: 'cpu', position: 2 }, 'z is still first');
    await Promise.all([first, x, z].map((j) => runner.wait(j.id)));
    const starts = (await events(trace)).filter((e) => e.event === 'start').map((e) => e.job);
    assert.deepEqual(starts, [first.id, z.id, x.id]);
    assert.equal(starts.includes(y.id), false, 'a cancelled waiting job never starts');
    assert.equal(runner.reorder(x.id, 1), false, 'a finished job is not waiting');
  });
});

test('jobs still waiting when the app stopped wait again when the workspace opens, in their order', async () => {
  const workspace = await mkdtemp(join(tmpdir(), 'saenggak-queue-restart-'));
  try {
    const trace = join(workspace, 'trace.jsonl');
    // Two queued records as a stopped app leaves them (its pid is gone).
    const records = ['20260101T000001-aaaaaa', '20260101T000002-bbbbbb'].map((id, i) => ({
      id,
      kind: 'gpu',
      title: `queued ${i}`,
      device: 'cuda:0',
      queue: { device: 'cuda:0', position: i + 1 },
      status: 'queued',
      createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i + 1)).toISOString(),
      startedAt: null,
      endedAt: null,
      progress: null,
      input: { ms: 100, trace, device: 'cuda:0' },
      ownerPid: 2 ** 22 + 12345,
    }));
    for (const r of records) {
      await mkdir(join(workspace, 'jobs', r.id), { recursive: true });
      await writeFile(join(workspace, 'jobs', r.id, 'job.json'), JSON.stringify(r));
    }
    await withRunner(async (runner) => {
      const failed = await runner.recoverInterrupted();
      assert.deepEqual(failed, [], 'queued jobs are not failed');
      for (const r of records) assert.equal((await runner.wait(r.id)).status, 'succeeded');
      const starts = (await events(trace)).filter((e) => e.event === 'start').map((e) => e.job);
      assert.deepEqual(starts, records.map((r) => r.id));
    }, workspace);
  } finally {
    await rm(workspace, { recursive: true, force: true });
  }
});

test("a job on cuda:N keeps that GPU's telemetry with its run (runs/<name>/telemetry.jsonl)", async () => {
  const { installFakeNvidiaSmi, fakeReading } = await import('../devices/fake-nvidia-smi.ts');
  const fake = await installFakeNvidiaSmi();
  const savedPath = process.env.PATH;
  process.env.PATH = `${fake}:${savedPath}`;
  const workspace = await mkdtemp(join(tmpdir(), 'saenggak-queue-telemetry-'));
  const runner = new JobRunner({ workspace, extraKinds: { gpu: fixture }, telemetryIntervalMs: 150 });
  try {
    const trace = join(workspace, 'trace.jsonl');
    const job = await runner.start('gpu', { ms: 1500, trace, device: 'cuda:1', config: { name: 'run-a' } });
    assert.equal((await runner.wait(job.id)).status, 'succeeded');
    const lines = (await readFile(join(workspace, 'runs', 'run-a', 'telemetry.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(lines.length >= 2, `${lines.length} samples`);
    lines.forEach((line, k) => {
      assert.deepEqual(line.gpus.map((g: { index: number }) => g.index), [1], 'only the job’s GPU');
      const { memoryUsedMiB, utilization, temperature, powerW } = line.gpus[0];
      assert.deepEqual({ memoryUsedMiB, utilization, temperature, powerW }, fakeReading(1, k));
    });
  } finally {
    await runner.close();
    process.env.PATH = savedPath;
    await rm(workspace, { recursive: true, force: true });
    await rm(fake, { recursive: true, force: true });
  }
});
