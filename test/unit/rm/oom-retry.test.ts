// Out-of-memory recovery in reward-model training (#21). The engine's test hook makes a step graph whose
// batch has more than R rows fail with onnxruntime's real BFC-arena message; the trainer checkpoints,
// halves the pairs per micro-batch, doubles accumulation and takes the step again. Checked: the step with
// P/2 pairs × 2 micro-batches equals the fused step with P pairs (float64, 1e-12: the Bradley-Terry loss
// and the centering term are means over equal halves); the retried run's loss curve equals the
// uninterrupted one's, and differs from a run with half the pairs per step; a second OOM stops with advice.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadModel } from '../../../main/models/weights.ts';
import { Tokenizer } from '../../../main/models/tokenizer.ts';
import { RunFolder, readMetrics } from '../../../main/train/run/index.ts';
import { tokenizePreferences } from '../../../main/train/rm/data.ts';
import { RewardModelStep, rewardModelFromBase, type PairBatch } from '../../../main/train/rm/model.ts';
import { runRewardModelTraining } from '../../../main/train/rm/trainer.ts';
import { makeTinyBase, syntheticPreferences, tempDir, writeJsonl } from './fixtures.ts';

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

const trainLosses = (dir: string) => readMetrics(join(dir, 'metrics.jsonl')).records.filter((r) => r.split === 'train').map((r) => r.loss as number);

test('reward model: P/2 pairs × 2 micro-batches take the fused P-pair step (float64)', async () => {
  const dir = tempDir('oom-step');
  const base = makeTinyBase(dir, { hidden: 16, layers: 1 });
  const tokenizer = Tokenizer.load(base);
  const { pairs } = tokenizePreferences(syntheticPreferences(8, 1), tokenizer, { maxLength: 128 });
  const loaded = loadModel(base);
  const rm = rewardModelFromBase(loaded.config, loaded.weights, { padTokenId: tokenizer.padTokenId, seed: 1 });
  const four = pairs.slice(0, 4);
  const batch: PairBatch = { sequences: [...four.map((p) => p.chosen), ...four.map((p) => p.rejected)], margins: [0.5, 0, 1, 0] };
  const options = { dtype: 'float64' as const, centeringCoefficient: 0.01, maxGradNorm: null, provider: 'cpu' as const };
  // The fused one-graph step on the per-step runner vs the halves on the loop step (the default runner).
  const fused = await RewardModelStep.create(rm.config, rm.weights, { kind: 'full' }, { ...options, pairsPerBatch: 4, runner: 'per-step' });
  const halves = await RewardModelStep.create(rm.config, rm.weights, { kind: 'full' }, { ...options, pairsPerBatch: 2, gradAccumulation: 2 });
  try {
    for (let i = 0; i < 2; i++) {
      const a = await fused.step(batch, 1e-2);
      const b = await halves.step(batch, 1e-2);
      for (const k of ['loss', 'gradNorm', 'accuracy', 'meanMargin'] as const) assert.ok(Math.abs(a[k] - b[k]) < 1e-12, `step ${i + 1} ${k}: ${a[k]} vs ${b[k]}`);
    }
    const [pa, pb] = [(await fused.runner.readState()).params, (await halves.runner.readState()).params];
    let diff = 0;
    for (const name of Object.keys(pa)) (pa[name].data as Float64Array).forEach((v, j) => (diff = Math.max(diff, Math.abs(v - (pb[name].data as Float64Array)[j]))));
    assert.ok(diff < 1e-12, `params differ by ${diff}`);
  } finally {
    await fused.release();
    await halves.release();
  }
});

test('reward-model training: out of memory → halve pairs per micro-batch, same loss curve; a second OOM stops', { timeout: 120_000 }, async () => {
  const dir = tempDir('oom-run');
  const base = makeTinyBase(dir, { hidden: 16, layers: 1 });
  const data = writeJsonl(join(dir, 'prefs.jsonl'), syntheticPreferences(80, 3));
  const workspace = join(dir, 'ws');
  // stepsPerRun 2: an OOM fails a whole run of the loop step; runs 1–2, 3–4, 5–6 make the failing run start at step 3.
  const config = { model: base, data, learningRate: 3e-3, pairsPerBatch: 4, maxSteps: 6, evalEvery: 0, heldOutShare: 0, maxLength: 128, centeringCoefficient: 0.01, seed: 42, dtype: 'float64' as const, provider: 'cpu' as const, stepsPerRun: 2 };
  const lines: string[] = [];
  // 8 rows (4 pairs) run out of memory from step 3 on; 4 rows fit.
  const retried = await withOom(3, 4, () => runRewardModelTraining({ ...config, name: 'retried' }, { workspace, log: (l) => lines.push(l) }));
  const straight = await runRewardModelTraining({ ...config, name: 'straight' }, { workspace });
  const half = await runRewardModelTraining({ ...config, name: 'half', pairsPerBatch: 2 }, { workspace });
  assert.equal(retried.summary.status, 'finished');
  const [a, b, c] = [trainLosses(retried.runDir), trainLosses(straight.runDir), trainLosses(half.runDir)];
  assert.equal(a.length, 6);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= 1e-10, `step ${i + 1}: retried ${v} vs uninterrupted ${b[i]}`));
  assert.ok(Math.abs(a[5] - c[5]) > 1e-6, 'half the pairs per step gives another curve');
  const info = new RunFolder(retried.runDir).info();
  assert.match(info.recoveries?.[0] ?? '', /micro-batch 4 → 2 and gradient accumulation 1 → 2/);
  const oom = readMetrics(join(retried.runDir, 'metrics.jsonl')).records.filter((r) => r.split === 'oom');
  assert.deepEqual(oom.map((r) => [r.step, r.micro_batch, r.grad_accumulation]), [[2, 2, 2]]);
  assert.ok(lines.some((l) => l.startsWith('step 3: out of memory on cpu')), lines.join('\n'));

  await assert.rejects(withOom(1, 2, () => runRewardModelTraining({ ...config, name: 'twice' }, { workspace })), /out of memory on cpu again after halving the pairs per micro-batch to 2: .*Failed to allocate memory/);
  assert.equal(RunFolder.inWorkspace(workspace, 'twice').info().status, 'failed');
});
