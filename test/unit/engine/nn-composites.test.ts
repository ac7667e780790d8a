// Composites: gradients vs finite differences (float64), and forward values vs plain loops where the
// semantics (masking, rotation layout) matter more than the calculus.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { encodeModel } from '../../../main/engine/onnx/emit.ts';
import { Graph } from '../../../main/engine/ir/graph.ts';
import * as op from '../../../main/engine/ops/api.ts';
import { lower } from '../../../main/engine/lower.ts';
import { applyRotary, attention, causalAttentionBias, crossEntropy, linear, rmsNorm, rotaryTables, silu, swiglu, tokenLogProbs } from '../../../main/engine/nn/index.ts';
import { checkGradients, seededRandom } from './grad-harness.ts';

const i64 = (...v: number[]) => BigInt64Array.from(v.map(BigInt));

test('linear (flattened Gemm with [out, in] weights), RMSNorm, SiLU, SwiGLU', async () => {
  await checkGradients({ inputs: { x: { shape: [2, 3, 4] }, w: { shape: [5, 4] }, b: { shape: [5] } }, build: ({ x, w, b }) => linear(x, w, b) });
  await checkGradients({ inputs: { x: { shape: [2, 1, 6] }, w: { shape: [6] } }, build: ({ x, w }) => rmsNorm(x, w, 1e-5) });
  await checkGradients({ inputs: { x: { shape: [3, 4] } }, build: ({ x }) => silu(x) });
  await checkGradients({ inputs: { a: { shape: [3, 4] }, b: { shape: [3, 4] } }, build: ({ a, b }) => swiglu(a, b) });
});

test('rotary embedding: gradient, and values match the rotate-half formula', async () => {
  await checkGradients({
    inputs: { x: { shape: [1, 2, 3, 4] }, pos: { shape: [1, 3], dtype: 'int64', data: i64(0, 1, 5) } },
    build: ({ x, pos }) => applyRotary(x, rotaryTables(pos, 4, 100, 'float64')),
  });
  const g = new Graph();
  const x = g.input('x', 'float64', [1, 1, 2, 4]);
  const y = applyRotary(x, rotaryTables(op.arange(g, 2), 4, 100, 'float64'));
  const s = await ort.InferenceSession.create(encodeModel(lower(g, { outputs: { y } })));
  const xs = [1, 2, 3, 4, 5, 6, 7, 8];
  const out = (await s.run({ x: new ort.Tensor('float64', Float64Array.from(xs), [1, 1, 2, 4]) })).y.data as Float64Array;
  for (let p = 0; p < 2; p++) {
    const v = xs.slice(p * 4, p * 4 + 4);
    const f = [1, 1 / 10]; // theta^(-2i/d) for d = 4, theta = 100
    for (let i = 0; i < 4; i++) {
      const a = p * f[i % 2];
      const rot = i < 2 ? -v[i + 2] : v[i - 2];
      assert.ok(Math.abs(out[p * 4 + i] - (v[i] * Math.cos(a) + rot * Math.sin(a))) < 1e-12);
    }
  }
});

test('causal GQA attention with padding: gradient wrt q, k, v', async () => {
  const B = 2, S = 3, D = 2;
  await checkGradients({
    inputs: {
      q: { shape: [B, 4, S, D] },
      k: { shape: [B, 2, S, D] },
      v: { shape: [B, 2, S, D] },
      mask: { shape: [B, S], dtype: 'int64', data: i64(1, 1, 1, 1, 1, 0) },
    },
    build: ({ q, k, v, mask }, g) => attention(q, k, v, causalAttentionBias(g, S, 'float64', mask)),
  });
  await checkGradients({
    inputs: { q: { shape: [1, 2, 4, 3] }, k: { shape: [1, 2, 4, 3] }, v: { shape: [1, 2, 4, 3] } },
    build: ({ q, k, v }, g) => attention(q, k, v, causalAttentionBias(g, 4, 'float64')),
  });
});

test('attention forward equals a plain causal, padded, grouped-query loop', async () => {
  const B = 2, Hq = 4, Hkv = 2, S = 4, D = 3;
  const rand = seededRandom(3);
  const mk = (n: number) => Float64Array.from({ length: n }, () => rand() * 2 - 1);
  const qd = mk(B * Hq * S * D), kd = mk(B * Hkv * S * D), vd = mk(B * Hkv * S * D);
  const maskData = [1, 1, 1, 1, 1, 1, 0, 0];
  const g = new Graph();
  const q = g.input('q', 'float64', ['batch', Hq, 'seq', D]);
  const k = g.input('k', 'float64', ['batch', Hkv, 'seq', D]);
  const v = g.input('v', 'float64', ['batch', Hkv, 'seq', D]);
  const mask = g.input('mask', 'int64', ['batch', 'seq']);
  const y = attention(q, k, v, causalAttentionBias(g, 'seq', 'float64', mask));
  assert.deepEqual(y.shape, ['batch', Hq, 'seq', D]);
  const s = await ort.InferenceSession.create(encodeModel(lower(g, { outputs: { y } })));
  const out = (await s.run({
    q: new ort.Tensor('float64', qd, [B, Hq, S, D]),
    k: new ort.Tensor('float64', kd, [B, Hkv, S, D]),
    v: new ort.Tensor('float64', vd, [B, Hkv, S, D]),
    mask: new ort.Tensor('int64', i64(...maskData), [B, S]),
  })).y.data as Float64Array;
  for (let b = 0; b < B; b++) for (let h = 0; h < Hq; h++) for (let i = 0; i < S; i++) {
    const kh = Math.floor(h / (Hq / Hkv));
    const scores: number[] = [];
    const keys: number[] = [];
    for (let j = 0; j <= i; j++) {
      if (!maskData[b * S + j]) continue;
      let dot = 0;
      for (let d = 0; d < D; d++) dot += qd[((b * Hq + h) * S + i) * D + d] * kd[((b * Hkv + kh) * S + j) * D + d];
      scores.push(dot / Math.sqrt(D));
      keys.push(j);
    }
    const mx = Math.max(...scores);
    const e = scores.map((x) => Math.exp(x - mx));
    const z = e.reduce((a, c) => a + c, 0);
    for (let d = 0; d < D; d++) {
      const want = keys.reduce((acc, j, n) => acc + (e[n] / z) * vd[((b * Hkv + kh) * S + j) * D + d], 0);
      const got = out[((b * Hq + h) * S + i) * D + d];
      assert.ok(Math.abs(got - want) < 1e-12, `b${b} h${h} i${i} d${d}: ${got} vs ${want}`);
    }
  }
});

test('cross-entropy with ignore-index: value and gradient; token log-probs gradient', async () => {
  const labels = { shape: [2, 3], dtype: 'int64' as const, data: i64(4, -100, 0, 1, 1, -100) };
  await checkGradients({ inputs: { z: { shape: [2, 3, 5] }, labels }, build: ({ z, labels }) => crossEntropy(z, labels) });
  await checkGradients({
    inputs: { z: { shape: [2, 3, 5] }, t: { shape: [2, 3], dtype: 'int64', data: i64(4, 2, 0, 1, 1, 3) } },
    build: ({ z, t }) => tokenLogProbs(z, t),
  });
  // Value: mean over the 4 kept positions of −log softmax(z)[label], by hand.
  const g = new Graph();
  const z = g.input('z', 'float64', [2, 3, 5]);
  const l = g.input('labels', 'int64', [2, 3]);
  const loss = crossEntropy(z, l);
  const s = await ort.InferenceSession.create(encodeModel(lower(g, { outputs: { loss } })));
  const rand = seededRandom(11);
  const zd = Float64Array.from({ length: 30 }, () => rand() * 4 - 2);
  const got = (await s.run({ z: new ort.Tensor('float64', zd, [2, 3, 5]), labels: new ort.Tensor('int64', labels.data, [2, 3]) })).loss.data[0] as number;
  let sum = 0, count = 0;
  for (let r = 0; r < 6; r++) {
    const lab = Number(labels.data[r]);
    if (lab === -100) continue;
    const row = Array.from(zd.slice(r * 5, r * 5 + 5));
    const lse = Math.log(row.reduce((a, x) => a + Math.exp(x), 0));
    sum += lse - row[lab];
    count++;
  }
  assert.ok(Math.abs(got - sum / count) < 1e-12, `${got} vs ${sum / count}`);
});
