// Device loss in SFT (#21). The engine's test hook SAENGGAK_TEST_DEVICE_LOST_AT_STEP makes a step fail with
// the text onnxruntime's CUDA provider throws when the GPU stops working (CUDA failure 719: unspecified launch
// failure). The trainer must not retry: it checkpoints the last finished step, marks the run failed with a
// message saying what happened and how to go on, and a resume (on another device) continues from that
// checkpoint to the same loss curve as a run that never lost its device.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { runSft, type SftConfigInput } from '../../../main/train/sft/index.ts';
import { RunFolder, readMetrics } from '../../../main/train/run/index.ts';
import { arithmeticProblems } from '../../../main/train/tasks/index.ts';
import { classifyDeviceError } from '../../../main/devices/oom.ts';
import { ortDeviceLostMessage } from '../../../main/engine/runtime/test-oom.ts';
import { makeStudent, writeRows } from './arithmetic-fixture.ts';

const trainLosses = (run: RunFolder) => readMetrics(run.metricsPath).records.filter((r) => r.split === 'train').map((r) => [r.step, r.loss as number] as const);

test('the hook raises a text the classifier calls device loss (not out of memory)', () => {
  assert.equal(classifyDeviceError(new Error(ortDeviceLostMessage())), 'device-lost');
  for (const text of [
    'CUDA failure 710: device-side assert triggered ; GPU=0 ; hostname=box ; file=cuda_call.cc ; line=129',
    'CUDA failure 100: no CUDA-capable device is detected ; GPU=32766 ; hostname=box ; expr=cudaSetDevice(info_.device_id);',
    'CUDA error cudaErrorLaunchFailure:unspecified launch failure',
    'WebGPU device lost: Device was lost (reason: unknown)',
  ]) assert.equal(classifyDeviceError(new Error(text)), 'device-lost', text);
});

test('SFT: device lost → checkpoint, stop with how to resume, no retry; the resume gives the uninterrupted curve', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sft-lost-'));
  try {
    makeStudent(join(dir, 'model'), { hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32 }, 3);
    writeRows(join(dir, 'train.jsonl'), arithmeticProblems({ count: 24, seed: 5 }));
    const base: SftConfigInput = {
      model: join(dir, 'model'), data: join(dir, 'train.jsonl'), method: { kind: 'full' }, dtype: 'float64', packing: false,
      maxSeqLength: 256, maxSteps: 5, learningRate: 5e-3, warmupSteps: 1, evalSplit: 0, saveEvery: 100, provider: 'cpu', seed: 9,
      batchSize: 4, gradAccumulation: 1,
      // Runs of 2 steps (the loop step): the device is lost in the run of steps 3–4; steps 1–2 were the last finished run.
      stepsPerRun: 2,
    };
    const workspace = join(dir, 'ws');
    const lines: string[] = [];

    process.env.SAENGGAK_TEST_DEVICE_LOST_AT_STEP = '3';
    try {
      await assert.rejects(
        runSft({ ...base, name: 'lost' }, { workspace, log: (l) => lines.push(l) }),
        /^Error: device lost: cpu stopped working at step 3 \(Non-zero status code .*CUDA failure 719: unspecified launch failure.*\); the run was checkpointed at step 2\. It was not retried on that device\. To go on, resume run "lost" on another device \(Resume on the Train page with another device picked, or `saenggak train sft --resume lost --device cpu`\)/,
      );
    } finally {
      delete process.env.SAENGGAK_TEST_DEVICE_LOST_AT_STEP;
    }
    const run = RunFolder.inWorkspace(workspace, 'lost');
    const info = run.info();
    assert.equal(info.status, 'failed');
    assert.match(info.error!, /^device lost: cpu/);
    assert.equal(info.step, 2);
    assert.equal(JSON.parse(readFileSync(join(run.checkpointsDir, 'latest.json'), 'utf8')).step, 2, 'the last finished step was saved');
    assert.equal(info.recoveries, undefined, 'no out-of-memory style retry');
    assert.deepEqual(trainLosses(run).map(([s]) => s), [1, 2], 'the failed step was not applied or retried');
    assert.ok(lines.some((l) => l.startsWith('sft: device lost: cpu stopped working at step 3')), lines.join('\n'));

    // Resumed (on the CPU, the "other device"): the same curve as a run that never lost its device.
    const resumed = await runSft({ ...base, name: 'lost' }, { workspace, resume: true });
    assert.equal(resumed.summary.status, 'finished');
    await runSft({ ...base, name: 'whole' }, { workspace });
    const got = trainLosses(run);
    const expected = trainLosses(RunFolder.inWorkspace(workspace, 'whole'));
    assert.deepEqual(got.map(([s]) => s), [1, 2, 3, 4, 5]);
    for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(got[i]![1] - expected[i]![1]) <= 1e-10, `step ${i + 1}: ${got[i]![1]} vs ${expected[i]![1]}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
