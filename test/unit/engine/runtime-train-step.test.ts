// TrainStepRunner on a hand-written linear-regression AdamW step (see the fixture), checked against a
// float64 plain-loop reference: losses, metrics, parameters, traffic counts, buckets, NaN handling,
// state round trips and error messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { TrainStepRunner } from '../../../main/engine/runtime/train-step-runner.ts';
import { NonFiniteLossError, OnnxRunError } from '../../../main/engine/runtime/errors.ts';
import type { HostTensor } from '../../../main/engine/runtime/tensors.ts';
import { LinearAdamWReference, linearStepModel } from './runtime-linear-step.fixture.ts';

const D = 6;
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}
const rand = rng(7);
const scale = Float32Array.from({ length: D }, () => 0.5 + Math.abs(rand()));
const w0 = Float32Array.from({ length: D }, () => rand() * 0.1);
const trueW = Array.from({ length: D }, () => rand());
function batch(n: number, r: () => number): { x: Float32Array; y: Float32Array } {
  const x = Float32Array.from({ length: n * D }, r);
  const y = Float32Array.from({ length: n }, (_, i) => trueW.reduce((a, w, j) => a + w * x[i * D + j], 0.3));
  return { x, y };
}
const feed = (b: { x: Float32Array; y: Float32Array }): Record<string, HostTensor> => ({
  x: { dtype: 'float32', dims: [b.y.length, D], data: b.x },
  y: { dtype: 'float32', dims: [b.y.length, 1], data: b.y },
});
const initial = () => ({ params: { w: { dtype: 'float32' as const, dims: [D, 1], data: w0 }, b: { dtype: 'float32' as const, dims: [1], data: new Float32Array([0.05]) } } });
const close = (a: number, b: number, tol = 2e-5) => assert.ok(Math.abs(a - b) <= tol * (1 + Math.abs(b)), `${a} vs ${b}`);

test('steps match a float64 AdamW reference; traffic is counted exactly', async () => {
  const { model, signature } = linearStepModel(D, scale);
  const logs: string[] = [];
  const runner = await TrainStepRunner.create({ model, signature }, initial(), { provider: 'cpu', log: (l) => logs.push(l) });
  assert.match(logs[0], /execution provider: cpu \(requested\)/);
  assert.equal(runner.provider.provider, 'cpu');
  const ref = new LinearAdamWReference(w0, 0.05, scale);
  const r = rng(11);
  const losses: number[] = [];
  for (let i = 0; i < 8; i++) {
    const b = batch(16, r);
    const out = await runner.step(feed(b), { learningRate: 0.05 });
    const expected = ref.step(b.x, b.y, 0.05);
    assert.equal(out.step, i + 1);
    close(out.loss, expected.loss);
    close(out.metrics.grad_norm, expected.gradNorm);
    // Inputs: w, b, 4 moments, x, y, lr (float32), step (int64); outputs: the same state plus loss and grad_norm (float32).
    const stateBytes = (D + 1) * 4 * 3;
    assert.deepEqual(out.traffic, { hostToDevice: stateBytes + 16 * D * 4 + 16 * 4 + 4 + 8, deviceToHost: stateBytes + 4 + 4 });
    losses.push(out.loss);
  }
  assert.ok(losses[7] < losses[0] * 0.8, `loss should fall: ${losses}`);
  const state = await runner.readState();
  assert.equal(state.step, 8);
  for (let j = 0; j < D; j++) close(state.params.w.data[j] as number, ref.w[j]);
  close(state.params.b.data[0] as number, ref.b);
  for (let j = 0; j < D; j++) close(state.optimizerState.v_w.data[j] as number, ref.vw[j], 1e-4);
  assert.equal(runner.sessionsCreated, 1);
  await runner.release();
});

test('one session per bucket of symbolic dims; the least recently used is evicted', async () => {
  const { model, signature } = linearStepModel(D, scale);
  const runner = await TrainStepRunner.create({ model, signature }, initial(), { provider: 'cpu', maxSessions: 2 });
  const r = rng(3);
  for (const n of [8, 16, 8, 16]) await runner.step(feed(batch(n, r)), { learningRate: 0.01 });
  assert.equal(runner.sessionsCreated, 2);
  await runner.step(feed(batch(4, r)), { learningRate: 0.01 }); // evicts 8
  await runner.step(feed(batch(16, r)), { learningRate: 0.01 }); // still cached
  assert.equal(runner.sessionsCreated, 3);
  await runner.step(feed(batch(8, r)), { learningRate: 0.01 }); // was evicted: recreated
  assert.equal(runner.sessionsCreated, 4);
  await runner.release();
});

test('a NaN loss throws naming the step and leaves the state untouched', async () => {
  const { model, signature } = linearStepModel(D, scale);
  const runner = await TrainStepRunner.create({ model, signature }, initial(), { provider: 'cpu' });
  const ref = new LinearAdamWReference(w0, 0.05, scale);
  const r = rng(5);
  for (let i = 0; i < 2; i++) {
    const b = batch(8, r);
    await runner.step(feed(b), { learningRate: 0.05 });
    ref.step(b.x, b.y, 0.05);
  }
  const poisoned = batch(8, r);
  poisoned.x[3] = NaN;
  await assert.rejects(runner.step(feed(poisoned), { learningRate: 0.05 }), (e: unknown) => {
    assert.ok(e instanceof NonFiniteLossError);
    assert.equal(e.step, 3);
    assert.match(e.message, /train step 3: loss is NaN/);
    return true;
  });
  assert.equal(runner.stepCount, 2);
  const b = batch(8, r);
  const out = await runner.step(feed(b), { learningRate: 0.05 });
  const expected = ref.step(b.x, b.y, 0.05);
  assert.equal(out.step, 3);
  close(out.loss, expected.loss);
  const state = await runner.readState();
  for (let j = 0; j < D; j++) close(state.params.w.data[j] as number, ref.w[j]);
  await runner.release();
});

test('state read from one runner and loaded into another continues identically', async () => {
  const { model, signature } = linearStepModel(D, scale);
  const a = await TrainStepRunner.create({ model, signature }, initial(), { provider: 'cpu' });
  const r = rng(9);
  const batches = Array.from({ length: 6 }, () => batch(8, r));
  for (const b of batches.slice(0, 3)) await a.step(feed(b), { learningRate: 0.02 });
  const saved = await a.readState();
  const restOfA: number[] = [];
  for (const b of batches.slice(3)) restOfA.push((await a.step(feed(b), { learningRate: 0.02 })).loss);
  // The saved copy must not alias buffers the runner kept writing into.
  const b2 = await TrainStepRunner.create({ model, signature }, { params: saved.params, optimizerState: saved.optimizerState, step: saved.step }, { provider: 'cpu' });
  const restOfB: number[] = [];
  for (const b of batches.slice(3)) restOfB.push((await b2.step(feed(b), { learningRate: 0.02 })).loss);
  assert.deepEqual(restOfB, restOfA); // bit-identical on CPU
  await a.release();
  await b2.release();
});

test('bad input: clear errors naming inputs, shapes and the step', async () => {
  const { model, signature } = linearStepModel(D, scale);
  await assert.rejects(
    TrainStepRunner.create({ model, signature: { ...signature, batchInputs: signature.batchInputs.slice(0, 1) } }, initial(), { provider: 'cpu' }),
    /graph input 'y' is not wired/,
  );
  await assert.rejects(
    TrainStepRunner.create({ model, signature }, { params: { w: initial().params.w } }, { provider: 'cpu' }),
    /missing parameter 'b'/,
  );
  await assert.rejects(
    TrainStepRunner.create({ model, signature }, { params: { ...initial().params, w: { dtype: 'float32', dims: [D + 1, 1], data: new Float32Array(D + 1) } } }, { provider: 'cpu' }),
    /parameter 'w' is float32\[7,1\].*the graph wants float32\[6,1\]/,
  );
  const runner = await TrainStepRunner.create({ model, signature }, initial(), { provider: 'cpu' });
  const good = feed(batch(4, rng(1)));
  await assert.rejects(runner.step({ x: good.x }, { learningRate: 0.1 }), /train step 1: batch must have exactly \[x, y\]; missing y/);
  await assert.rejects(
    runner.step({ ...good, y: { dtype: 'float32', dims: [5, 1], data: new Float32Array(5) } }, { learningRate: 0.1 }),
    /batch input 'y' has shape \[5,1\], the graph declares \[batch,1\] \(with \{"batch":4\}\)/,
  );
  await assert.rejects(
    runner.step({ ...good, x: { dtype: 'float64', dims: [4, D], data: new Float64Array(4 * D) } }, { learningRate: 0.1 }),
    /batch input 'x' is float64\[4,6\], the graph wants float32/,
  );
  await runner.release();

  // A failure only onnxruntime can see (symbolic feature dim meets a fixed weight shape) comes back
  // with every input's name and shape.
  const sym = linearStepModel(D, scale, { symbolicFeatures: true });
  const loose = await TrainStepRunner.create(sym, initial(), { provider: 'cpu' });
  await assert.rejects(
    loose.step({ x: { dtype: 'float32', dims: [4, 3], data: new Float32Array(12) }, y: good.y }, { learningRate: 0.1 }),
    (e: unknown) => {
      assert.ok(e instanceof OnnxRunError, String(e));
      assert.match(e.message, /graph 'linear_regression_train_step'/);
      assert.match(e.message, /x: float32\[4,3\]/);
      assert.match(e.message, /w: float32\[6,1\]/);
      assert.match(e.message, /lr: float32\[\]/);
      assert.match(e.message, /step: int64\[\]/);
      return true;
    },
  );
  await loose.release();
});

test('batch tensors may be passed as onnxruntime tensors', async () => {
  const { model, signature } = linearStepModel(D, scale);
  const runner = await TrainStepRunner.create({ model, signature }, initial(), { provider: 'cpu' });
  const b = batch(4, rng(2));
  const out = await runner.step({ x: new ort.Tensor('float32', b.x, [4, D]), y: new ort.Tensor('float32', b.y, [4, 1]) }, { learningRate: 0.1 });
  close(out.loss, new LinearAdamWReference(w0, 0.05, scale).step(b.x, b.y, 0.1).loss);
  await runner.release();
});
