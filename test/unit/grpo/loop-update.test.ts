// GRPO's update on the loop step (#20): a step's whole update — μ = 2 epochs × 2 mini-batches, each an
// optimizer step of gradAccumulation 2 micro-batches — goes to onnxruntime as one run (stepRunner 'loop')
// and takes the same steps as one run per micro-batch ('per-step'): the same per-step losses and metrics,
// the same params and AdamW moments after, with less host↔device traffic. The gradAccumulation 2 comes the
// way GRPO gets it, from an out-of-memory recovery (the engine's test hook): the loop's failed run applied
// nothing and the whole update is rerun. Also: loop at gradAccumulation 1 (accumulate graph, loss scale fed 1)
// = the fused per-step graph; a non-finite step stops the run with the steps before it applied.
//
// float32: the policy builds float32 graphs only. The loop runs the same nodes in the same order as the
// per-step graphs, and on the CPU the numbers came out bit-identical (max difference 0 in every metric,
// param and moment). The checks allow 1e-6 (relative for losses/metrics, absolute for params and moments,
// which move by ~lr = 5e-3 per step): a few float32 ulps, for a provider that schedules a Loop body's
// kernels (and so its reductions) differently; a wrong loss scale, a skipped or doubled step, or a wrong
// learning rate moves them by orders of magnitude more.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLatestCheckpoint, saveCheckpoint, type HostTensor } from '../../../main/engine/index.ts';
import { initWeights } from '../../../main/models/init.ts';
import { presetConfig } from '../../../main/models/presets.ts';
import type { HfModel } from '../../../main/models/weights.ts';
import { parseGrpoConfig, trajectoryConfig } from '../../../main/train/grpo/config.ts';
import { packBatch, Policy, type PolicyOptions } from '../../../main/train/grpo/policy.ts';
import type { ScoredGroup } from '../../../main/train/grpo/score.ts';
import { PolicyUpdater } from '../../../main/train/grpo/update.ts';
import { RunFolder, TrainingDivergedError } from '../../../main/train/run/index.ts';

const model = { ...presetConfig('qwen2', 'tiny', { vocabSize: 24, bosTokenId: null, eosTokenIds: [1], padTokenId: 0 }), hiddenSize: 32, numHeads: 2, numKvHeads: 1, headDim: 16, intermediateSize: 64, numLayers: 1 };
const weights = initWeights(model, { seed: 3, std: 0.3 });
const hf: HfModel = { config: model, weights, generationConfig: null };

// Two groups of 4 responses; sorted by length, mini-batches of 4 fall in different length buckets (16 and 32).
const groups = [
  { promptIds: [5, 9, 12, 7], responses: [[4, 8, 11, 6, 13, 1], [20, 21, 22, 23, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 1], [7, 1], [9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 1]] },
  { promptIds: [13, 11, 4], responses: [[14, 15, 1], [6, 6, 6, 1], [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 2], [8, 1]] },
].map((g) => ({ ...g, responses: g.responses.map((tokens) => ({ tokens, text: '', finishReason: 'stop_token', replayed: false })) })) as unknown as ScoredGroup[];
const advantages = Float64Array.of(1.2, -0.7, 0.4, -0.9, 0.6, -1.5, 1.1, -0.2);

const grpoConfig = (stepRunner: 'loop' | 'per-step') =>
  parseGrpoConfig({
    model: 'unused', prompts: { path: 'unused.jsonl' }, method: { kind: 'full' }, provider: 'cpu', stepRunner, steps: 10,
    rollout: { groupSize: 4, promptsPerStep: 2, maxNewTokens: 16 },
    objective: { updateEpochs: 2, miniBatch: 4, kl: { beta: 0.05 } },
    optimization: { learningRate: 5e-3, maxGradNorm: 1 },
  });

function maxDiff(a: Record<string, HostTensor>, b: Record<string, HostTensor>): number {
  let diff = 0;
  assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
  for (const name of Object.keys(a)) (a[name].data as Float32Array).forEach((v, j) => (diff = Math.max(diff, Math.abs(v - (b[name].data as Float32Array)[j]))));
  return diff;
}

async function runUpdate(stepRunner: 'loop' | 'per-step', oomRows?: number) {
  const dir = mkdtempSync(join(tmpdir(), 'grpo-loop-'));
  const run = new RunFolder(join(dir, 'run'));
  await run.create({ name: 'run', kind: 'grpo', config: {} });
  const metrics = run.openMetrics();
  const lines: string[] = [];
  const updater = await PolicyUpdater.create(hf, grpoConfig(stepRunner), undefined, 'fp32');
  if (oomRows !== undefined) {
    process.env.SAENGGAK_TEST_OOM_AT_STEP = '1';
    process.env.SAENGGAK_TEST_OOM_ROWS = String(oomRows);
  }
  try {
    const outcome = await updater.update(1, groups, advantages, { run, metrics, log: (l) => lines.push(l), checkSignal: () => {}, padId: 0 });
    const state = await updater.policy.readState();
    return { outcome, state, lines, runner: updater.policy.runner, gradAccumulation: updater.policy.gradAccumulation, release: () => updater.policy.release() };
  } finally {
    delete process.env.SAENGGAK_TEST_OOM_AT_STEP;
    delete process.env.SAENGGAK_TEST_OOM_ROWS;
    metrics.close();
  }
}

test('GRPO update: μ 2 × 2 mini-batches × accumulation 2 in one loop run = per-step runs (losses, metrics, params, moments), with less traffic', { timeout: 300_000 }, async () => {
  // Mini-batches of 4 rows run out of memory; 2 fit: both recover to micro-batch 2 × accumulation 2.
  const loop = await runUpdate('loop', 2);
  const per = await runUpdate('per-step', 2);
  try {
    assert.equal(loop.runner.kind, 'loop');
    assert.equal(per.runner.kind, 'per-step');
    for (const r of [loop, per]) {
      assert.equal(r.lines.filter((l) => /out of memory on cpu: retrying .* gradient accumulation 1 → 2/.test(l)).length, 1, r.lines.join('\n'));
      assert.equal(r.state.step, 4, 'μ × mini-batches = 4 optimizer steps, none applied twice');
      assert.equal(r.gradAccumulation, 2);
    }
    const a = loop.outcome.stepMetrics;
    const b = per.outcome.stepMetrics;
    assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
    for (const key of ['loss', 'grad_norm', 'kl', 'clip_fraction', 'ratio_mean', 'entropy']) assert.ok(key in a, `metric ${key} logged`);
    for (const [key, values] of Object.entries(b)) {
      assert.equal(values.length, 4, `${key}: one value per optimizer step`);
      values.forEach((v, s) => assert.ok(Math.abs(a[key][s] - v) <= 1e-6 * Math.max(1, Math.abs(v)), `step ${s + 1} ${key}: loop ${a[key][s]} vs per-step ${v}`));
    }
    // The second epoch sees a moved policy: ratios off 1 (so the run really is 4 sequential updates).
    assert.ok(Math.abs(b.ratio_mean[2] - 1) > 1e-4, `epoch-2 ratio ${b.ratio_mean[2]}`);
    assert.equal(loop.outcome.updateTokens, per.outcome.updateTokens);
    assert.ok(maxDiff(loop.state.params, per.state.params) < 1e-6, `params differ by ${maxDiff(loop.state.params, per.state.params)}`);
    assert.ok(maxDiff(loop.state.optimizerState, per.state.optimizerState) < 1e-6, 'AdamW moments agree');
    // Traffic of the policies that ran the update (built by the recovery): one run vs 4 × (2 micro-batches + apply).
    const [tl, tp] = [loop.runner.totalTraffic, per.runner.totalTraffic];
    const total = (t: { hostToDevice: number; deviceToHost: number }) => t.hostToDevice + t.deviceToHost;
    assert.ok(total(tl) < total(tp) / 2, `loop traffic ${total(tl)} B vs per-step ${total(tp)} B`);
  } finally {
    await loop.release();
    await per.release();
  }
});

const policyOptions = (stepRunner: 'loop' | 'per-step'): PolicyOptions => ({
  objective: { epsLow: 0.2, epsHigh: 0.28, clipMode: 'standard', aggregation: 'sequence', beta: 0, maxNewTokens: 16 },
  adamw: { weightDecay: 0.01, beta1: 0.9, beta2: 0.999 },
  maxGradNorm: null,
  provider: 'cpu',
  precision: 'fp32',
  stepRunner,
});
const rows = [
  { prompt: [5, 9, 12, 7], response: [4, 8, 11, 6, 13, 1] },
  { prompt: [13, 11, 4], response: [7, 1] },
  { prompt: [6, 6], response: [20, 21, 22, 23, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 1] },
];

test('policy at gradAccumulation 1: the loop (accumulate graph, loss scale 1) = the fused per-step graph; a non-finite step stops the run, the steps before applied', { timeout: 120_000 }, async () => {
  const loop = await Policy.create(model, weights, { kind: 'full' }, policyOptions('loop'));
  const per = await Policy.create(model, weights, { kind: 'full' }, policyOptions('per-step'));
  try {
    assert.equal(loop.runner.kind, 'loop');
    assert.equal(per.runner.perStepRunner !== null, true);
    const short = packBatch(rows.slice(0, 2), 0);
    const long = packBatch(rows.slice(1), 0);
    assert.notEqual(short.seq, long.seq, 'mini-batches of different lengths in one run');
    const item = async (batch: typeof short, adv: number[]) => ({ batch, oldLogProbs: (await loop.logProbs(batch)).map((v, i) => v + 0.2 * Math.sin(i)), advantages: Float32Array.from(adv) });
    const items = [await item(short, [1, -1]), await item(long, [-0.5, 0.8]), await item(short, [0.3, 0.9])];
    const run = await loop.updates(items, 2e-2);
    assert.equal(run.steps.length, 3);
    assert.equal(run.nonFinite, null);
    for (const [s, it] of items.entries()) {
      const r = await per.update(it.batch, it, 2e-2);
      const l = run.steps[s];
      assert.ok(Math.abs(l.loss - r.loss) <= 1e-6 * Math.max(1, Math.abs(r.loss)), `step ${s + 1} loss ${l.loss} vs ${r.loss}`);
      for (const [k, v] of Object.entries(r.metrics)) assert.ok(Math.abs(l.metrics[k] - v) <= 1e-6 * Math.max(1, Math.abs(v)), `step ${s + 1} ${k} ${l.metrics[k]} vs ${v}`);
    }
    const [pl, pp] = [await loop.readState(), await per.readState()];
    assert.ok(maxDiff(pl.params, pp.params) < 1e-6, `params differ by ${maxDiff(pl.params, pp.params)}`);

    // A NaN advantage in the run's third step: steps 1-2 applied, step 3 not, the loop stops there.
    const before = (await loop.readState()).params;
    const bad = [await item(long, [0.1, 0.2]), await item(short, [0.4, -0.4]), await item(long, [NaN, 1]), await item(short, [1, 1])];
    const stopped = await loop.updates(bad, 2e-2);
    assert.equal(stopped.steps.length, 2);
    assert.equal(stopped.nonFinite?.step, 6, 'the run stops at its third step (optimizer step 6)');
    assert.equal(loop.runner.stepCount, 5);
    const after = (await loop.readState()).params;
    assert.ok(maxDiff(before, after) > 1e-4, 'the two finite steps were applied');
    // The same two steps per step land on the same params.
    for (const it of bad.slice(0, 2)) await per.update(it.batch, it, 2e-2);
    assert.ok(maxDiff(after, (await per.readState()).params) < 1e-6, 'state after the stopped run = two per-step updates');
  } finally {
    await loop.release();
    await per.release();
  }
});

test('GRPO update: a NaN in the second mini-batch stops the loop run; assertFinite names epoch 1, mini-batch 2', { timeout: 120_000 }, async () => {
  // Sorted by length, the 4 longest rows make mini-batch 2; a NaN advantage on the longest row poisons only it.
  const nan = Float64Array.from(advantages);
  nan[1] = NaN;
  const updater = await PolicyUpdater.create(hf, grpoConfig('loop'), undefined, 'fp32');
  const dir = mkdtempSync(join(tmpdir(), 'grpo-loop-nan-'));
  const run = new RunFolder(join(dir, 'run'));
  await run.create({ name: 'run', kind: 'grpo', config: {} });
  const metrics = run.openMetrics();
  try {
    await assert.rejects(
      updater.update(1, groups, nan, { run, metrics, log: () => {}, checkSignal: () => {}, padId: 0 }),
      (e: unknown) => e instanceof TrainingDivergedError && /rollout batch of step 1, epoch 1, mini-batch 2/.test(e.message),
    );
    assert.equal(updater.policy.runner.stepCount, 1, 'mini-batch 1 of epoch 1 was applied, nothing after it');
  } finally {
    metrics.close();
    await updater.policy.release();
  }
});

test('GRPO resume: a checkpoint saved before stepRunner existed, or under the other runner, still resumes; a changed objective does not', () => {
  const root = mkdtempSync(join(tmpdir(), 'grpo-loop-ckpt-'));
  const save = (config: unknown) => saveCheckpoint(root, { step: 1, params: {}, optimizerState: {}, config, dataCursor: {}, rng: null });
  // What the trainer stored before this key: the whole parsed config as JSON, without stepRunner.
  const { stepRunner: _r, ...old } = JSON.parse(JSON.stringify(grpoConfig('loop'))) as Record<string, unknown>;
  assert.equal('stepRunner' in old, false);
  save(old);
  for (const runner of ['loop', 'per-step'] as const) assert.equal(loadLatestCheckpoint(root, { expectConfig: trajectoryConfig(grpoConfig(runner)) })?.step, 1);
  save(trajectoryConfig(grpoConfig('per-step')));
  assert.equal(loadLatestCheckpoint(root, { expectConfig: trajectoryConfig(grpoConfig('loop')) })?.step, 1);
  const changed = { ...grpoConfig('loop'), objective: { ...grpoConfig('loop').objective, updateEpochs: 3 } };
  assert.throws(() => loadLatestCheckpoint(root, { expectConfig: trajectoryConfig(changed) }), /different config \(objective\.updateEpochs\)/);
});
