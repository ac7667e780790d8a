// Out-of-memory recovery in GRPO (#21). (1) The policy update split into micro-batches (accumulate/apply
// graphs, each micro-batch's loss scaled by its share of the objective's normaliser) takes the same update
// as the whole mini-batch, for token, sequence and constant aggregation, with rows of unequal lengths,
// a row that does not count (overlong masked) and an odd row count. (2) A run whose update graph runs out
// of memory (the engine's hook throws onnxruntime's real BFC-arena message) halves the rows per graph,
// doubles accumulation, and logs the same curve as the uninterrupted run; a second OOM stops it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initWeights } from '../../../main/models/init.ts';
import { presetConfig } from '../../../main/models/presets.ts';
import { packBatch, Policy } from '../../../main/train/grpo/policy.ts';
import { runGrpo } from '../../../main/train/grpo/trainer.ts';
import { RunFolder, readMetrics } from '../../../main/train/run/index.ts';
import { sftModel, writeTaskData } from './fixtures.ts';

const config = { ...presetConfig('qwen2', 'tiny', { vocabSize: 24, bosTokenId: null, eosTokenIds: [1], padTokenId: 0 }), hiddenSize: 32, numHeads: 2, numKvHeads: 1, headDim: 16, intermediateSize: 64, numLayers: 1 };
const weights = initWeights(config, { seed: 3, std: 0.3 });

async function withOom<T>(atStep: number, rows: number, fn: () => Promise<T>): Promise<T> {
  process.env.SAENGGAK_TEST_OOM_AT_STEP = String(atStep);
  process.env.SAENGGAK_TEST_OOM_ROWS = String(rows);
  try {
    return await fn();
  } finally {
    delete process.env.SAENGGAK_TEST_OOM_AT_STEP;
    delete process.env.SAENGGAK_TEST_OOM_ROWS;
  }
}

for (const aggregation of ['token', 'sequence', 'constant'] as const) {
  test(`GRPO policy: 2 micro-batches take the whole mini-batch's update (${aggregation} aggregation)`, async () => {
    const rows = [
      { prompt: [5, 9, 12, 7], response: [4, 8, 11, 6, 13, 1] },
      { prompt: [13, 11, 4], response: [7, 1] },
      { prompt: [5, 9, 12, 7], response: [20, 21, 22, 23, 19, 18, 17, 16, 1] },
      { prompt: [13, 11, 4], response: [9, 9, 9, 9], counts: false },
      { prompt: [6, 6], response: [14, 15, 1] },
    ];
    const batch = packBatch(rows, 0);
    const options = { objective: { epsLow: 0.2, epsHigh: 0.28, clipMode: 'standard' as const, aggregation, beta: 0.05, maxNewTokens: 12 }, adamw: { weightDecay: 0, beta1: 0.9, beta2: 0.999 }, maxGradNorm: null, provider: 'cpu' as const, precision: 'fp32' as const };
    const whole = await Policy.create(config, weights, { kind: 'full' } as never, options);
    const split = await Policy.create(config, weights, { kind: 'full' } as never, { ...options, gradAccumulation: 2 });
    try {
      const base = await whole.logProbs(batch);
      // Old log-probs a little off the current ones, so ratios move off 1 and some clip.
      const old = base.map((v, i) => v + 0.3 * Math.sin(i));
      const ref = await whole.logProbs(batch, 'reference');
      const advantages = Float32Array.of(1.2, -0.7, 0.4, 0.9, -1.5);
      for (let s = 0; s < 3; s++) {
        const a = await whole.update(batch, { oldLogProbs: old, refLogProbs: ref, advantages }, 5e-3);
        const b = await split.update(batch, { oldLogProbs: old, refLogProbs: ref, advantages }, 5e-3);
        assert.ok(Math.abs(a.loss - b.loss) <= 1e-6 * Math.max(1, Math.abs(a.loss)), `update ${s + 1} loss ${a.loss} vs ${b.loss}`);
        assert.ok(Math.abs(a.metrics.grad_norm - b.metrics.grad_norm) <= 1e-5 * a.metrics.grad_norm, `update ${s + 1} grad_norm ${a.metrics.grad_norm} vs ${b.metrics.grad_norm}`);
      }
      const [pa, pb] = [(await whole.readState()).params, (await split.readState()).params];
      let diff = 0;
      for (const name of Object.keys(pa)) (pa[name].data as Float32Array).forEach((v, j) => (diff = Math.max(diff, Math.abs(v - (pb[name].data as Float32Array)[j]))));
      assert.ok(diff < 1e-3, `params differ by ${diff}`);
    } finally {
      await whole.release();
      await split.release();
    }
  });
}

test('GRPO run: out of memory in the update → halve rows per graph, double accumulation, same curve; a second OOM stops', { timeout: 600_000 }, async () => {
  const model = await sftModel();
  const ws = mkdtempSync(join(tmpdir(), 'grpo-oom-'));
  const data = writeTaskData(ws, { train: 16, heldOut: 2 });
  const config = (name: string) => ({
    name, model, method: { kind: 'lora' as const, r: 4, alpha: 8 }, prompts: { path: data.train },
    rollout: { groupSize: 4, promptsPerStep: 2, maxNewTokens: 24, temperature: 1 },
    rewards: { accuracy: { weight: 1 }, language: { weight: 0.5 } }, objective: { kl: { beta: 0.02 } },
    steps: 3, evalEvery: 0, saveEvery: 100, provider: 'cpu' as const,
  });
  const lines: string[] = [];
  // Update graphs of 8 rows run out of memory from the second optimizer step on; 4 rows fit.
  await withOom(2, 4, () => runGrpo(config('retried'), { workspace: ws, log: (l) => lines.push(l) }));
  await runGrpo(config('straight'), { workspace: ws });
  const points = (run: string) => readMetrics(join(ws, 'runs', run, 'metrics.jsonl')).records.filter((r) => r.split === 'train');
  const [a, b] = [points('retried'), points('straight')];
  assert.equal(a.length, 3);
  for (let i = 0; i < 3; i++) {
    assert.equal(a[i].reward, b[i].reward, `step ${i + 1}: same rollouts and rewards`);
    assert.ok(Math.abs((a[i].loss as number) - (b[i].loss as number)) <= 1e-5, `step ${i + 1}: loss ${a[i].loss} vs ${b[i].loss}`);
    assert.ok(Math.abs((a[i].grad_norm as number) - (b[i].grad_norm as number)) <= 1e-4 * (b[i].grad_norm as number), `step ${i + 1}: grad_norm ${a[i].grad_norm} vs ${b[i].grad_norm}`);
  }
  assert.ok(b.slice(1).every((p) => (p.grad_norm as number) > 1e-4), `the updates after the OOM move the policy (grad norms ${b.map((p) => p.grad_norm)})`);
  const info = RunFolder.inWorkspace(ws, 'retried').info();
  assert.equal(info.status, 'finished');
  assert.match(info.recoveries?.[0] ?? '', /micro-batch 8 → 4 and gradient accumulation 1 → 2/);
  assert.ok(lines.some((l) => /^step 2: out of memory on cpu/.test(l)), lines.join('\n'));

  await assert.rejects(withOom(1, 1, () => runGrpo(config('twice'), { workspace: ws })), /out of memory on cpu again after halving the micro-batch to 4: lower objective.miniBatch/);
  assert.equal(RunFolder.inWorkspace(ws, 'twice').info().status, 'failed');
});
