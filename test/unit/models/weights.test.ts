import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensorsHeader, writeSafetensors, float32ToBfloat16Bits, bfloat16BitsToFloat32 } from '../../../main/engine/safetensors.ts';
import { expectedWeightShapes, loadModel, saveModel } from '../../../main/models/weights.ts';
import { createModelFolder, initWeights, SeededRandom } from '../../../main/models/init.ts';
import { presetConfig } from '../../../main/models/presets.ts';
import { parameterCounts, estimateTrainingMemory, loraParameterCount } from '../../../main/models/memory.ts';
import { Tokenizer } from '../../../main/models/tokenizer.ts';
import { randomWeights, tempDir, tinyConfig } from '../../helpers/model-fixtures.ts';

test('weight names follow transformers for each family', () => {
  const qwen2 = [...expectedWeightShapes(tinyConfig('qwen2')).keys()];
  assert.equal(qwen2[0], 'model.embed_tokens.weight');
  assert.ok(qwen2.includes('model.layers.1.self_attn.q_proj.bias'));
  assert.ok(!qwen2.includes('model.layers.0.self_attn.o_proj.bias'));
  assert.ok(!qwen2.includes('lm_head.weight'), 'tied');
  assert.equal(qwen2.at(-1), 'model.norm.weight');
  const qwen3 = expectedWeightShapes(tinyConfig('qwen3', { tie: false }));
  assert.deepEqual(qwen3.get('model.layers.0.self_attn.q_norm.weight'), [8]);
  assert.deepEqual(qwen3.get('model.layers.0.self_attn.q_proj.weight'), [16, 8]); // 2 heads × head_dim 8 from hidden 8
  assert.deepEqual(qwen3.get('model.layers.0.self_attn.o_proj.weight'), [8, 16]);
  assert.deepEqual(qwen3.get('lm_head.weight'), [40, 8]);
  assert.ok(!qwen3.has('model.layers.0.self_attn.q_proj.bias'));
  const llama = expectedWeightShapes(tinyConfig('llama'));
  assert.deepEqual(llama.get('model.layers.0.self_attn.k_proj.weight'), [4, 8]); // 1 kv head × 4
  assert.deepEqual(llama.get('model.layers.0.mlp.down_proj.weight'), [8, 24]);
  const cls = expectedWeightShapes(tinyConfig('qwen2', { task: 'sequence-classification', numLabels: 1 }));
  assert.deepEqual(cls.get('score.weight'), [1, 8]);
  assert.ok(!cls.has('lm_head.weight'));
});

test('save → load round trip, float32 exact and sharded with an index', () => {
  const config = tinyConfig('qwen3', { tie: false });
  const weights = randomWeights(config, 4);
  const dir = tempDir();
  const files = saveModel(dir, { config, weights, generationConfig: { eos_token_id: [2, 0], temperature: 0.6 } }, { maxShardSize: 2000 });
  assert.ok(files.includes('model.safetensors.index.json'));
  assert.ok(files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f)).length > 2);
  const header = readSafetensorsHeader(join(dir, files.find((f) => f.startsWith('model-00001'))!));
  assert.equal(header.metadata.format, 'pt');
  const loaded = loadModel(dir);
  assert.deepEqual([...loaded.weights.keys()], [...weights.keys()]);
  for (const [name, t] of weights) assert.deepEqual(loaded.weights.get(name)!.data, t.data, name);
  assert.deepEqual(loaded.generationConfig, { eos_token_id: [2, 0], temperature: 0.6 });
  const json = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.equal(json.architectures[0], 'Qwen3ForCausalLM');
  assert.equal(json.head_dim, 8);
  assert.equal(json.torch_dtype, 'float32');
});

test('saving as bf16 stores rounded values and marks torch_dtype', () => {
  const config = tinyConfig('llama');
  const weights = randomWeights(config, 8);
  const dir = tempDir();
  saveModel(dir, { config, weights, generationConfig: null }, { dtype: 'BF16' });
  assert.equal(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).torch_dtype, 'bfloat16');
  const loaded = loadModel(dir);
  const original = weights.get('model.layers.1.mlp.up_proj.weight')!.data as Float32Array;
  const back = loaded.weights.get('model.layers.1.mlp.up_proj.weight')!;
  assert.equal(back.dtype, 'BF16');
  for (let i = 0; i < original.length; i++) assert.equal((back.data as Float32Array)[i], bfloat16BitsToFloat32(float32ToBfloat16Bits(original[i])));
});

test('loading checks names and shapes against config.json', () => {
  const config = tinyConfig('qwen2');
  const dir = tempDir();
  saveModel(dir, { config, weights: randomWeights(config), generationConfig: null });
  const { tensors } = { tensors: loadModel(dir).weights };
  // A tied model with a stray lm_head and an old rotary buffer still loads (transformers ignores both).
  const extra = new Map(tensors);
  extra.set('lm_head.weight', tensors.get('model.embed_tokens.weight')!);
  extra.set('model.layers.0.self_attn.rotary_emb.inv_freq', { dtype: 'F32', shape: [2], data: new Float32Array(2) });
  writeSafetensors(join(dir, 'model.safetensors'), extra);
  assert.ok(!loadModel(dir).weights.has('lm_head.weight'));
  // Missing, misshapen and unknown weights are one error listing each.
  const broken = new Map(tensors);
  broken.delete('model.layers.1.mlp.gate_proj.weight');
  broken.set('model.norm.weight', { dtype: 'F32', shape: [7], data: new Float32Array(7) });
  broken.set('model.layers.0.self_attn.q_proj.lora_A.weight', { dtype: 'F32', shape: [1], data: new Float32Array(1) });
  writeSafetensors(join(dir, 'model.safetensors'), broken);
  assert.throws(() => loadModel(dir), (err: Error) =>
    /missing 1 weight\(s\): model\.layers\.1\.mlp\.gate_proj\.weight/.test(err.message)
    && /model\.norm\.weight has shape \[7\] but config\.json implies \[8\]/.test(err.message)
    && /unexpected weight\(s\) for Qwen2ForCausalLM: model\.layers\.0\.self_attn\.q_proj\.lora_A\.weight/.test(err.message));
  writeSafetensors(join(dir, 'model.safetensors'), { 'model.embed_tokens.weight': { dtype: 'I32', shape: [1], data: new Int32Array(1) } });
  assert.throws(() => loadModel(dir), /must be floating point/);
});

test('seeded init: deterministic, N(0, 0.02), ones for norms, zero biases and pad row', () => {
  const config = presetConfig('qwen2', 'tiny', { vocabSize: 500, bosTokenId: null, eosTokenIds: [3], padTokenId: 4 });
  const a = initWeights(config, { seed: 42 });
  const b = initWeights(config, { seed: 42 });
  const c = initWeights(config, { seed: 43 });
  for (const [name, t] of a) assert.deepEqual(t.data, b.get(name)!.data);
  assert.notDeepEqual(a.get('model.embed_tokens.weight')!.data, c.get('model.embed_tokens.weight')!.data);
  const e = a.get('model.embed_tokens.weight')!.data as Float32Array;
  let sum = 0;
  let sq = 0;
  for (const x of e) { sum += x; sq += x * x; }
  const mean = sum / e.length;
  const std = Math.sqrt(sq / e.length - mean * mean);
  assert.ok(Math.abs(mean) < 0.002 && Math.abs(std - 0.02) < 0.001, `mean ${mean} std ${std}`);
  assert.ok(e.subarray(4 * 8, 5 * 8).every((x) => x === 0), 'pad row zero');
  assert.ok((a.get('model.layers.0.input_layernorm.weight')!.data as Float32Array).every((x) => x === 1));
  assert.ok((a.get('model.layers.0.self_attn.k_proj.bias')!.data as Float32Array).every((x) => x === 0));
  // The generator's normals have the right moments (checked independently of init).
  const rng = new SeededRandom(1);
  let m2 = 0;
  let m4 = 0;
  for (let i = 0; i < 40000; i++) { const z = rng.normal(); m2 += z * z; m4 += z ** 4; }
  assert.ok(Math.abs(m2 / 40000 - 1) < 0.03 && Math.abs(m4 / 40000 - 3) < 0.2);
});

test('presets: tiny ≈ 1M and small within 20–50M parameters with the Qwen vocabulary', () => {
  for (const family of ['qwen2', 'qwen3', 'llama'] as const) {
    const opts = { vocabSize: 151669, bosTokenId: null, eosTokenIds: [151645], padTokenId: 151643 };
    const tiny = parameterCounts(presetConfig(family, 'tiny', opts)).total;
    const small = parameterCounts(presetConfig(family, 'small', opts)).total;
    assert.ok(tiny > 1.1e6 && tiny < 1.4e6, `${family} tiny ${tiny}`);
    assert.ok(small > 20e6 && small < 50e6, `${family} small ${small}`);
  }
});

test('memory estimate: parameter arithmetic and LoRA savings', () => {
  const config = presetConfig('qwen2', 'small', { vocabSize: 151669, bosTokenId: null, eosTokenIds: [1], padTokenId: 0 });
  const counts = parameterCounts(config);
  // Hand count: embeddings V·h, per layer q/k/v/o + biases, MLP 3·h·m, two norms; final norm h.
  const h = 256, m = 768, kv = 128;
  const perLayer = h * h + h + 2 * (h * kv + kv) + h * h + 3 * h * m + 2 * h;
  assert.equal(counts.perLayer, perLayer);
  assert.equal(counts.total, 151669 * h + 8 * perLayer + h);
  const est = estimateTrainingMemory(config, { batchSize: 2, seqLength: 128, loraRank: 8 });
  assert.equal(est.full.weights, counts.total * 4);
  assert.equal(est.full.optimizer, counts.total * 8);
  assert.equal(loraParameterCount(config, 8), 8 * 8 * ((h + h) + 2 * (h + kv) + (h + h) + 2 * (h + m) + (m + h)));
  assert.equal(est.lora.gradients, est.lora.trainableParameters * 4);
  assert.ok(est.lora.total < est.full.total);
  // Logits (2 × vocab floats per token) dominate activations here.
  assert.ok(est.full.activations > 2 * 128 * 2 * 151669 * 4);
  const longer = estimateTrainingMemory(config, { batchSize: 2, seqLength: 256 });
  assert.ok(longer.full.activations > 2 * est.full.activations, 'attention probabilities grow quadratically');
  assert.throws(() => estimateTrainingMemory(config, { batchSize: 0, seqLength: 1 }), /batch size/);
});

test('init → folder → load gives the same tensors, with the bundled Qwen tokenizer', () => {
  const dir = tempDir();
  const { config, files } = createModelFolder({ family: 'qwen2', preset: 'tiny', outDir: dir, seed: 5 });
  assert.deepEqual(files.slice(0, 3), ['config.json', 'generation_config.json', 'model.safetensors']);
  assert.ok(existsSync(join(dir, 'tokenizer.json')) && existsSync(join(dir, 'tokenizer_config.json')));
  const tokenizer = Tokenizer.load(dir);
  assert.equal(config.vocabSize, tokenizer.vocabSize);
  assert.equal(config.vocabSize, 151669);
  assert.deepEqual(config.eosTokenIds, [tokenizer.eosTokenId]);
  assert.equal(config.padTokenId, tokenizer.padTokenId);
  const loaded = loadModel(dir);
  const fresh = initWeights(config, { seed: 5 });
  for (const [name, t] of fresh) assert.deepEqual(loaded.weights.get(name)!.data, t.data, name);
  const gen = JSON.parse(readFileSync(join(dir, 'generation_config.json'), 'utf8'));
  assert.deepEqual(gen.eos_token_id, [151645, 151643]);
  assert.deepEqual(readdirSync(dir).sort(), ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
});
