// Device loss in reward-model training (#21), as in SFT: the engine's hook fails step 3 with the CUDA
// provider's real "unspecified launch failure"; the trainer does not retry, checkpoints step 2, fails the
// run with how to resume, and the resume reaches the uninterrupted run's loss curve (float64, 1e-10).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { RunFolder, readMetrics } from '../../../main/train/run/index.ts';
import { runRewardModelTraining } from '../../../main/train/rm/trainer.ts';
import { makeTinyBase, syntheticPreferences, tempDir, writeJsonl } from './fixtures.ts';

const trainLosses = (dir: string) => readMetrics(join(dir, 'metrics.jsonl')).records.filter((r) => r.split === 'train').map((r) => r.loss as number);

test('reward-model training: device lost → checkpoint, stop with how to resume; the resume gives the uninterrupted curve', { timeout: 120_000 }, async () => {
  const dir = tempDir('lost-run');
  const base = makeTinyBase(dir, { hidden: 16, layers: 1 });
  const data = writeJsonl(join(dir, 'prefs.jsonl'), syntheticPreferences(40, 3));
  const workspace = join(dir, 'ws');
  // stepsPerRun 2: a lost device fails a whole run of the loop step; runs 1–2, 3–4, 5 make the failing run start at step 3.
  const config = { model: base, data, learningRate: 3e-3, pairsPerBatch: 4, maxSteps: 5, evalEvery: 0, heldOutShare: 0, maxLength: 128, centeringCoefficient: 0.01, seed: 42, dtype: 'float64' as const, provider: 'cpu' as const, stepsPerRun: 2 };
  process.env.SAENGGAK_TEST_DEVICE_LOST_AT_STEP = '3';
  try {
    await assert.rejects(
      runRewardModelTraining({ ...config, name: 'lost' }, { workspace }),
      /^Error: device lost: cpu stopped working at step 3 \(.*CUDA failure 719: unspecified launch failure.*\); the run was checkpointed at step 2\. It was not retried on that device\..*`saenggak train rm --resume lost --device cpu`/,
    );
  } finally {
    delete process.env.SAENGGAK_TEST_DEVICE_LOST_AT_STEP;
  }
  const run = RunFolder.inWorkspace(workspace, 'lost');
  assert.equal(run.info().status, 'failed');
  assert.match(run.info().error ?? '', /^device lost: cpu/);
  assert.equal(run.info().recoveries, undefined, 'no out-of-memory style retry');
  assert.equal(JSON.parse(readFileSync(join(run.checkpointsDir, 'latest.json'), 'utf8')).step, 2);
  assert.equal(trainLosses(run.dir).length, 2, 'the failed step was not applied');

  const resumed = await runRewardModelTraining({ ...config, name: 'lost' }, { workspace, resume: true });
  assert.equal(resumed.summary.status, 'finished');
  const straight = await runRewardModelTraining({ ...config, name: 'straight' }, { workspace });
  const [a, b] = [trainLosses(run.dir), trainLosses(straight.runDir)];
  assert.equal(a.length, 5);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) <= 1e-10, `step ${i + 1}: resumed ${v} vs uninterrupted ${b[i]}`));
});
