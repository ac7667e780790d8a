import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SafeTensor, TensorMap } from '../../../main/engine/safetensors.ts';
import { loadModel } from '../../../main/models/weights.ts';
import {
  referenceLogits, referenceScores, referenceSequenceLoss, referenceInverseFrequencies, logSumExp,
} from '../../../main/models/reference.ts';
import { cloneWeights, maxRelativeError, randomWeights, tinyConfig } from '../../helpers/model-fixtures.ts';

const f = (shape: number[], values: number[]): SafeTensor => ({ dtype: 'F32', shape, data: Float32Array.from(values) });
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** hidden 2, one head of dim 2, MLP width 1, vocab 2, one layer: small enough to do by hand. */
function handConfig() {
  return tinyConfig('qwen2', {
    vocabSize: 2,
    overrides: { hiddenSize: 2, numHeads: 1, numKvHeads: 1, headDim: 2, intermediateSize: 1, numLayers: 1, rmsNormEps: 1e-12, padTokenId: null },
  });
}

function handWeights(e1: [number, number], down: number): TensorMap {
  const p = 'model.layers.0';
  return new Map([
    ['model.embed_tokens.weight', f([2, 2], [1, -1, ...e1])],
    [`${p}.input_layernorm.weight`, f([2], [1, 1])],
    [`${p}.self_attn.q_proj.weight`, f([2, 2], [1, 0, 0, 1])],
    [`${p}.self_attn.q_proj.bias`, f([2], [0, 0])],
    [`${p}.self_attn.k_proj.weight`, f([2, 2], [1, 0, 0, 1])],
    [`${p}.self_attn.k_proj.bias`, f([2], [0, 0])],
    [`${p}.self_attn.v_proj.weight`, f([2, 2], [1, 0, 0, 1])],
    [`${p}.self_attn.v_proj.bias`, f([2], [0, 0])],
    [`${p}.self_attn.o_proj.weight`, f([2, 2], [1, 0, 0, 1])],
    [`${p}.post_attention_layernorm.weight`, f([2], [2, 1])],
    [`${p}.mlp.gate_proj.weight`, f([1, 2], [1, 0])],
    [`${p}.mlp.up_proj.weight`, f([1, 2], [0, -1])],
    [`${p}.mlp.down_proj.weight`, f([2, 1], [down, 0])],
    ['model.norm.weight', f([2], [1, 1])],
  ]);
}

test('hand-computed: one token through norm, attention, SwiGLU and the tied head', () => {
  const config = handConfig();
  const [[logits]] = referenceLogits(config, handWeights([0, 1], 1), { inputIds: [[0]] });
  // x=[1,-1] → attn=v=[1,-1] → h=[2,-2] → norm·[2,1]=[2,-1] → silu(2)·1 → h=[2+2σ(2), -2]
  const h0 = 2 + 2 * sigmoid(2);
  const r = Math.sqrt((h0 * h0 + 4) / 2);
  assert.ok(Math.abs(logits[0] - (h0 + 2) / r) < 1e-9);
  assert.ok(Math.abs(logits[1] - -2 / r) < 1e-9);
});

test('hand-computed: two tokens, rotary at position 1 and causal softmax', () => {
  const config = handConfig();
  const [[l0, l1]] = referenceLogits(config, handWeights([1, 1], 0), { inputIds: [[0, 1]] });
  // Position 0 attends to itself only: h=[2,-2], final norm → [1,-1], logits [e0·, e1·] = [2, 0].
  assert.ok(Math.abs(l0[0] - 2) < 1e-9 && Math.abs(l0[1]) < 1e-9);
  // Position 1: q = k1 = rot([1,1], 1 rad), k0 = [1,-1]; scores −√2·sin 1 and √2.
  const s0 = -Math.SQRT2 * Math.sin(1);
  const s1 = Math.SQRT2;
  const p0 = Math.exp(s0) / (Math.exp(s0) + Math.exp(s1));
  const p1 = 1 - p0;
  const h = [2, 1 + p1 - p0]; // x1 + p0·v0 + p1·v1 with v0=[1,-1], v1=[1,1]
  const r = Math.sqrt((h[0] ** 2 + h[1] ** 2) / 2);
  assert.ok(Math.abs(l1[0] - (h[0] - h[1]) / r) < 1e-9);
  assert.ok(Math.abs(l1[1] - (h[0] + h[1]) / r) < 1e-9);
});

for (const name of ['qwen2-tied', 'qwen3-untied', 'llama-llama3-rope-biases', 'qwen2-classifier']) {
  test(`matches a float64 PyTorch forward written after transformers (${name})`, () => {
    const dir = join(import.meta.dirname, 'fixtures', 'torch', name);
    const { config, weights } = loadModel(dir);
    const input = JSON.parse(readFileSync(join(dir, 'input.json'), 'utf8'));
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
    const batch = { inputIds: input.input_ids, attentionMask: input.attention_mask };
    if (config.task === 'sequence-classification') {
      const scores = referenceScores(config, weights, batch);
      scores.forEach((s, b) => assert.ok(maxRelativeError(s, expected.scores[b]) < 1e-9, `row ${b}`));
      return;
    }
    const logits = referenceLogits(config, weights, batch);
    let compared = 0;
    logits.forEach((row, b) => row.forEach((l, t) => {
      if (!input.attention_mask[b][t]) return; // padding positions are not defined outputs
      assert.ok(maxRelativeError(l, expected.logits[b][t]) < 1e-9, `row ${b} position ${t}`);
      compared++;
    }));
    assert.equal(compared, 14);
  });
}

for (const family of ['qwen2', 'qwen3', 'llama'] as const) {
  const config = tinyConfig(family);
  const weights = randomWeights(config, 3);

  test(`${family}: causal — logits at t ignore later tokens`, () => {
    const a = referenceLogits(config, weights, { inputIds: [[5, 9, 12, 3, 30]] })[0];
    const b = referenceLogits(config, weights, { inputIds: [[5, 9, 12, 17, 8]] })[0];
    for (let t = 0; t < 3; t++) assert.ok(maxRelativeError(a[t], b[t]) < 1e-12, `position ${t}`);
    assert.ok(maxRelativeError(a[3], b[3]) > 1e-3, 'a later token does change later logits');
  });

  test(`${family}: left and right padding give the unpadded logits`, () => {
    const ids = [5, 9, 12, 3];
    const [plain] = referenceLogits(config, weights, { inputIds: [ids] });
    const [left, right] = referenceLogits(config, weights, {
      inputIds: [[0, 0, ...ids], [...ids, 0, 0]],
      attentionMask: [[0, 0, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]],
    });
    for (let t = 0; t < ids.length; t++) {
      assert.ok(maxRelativeError(left[t + 2], plain[t]) < 1e-12, `left ${t}`);
      assert.ok(maxRelativeError(right[t], plain[t]) < 1e-12, `right ${t}`);
    }
    // Without the mask the pads are attended to and the logits change: the mask is doing the work.
    const [unmasked] = referenceLogits(config, weights, { inputIds: [[0, 0, ...ids]] });
    assert.ok(maxRelativeError(unmasked[5], plain[3]) > 1e-3);
  });

  test(`${family}: rotary attention depends on relative positions only`, () => {
    const ids = [[4, 8, 15, 16]];
    const [base] = referenceLogits(config, weights, { inputIds: ids });
    const [shifted] = referenceLogits(config, weights, { inputIds: ids, positionIds: [[7, 8, 9, 10]] });
    const [spread] = referenceLogits(config, weights, { inputIds: ids, positionIds: [[0, 2, 4, 6]] });
    for (let t = 0; t < 4; t++) assert.ok(maxRelativeError(shifted[t], base[t]) < 1e-9, `shift ${t}`);
    assert.ok(maxRelativeError(spread[3], base[3]) > 1e-4, 'changing relative distances changes logits');
  });
}

test('GQA: 2 query heads sharing 1 kv head equal 2 heads with duplicated k/v projections', () => {
  const gqa = tinyConfig('llama');
  assert.equal(gqa.numKvHeads, 1);
  const weights = randomWeights(gqa, 11);
  const mha = { ...gqa, numKvHeads: 2 };
  const dup = cloneWeights(weights);
  for (let l = 0; l < gqa.numLayers; l++) {
    for (const proj of ['k_proj', 'v_proj']) {
      const name = `model.layers.${l}.self_attn.${proj}.weight`;
      const w = weights.get(name)!;
      const data = new Float32Array(w.data.length * 2);
      data.set(w.data as Float32Array, 0);
      data.set(w.data as Float32Array, w.data.length);
      dup.set(name, { dtype: 'F32', shape: [w.shape[0] * 2, w.shape[1]], data });
    }
  }
  const ids = { inputIds: [[3, 1, 4, 1, 5]] };
  const a = referenceLogits(gqa, weights, ids)[0];
  const b = referenceLogits(mha, dup, ids)[0];
  a.forEach((l, t) => assert.ok(maxRelativeError(l, b[t]) < 1e-12));
});

test('tied head equals an untied lm_head holding a copy of the embeddings', () => {
  const tied = tinyConfig('qwen2');
  const weights = randomWeights(tied, 5);
  const untiedWeights = cloneWeights(weights);
  untiedWeights.set('lm_head.weight', { ...weights.get('model.embed_tokens.weight')! });
  const a = referenceLogits(tied, weights, { inputIds: [[1, 2, 3]] })[0];
  const b = referenceLogits({ ...tied, tieWordEmbeddings: false }, untiedWeights, { inputIds: [[1, 2, 3]] })[0];
  a.forEach((l, t) => assert.ok(maxRelativeError(l, b[t]) < 1e-15));
});

test('classifier scores come from the last real token, whatever the padding side', () => {
  const config = tinyConfig('qwen3', { task: 'sequence-classification', numLabels: 3 });
  const weights = randomWeights(config, 9);
  const ids = [6, 2, 33, 14];
  const [plain] = referenceScores(config, weights, { inputIds: [ids] });
  assert.equal(plain.length, 3);
  const [left, right] = referenceScores(config, weights, {
    inputIds: [[0, ...ids], [...ids, 0]],
    attentionMask: [[0, 1, 1, 1, 1], [1, 1, 1, 1, 0]],
  });
  assert.ok(maxRelativeError(left, plain) < 1e-12);
  assert.ok(maxRelativeError(right, plain) < 1e-12);
  const [shorter] = referenceScores(config, weights, { inputIds: [ids.slice(0, 3)] });
  assert.ok(maxRelativeError(shorter, plain) > 1e-4);
});

test('sequence loss is the mean of −log softmax(next token)', () => {
  const config = tinyConfig('qwen2');
  const weights = randomWeights(config, 2);
  const ids = [3, 9, 27, 1];
  const [logits] = referenceLogits(config, weights, { inputIds: [ids] });
  let expected = 0;
  for (let t = 0; t < 3; t++) {
    const row = logits[t];
    const sumExp = Array.from(row).reduce((s, x) => s + Math.exp(x), 0);
    expected += -Math.log(Math.exp(row[ids[t + 1]]) / sumExp);
  }
  const { meanLoss, lastLogits, tokens } = referenceSequenceLoss(config, weights, ids);
  assert.equal(tokens, 3);
  assert.ok(Math.abs(meanLoss! - expected / 3) < 1e-12);
  assert.ok(maxRelativeError(lastLogits, logits[3]) < 1e-15);
  assert.ok(Math.abs(logSumExp([1000, 1000]) - (1000 + Math.log(2))) < 1e-9);
});

test('llama3 rope scaling keeps high frequencies, divides low ones, blends the middle', () => {
  const base = tinyConfig('llama', { overrides: { headDim: 8, ropeTheta: 10000 } });
  const plain = referenceInverseFrequencies(base);
  assert.deepEqual(Array.from(plain), [1, 0.1, 0.01, 0.001].map((x, i) => 1 / 10000 ** ((2 * i) / 8)));
  const scaled = referenceInverseFrequencies({
    ...base,
    ropeScaling: { ropeType: 'llama3', factor: 8, raw: { factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 1024 } },
  });
  // Wavelengths 2π/f = 6.28, 62.8, 628, 6283 against the band [1024/4, 1024/1] = [256, 1024]:
  assert.equal(scaled[0], plain[0]); // short wavelengths kept
  assert.equal(scaled[1], plain[1]);
  assert.ok(Math.abs(scaled[3] - plain[3] / 8) < 1e-18); // long ones divided by the factor
  const smooth = (1024 / ((2 * Math.PI) / plain[2]) - 1) / (4 - 1); // 628 is inside the band: blended
  assert.ok(smooth > 0 && smooth < 1);
  assert.ok(Math.abs(scaled[2] - ((1 - smooth) * (plain[2] / 8) + smooth * plain[2])) < 1e-15);
  assert.throws(() => referenceInverseFrequencies({ ...base, ropeScaling: { ropeType: 'yarn', factor: 4, raw: {} } }), /yarn.*not supported/);
});
