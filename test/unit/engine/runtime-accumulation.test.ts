// Gradient accumulation through the runner: k equal micro-batches through the accumulate + apply
// graphs must give the same parameters as the fused step on their concatenation (the mean of
// per-micro-batch mean losses equals the mean loss of the whole batch). float64 for a tight check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph } from '../../../main/engine/ir/graph.ts';
import * as op from '../../../main/engine/ops/api.ts';
import { buildApplyStep, buildGradAccumulationStep, buildTrainStep } from '../../../main/engine/optim/train-step.ts';
import { TrainStepRunner } from '../../../main/engine/runtime/train-step-runner.ts';
import { NonFiniteLossError } from '../../../main/engine/runtime/errors.ts';
import type { HostTensor } from '../../../main/engine/runtime/tensors.ts';
import { Rng } from '../../../main/engine/rng.ts';

const I = 5;
const O = 3;
const scale = Float64Array.from({ length: I }, (_, i) => 0.5 + i / 4);

/** pred = (x · scale) @ W + b, loss = mean squared error; `scale` is a frozen parameter. */
function regression() {
  const g = new Graph('regression');
  const x = g.input('x', 'float64', ['batch', I]);
  const y = g.input('y', 'float64', ['batch', O]);
  const s = g.param('scale', 'float64', [I]);
  const W = g.param('W', 'float64', [I, O]);
  const b = g.param('b', 'float64', [O]);
  const d = op.sub(op.add(op.matmul(op.mul(x, s), W), b), y);
  const loss = op.reduceMean(op.mul(d, d), [0, 1]);
  return { W, b, loss };
}

const rng = new Rng(77);
const batches = Array.from({ length: 3 }, () => ({ x: rng.fillNormal(new Float64Array(8 * I)), y: rng.fillNormal(new Float64Array(8 * O)) }));
const feed = (x: Float64Array, y: Float64Array): Record<string, HostTensor> => ({
  x: { dtype: 'float64', dims: [x.length / I, I], data: x },
  y: { dtype: 'float64', dims: [y.length / O, O], data: y },
});
const initial = () => ({
  params: {
    W: { dtype: 'float64' as const, dims: [I, O], data: Float64Array.from({ length: I * O }, (_, i) => Math.sin(i)) },
    b: { dtype: 'float64' as const, dims: [O], data: new Float64Array(O) },
  },
});

test('k micro-batches through accumulate + apply equal one fused step on the whole batch', async () => {
  const fusedStep = (() => { const m = regression(); return buildTrainStep({ loss: m.loss, trainable: [m.W, m.b], maxGradNorm: 0.5 }); })();
  const accStep = (() => { const m = regression(); return buildGradAccumulationStep({ loss: m.loss, trainable: [m.W, m.b] }); })();
  const applyStep = buildApplyStep(accStep.signature.trainable, { maxGradNorm: 0.5 });

  const fused = await TrainStepRunner.create({ model: fusedStep.toOnnx({ scale }), signature: fusedStep.signature }, initial(), { provider: 'cpu' });
  const accumulated = await TrainStepRunner.create(
    {
      accumulate: { model: accStep.toOnnx({ scale }), signature: accStep.signature },
      apply: { model: applyStep.toOnnx(), signature: applyStep.signature },
    },
    initial(),
    { provider: 'cpu' },
  );
  for (const [i, { x, y }] of batches.entries()) {
    const whole = await fused.step(feed(x, y), { learningRate: 0.1 });
    const micro = await accumulated.step([feed(x.subarray(0, 4 * I), y.subarray(0, 4 * O)), feed(x.subarray(4 * I), y.subarray(4 * O))], { learningRate: 0.1 });
    assert.equal(micro.step, i + 1);
    assert.ok(Math.abs(micro.loss - whole.loss) < 1e-12, `step ${i + 1} loss ${micro.loss} vs ${whole.loss}`);
    assert.ok(Math.abs(micro.metrics.grad_norm - whole.metrics.grad_norm) < 1e-12, `step ${i + 1} grad norm`);
  }
  const a = await fused.readState();
  const b = await accumulated.readState();
  assert.deepEqual(Object.keys(b.optimizerState).sort(), ['adam_m/W', 'adam_m/b', 'adam_v/W', 'adam_v/b']);
  for (const group of ['params', 'optimizerState'] as const) {
    for (const [name, t] of Object.entries(a[group])) {
      const other = b[group][name].data as Float64Array;
      (t.data as Float64Array).forEach((v, i) => assert.ok(Math.abs(v - other[i]) < 1e-12, `${name}[${i}]: ${v} vs ${other[i]}`));
    }
  }
  // A NaN in the second micro-batch: error names the step, nothing is applied, accumulators reset.
  const poisoned = batches[0].x.slice();
  poisoned[4 * I] = NaN;
  await assert.rejects(
    accumulated.step([feed(batches[0].x.subarray(0, 4 * I), batches[0].y.subarray(0, 4 * O)), feed(poisoned.subarray(4 * I), batches[0].y.subarray(4 * O))], { learningRate: 0.1 }),
    (e: unknown) => e instanceof NonFiniteLossError && e.step === 4,
  );
  const after = await accumulated.readState();
  assert.equal(after.step, 3);
  assert.deepEqual(after.params.W.data, b.params.W.data);
  // …and the next good step still matches the fused runner exactly (accumulators were zeroed).
  const { x, y } = batches[1];
  const whole = await fused.step(feed(x, y), { learningRate: 0.05 });
  const micro = await accumulated.step([feed(x.subarray(0, 4 * I), y.subarray(0, 4 * O)), feed(x.subarray(4 * I), y.subarray(4 * O))], { learningRate: 0.05 });
  assert.ok(Math.abs(micro.loss - whole.loss) < 1e-12);
  await assert.rejects(fused.step([feed(x, y), feed(x, y)], { learningRate: 0.1 }), /gradient accumulation needs the runner built with accumulate\/apply graphs/);
  await fused.release();
  await accumulated.release();
});
