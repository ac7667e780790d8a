// The run form's device picker (#21): the choices (every GPU, WebGPU where it works, the CPU) and the
// default policy, first free GPU else CPU, with the reason shown before start; runs.start with a device
// puts the job in that device's queue, and a device that does not exist is refused naming those that do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GpuInfo } from '../../../main/api/contract.ts';
import { deviceChoices } from '../../../main/devices/device-choice.ts';
import { installFakeNvidiaSmi } from './fake-nvidia-smi.ts';

const gpu = (index: number, usedMiB: number): GpuInfo => ({ index, name: `GPU ${index}`, uuid: `GPU-${index}`, memoryTotalMiB: 81920, memoryUsedMiB: usedMiB, utilization: 0, temperature: 40, powerW: 100, driver: '550' });
const providers = (cuda: boolean, webgpu = false) => [
  { name: 'cpu' as const, available: true, detail: '' },
  { name: 'cuda' as const, available: cuda, detail: '' },
  { name: 'webgpu' as const, available: webgpu, detail: '' },
];

test('default device: the first free GPU, else the CPU, with the reason', () => {
  const two = [gpu(1, 500), gpu(0, 500)];
  let c = deviceChoices({ providers: providers(true), gpus: two }, []);
  assert.deepEqual(c.choices.map((x) => x.device), ['cuda:0', 'cuda:1', 'cpu'], 'GPUs by index, then the CPU');
  assert.equal(c.default, 'cuda:0');
  assert.match(c.reason, /cuda:0 is the first free GPU/);
  assert.match(c.choices[0].label, /cuda:0 · GPU 0 · 79\.5 of 80\.0 GiB free/);

  // A job of the app running or waiting on GPU 0: the next GPU; its label counts the jobs.
  c = deviceChoices({ providers: providers(true), gpus: two }, [{ device: 'cuda:0', running: 'j1', waiting: ['j2'] }]);
  assert.equal(c.default, 'cuda:1');
  assert.match(c.choices[0].label, /2 jobs queued/);
  // Another process holds half of GPU 0's memory: taken too.
  assert.equal(deviceChoices({ providers: providers(true), gpus: [gpu(0, 40960), gpu(1, 0)] }, []).default, 'cuda:1');
  // Both busy: the CPU, saying why.
  c = deviceChoices({ providers: providers(true), gpus: two }, [{ device: 'cuda:0', running: 'a', waiting: [] }, { device: 'cuda:1', running: 'b', waiting: [] }]);
  assert.equal(c.default, 'cpu');
  assert.match(c.reason, /every GPU is busy/);
  // GPUs without the CUDA libraries are listed but not chosen.
  c = deviceChoices({ providers: providers(false, true), gpus: two }, []);
  assert.deepEqual(c.choices.map((x) => [x.device, x.available]), [['cuda:0', false], ['cuda:1', false], ['webgpu', true], ['cpu', true]]);
  assert.equal(c.default, 'cpu');
  assert.match(c.reason, /CUDA support is not installed/);
  assert.match(deviceChoices({ providers: providers(false), gpus: [] }, []).reason, /no NVIDIA GPU here/);
  // The same as codes and pieces, for the picker to word in the UI language.
  assert.equal(c.reasonCode, 'noCuda');
  assert.deepEqual(c.choices[0].parts, { gpuName: 'GPU 0', freeGiB: '79.5', totalGiB: '80.0', noCuda: true, lost: false });
  assert.equal(c.choices.find((x) => x.device === 'cpu')!.parts, undefined);
  assert.equal(deviceChoices({ providers: providers(false), gpus: [] }, []).reasonCode, 'noGpu');
  assert.equal(deviceChoices({ providers: providers(true), gpus: two }, []).reasonCode, 'firstFree');
  assert.equal(deviceChoices({ providers: providers(true), gpus: two }, [{ device: 'cuda:0', running: 'a', waiting: [] }, { device: 'cuda:1', running: 'b', waiting: [] }]).reasonCode, 'allBusy');
  assert.equal(deviceChoices({ providers: providers(true), gpus: two }, [], ['cuda:0']).choices[0].parts!.lost, true);
});

test('devices.choices lists the fake GPUs; runs.start on cuda:1 waits in cuda:1\'s queue; cuda:5 is refused', { timeout: 120_000 }, async () => {
  const smi = await installFakeNvidiaSmi();
  process.env.PATH = `${smi}:${process.env.PATH}`;
  const { dispatch } = await import('../../../main/api/router.ts');
  const { handlers } = await import('../../../main/api/handlers/index.ts');
  const { AppSession } = await import('../../../main/api/session.ts');
  const fakeTrainer = fileURLToPath(new URL('../runs/fake-trainer.ts', import.meta.url));
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-device-choice-'));
  const session = new AppSession({ jobs: { extraKinds: { sft: fakeTrainer }, cancelGraceMs: 5000 } });
  const call = async (method: string, input: object) => {
    const r = (await dispatch(method as never, input as never, { transport: 'http', session }, handlers)) as { ok: boolean; value?: any; error?: any };
    return r;
  };
  try {
    assert.ok((await call('workspace.open', { path: join(dir, 'ws'), create: true })).ok);
    const choices = await call('devices.choices', {});
    assert.ok(choices.ok, JSON.stringify(choices.error));
    const devices = choices.value.choices.map((c: { device: string }) => c.device);
    assert.deepEqual(devices.filter((d: string) => d.startsWith('cuda')), ['cuda:0', 'cuda:1']);
    assert.ok(devices.includes('cpu'));
    assert.match(choices.value.choices[0].label, /NVIDIA A100-SXM4-80GB/);
    assert.ok(devices.includes(choices.value.default), 'the default is one of the choices');
    assert.ok(choices.value.reason.length > 0);

    const bad = await call('runs.start', { kind: 'sft', config: { model: 'models/tiny', data: 'arith', maxSteps: 2 }, device: 'cuda:5' });
    assert.equal(bad.ok, false);
    assert.equal(bad.error.code, 'invalid_input');
    assert.match(bad.error.message, /no GPU 5.*cuda:0 \(NVIDIA A100-SXM4-80GB\), cuda:1 \(NVIDIA GeForce RTX 4090\)/);

    const first = await call('runs.start', { kind: 'sft', config: { name: 'one', model: 'models/tiny', data: 'arith', maxSteps: 400 }, device: 'cuda:1' });
    assert.ok(first.ok, JSON.stringify(first.error));
    const second = await call('runs.start', { kind: 'sft', config: { name: 'two', model: 'models/tiny', data: 'arith', maxSteps: 2 }, device: 'cuda:1' });
    assert.ok(second.ok, JSON.stringify(second.error));
    const queues = (await call('jobs.queues', {})).value as { device: string; running: string | null; waiting: string[] }[];
    assert.deepEqual(queues, [{ device: 'cuda:1', running: first.value.jobId, waiting: [second.value.jobId] }]);
    const job = (await call('jobs.get', { id: second.value.jobId })).value;
    assert.equal(job.status, 'queued');
    assert.equal(job.device, 'cuda:1');
    // The picker now counts cuda:1's jobs, and cuda:1 is no longer a free default.
    const after = (await call('devices.choices', {})).value;
    assert.match(after.choices.find((c: { device: string }) => c.device === 'cuda:1').label, /2 jobs queued/);
    assert.notEqual(after.default, 'cuda:1');
    // Evaluate takes a device the same way: checked first, then queued there.
    const badEval = await call('eval.start', { models: ['m'], benchmarks: ['b'], device: 'cuda:7' });
    assert.equal(badEval.ok, false);
    assert.match(badEval.error.message, /no GPU 7/);
    const evalJob = await call('eval.start', { models: ['m'], benchmarks: ['b'], device: 'cuda:1' });
    assert.ok(evalJob.ok, JSON.stringify(evalJob.error));
    const evalRecord = (await call('jobs.get', { id: evalJob.value.jobId })).value;
    assert.equal(evalRecord.device, 'cuda:1');
    assert.deepEqual(evalRecord.queue, { device: 'cuda:1', position: 2 }, 'behind the run waiting there');
    // Reward-model training too.
    const rmJob = await call('rm.train', { model: 'm', data: 'd', name: 'rm-on-1', device: 'cuda:1' });
    assert.ok(rmJob.ok, JSON.stringify(rmJob.error));
    assert.deepEqual((await call('jobs.get', { id: rmJob.value.jobId })).value.queue, { device: 'cuda:1', position: 3 });
    await call('jobs.cancel', { id: rmJob.value.jobId });
    await call('jobs.cancel', { id: evalJob.value.jobId });
    await call('jobs.cancel', { id: second.value.jobId });
    await call('jobs.cancel', { id: first.value.jobId });
  } finally {
    await session.close();
    await rm(dir, { recursive: true, force: true });
    await rm(smi, { recursive: true, force: true });
  }
});
