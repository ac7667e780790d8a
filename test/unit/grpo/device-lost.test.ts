// Device loss in GRPO (#21): the engine's hook fails the policy update of step 3 with the CUDA provider's
// real "unspecified launch failure". No retry: the run fails with how to resume, naming its newest
// checkpoint (step 2; GRPO saves nothing mid-step), and the resume finishes with the uninterrupted run's
// rewards and losses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGrpo } from '../../../main/train/grpo/trainer.ts';
import { RunFolder, readMetrics } from '../../../main/train/run/index.ts';
import { sftModel, writeTaskData } from './fixtures.ts';

test('GRPO run: device lost in the update → stop with how to resume from the last checkpoint; the resume gives the same curve', { timeout: 600_000 }, async () => {
  const model = await sftModel();
  const ws = mkdtempSync(join(tmpdir(), 'grpo-lost-'));
  const data = writeTaskData(ws, { train: 16, heldOut: 2 });
  const config = (name: string) => ({
    name, model, method: { kind: 'lora' as const, r: 4, alpha: 8 }, prompts: { path: data.train },
    rollout: { groupSize: 4, promptsPerStep: 2, maxNewTokens: 24, temperature: 1 },
    rewards: { accuracy: { weight: 1 }, language: { weight: 0.5 } }, objective: { kl: { beta: 0.02 } },
    steps: 3, evalEvery: 0, saveEvery: 1, provider: 'cpu' as const,
  });
  process.env.SAENGGAK_TEST_DEVICE_LOST_AT_STEP = '3';
  try {
    await assert.rejects(
      runGrpo(config('lost'), { workspace: ws }),
      /^Error: device lost: cpu stopped working at step 3 \(.*CUDA failure 719: unspecified launch failure.*\); the run was checkpointed at step 2\..*`saenggak train grpo --resume lost --device cpu`/,
    );
  } finally {
    delete process.env.SAENGGAK_TEST_DEVICE_LOST_AT_STEP;
  }
  const info = RunFolder.inWorkspace(ws, 'lost').info();
  assert.equal(info.status, 'failed');
  assert.match(info.error ?? '', /^device lost: cpu/);
  assert.equal(info.recoveries, undefined, 'no out-of-memory style retry');

  await runGrpo(config('lost'), { workspace: ws }); // a GRPO run with a checkpoint resumes from it
  await runGrpo(config('straight'), { workspace: ws });
  const points = (run: string) => readMetrics(join(ws, 'runs', run, 'metrics.jsonl')).records.filter((r) => r.split === 'train');
  const [a, b] = [points('lost'), points('straight')];
  assert.deepEqual(a.map((p) => p.step), [1, 2, 3]);
  for (let i = 0; i < 3; i++) {
    assert.equal(a[i]!.reward, b[i]!.reward, `step ${i + 1}: same rollouts and rewards`);
    assert.ok(Math.abs((a[i]!.loss as number) - (b[i]!.loss as number)) <= 1e-5, `step ${i + 1}: loss ${a[i]!.loss} vs ${b[i]!.loss}`);
  }
});
