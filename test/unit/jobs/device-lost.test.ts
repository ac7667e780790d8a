// A job that loses its device (#21): the runner recognises onnxruntime's device-lost text in the job's
// error, marks the device unavailable (its queue paused, with the job and message, kept across restarts)
// so the next job in line does not start on a GPU that is gone, while other devices go on; resuming the
// queue (after a reset) clears the mark and starts the next job. A failure on the CPU never pauses it.
// Real job processes (fixtures/device-lost-job.ts and device-job.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JobRunner } from '../../../main/jobs/runner.ts';
import { deviceChoices } from '../../../main/devices/device-choice.ts';
import { installFakeNvidiaSmi } from '../devices/fake-nvidia-smi.ts';

const gpu = fileURLToPath(new URL('./fixtures/device-job.ts', import.meta.url));
const lose = fileURLToPath(new URL('./fixtures/device-lost-job.ts', import.meta.url));

test('a job whose device was lost pauses that queue until resumed; other devices and the CPU go on', { timeout: 90_000 }, async () => {
  const ws = await mkdtemp(join(tmpdir(), 'saenggak-lost-'));
  const kinds = { gpu, lose };
  const runner = new JobRunner({ workspace: ws, extraKinds: kinds, cancelGraceMs: 300 });
  try {
    const trace = join(ws, 'trace.jsonl');
    const lost = await runner.start('lose', { run: 'sft-1', device: 'cuda:0' });
    const next = await runner.start('gpu', { ms: 100, trace, device: 'cuda:0' });
    const other = await runner.start('gpu', { ms: 300, trace, device: 'cuda:1' });

    const failed = await runner.wait(lost.id);
    assert.equal(failed.status, 'failed');
    const [first, second] = (failed.error ?? '').split('\n');
    assert.match(first!, /^(Error: )?device lost: cuda:0 stopped working at step 3 \(.*CUDA failure 719: unspecified launch failure.*\); the run was checkpointed at step 2\..*resume run "sft-1" on another device/);
    assert.match(second!, /^cuda:0 is marked unavailable: its queue is paused, so waiting jobs do not start there\. Resume the queue on the Jobs page/);

    assert.equal((await runner.wait(other.id)).status, 'succeeded', 'cuda:1 is not affected');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await runner.get(next.id))?.status, 'queued', 'the next cuda:0 job waits');
    assert.deepEqual(runner.pausedQueues(), ['cuda:0']);
    assert.deepEqual(runner.lostDevices().map((l) => [l.device, l.jobId, l.message]), [['cuda:0', lost.id, first]]);

    // Kept across a restart of the app (another runner on the same workspace).
    const reopened = new JobRunner({ workspace: ws, extraKinds: kinds });
    assert.deepEqual(reopened.pausedQueues(), ['cuda:0']);
    assert.deepEqual(reopened.lostDevices().map((l) => l.jobId), [lost.id]);
    await reopened.close();

    // Resumed after a reset: the mark goes, the waiting job runs on cuda:0.
    assert.deepEqual(runner.pauseQueue('cuda:0', false), []);
    assert.deepEqual(runner.lostDevices(), []);
    assert.equal((await runner.wait(next.id)).status, 'succeeded');
    const starts = (await readFile(trace, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { job: string; event: string; visible: string | null });
    assert.equal(starts.find((e) => e.job === next.id && e.event === 'start')?.visible, '0');
    assert.deepEqual(JSON.parse(await readFile(join(ws, 'jobs', 'paused-queues.json'), 'utf8')), { paused: [] });

    // The same error from a CPU job fails that job only: the CPU queue is never paused.
    const onCpu = await runner.start('lose', { run: 'sft-2', device: 'cpu' });
    assert.equal((await runner.wait(onCpu.id)).status, 'failed');
    assert.doesNotMatch((await runner.get(onCpu.id))?.error ?? '', /marked unavailable/);
    assert.deepEqual(runner.pausedQueues(), []);
  } finally {
    await runner.close();
    await rm(ws, { recursive: true, force: true });
  }
});

test('a lost GPU is labelled in the device picker and never the default', () => {
  const gpu = (index: number) => ({ index, name: `GPU ${index}`, uuid: `GPU-${index}`, memoryTotalMiB: 81920, memoryUsedMiB: 100, utilization: 0, temperature: 40, powerW: 100, driver: '550' });
  const providers = [
    { name: 'cpu' as const, available: true, detail: '' },
    { name: 'cuda' as const, available: true, detail: '' },
  ];
  assert.equal(deviceChoices({ providers, gpus: [gpu(0), gpu(1)] }, []).default, 'cuda:0');
  const c = deviceChoices({ providers, gpus: [gpu(0), gpu(1)] }, [], ['cuda:0']);
  assert.equal(c.default, 'cuda:1');
  assert.match(c.choices[0]!.label, /cuda:0 .* lost during a job, queue paused$/);
  assert.equal(c.choices[0]!.available, false);
  assert.equal(deviceChoices({ providers, gpus: [gpu(0)] }, [], ['cuda:0']).default, 'cpu');
});

test('through the API: a run that loses cuda:0 shows it in jobs.pausedQueues and the device picker until resumed', { timeout: 120_000 }, async () => {
  const smi = await installFakeNvidiaSmi();
  const savedPath = process.env.PATH;
  process.env.PATH = `${smi}:${savedPath}`;
  const { dispatch } = await import('../../../main/api/router.ts');
  const { handlers } = await import('../../../main/api/handlers/index.ts');
  const { AppSession } = await import('../../../main/api/session.ts');
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-lost-api-'));
  const session = new AppSession({ jobs: { extraKinds: { sft: lose }, cancelGraceMs: 2000 } });
  const call = async (method: string, input: object) => (await dispatch(method as never, input as never, { transport: 'http', session }, handlers)) as { ok: boolean; value?: any; error?: any };
  try {
    assert.ok((await call('workspace.open', { path: join(dir, 'ws'), create: true })).ok);
    const started = await call('runs.start', { kind: 'sft', config: { name: 'on-gpu', model: 'models/tiny', data: 'arith' }, device: 'cuda:0' });
    assert.ok(started.ok, JSON.stringify(started.error));
    let job = (await call('jobs.get', { id: started.value.jobId })).value;
    for (; job.status === 'running' || job.status === 'queued'; job = (await call('jobs.get', { id: started.value.jobId })).value) await new Promise((r) => setTimeout(r, 50));
    assert.equal(job.status, 'failed');
    const paused = (await call('jobs.pausedQueues', {})).value;
    assert.deepEqual(paused.paused, ['cuda:0']);
    assert.deepEqual(paused.lost.map((l: { device: string; jobId: string }) => [l.device, l.jobId]), [['cuda:0', started.value.jobId]]);
    assert.match(paused.lost[0].message, /device lost: cuda:0 stopped working at step 3/);
    const choices = (await call('devices.choices', {})).value;
    assert.match(choices.choices.find((c: { device: string }) => c.device === 'cuda:0').label, /lost during a job, queue paused/);
    assert.ok((await call('jobs.pauseQueue', { device: 'cuda:0', paused: false })).ok);
    assert.deepEqual((await call('jobs.pausedQueues', {})).value, { paused: [], lost: [] });
  } finally {
    await session.close();
    process.env.PATH = savedPath;
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    await rm(smi, { recursive: true, force: true });
  }
});
