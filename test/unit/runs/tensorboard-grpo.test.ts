// A GRPO run's TensorBoard file: the trainer's scalars (loss parts, rewards, KL, accuracy, tokens/s, lr) and
// sample rollouts as text, read back with the test's own TFRecord/Event reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGrpo } from '../../../main/train/grpo/trainer.ts';
import { readMetrics } from '../../../main/train/run/index.ts';
import { sftModel, writeTaskData } from '../grpo/fixtures.ts';
import { readEvents } from './tfevents-reader.ts';

test('a GRPO run writes its metrics and rollouts to runs/<name>/tb for TensorBoard', { timeout: 600_000 }, async () => {
  const model = await sftModel();
  const ws = mkdtempSync(join(tmpdir(), 'tb-grpo-'));
  const data = writeTaskData(ws, { train: 16, heldOut: 4 });
  await runGrpo(
    {
      name: 'tb', model, method: { kind: 'lora', r: 4, alpha: 8 },
      prompts: { path: data.train }, heldOut: { path: data.heldOut },
      rollout: { groupSize: 2, promptsPerStep: 2, maxNewTokens: 24, temperature: 0.7 },
      rewards: { accuracy: { weight: 1 }, language: { weight: 0.5 } },
      steps: 2, evalEvery: 0, saveEvery: 100,
    },
    { workspace: ws },
  );
  const dir = join(ws, 'runs', 'tb', 'tb');
  const files = readdirSync(dir);
  assert.equal(files.length, 1);
  const events = readEvents(join(dir, files[0]));
  const train = readMetrics(join(ws, 'runs', 'tb', 'metrics.jsonl')).records.filter((r) => r.split === 'train');
  for (const step of [1, 2]) {
    const scalars = Object.assign({}, ...events.filter((e) => e.step === step).map((e) => e.scalars)) as Record<string, number>;
    const point = train.find((r) => r.step === step)!;
    for (const key of ['reward', 'kl', 'lr', 'tokens_per_s', 'rewards/accuracy/mean', 'rewards/language/mean']) {
      assert.ok(typeof point[key] === 'number', `metrics.jsonl has ${key}`);
      assert.equal(scalars[`train/${key}`], Math.fround(point[key] as number), `train/${key} at step ${step}`);
    }
    const text = events.find((e) => e.step === step && e.texts['rollouts/text_summary']);
    assert.ok(text, `rollouts of step ${step} in the Text tab`);
    assert.match(text!.texts['rollouts/text_summary'], /\(reward -?\d/);
  }
});
