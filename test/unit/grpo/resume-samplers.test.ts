// Exact resume with the prompt samplers and GPPO on: a run SIGKILLed during step 3's rollouts and resumed
// draws the same prompts and takes the same updates as an uninterrupted one (the samplers' Rng and scores
// are in the checkpoint's data cursor).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMetrics } from '../../../main/train/run/index.ts';
import { runResumeWorker, sftModel, writeTaskData } from './fixtures.ts';

const workspace = () => mkdtempSync(join(tmpdir(), 'grpo-resume-'));
const trainPoints = (ws: string, run: string) => readMetrics(join(ws, 'runs', run, 'metrics.jsonl')).records.filter((r) => r.split === 'train');

for (const [label, options] of [
  ['variance-aware sampling + GPPO + dynamic sampling by accuracy', { varianceAwareSampling: { enabled: true, ratio: 0.75 }, objective: { clip: { mode: 'gppo' } }, dynamicSampling: { enabled: true, by: 'accuracy', maxRounds: 1 } }],
  ['the self-evolving curriculum', { curriculum: { enabled: true, by: 'passRate', buckets: 2, temperature: 0.5 } }],
] as const) {
  test(`SIGKILL and resume with ${label} reproduces the uninterrupted run (sampler state in the checkpoint)`, () => {
    const runWorker = runResumeWorker;
    return (async () => {
      const model = await sftModel();
      const ws = workspace();
      const data = writeTaskData(ws, { train: 24, heldOut: 2 });
      const config = (name: string) => ({
        name,
        model,
        method: { kind: 'lora', r: 4, alpha: 8 },
        prompts: { path: data.train },
        rewards: { accuracy: { weight: 1 }, language: { weight: 0.5 } },
        rollout: { groupSize: 4, promptsPerStep: 2, maxNewTokens: 40 },
        optimization: { learningRate: 1e-3 },
        steps: 4,
        saveEvery: 1,
        ...options,
      });
      const whole = runWorker(config('whole'), ws);
      assert.equal(whole.status, 0, whole.stderr);
      const killed = runWorker(config('killed'), ws, 'step 3: rollouts');
      assert.equal(killed.signal, 'SIGKILL', 'killed during step 3 rollouts');
      const resumed = runWorker(config('killed'), ws);
      assert.equal(resumed.status, 0, resumed.stderr);
      // A step whose groups dynamic sampling all dropped trains nothing and writes no samples.
      const prompts = (run: string) =>
        [1, 2, 3, 4].map((s) => {
          const file = join(ws, 'runs', run, 'samples', `step-${s}.jsonl`);
          return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).id).join(',') : 'skipped';
        });
      assert.deepEqual(prompts('killed'), prompts('whole'), 'the same prompts at every step');
      const a = trainPoints(ws, 'whole');
      const b = trainPoints(ws, 'killed');
      for (const key of ['reward', 'loss', 'grad_norm', 'skipped_update']) assert.deepEqual(b.map((p) => p[key]), a.map((p) => p[key]), key);
      assert.deepEqual(b.map((p) => p.step), [1, 2, 3, 4]);
    })();
  });
}
