// Attention in head chunks under activation checkpointing (#19: attention must not hold every head's
// [B, H, S, S] probabilities at once when a checkpointed layer is rebuilt): DecoderGraphOptions.
// attentionHeadChunks makes each group of query heads an inner recompute segment (engine/nn/attention.ts,
// engine/recompute.ts). Checked in float64 against the plain attention's backward (no checkpointing at
// all) and against central finite differences of the loss; structurally, every softmax the backward
// rebuilds covers one chunk's heads only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { checkpointedGradients, encodeModel, gradients, lower, type Tensor } from '../../../main/engine/index.ts';
import type { ModelConfig } from '../../../main/models/config.ts';
import { buildDecoderGraph } from '../../../main/models/decoder.ts';
import { lmBatch } from '../../../main/models/fine-tune.ts';
import { randomWeights, tinyConfig } from '../../helpers/model-fixtures.ts';

const batch = lmBatch([{ ids: [1, 5, 7, 9, 11, 13, 17] }, { ids: [1, 4, 8, 15, 16] }]);

function build(config: ModelConfig, checkpointing: boolean, headChunks?: number) {
  const decoder = buildDecoderGraph(config, { dtype: 'float64', labels: true, gradientCheckpointing: checkpointing, attentionHeadChunks: headChunks });
  const params = decoder.graph.params;
  const grads = decoder.checkpoints ? checkpointedGradients(decoder.loss!, params, decoder.checkpoints) : gradients(decoder.loss!, params);
  const outputs: Record<string, Tensor> = { loss: decoder.loss! };
  grads.forEach((g, i) => g && (outputs[`grad/${params[i].name}`] = g));
  const softmaxes = decoder.graph.nodes.filter((n) => n.op === 'Softmax').map((n) => ({ name: n.name, shape: n.outputs[0].shape }));
  return { model: encodeModel(lower(decoder.graph, { outputs, name: 'chunks' })), params: params.map((p) => ({ name: p.name, shape: p.shape as number[] })), softmaxes };
}

function feeds(config: ModelConfig, params: { name: string; shape: number[] }[], override?: { name: string; index: number; delta: number }): Record<string, ort.Tensor> {
  const weights = randomWeights(config, 4);
  const out: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(batch.feed)) out[k] = new ort.Tensor('int64', v.data as BigInt64Array, v.dims);
  for (const p of params) {
    const data = Float64Array.from(weights.get(p.name)!.data as Float32Array);
    if (override?.name === p.name) data[override.index] += override.delta;
    out[p.name] = new ort.Tensor('float64', data, p.shape);
  }
  return out;
}

async function run(model: Uint8Array, feed: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'basic', executionProviders: ['cpu'] });
  try {
    return await session.run(feed);
  } finally {
    await session.release();
  }
}

// 4 query heads over 2 key/value heads (groups of 2). 4 chunks: a chunk is half a group; 2 chunks: one group each.
for (const [label, config, chunks] of [
  ['qwen2, 4 chunks (one query head each, half a key/value group)', tinyConfig('qwen2', { tie: true, overrides: { hiddenSize: 16, numHeads: 4, numKvHeads: 2, headDim: 4 } }), 4],
  ['qwen3 q/k norms, 2 chunks (one key/value group each)', tinyConfig('qwen3', { tie: false, overrides: { numHeads: 4, numKvHeads: 2 } }), 2],
] as const) {
  test(`attention head chunks (${label}): plain-attention loss and gradients in float64, finite differences agree`, async () => {
    assert.equal(config.numHeads % chunks, 0);
    const plain = build(config, false);
    const chunked = build(config, true, chunks);
    const a = await run(plain.model, feeds(config, plain.params));
    const b = await run(chunked.model, feeds(config, chunked.params));
    assert.ok(Math.abs((a.loss.data as Float64Array)[0] - (b.loss.data as Float64Array)[0]) < 1e-12, 'same loss');
    let compared = 0;
    for (const p of plain.params) {
      const ga = a[`grad/${p.name}`]?.data as Float64Array | undefined;
      const gb = b[`grad/${p.name}`]?.data as Float64Array | undefined;
      assert.equal(!!ga, !!gb, `${p.name}: gradient on one side only`);
      if (!ga || !gb) continue;
      for (let i = 0; i < ga.length; i++) assert.ok(Math.abs(ga[i] - gb[i]) <= 1e-9 * (1 + Math.abs(ga[i])), `${p.name}[${i}]: ${ga[i]} vs ${gb[i]}`);
      compared++;
    }
    assert.ok(compared >= plain.params.length - 1, `compared ${compared} of ${plain.params.length} gradients`);

    // Central finite differences of the chunked graph's own loss on q, k and v projection entries of each layer.
    const h = 1e-5;
    for (const name of ['model.layers.0.self_attn.q_proj.weight', 'model.layers.1.self_attn.k_proj.weight', 'model.layers.0.self_attn.v_proj.weight']) {
      const grad = b[`grad/${name}`].data as Float64Array;
      for (const index of [0, 7, 29]) {
        const up = await run(chunked.model, feeds(config, chunked.params, { name, index, delta: h }));
        const down = await run(chunked.model, feeds(config, chunked.params, { name, index, delta: -h }));
        const fd = ((up.loss.data as Float64Array)[0] - (down.loss.data as Float64Array)[0]) / (2 * h);
        assert.ok(Math.abs(fd - grad[index]) < 1e-6 * (1 + Math.abs(fd)), `${name}[${index}]: finite difference ${fd} vs ${grad[index]}`);
      }
    }

    // Every softmax the backward rebuilds is one chunk's heads: [B, Hkv', G', S, S] with Hkv'·G' = heads / chunks.
    const rebuilt = chunked.softmaxes.filter((s) => s.name.includes('recompute'));
    assert.ok(rebuilt.length >= chunks * config.numLayers, `${rebuilt.length} rebuilt softmaxes`);
    for (const s of rebuilt) {
      const heads = s.shape.length === 5 ? (s.shape[1] as number) * (s.shape[2] as number) : (s.shape[1] as number);
      assert.equal(heads, config.numHeads / chunks, `${s.name}: ${heads} heads in one softmax`);
    }
    // Without chunks the rebuilt layer's softmax covers all heads (what the chunks remove).
    const whole = build(config, true).softmaxes.filter((s) => s.name.includes('recompute'));
    assert.ok(whole.every((s) => (s.shape.length === 5 ? (s.shape[1] as number) * (s.shape[2] as number) : (s.shape[1] as number)) === config.numHeads));
  });
}
