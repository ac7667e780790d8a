// Many optimizer steps per run (main/engine/optim/loop-step.ts, runtime/loop-step-runner.ts) against the
// per-step runner (TrainStepRunner with the accumulate + apply graphs, itself checked against the fused
// step in runtime-accumulation.test.ts): the same params, AdamW moments, losses and grad norms within
// 1e-12 in float64 after S steps of K micro-batches in one run; a NaN loss stops the loop at its step
// with the steps before it applied; traffic per micro-batch is 2 × state ÷ (K·S) plus the batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph } from '../../../main/engine/ir/graph.ts';
import * as op from '../../../main/engine/ops/api.ts';
import { buildApplyStep, buildGradAccumulationStep, buildTrainStep } from '../../../main/engine/optim/train-step.ts';
import { TrainStepRunner } from '../../../main/engine/runtime/train-step-runner.ts';
import { LoopStepRunner } from '../../../main/engine/runtime/loop-step-runner.ts';
import type { HostTensor } from '../../../main/engine/runtime/tensors.ts';
import { Rng } from '../../../main/engine/rng.ts';

const I = 5;
const O = 3;
const scale = Float64Array.from({ length: I }, (_, i) => 0.5 + i / 4);

/** pred = tanh((x · scale) @ W + b) @ V, loss = mean squared error, accuracy-like metric; `scale` frozen. */
function model() {
  const g = new Graph('regression');
  const x = g.input('x', 'float64', [4, I]);
  const y = g.input('y', 'float64', [4, O]);
  const s = g.param('scale', 'float64', [I]);
  const W = g.param('W', 'float64', [I, O]);
  const b = g.param('b', 'float64', [O]);
  const V = g.param('V', 'float64', [O, O]);
  const d = op.sub(op.matmul(op.tanh(op.add(op.matmul(op.mul(x, s), W), b)), V), y);
  const loss = op.reduceMean(op.mul(d, d), [0, 1]);
  const meanAbs = op.reduceMean(op.abs(d), [0, 1]);
  return { trainable: [W, b, V], loss, metrics: { mean_abs: meanAbs } };
}

const rng = new Rng(77);
const micro = (): Record<string, HostTensor> => ({
  x: { dtype: 'float64', dims: [4, I], data: rng.fillNormal(new Float64Array(4 * I)) },
  y: { dtype: 'float64', dims: [4, O], data: rng.fillNormal(new Float64Array(4 * O)) },
});
const initial = () => ({
  params: {
    W: { dtype: 'float64' as const, dims: [I, O], data: Float64Array.from({ length: I * O }, (_, i) => Math.sin(i)) },
    b: { dtype: 'float64' as const, dims: [O], data: Float64Array.from({ length: O }, (_, i) => 0.1 * i) },
    V: { dtype: 'float64' as const, dims: [O, O], data: Float64Array.from({ length: O * O }, (_, i) => Math.cos(i)) },
  },
});

function graphs() {
  const m = model();
  const accumulate = buildGradAccumulationStep({ loss: m.loss, trainable: m.trainable, metrics: m.metrics });
  const apply = buildApplyStep(accumulate.signature.trainable, { maxGradNorm: 0.5, adamw: { weightDecay: 0.1 } });
  return { accumulate: { model: accumulate.toOnnx({ scale }), signature: accumulate.signature }, apply: { model: apply.toOnnx(), signature: apply.signature } };
}

function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, what: string, tol = 1e-12) {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

test('S steps of K micro-batches in one run = the per-step runner (float64, within 1e-12), twice in a row', async () => {
  const S = 3;
  const K = 2;
  const g = graphs();
  const perStep = await TrainStepRunner.create(g, initial(), { provider: 'cpu' });
  const loop = await LoopStepRunner.create(g, initial());
  for (const run of [0, 1]) {
    const steps = Array.from({ length: S }, () => Array.from({ length: K }, micro));
    const lrs = [0.1, 0.05, 0.02].map((v) => v / (run + 1));
    const result = await loop.run(steps, lrs);
    assert.equal(result.stepsApplied, S);
    assert.equal(result.step, (run + 1) * S);
    assert.equal(result.nonFinite, null);
    for (let s = 0; s < S; s++) {
      const ref = await perStep.step(steps[s], { learningRate: lrs[s] });
      const meanLoss = (result.losses[s][0] + result.losses[s][1]) / 2;
      assert.ok(Math.abs(meanLoss - ref.loss) < 1e-12, `step ${ref.step} loss ${meanLoss} vs ${ref.loss}`);
      assert.ok(Math.abs(result.gradNorms[s] - ref.metrics.grad_norm) < 1e-12, `step ${ref.step} grad norm`);
      const meanAbs = (result.metrics.mean_abs[s][0] + result.metrics.mean_abs[s][1]) / 2;
      assert.ok(Math.abs(meanAbs - ref.metrics.mean_abs) < 1e-12, `step ${ref.step} metric`);
    }
    const want = await perStep.readState();
    const read = await loop.readState();
    const got = { ...read.params, ...read.optimizerState };
    for (const [name, t] of Object.entries(want.params)) assertClose(got[name].data as Float64Array, t.data as Float64Array, name);
    for (const [name, t] of Object.entries(want.optimizerState)) assertClose(got[name].data as Float64Array, t.data as Float64Array, name);
    // The run really moved the params.
    assert.ok(Math.abs((got.W.data as Float64Array)[0] - Math.sin(0)) > 1e-3);
  }
  await perStep.release();
  await loop.release();
});

test('K = 1: the loop equals the fused one-step graph', async () => {
  const m = model();
  const fusedStep = buildTrainStep({ loss: m.loss, trainable: m.trainable, metrics: m.metrics, maxGradNorm: 0.5, adamw: { weightDecay: 0.1 } });
  const fused = await TrainStepRunner.create({ model: fusedStep.toOnnx({ scale }), signature: fusedStep.signature }, initial(), { provider: 'cpu' });
  const loop = await LoopStepRunner.create(graphs(), initial());
  const steps = Array.from({ length: 4 }, () => [micro()]);
  await loop.run(steps, [0.1, 0.1, 0.1, 0.1]);
  for (const [b] of steps) await fused.step(b, { learningRate: 0.1 });
  const want = await fused.readState();
  const read = await loop.readState();
    const got = { ...read.params, ...read.optimizerState };
  for (const [name, t] of Object.entries({ ...want.params, ...want.optimizerState })) assertClose(got[name].data as Float64Array, t.data as Float64Array, name);
  await fused.release();
  await loop.release();
});

test('a NaN loss stops the loop at its step: earlier steps applied, that one not, reported with its step', async () => {
  const g = graphs();
  const loop = await LoopStepRunner.create(g, initial());
  const perStep = await TrainStepRunner.create(g, initial(), { provider: 'cpu' });
  const steps = Array.from({ length: 4 }, () => Array.from({ length: 2 }, micro));
  (steps[2][1].x.data as Float64Array)[3] = NaN;
  const result = await loop.run(steps, [0.1, 0.1, 0.1, 0.1]);
  assert.equal(result.stepsApplied, 2);
  assert.equal(result.step, 2);
  assert.deepEqual({ step: result.nonFinite?.step, microBatch: result.nonFinite?.microBatch }, { step: 3, microBatch: 1 });
  assert.equal(result.losses.length, 3, 'the loop ran no step after the bad one');
  for (const s of [0, 1]) await perStep.step(steps[s], { learningRate: 0.1 });
  const want = await perStep.readState();
  const read = await loop.readState();
    const got = { ...read.params, ...read.optimizerState };
  for (const [name, t] of Object.entries({ ...want.params, ...want.optimizerState })) assertClose(got[name].data as Float64Array, t.data as Float64Array, name);
  await loop.release();
  await perStep.release();
});

test('traffic: the trainable state crosses once each way per run (≤ 2 × state ÷ (K·S) per micro-batch plus the batch)', async () => {
  const S = 4;
  const K = 3;
  const loop = await LoopStepRunner.create(graphs(), initial());
  const steps = Array.from({ length: S }, () => Array.from({ length: K }, micro));
  const { traffic } = await loop.run(steps, new Array(S).fill(0.1));
  const stateBytes = 3 * (I * O + O + O * O) * 8; // params + two moments
  const batchBytes = (4 * I + 4 * O) * 8;
  const scalars = S * 8 + 8; // lr per step, first step
  const layout = S * K * 2 * (2 * 8 + 2 * 8); // per micro-batch and input (x, y): span [2] and dims [2], int64
  const outputs = 8 + S * K * 8 * 2 + S * 8; // steps_taken, losses, metric, grad norms
  assert.equal(traffic.hostToDevice, stateBytes + S * K * batchBytes + layout + scalars);
  assert.equal(traffic.deviceToHost, stateBytes + outputs);
  const perMicroBatch = (traffic.hostToDevice + traffic.deviceToHost) / (K * S);
  const goal = (2 * stateBytes) / (K * S) + batchBytes;
  assert.ok(perMicroBatch - goal <= (scalars + layout + outputs) / (K * S) + 1e-9, `${perMicroBatch} B per micro-batch vs goal ${goal} + per-step scalars and the batch layout`);
  await loop.release();
});

test('a tiny Qwen3 decoder fine-tuned in one run (2 steps × 2 micro-batches of different lengths) = the per-step runner (float64)', async () => {
  const { buildDecoderGraph } = await import('../../../main/models/decoder.ts');
  const { randomWeights, tinyConfig } = await import('../../helpers/model-fixtures.ts');
  const config = tinyConfig('qwen3');
  const weights = randomWeights(config, 4);
  const build = () => {
    const d = buildDecoderGraph(config, { dtype: 'float64', labels: true, batchSize: 2 });
    const trainable = [...d.weights.values()].filter((w) => !w.name.endsWith('embed_tokens.weight'));
    const accumulate = buildGradAccumulationStep({ loss: d.loss!, trainable });
    const apply = buildApplyStep(accumulate.signature.trainable, { maxGradNorm: 1 });
    const frozen = { 'model.embed_tokens.weight': Float64Array.from(weights.get('model.embed_tokens.weight')!.data as Float32Array) };
    return { accumulate: { model: accumulate.toOnnx(frozen), signature: accumulate.signature }, apply: { model: apply.toOnnx(), signature: apply.signature } };
  };
  const g = build();
  const params = Object.fromEntries(g.apply.signature.trainable.map((t) => [t.name, { dtype: 'float64' as const, dims: t.shape, data: Float64Array.from(weights.get(t.name)!.data as Float32Array) }]));
  // Each micro-batch its own length (no padding to a common one): the flat batch input carries the shapes.
  const ids = (T: number): Record<string, HostTensor> => {
    const row = () => BigInt64Array.from({ length: 2 * T }, () => BigInt(3 + rng.int(config.vocabSize - 3)));
    const labels = row();
    labels[T - 1] = -100n;
    return {
      input_ids: { dtype: 'int64', dims: [2, T], data: row() },
      attention_mask: { dtype: 'int64', dims: [2, T], data: new BigInt64Array(2 * T).fill(1n) },
      position_ids: { dtype: 'int64', dims: [2, T], data: BigInt64Array.from({ length: 2 * T }, (_, i) => BigInt(i % T)) },
      labels: { dtype: 'int64', dims: [2, T], data: labels },
    };
  };
  const perStep = await TrainStepRunner.create(g, { params }, { provider: 'cpu' });
  const loop = await LoopStepRunner.create(g, { params });
  const steps = [[ids(5), ids(7)], [ids(3), ids(6)]];
  const result = await loop.run(steps, [1e-2, 5e-3]);
  for (const [s, micro] of steps.entries()) {
    const ref = await perStep.step(micro, { learningRate: [1e-2, 5e-3][s] });
    assert.ok(Math.abs((result.losses[s][0] + result.losses[s][1]) / 2 - ref.loss) < 1e-12);
  }
  const want = await perStep.readState();
  const read = await loop.readState();
    const got = { ...read.params, ...read.optimizerState };
  for (const [name, t] of Object.entries({ ...want.params, ...want.optimizerState })) assertClose(got[name].data as Float64Array, t.data as Float64Array, name);
  await perStep.release();
  await loop.release();
});

test('a run that fails (out of memory) changes nothing: the state and step count are those before it', async () => {
  const loop = await LoopStepRunner.create(graphs(), initial());
  await loop.run([[micro()]], [0.1]);
  const before = await loop.readState();
  process.env.SAENGGAK_TEST_OOM_AT_STEP = '3';
  try {
    await assert.rejects(loop.run([[micro()], [micro()]], [0.1, 0.1]), /Failed to allocate memory/);
  } finally {
    delete process.env.SAENGGAK_TEST_OOM_AT_STEP;
  }
  assert.equal(loop.stepCount, 1);
  const after = await loop.readState();
  for (const [name, t] of Object.entries({ ...before.params, ...before.optimizerState })) {
    assertClose((after.params[name] ?? after.optimizerState[name]).data as Float64Array, t.data as Float64Array, name, 0);
  }
  await loop.release();
});

test('resuming: loadState then a run = one runner that never stopped (float64)', async () => {
  const steps = Array.from({ length: 4 }, () => Array.from({ length: 2 }, micro));
  const lrs = [0.1, 0.08, 0.06, 0.04];
  const whole = await LoopStepRunner.create(graphs(), initial());
  await whole.run(steps, lrs);
  const first = await LoopStepRunner.create(graphs(), initial());
  await first.run(steps.slice(0, 2), lrs.slice(0, 2));
  const saved = await first.readState();
  await first.release();
  const resumed = await LoopStepRunner.create(graphs(), initial());
  resumed.loadState(saved);
  assert.equal(resumed.stepCount, 2);
  await resumed.run(steps.slice(2), lrs.slice(2));
  const want = await whole.readState();
  const got = await resumed.readState();
  for (const [name, t] of Object.entries(want.params)) assertClose(got.params[name].data as Float64Array, t.data as Float64Array, name, 0);
  for (const [name, t] of Object.entries(want.optimizerState)) assertClose(got.optimizerState[name].data as Float64Array, t.data as Float64Array, name, 0);
  await whole.release();
  await resumed.release();
});
