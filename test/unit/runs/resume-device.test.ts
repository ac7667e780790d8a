// Resuming a run on another device (#21: after its GPU was lost): runs.resume takes a device, checked
// against the machine like runs.start (a GPU that does not exist is refused, naming those that do), and the
// resumed job waits in that device's queue and runs there. Fake nvidia-smi (two GPUs), real job processes
// with the stand-in trainer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installFakeNvidiaSmi } from '../devices/fake-nvidia-smi.ts';

test('runs.resume on a chosen device: cuda:9 refused, cpu and cuda:1 queued there', { timeout: 120_000 }, async () => {
  const smi = await installFakeNvidiaSmi();
  const savedPath = process.env.PATH;
  process.env.PATH = `${smi}:${savedPath}`;
  const { dispatch } = await import('../../../main/api/router.ts');
  const { handlers } = await import('../../../main/api/handlers/index.ts');
  const { AppSession } = await import('../../../main/api/session.ts');
  const fakeTrainer = fileURLToPath(new URL('./fake-trainer.ts', import.meta.url));
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-resume-device-'));
  const session = new AppSession({ jobs: { extraKinds: { sft: fakeTrainer }, cancelGraceMs: 5000 } });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const call = async (method: string, input: object) => (await dispatch(method as never, input as never, { transport: 'http', session }, handlers)) as { ok: boolean; value?: any; error?: any };
  const wait = async (jobId: string) => {
    for (;;) {
      const job = (await call('jobs.get', { id: jobId })).value;
      if (job.status !== 'running' && job.status !== 'queued') return job;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  /** Stops the run once its job has written the run folder (a job process takes its time to start on a loaded machine). */
  const stopRun = async (jobId: string) => {
    for (let stop = await call('runs.stop', { name: 'moves' }); !stop.ok || !stop.value.stopped; stop = await call('runs.stop', { name: 'moves' })) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal((await wait(jobId)).status, 'cancelled');
  };
  try {
    assert.ok((await call('workspace.open', { path: join(dir, 'ws'), create: true })).ok);
    const started = await call('runs.start', { kind: 'sft', config: { name: 'moves', model: 'models/tiny', data: 'arith', maxSteps: 100000 } });
    assert.ok(started.ok, JSON.stringify(started.error));
    await stopRun(started.value.jobId);

    const bad = await call('runs.resume', { name: 'moves', device: 'cuda:9' });
    assert.equal(bad.ok, false);
    assert.equal(bad.error.code, 'invalid_input');
    assert.match(bad.error.message, /no GPU 9.*cuda:0 \(NVIDIA A100-SXM4-80GB\), cuda:1 \(NVIDIA GeForce RTX 4090\)/);

    const onCpu = await call('runs.resume', { name: 'moves', device: 'cpu' });
    assert.ok(onCpu.ok, JSON.stringify(onCpu.error));
    assert.equal((await call('jobs.get', { id: onCpu.value.jobId })).value.device, 'cpu');
    await stopRun(onCpu.value.jobId);

    // On cuda:1 with its queue paused: the resume waits there (and sees cuda:1 only once it runs).
    await call('jobs.pauseQueue', { device: 'cuda:1', paused: true });
    const onGpu = await call('runs.resume', { name: 'moves', device: 'cuda:1' });
    assert.ok(onGpu.ok, JSON.stringify(onGpu.error));
    const queued = (await call('jobs.get', { id: onGpu.value.jobId })).value;
    assert.equal(queued.status, 'queued');
    assert.deepEqual(queued.queue, { device: 'cuda:1', position: 1 });
    await call('jobs.cancel', { id: onGpu.value.jobId });
    assert.equal((await wait(onGpu.value.jobId)).status, 'cancelled');
  } finally {
    await session.close();
    process.env.PATH = savedPath;
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    await rm(smi, { recursive: true, force: true });
  }
});
