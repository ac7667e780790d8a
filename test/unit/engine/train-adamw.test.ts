// The fused train step (backward + global-norm clipping + AdamW) against a plain TypeScript reference
// written independently here: hand-derived gradients of a linear least-squares model, PyTorch's
// clip_grad_norm_ and AdamW update order, several steps with state carried between them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { encodeModel } from '../../../main/engine/onnx/emit.ts';
import { Graph } from '../../../main/engine/ir/graph.ts';
import * as op from '../../../main/engine/ops/api.ts';
import { buildApplyStep, buildGradAccumulationStep, buildTrainStep } from '../../../main/engine/optim/train-step.ts';
import { seededRandom } from './grad-harness.ts';

const N = 5, I = 3, O = 2;
const cfg = { beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0.1 };

function model() {
  const g = new Graph('lsq');
  const x = g.input('x', 'float64', ['n', I]);
  const y = g.input('y', 'float64', ['n', O]);
  const W = g.param('W', 'float64', [I, O]);
  const b = g.param('b', 'float64', [O]);
  const frozenScale = g.param('scale', 'float64', [O]);
  const pred = op.mul(op.add(op.matmul(x, W), b), frozenScale);
  const diff = op.sub(pred, y);
  const loss = op.reduceMean(op.mul(diff, diff), [0, 1]);
  return { g, W, b, loss };
}

type Params = { W: Float64Array; b: Float64Array };

/** Loss = mean((scale ⊙ (xW + b) − y)²); returns gradients by the chain rule, written out by hand. */
function referenceGrads(p: Params, scale: Float64Array, x: Float64Array, y: Float64Array, n: number) {
  const gW = new Float64Array(I * O), gb = new Float64Array(O);
  let loss = 0;
  for (let r = 0; r < n; r++) for (let o = 0; o < O; o++) {
    let z = p.b[o];
    for (let i = 0; i < I; i++) z += x[r * I + i] * p.W[i * O + o];
    const d = scale[o] * z - y[r * O + o];
    loss += d * d / (n * O);
    const dz = (2 * d * scale[o]) / (n * O);
    gb[o] += dz;
    for (let i = 0; i < I; i++) gW[i * O + o] += dz * x[r * I + i];
  }
  return { loss, gW, gb };
}

function referenceAdamW(p: Float64Array, g: Float64Array, m: Float64Array, v: Float64Array, lr: number, t: number, decay: boolean) {
  for (let i = 0; i < p.length; i++) {
    if (decay) p[i] *= 1 - lr * cfg.weightDecay;
    m[i] = cfg.beta1 * m[i] + (1 - cfg.beta1) * g[i];
    v[i] = cfg.beta2 * v[i] + (1 - cfg.beta2) * g[i] * g[i];
    const mHat = m[i] / (1 - cfg.beta1 ** t);
    const vHat = v[i] / (1 - cfg.beta2 ** t);
    p[i] -= (lr * mHat) / (Math.sqrt(vHat) + cfg.eps);
  }
}

function data(seed: number, n: number) {
  const rand = seededRandom(seed);
  return {
    x: Float64Array.from({ length: n * I }, () => rand() * 2 - 1),
    y: Float64Array.from({ length: n * O }, () => rand() * 4 - 2),
  };
}

const t64 = (d: Float64Array, dims: number[]) => new ort.Tensor('float64', d, dims);

for (const maxGradNorm of [0.05, null]) {
  test(`fused step = reference gradients + ${maxGradNorm === null ? 'no clipping' : 'clip_grad_norm_'} + AdamW over 4 steps`, async () => {
    const { g, W, b, loss } = model();
    const step = buildTrainStep({ loss, trainable: [W, b], adamw: cfg, maxGradNorm });
    assert.deepEqual(step.signature.frozen.map((f) => f.name), ['scale']);
    assert.deepEqual(step.signature.trainable.map((t) => [t.name, t.decay]), [['W', true], ['b', false]]);
    const scale = Float64Array.from([0.7, 1.3]);
    const session = await ort.InferenceSession.create(encodeModel(step.toOnnx({ scale })));

    const rand = seededRandom(5);
    const ref: Params = { W: Float64Array.from({ length: I * O }, () => rand() - 0.5), b: Float64Array.from([0.1, -0.2]) };
    const state: Record<string, Float64Array> = {
      W: Float64Array.from(ref.W), b: Float64Array.from(ref.b),
      'adam_m/W': new Float64Array(I * O), 'adam_v/W': new Float64Array(I * O), 'adam_m/b': new Float64Array(O), 'adam_v/b': new Float64Array(O),
    };
    const refState = { mW: new Float64Array(I * O), vW: new Float64Array(I * O), mb: new Float64Array(O), vb: new Float64Array(O) };
    for (let t = 1; t <= 4; t++) {
      const n = t % 2 ? N : N - 2; // the symbolic batch dim changes between steps
      const { x, y } = data(t, n);
      const lr = 0.05 / t;
      const out = await session.run({
        x: t64(x, [n, I]), y: t64(y, [n, O]), lr: t64(Float64Array.of(lr), []), step: new ort.Tensor('int64', BigInt64Array.of(BigInt(t)), []),
        W: t64(state.W, [I, O]), b: t64(state.b, [O]),
        'adam_m/W': t64(state['adam_m/W'], [I, O]), 'adam_v/W': t64(state['adam_v/W'], [I, O]),
        'adam_m/b': t64(state['adam_m/b'], [O]), 'adam_v/b': t64(state['adam_v/b'], [O]),
      });
      for (const key of Object.keys(state)) state[key] = Float64Array.from(out[`updated/${key}`].data as Float64Array);

      const { loss: refLoss, gW, gb } = referenceGrads(ref, scale, x, y, n);
      const norm = Math.sqrt([...gW, ...gb].reduce((s, v) => s + v * v, 0));
      const coef = maxGradNorm === null ? 1 : Math.min(1, maxGradNorm / (norm + 1e-6));
      if (maxGradNorm !== null) assert.ok(coef < 1, 'the test should exercise clipping');
      referenceAdamW(ref.W, gW.map((v) => v * coef), refState.mW, refState.vW, lr, t, true);
      referenceAdamW(ref.b, gb.map((v) => v * coef), refState.mb, refState.vb, lr, t, false);

      assert.ok(Math.abs((out.loss.data[0] as number) - refLoss) < 1e-12, `step ${t} loss`);
      assert.ok(Math.abs((out.grad_norm.data[0] as number) - norm) < 1e-12, `step ${t} grad norm`);
      for (let i = 0; i < I * O; i++) assert.ok(Math.abs(state.W[i] - ref.W[i]) < 1e-12, `step ${t} W[${i}]: ${state.W[i]} vs ${ref.W[i]}`);
      for (let i = 0; i < O; i++) assert.ok(Math.abs(state.b[i] - ref.b[i]) < 1e-12, `step ${t} b[${i}]`);
      for (let i = 0; i < O; i++) assert.ok(Math.abs(state['adam_v/b'][i] - refState.vb[i]) < 1e-14, `step ${t} v_b[${i}]`);
    }
  });
}

test('gradient accumulation over micro-batches + apply equals one step on their mean gradient', async () => {
  const scale = Float64Array.from([1.1, 0.9]);
  const acc = (() => { const { W, b, loss } = model(); return buildGradAccumulationStep({ loss, trainable: [W, b] }); })();
  const apply = buildApplyStep(acc.signature.trainable, { adamw: cfg, maxGradNorm: 0.1 });
  assert.equal(apply.signature.kind, 'apply');
  const accSession = await ort.InferenceSession.create(encodeModel(acc.toOnnx({ scale })));
  const applySession = await ort.InferenceSession.create(encodeModel(apply.toOnnx()));

  const ref: Params = { W: Float64Array.from([0.1, -0.3, 0.2, 0.4, -0.1, 0.05]), b: Float64Array.from([0, 0.3]) };
  let gW = new Float64Array(I * O), gb = new Float64Array(O);
  const micro = [data(21, 4), data(22, 3), data(23, 5)];
  for (const [k, { x, y }] of micro.entries()) {
    const n = x.length / I;
    const out = await accSession.run({ x: t64(x, [n, I]), y: t64(y, [n, O]), W: t64(ref.W, [I, O]), b: t64(ref.b, [O]), 'grad_acc/W': t64(gW, [I, O]), 'grad_acc/b': t64(gb, [O]) });
    gW = Float64Array.from(out['updated/grad_acc/W'].data as Float64Array);
    gb = Float64Array.from(out['updated/grad_acc/b'].data as Float64Array);
    assert.equal(typeof out.loss.data[0], 'number', `micro-batch ${k}`);
  }
  const out = await applySession.run({
    W: t64(ref.W, [I, O]), b: t64(ref.b, [O]), 'grad_acc/W': t64(gW, [I, O]), 'grad_acc/b': t64(gb, [O]),
    'adam_m/W': t64(new Float64Array(I * O), [I, O]), 'adam_v/W': t64(new Float64Array(I * O), [I, O]),
    'adam_m/b': t64(new Float64Array(O), [O]), 'adam_v/b': t64(new Float64Array(O), [O]),
    grad_scale: t64(Float64Array.of(1 / 3), []), lr: t64(Float64Array.of(0.01), []), step: new ort.Tensor('int64', BigInt64Array.of(1n), []),
  });

  const meanW = new Float64Array(I * O), meanB = new Float64Array(O);
  for (const { x, y } of micro) {
    const r = referenceGrads(ref, scale, x, y, x.length / I);
    r.gW.forEach((v, i) => (meanW[i] += v / 3));
    r.gb.forEach((v, i) => (meanB[i] += v / 3));
  }
  const norm = Math.sqrt([...meanW, ...meanB].reduce((s, v) => s + v * v, 0));
  const coef = Math.min(1, 0.1 / (norm + 1e-6));
  const W = Float64Array.from(ref.W), b = Float64Array.from(ref.b);
  referenceAdamW(W, meanW.map((v) => v * coef), new Float64Array(I * O), new Float64Array(I * O), 0.01, 1, true);
  referenceAdamW(b, meanB.map((v) => v * coef), new Float64Array(O), new Float64Array(O), 0.01, 1, false);
  assert.ok(Math.abs((out.grad_norm.data[0] as number) - norm) < 1e-12);
  const gotW = out['updated/W'].data as Float64Array;
  for (let i = 0; i < I * O; i++) assert.ok(Math.abs(gotW[i] - W[i]) < 1e-12, `W[${i}]`);
  const gotB = out['updated/b'].data as Float64Array;
  for (let i = 0; i < O; i++) assert.ok(Math.abs(gotB[i] - b[i]) < 1e-12, `b[${i}]`);
});
