// Row-sparse embedding updates (main/engine/optim/row-sparse.ts): a train step whose only path to an
// embedding table is a Gather must update it exactly as dense AdamW would — checked against a plain
// float64 loop with hand-derived gradients, over steps whose ids repeat within a batch and change between
// batches (rows touched earlier keep moving on momentum alone), with clipping, weight decay and without.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { encodeModel } from '../../../main/engine/onnx/emit.ts';
import { Graph } from '../../../main/engine/ir/graph.ts';
import { lower } from '../../../main/engine/lower.ts';
import * as op from '../../../main/engine/ops/api.ts';
import { buildTrainStep } from '../../../main/engine/optim/train-step.ts';
import { rowSparseGradient } from '../../../main/engine/optim/row-sparse.ts';
import { gradients } from '../../../main/engine/autodiff.ts';
import { TrainStepRunner } from '../../../main/engine/runtime/train-step-runner.ts';
import { seededRandom } from './grad-harness.ts';

const V = 11, H = 3, B = 2, S = 4;
const cfg = { beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0.1 };

/** pred[b, s] = Σ_h E[ids[b, s], h]·w[h]; loss = mean((pred − y)²). */
function model() {
  const g = new Graph('embedding_regression');
  const ids = g.input('ids', 'int64', [B, 'seq']);
  const y = g.input('y', 'float64', [B, 'seq']);
  const E = g.param('E', 'float64', [V, H]);
  const w = g.param('w', 'float64', [H]);
  const pred = op.reduceSum(op.mul(op.gather(E, ids), w), [2]);
  const diff = op.sub(pred, y);
  return { g, E, w, loss: op.reduceMean(op.mul(diff, diff), [0, 1]) };
}

function referenceStep(E: Float64Array, w: Float64Array, ids: number[], y: number[]) {
  const n = ids.length;
  const gE = new Float64Array(V * H), gw = new Float64Array(H);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let pred = 0;
    for (let h = 0; h < H; h++) pred += E[ids[i] * H + h] * w[h];
    const d = pred - y[i];
    loss += (d * d) / n;
    for (let h = 0; h < H; h++) {
      gE[ids[i] * H + h] += ((2 * d) / n) * w[h];
      gw[h] += ((2 * d) / n) * E[ids[i] * H + h];
    }
  }
  return { loss, gE, gw };
}

function adamw(p: Float64Array, g: Float64Array, m: Float64Array, v: Float64Array, lr: number, t: number, decay: boolean, clip: number) {
  for (let i = 0; i < p.length; i++) {
    const gi = g[i] * clip;
    if (decay) p[i] *= 1 - lr * cfg.weightDecay;
    m[i] = cfg.beta1 * m[i] + (1 - cfg.beta1) * gi;
    v[i] = cfg.beta2 * v[i] + (1 - cfg.beta2) * gi * gi;
    p[i] -= (lr * (m[i] / (1 - cfg.beta1 ** t))) / (Math.sqrt(v[i] / (1 - cfg.beta2 ** t)) + cfg.eps);
  }
}

for (const maxGradNorm of [0.05, null]) {
  test(`embedding rows: the row-sparse step equals dense AdamW (${maxGradNorm === null ? 'no clipping' : 'clipped'}, ids repeat and change)`, async () => {
    const { E, w, loss } = model();
    const step = buildTrainStep({ loss, trainable: [E, w], adamw: cfg, maxGradNorm });
    const onnx = step.toOnnx();
    assert.ok(onnx.graph.nodes.some((n) => n.opType === 'Unique'), 'the embedding takes the row-sparse path');
    assert.ok(!onnx.graph.nodes.some((n) => n.opType === 'ScatterND' && n.attributes?.reduction?.kind === 'string' && n.attributes.reduction.value === 'add' && (n.name ?? '').includes('Gather/')), 'no dense [V, H] gradient is built');

    const rand = seededRandom(3);
    const E0 = Float64Array.from({ length: V * H }, () => rand() - 0.5);
    const w0 = Float64Array.from({ length: H }, () => rand() + 0.5);
    const runner = await TrainStepRunner.create({ model: onnx, signature: step.signature }, {
      params: { E: { dtype: 'float64', dims: [V, H], data: E0 }, w: { dtype: 'float64', dims: [H], data: w0 } },
    }, { provider: 'cpu' });
    const ref = { E: Float64Array.from(E0), w: Float64Array.from(w0), mE: new Float64Array(V * H), vE: new Float64Array(V * H), mw: new Float64Array(H), vw: new Float64Array(H) };
    // Step 1 touches rows 1, 2, 5 (repeats); later steps other rows, so 1, 2, 5 move on momentum alone.
    const batches = [[1, 2, 2, 5, 5, 5, 1, 2], [7, 7, 7, 7, 0, 3, 3, 0], [9, 10, 9, 10, 2, 2, 4, 4], [6, 6, 6, 6, 6, 6, 6, 6]];
    for (const [k, ids] of batches.entries()) {
      const y = ids.map(() => rand() * 2 - 1);
      const out = await runner.step({
        ids: { dtype: 'int64', dims: [B, S], data: BigInt64Array.from(ids.map(BigInt)) },
        y: { dtype: 'float64', dims: [B, S], data: Float64Array.from(y) },
      }, { learningRate: 0.05 });
      const r = referenceStep(ref.E, ref.w, ids, y);
      let sq = 0;
      for (const x of [...r.gE, ...r.gw]) sq += x * x;
      const norm = Math.sqrt(sq);
      const clip = maxGradNorm === null ? 1 : Math.min(1, maxGradNorm / (norm + 1e-6));
      adamw(ref.E, r.gE, ref.mE, ref.vE, 0.05, k + 1, true, clip);
      adamw(ref.w, r.gw, ref.mw, ref.vw, 0.05, k + 1, false, clip);
      assert.ok(Math.abs(out.loss - r.loss) < 1e-12, `step ${k + 1}: loss ${out.loss} vs ${r.loss}`);
      assert.ok(Math.abs(out.metrics.grad_norm - norm) < 1e-12, `step ${k + 1}: grad norm ${out.metrics.grad_norm} vs ${norm}`);
    }
    const state = await runner.readState();
    const close = (name: string, got: ArrayLike<number>, want: Float64Array) => {
      for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-12, `${name}[${i}]: ${got[i]} vs ${want[i]}`);
    };
    close('E', state.params.E.data as Float64Array, ref.E);
    close('w', state.params.w.data as Float64Array, ref.w);
    close('m(E)', state.optimizerState['adam_m/E'].data as Float64Array, ref.mE);
    close('v(E)', state.optimizerState['adam_v/E'].data as Float64Array, ref.vE);
    // Row 8 never had a gradient: only weight decay moved it, and its moments stayed zero.
    for (let h = 0; h < H; h++) {
      let decayed = E0[8 * H + h];
      for (let k = 0; k < batches.length; k++) decayed *= 1 - 0.05 * cfg.weightDecay;
      assert.equal(state.params.E.data[8 * H + h], decayed);
      assert.equal(state.optimizerState['adam_m/E'].data[8 * H + h], 0);
    }
    await runner.release();
  });
}

test('a tied table (gathered and also multiplied) keeps the dense gradient', () => {
  const g = new Graph('tied');
  const ids = g.input('ids', 'int64', [2]);
  const E = g.param('E', 'float32', [5, 3]);
  const loss = op.reduceSum(op.add(op.reduceSum(op.gather(E, ids), [0, 1]), op.reduceSum(op.mul(E, E), [0, 1])), [], false);
  const [grad] = gradients(loss, [E]);
  assert.equal(rowSparseGradient(E, grad!), null);
  const only = new Graph('gather_only');
  const E2 = only.param('E', 'float32', [5, 3]);
  const [grad2] = gradients(op.reduceSum(op.gather(E2, only.input('ids', 'int64', [2])), [0, 1]), [E2]);
  assert.notEqual(rowSparseGradient(E2, grad2!), null);
});

test('uniqueInverse: each id → its slot among the distinct ids in order of first appearance', async () => {
  const g = new Graph('unique');
  const ids = g.input('ids', 'int64', ['n']);
  const model = lower(g, { outputs: { slot: op.uniqueInverse(ids) } });
  const session = await ort.InferenceSession.create(encodeModel(model));
  const out = await session.run({ ids: new ort.Tensor('int64', BigInt64Array.from([9n, 4n, 9n, 7n, 4n, 0n]), [6]) });
  assert.deepEqual(Array.from(out.slot.data as BigInt64Array, Number), [0, 1, 0, 2, 1, 3]);
});
