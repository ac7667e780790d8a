// Reward-model training on the loop step (#20): optimizer steps go to onnxruntime in runs of stepsPerRun
// steps, each run one session.run. It must be the same training as one step per run: float64, LoRA with
// dropout (masks drawn step by step, micro-batch by micro-batch), pairs of different lengths per batch,
// runs cut at evaluations and checkpoints. Checked against the per-step runner (one session.run per step),
// an independent path through the same step graphs.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { loraConfig } from '../../../main/models/peft.ts';
import { loadModel } from '../../../main/models/weights.ts';
import { Tokenizer } from '../../../main/models/tokenizer.ts';
import { RunFolder, readMetrics } from '../../../main/train/run/index.ts';
import { tokenizePreferences } from '../../../main/train/rm/data.ts';
import { RewardModelStep, rewardModelFromBase, type PairBatch } from '../../../main/train/rm/model.ts';
import { runRewardModelTraining, type RmConfigInput } from '../../../main/train/rm/index.ts';
import { makeTinyBase, syntheticPreferences, tempDir, writeJsonl } from './fixtures.ts';

const records = (run: RunFolder, split: string) => readMetrics(run.metricsPath).records.filter((r) => r.split === split);
const lora = { kind: 'lora' as const, r: 4, alpha: 8, dropout: 0.1, targetModules: ['q_proj', 'v_proj', 'down_proj'] };

test('reward model in runs of 3 steps (loop) = one step per run (per-step): losses, accuracies, evaluations and weights (float64)', { timeout: 180_000 }, async () => {
  const dir = tempDir('loop-runs');
  try {
    const base = makeTinyBase(dir, { hidden: 16, layers: 2 });
    const data = writeJsonl(join(dir, 'prefs.jsonl'), syntheticPreferences(60, 4));
    const workspace = join(dir, 'ws');
    const common: RmConfigInput = {
      model: base, data, method: lora, pairsPerBatch: 4, maxSteps: 11, learningRate: 5e-3, warmupRatio: 0.2, heldOutShare: 0.1,
      evalEvery: 4, saveEvery: 5, maxLength: 128, centeringCoefficient: 0.01, seed: 7, dtype: 'float64', provider: 'cpu',
    };
    const loop = await runRewardModelTraining({ ...common, name: 'loop', stepRunner: 'loop', stepsPerRun: 3 }, { workspace });
    const perStep = await runRewardModelTraining({ ...common, name: 'per-step', stepRunner: 'per-step' }, { workspace });
    const a = RunFolder.inWorkspace(workspace, 'loop');
    const b = RunFolder.inWorkspace(workspace, 'per-step');

    // Runs of at most 3 steps, cut at the evaluations (4, 8) and checkpoints (5, 10): 1–3, 4, 5, 6–8, 9–10, 11.
    assert.deepEqual(records(a, 'train').map((r) => r.run_steps), [3, 3, 3, 1, 1, 3, 3, 3, 2, 2, 1]);
    assert.deepEqual(records(b, 'train').map((r) => r.run_steps), new Array(11).fill(1));
    for (const [split, keys] of [['train', ['loss', 'accuracy', 'margin', 'chosen', 'rejected', 'grad_norm', 'lr']], ['eval', ['loss', 'accuracy', 'margin']]] as const) {
      const got = records(a, split);
      const want = records(b, split);
      assert.deepEqual(got.map((r) => r.step), want.map((r) => r.step), `${split}: the same steps`);
      assert.ok(got.length >= (split === 'train' ? 11 : 3), `${split}: ${got.length} points`);
      for (const [i, r] of got.entries()) {
        for (const key of keys) assert.ok(Math.abs((r[key] as number) - (want[i][key] as number)) <= 1e-12, `${split} step ${r.step} ${key}: ${r[key]} vs ${want[i][key]}`);
      }
    }
    // Accuracy is a count over 4 pairs: it moved across steps, so the comparison above is not of constants.
    assert.ok(new Set(records(b, 'train').map((r) => r.accuracy)).size > 1, 'pair accuracy changes over the run');

    // The saved (merged, float32) models: the same weights, and the adapters trained.
    const wa = loadModel(loop.output).weights;
    const wb = loadModel(perStep.output).weights;
    const w0 = loadModel(base).weights;
    assert.deepEqual([...wa.keys()].sort(), [...wb.keys()].sort());
    let moved = 0;
    for (const [name, t] of wa) {
      const u = wb.get(name)!;
      for (let i = 0; i < t.data.length; i++) assert.ok(Math.abs(Number(t.data[i]) - Number(u.data[i])) <= 1e-6, `${name}[${i}]: ${t.data[i]} vs ${u.data[i]}`);
      const before = w0.get(name);
      if (before && name.includes('q_proj')) for (let i = 0; i < t.data.length; i++) moved = Math.max(moved, Math.abs(Number(t.data[i]) - Number(before.data[i])));
    }
    assert.ok(moved > 1e-4, `the merged q_proj moved (${moved})`);

    // The loop moved the trainable state once per run (6 runs), the per-step runner once per step (11).
    const traffic = (run: RunFolder) => records(run, 'train').reduce((n, r) => n + (r.traffic_d2h as number), 0);
    assert.ok(traffic(a) < 0.7 * traffic(b), `loop ${traffic(a)} B vs per-step ${traffic(b)} B device→host`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('RewardModelStep.steps: 3 steps of 2 micro-batches in one loop run = 3 per-step steps (LoRA dropout, float64)', { timeout: 120_000 }, async () => {
  const dir = tempDir('loop-steps');
  try {
    const base = makeTinyBase(dir, { hidden: 16, layers: 1 });
    const tokenizer = Tokenizer.load(base);
    const { pairs } = tokenizePreferences(syntheticPreferences(24, 2), tokenizer, { maxLength: 128 });
    const loaded = loadModel(base);
    const rm = rewardModelFromBase(loaded.config, loaded.weights, { padTokenId: tokenizer.padTokenId, seed: 3 });
    // Each step: 4 pairs as 2 micro-batches of 2 (sequence lengths differ from micro-batch to micro-batch).
    const batches: PairBatch[] = [0, 1, 2].map((s) => {
      const four = pairs.slice(4 * s, 4 * s + 4);
      return { sequences: [...four.map((p) => p.chosen), ...four.map((p) => p.rejected)], margins: [0.5, 0, 1, 0.25] };
    });
    const lrs = [1e-2, 2e-2, 5e-3];
    const method = { kind: 'lora' as const, seed: 3, lora: loraConfig({ r: 4, loraAlpha: 8, loraDropout: 0.2, targetModules: ['q_proj', 'v_proj', 'gate_proj'] }) };
    const options = { pairsPerBatch: 2, gradAccumulation: 2, dtype: 'float64' as const, centeringCoefficient: 0.01, provider: 'cpu' as const, seed: 3 };
    const loop = await RewardModelStep.create(rm.config, rm.weights, method, { ...options, runner: 'loop' });
    const perStep = await RewardModelStep.create(rm.config, rm.weights, method, { ...options, runner: 'per-step' });
    try {
      assert.equal(loop.runner.kind, 'loop');
      assert.equal(perStep.runner.kind, 'per-step');
      const run = await loop.steps(batches, lrs);
      assert.equal(run.nonFinite, null);
      assert.equal(run.steps.length, 3);
      const want = [];
      for (const [s, batch] of batches.entries()) want.push(await perStep.step(batch, lrs[s]));
      for (const [s, got] of run.steps.entries()) {
        for (const key of ['loss', 'gradNorm', 'accuracy', 'meanMargin', 'meanChosen', 'meanRejected'] as const) {
          assert.ok(Math.abs(got[key] - want[s][key]) <= 1e-12, `step ${s + 1} ${key}: ${got[key]} vs ${want[s][key]}`);
        }
      }
      assert.ok(want[0].loss !== want[2].loss, 'the steps differ');
      const [pa, pb] = [await loop.runner.readParams(), await perStep.runner.readParams()];
      let diff = 0;
      let moved = 0;
      for (const name of Object.keys(pb)) {
        const x = pa[name].data as Float64Array;
        const y = pb[name].data as Float64Array;
        y.forEach((v, j) => (diff = Math.max(diff, Math.abs(x[j] - v))));
        if (name.includes('lora_B')) y.forEach((v) => (moved = Math.max(moved, Math.abs(v))));
      }
      assert.ok(diff <= 1e-12, `params differ by ${diff}`);
      assert.ok(moved > 0, 'LoRA B (zero at the start) trained');
      assert.deepEqual(loop.dropoutRng.getState(), perStep.dropoutRng.getState(), 'both drew the same dropout masks');
    } finally {
      await loop.release();
      await perStep.release();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
