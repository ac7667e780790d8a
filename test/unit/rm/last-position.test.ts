// The reward model's train graph scores only each row's last real token (decoder option
// lastPositionScores: the last layer runs its queries, attention output and MLP at that position alone).
// Checked in float64 against the plain reference forward (models/reference.ts) for right- and
// left-padded rows, and its gradients against central finite differences and against the full graph
// (every position scored, then the last one picked).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { gradients, lower, encodeModel, op, type Tensor } from '../../../main/engine/index.ts';
import type { ModelFamily } from '../../../main/models/config.ts';
import { buildDecoderGraph } from '../../../main/models/decoder.ts';
import { referenceScores } from '../../../main/models/reference.ts';
import { randomWeights, tinyConfig } from '../../helpers/model-fixtures.ts';

// Row 0 right-padded, row 1 left-padded, row 2 full.
const ids = [[5, 9, 3, 7, 0, 0], [0, 11, 4, 4, 8, 6], [12, 13, 14, 15, 16, 17]];
const mask = [[1, 1, 1, 1, 0, 0], [0, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]];
const positions = mask.map((row) => { let p = -1; return row.map((m) => (m ? ++p : 0)); });
const last = mask.map((row) => row.lastIndexOf(1));
const coefficients = [0.7, -1.3, 0.4];
const B = ids.length, S = ids[0].length;

async function scoresAndGrads(family: ModelFamily, lastPositionScores: boolean, overrides: Record<string, Float64Array> = {}) {
  const config = tinyConfig(family, { task: 'sequence-classification', numLabels: 1 });
  const d = buildDecoderGraph(config, { dtype: 'float64', lastPositionScores, batchSize: B });
  const g = d.graph;
  let scores: Tensor; // [B]
  if (lastPositionScores) scores = op.reshape(d.logits, [B]);
  else scores = op.reshape(op.gatherElements(d.logits, g.constant(BigInt64Array.from(last.map(BigInt)), 'int64', [B, 1, 1]), 1), [B]);
  const loss = op.reduceSum(op.mul(scores, g.constant(Float64Array.from(coefficients), 'float64', [B])), [0], false);
  const params = [...d.weights.values()];
  const grads = gradients(loss, params);
  const outputs: Record<string, Tensor> = { scores, loss };
  params.forEach((p, i) => { if (grads[i]) outputs[`grad:${p.name}`] = grads[i]!; });
  const session = await ort.InferenceSession.create(encodeModel(lower(g, { outputs })));
  const weights = randomWeights(config, 4);
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.flat().map(BigInt)), [B, S]),
    attention_mask: new ort.Tensor('int64', BigInt64Array.from(mask.flat().map(BigInt)), [B, S]),
    position_ids: new ort.Tensor('int64', BigInt64Array.from(positions.flat().map(BigInt)), [B, S]),
  };
  const values = new Map<string, Float64Array>();
  for (const p of params) {
    const v = overrides[p.name] ?? Float64Array.from(weights.get(p.name)!.data as Float32Array);
    values.set(p.name, v);
    feeds[p.name] = new ort.Tensor('float64', v, p.shape as number[]);
  }
  const out = await session.run(feeds);
  const run = async (name: string, data: Float64Array) => (await session.run({ ...feeds, [name]: new ort.Tensor('float64', data, feeds[name].dims) })).loss.data[0] as number;
  return { config, weights, values, out, run, session };
}

for (const family of ['qwen2', 'qwen3'] as const) {
  test(`${family}: last-position scores equal the reference forward (right and left padding)`, async () => {
    const { config, weights, out, session } = await scoresAndGrads(family, true);
    const w64 = new Map([...weights].map(([k, t]) => [k, { ...t, data: Float64Array.from(t.data as Float32Array) }]));
    const reference = referenceScores(config, w64, { inputIds: ids, attentionMask: mask, positionIds: positions }).map((s) => s[0]);
    const got = Array.from(out.scores.data as Float64Array);
    for (let b = 0; b < B; b++) assert.ok(Math.abs(got[b] - reference[b]) < 1e-10 * Math.max(1, Math.abs(reference[b])), `row ${b}: ${got[b]} vs ${reference[b]}`);
    await session.release();
  });
}

test('last-position gradients: central finite differences, and the full graph picked at the last token', async () => {
  const pruned = await scoresAndGrads('qwen2', true);
  const full = await scoresAndGrads('qwen2', false);
  // Every weight's gradient equals the full graph's (which scores all positions, then picks).
  for (const name of pruned.values.keys()) {
    const a = pruned.out[`grad:${name}`].data as Float64Array;
    const b = full.out[`grad:${name}`].data as Float64Array;
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-10 * Math.max(1, Math.abs(b[i])), `${name}[${i}]: ${a[i]} vs ${b[i]}`);
  }
  // Finite differences on the last layer's pruned paths and on the keys/values it still reads everywhere.
  const lastLayer = pruned.config.numLayers - 1;
  const probes = [`model.layers.${lastLayer}.self_attn.q_proj.weight`, `model.layers.${lastLayer}.self_attn.k_proj.weight`, `model.layers.${lastLayer}.self_attn.v_proj.weight`,
    `model.layers.${lastLayer}.self_attn.o_proj.weight`, `model.layers.${lastLayer}.mlp.down_proj.weight`, `model.layers.${lastLayer}.input_layernorm.weight`, 'model.layers.0.mlp.up_proj.weight', 'model.embed_tokens.weight'];
  const eps = 1e-6;
  for (const name of probes) {
    const base = pruned.values.get(name)!;
    const analytic = pruned.out[`grad:${name}`].data as Float64Array;
    for (const i of [0, Math.floor(base.length / 3), base.length - 1]) {
      const plus = Float64Array.from(base); plus[i] += eps;
      const minus = Float64Array.from(base); minus[i] -= eps;
      const numeric = (await pruned.run(name, plus) - await pruned.run(name, minus)) / (2 * eps);
      assert.ok(Math.abs(analytic[i] - numeric) <= 1e-6 * Math.max(1, Math.abs(numeric)), `d loss / d ${name}[${i}]: ${analytic[i]} vs ${numeric}`);
    }
  }
  await pruned.session.release();
  await full.session.release();
});

test('lastPositionScores is for sequence classifiers without a KV cache', () => {
  assert.throws(() => buildDecoderGraph(tinyConfig('qwen2'), { lastPositionScores: true }), /needs a sequence classifier/);
  assert.throws(() => buildDecoderGraph(tinyConfig('qwen2', { task: 'sequence-classification', numLabels: 1 }), { lastPositionScores: true, kvCache: true }), /full-sequence graphs/);
});
