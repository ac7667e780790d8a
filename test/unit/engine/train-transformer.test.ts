// The two-layer causal transformer LM from test/helpers/tiny-transformer.ts:
// 1. full-model gradients (float64) vs central finite differences on sampled parameter elements;
// 2. the fused float32 train step learns to reverse short sequences, from chance to ≥ 95% token accuracy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { encodeModel } from '../../../main/engine/onnx/emit.ts';
import * as op from '../../../main/engine/ops/api.ts';
import { gradients } from '../../../main/engine/autodiff.ts';
import { lower } from '../../../main/engine/lower.ts';
import { buildTrainStep } from '../../../main/engine/optim/train-step.ts';
import { buildTinyLM, initTinyLM, type TinyLMConfig } from '../../helpers/tiny-transformer.ts';
import { seededRandom } from './grad-harness.ts';

test('two-layer transformer LM: gradients of every parameter match finite differences', async () => {
  const cfg: TinyLMConfig = { vocabSize: 11, hidden: 8, layers: 2, heads: 4, kvHeads: 2, intermediate: 12 };
  const lm = buildTinyLM(cfg, { dtype: 'float64', batch: 'batch', seq: 'seq', attentionMask: true });
  const grads = gradients(lm.loss, lm.params);
  const outputs: Record<string, typeof lm.loss> = { loss: lm.loss };
  lm.params.forEach((p, i) => (outputs[`grad/${p.name}`] = grads[i]!));
  const session = await ort.InferenceSession.create(encodeModel(lower(lm.graph, { outputs })));

  const B = 2, S = 5;
  const rand = seededRandom(17);
  const init = initTinyLM(cfg, 3, 'float64');
  // Larger-than-init weights so every path (attention, norms) carries a visible gradient.
  const values = new Map([...init].map(([k, v]) => [k, v.length === cfg.hidden ? Float64Array.from(v, () => 0.5 + rand()) : Float64Array.from(v, () => (rand() - 0.5) * 0.8)]));
  const ids = BigInt64Array.from({ length: B * S }, () => BigInt(Math.floor(rand() * cfg.vocabSize)));
  const labels = BigInt64Array.from([3, 1, 4, 1, -100, 5, 9, 2, -100, -100].map(BigInt));
  const mask = BigInt64Array.from([1, 1, 1, 1, 1, 1, 1, 1, 0, 0].map(BigInt));
  const feeds = (override?: [string, Float64Array]) => {
    const f: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [B, S]),
      labels: new ort.Tensor('int64', labels, [B, S]),
      attention_mask: new ort.Tensor('int64', mask, [B, S]),
    };
    for (const p of lm.params) f[p.name] = new ort.Tensor('float64', override?.[0] === p.name ? override[1] : values.get(p.name)!, p.shape as number[]);
    return f;
  };
  const result = await session.run(feeds());
  const eps = 1e-6;
  let checked = 0;
  for (const p of lm.params) {
    const base = values.get(p.name)!;
    const analytic = result[`grad/${p.name}`].data as Float64Array;
    for (let s = 0; s < 3; s++) {
      const i = Math.floor(rand() * base.length);
      const plus = Float64Array.from(base); plus[i] += eps;
      const minus = Float64Array.from(base); minus[i] -= eps;
      const numeric = (((await session.run(feeds([p.name, plus]))).loss.data[0] as number) - ((await session.run(feeds([p.name, minus]))).loss.data[0] as number)) / (2 * eps);
      assert.ok(Math.abs(analytic[i] - numeric) <= 1e-6 * Math.max(1, Math.abs(numeric)), `${p.name}[${i}]: autodiff ${analytic[i]} vs finite difference ${numeric}`);
      checked++;
    }
  }
  assert.equal(checked, lm.params.length * 3);
});

test('fused train step learns to reverse sequences (chance → ≥ 95% token accuracy)', async () => {
  const L = 6, symbols = 8; // tokens 0..7 are symbols, 8 = BOS, 9 = SEP
  const cfg: TinyLMConfig = { vocabSize: 10, hidden: 64, layers: 2, heads: 4, kvHeads: 2, intermediate: 128 };
  const B = 32, S = 2 * L + 2;
  const lm = buildTinyLM(cfg, { dtype: 'float32', batch: 'batch', seq: S });
  // Token accuracy over labelled positions, as an in-graph metric: the label's logit is the row max.
  const valid = op.greaterOrEqual(lm.labels, 0);
  const labelLogit = op.squeeze(op.gatherElements(lm.logits, op.unsqueeze(op.where(valid, lm.labels, 0), [-1]), -1), [-1]);
  const hit = op.and(valid, op.greaterOrEqual(labelLogit, op.reduceMax(lm.logits, [-1], false)));
  const accuracy = op.div(op.reduceSum(op.cast(hit, 'float32'), [0, 1]), op.reduceSum(op.cast(valid, 'float32'), [0, 1]));
  const step = buildTrainStep({ loss: lm.loss, trainable: lm.params, metrics: { accuracy }, adamw: { weightDecay: 0.01 }, maxGradNorm: 1 });
  const session = await ort.InferenceSession.create(encodeModel(step.toOnnx()), { intraOpNumThreads: 2 });

  const state = new Map<string, ort.Tensor>();
  for (const [name, data] of initTinyLM(cfg, 1)) {
    const io = step.signature.trainable.find((t) => t.name === name)!;
    state.set(io.param.input, new ort.Tensor('float32', data as Float32Array, io.shape));
    state.set(io.adamM!.input, new ort.Tensor('float32', new Float32Array(data.length), io.shape));
    state.set(io.adamV!.input, new ort.Tensor('float32', new Float32Array(data.length), io.shape));
  }
  const rand = seededRandom(99);
  const batch = () => {
    const ids = new BigInt64Array(B * S), labels = new BigInt64Array(B * S).fill(-100n);
    for (let b = 0; b < B; b++) {
      const seq = Array.from({ length: L }, () => Math.floor(rand() * symbols));
      const row = [8, ...seq, 9, ...seq.reverse()];
      row.forEach((tok, t) => (ids[b * S + t] = BigInt(tok)));
      for (let t = L + 1; t < S - 1; t++) labels[b * S + t] = BigInt(row[t + 1]); // predict the reversed half
    }
    return { input_ids: new ort.Tensor('int64', ids, [B, S]), labels: new ort.Tensor('int64', labels, [B, S]) };
  };
  const maxSteps = 600, warmup = 30, peakLr = 3e-3;
  let firstAccuracy = NaN, recent: number[] = [];
  let steps = 0;
  for (let t = 1; t <= maxSteps; t++) {
    const lr = peakLr * Math.min(1, t / warmup);
    const out = await session.run({ ...batch(), lr: new ort.Tensor('float32', Float32Array.of(lr), []), step: new ort.Tensor('int64', BigInt64Array.of(BigInt(t)), []), ...Object.fromEntries(state) });
    for (const io of step.signature.trainable) {
      state.set(io.param.input, out[io.param.output!]);
      state.set(io.adamM!.input, out[io.adamM!.output]);
      state.set(io.adamV!.input, out[io.adamV!.output]);
    }
    const acc = out['metrics/accuracy'].data[0] as number;
    assert.ok(Number.isFinite(out.loss.data[0] as number), `loss at step ${t}`);
    if (t === 1) firstAccuracy = acc;
    recent = [...recent.slice(-9), acc];
    steps = t;
    if (recent.length === 10 && Math.min(...recent) >= 0.97) break;
  }
  assert.ok(firstAccuracy < 0.3, `starts near chance (1/${symbols}), got ${firstAccuracy}`);
  const mean = recent.reduce((a, b) => a + b, 0) / recent.length;
  assert.ok(mean >= 0.95, `token accuracy after ${steps} steps: ${mean.toFixed(3)} (last 10 batches)`);
  console.log(`# reversal: ${(firstAccuracy * 100).toFixed(1)}% → ${(mean * 100).toFixed(1)}% token accuracy in ${steps} steps`);
});
