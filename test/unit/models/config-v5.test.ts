// transformers v5 config.json spelling (rope_parameters, dtype, layer_types) read like the v4 one it was
// made from: same logits from the same weights (#25.1); unsupported rope settings refused with the key
// named; absurd or mismatched sizes refused before any tensor is read (#23.4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseModelConfig, modelConfigToJson } from '../../../main/models/config.ts';
import { loadModel, saveModel } from '../../../main/models/weights.ts';
import { referenceLogits } from '../../../main/models/reference.ts';
import { randomWeights, tempDir, tinyConfig } from '../../helpers/model-fixtures.ts';
import type { ModelConfig } from '../../../main/models/config.ts';

const BATCH = { inputIds: [[3, 7, 11, 5, 9, 13, 4, 8, 21, 30, 17, 6]] };

/** Saves a tiny model with a v4 config.json, then a copy whose config.json is rewritten the v5 way. */
function v4AndV5Folders(config: ModelConfig): { v4: string; v5: string } {
  const v4 = tempDir('cfg-v4-');
  saveModel(v4, { config, weights: randomWeights(config, 7), generationConfig: null });
  const v5 = tempDir('cfg-v5-');
  cpSync(v4, v5, { recursive: true });
  const json = JSON.parse(readFileSync(join(v4, 'config.json'), 'utf8'));
  assert.equal(typeof json.rope_theta, 'number', 'the v4 file states rope_theta at the top level');
  // What transformers v5's save_pretrained writes: θ and scaling inside rope_parameters, `dtype`, layer_types.
  json.rope_parameters = { ...(json.rope_scaling ?? { rope_type: 'default' }), rope_theta: json.rope_theta };
  delete json.rope_theta;
  delete json.rope_scaling;
  json.dtype = json.torch_dtype;
  delete json.torch_dtype;
  json.layer_types = Array.from({ length: json.num_hidden_layers }, () => 'full_attention');
  writeFileSync(join(v5, 'config.json'), JSON.stringify(json, null, 2));
  return { v4, v5 };
}

function logitsOf(dir: string): number[] {
  const { config, weights } = loadModel(dir);
  return [...referenceLogits(config, weights, BATCH)[0].flatMap((row) => [...row])];
}

test('Qwen2 with rope_theta 1e6: the v5 rope_parameters spelling gives the same logits as v4 (not θ = 10000)', () => {
  const config = tinyConfig('qwen2', { overrides: { ropeTheta: 1_000_000 } });
  const { v4, v5 } = v4AndV5Folders(config);
  const a = logitsOf(v4);
  const b = logitsOf(v5);
  assert.deepEqual(b, a);
  const loaded = loadModel(v5).config;
  assert.equal(loaded.ropeTheta, 1_000_000);
  assert.equal(loaded.torchDtype, 'float32');
  // The fallback the issue found (θ = 10000) changes the logits, so the equality above is meaningful.
  const { weights } = loadModel(v4);
  const wrong = referenceLogits({ ...config, ropeTheta: 10000 }, weights, BATCH)[0].flatMap((row) => [...row]);
  assert.ok(wrong.some((x, i) => Math.abs(x - a[i]) > 1e-6), 'θ = 10000 must give different logits');
});

test('Llama with llama3 scaling inside rope_parameters: same logits as v4 rope_scaling; ignoring it would differ', () => {
  const scaling = { ropeType: 'llama3', factor: 8, raw: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 4 } };
  const config = tinyConfig('llama', { overrides: { ropeTheta: 500_000, ropeScaling: scaling } });
  const { v4, v5 } = v4AndV5Folders(config);
  const a = logitsOf(v4);
  assert.deepEqual(logitsOf(v5), a);
  const v5Config = loadModel(v5).config;
  assert.equal(v5Config.ropeScaling?.ropeType, 'llama3');
  assert.equal(v5Config.ropeTheta, 500_000);
  const { weights } = loadModel(v4);
  const unscaled = referenceLogits({ ...config, ropeScaling: null }, weights, BATCH)[0].flatMap((row) => [...row]);
  assert.ok(unscaled.some((x, i) => Math.abs(x - a[i]) > 1e-6), 'dropping the llama3 scaling must change the logits');
});

test('writing back keeps the file\'s spelling: v5 stays rope_parameters + dtype, v4 stays rope_theta + torch_dtype', () => {
  const config = tinyConfig('qwen3', { overrides: { ropeTheta: 1_000_000 } });
  const { v4, v5 } = v4AndV5Folders(config);
  const out5 = modelConfigToJson(loadModel(v5).config);
  assert.deepEqual(out5.rope_parameters, { rope_type: 'default', rope_theta: 1_000_000 });
  assert.equal('rope_theta' in out5, false);
  assert.equal(out5.dtype, 'float32');
  assert.equal('torch_dtype' in out5, false);
  assert.equal(parseModelConfig(out5).ropeTheta, 1_000_000);
  const out4 = modelConfigToJson(loadModel(v4).config);
  assert.equal(out4.rope_theta, 1_000_000);
  assert.equal('rope_parameters' in out4, false);
});

const BASE = {
  architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', hidden_size: 64, intermediate_size: 128, num_attention_heads: 4,
  num_key_value_heads: 2, num_hidden_layers: 2, vocab_size: 100,
};

test('rope_parameters keyed by layer type uses full_attention; unsupported settings are refused with the key named', () => {
  assert.equal(parseModelConfig({ ...BASE, rope_parameters: { full_attention: { rope_type: 'default', rope_theta: 5e5 } } }).ropeTheta, 5e5);
  assert.equal(parseModelConfig({ ...BASE, rope_theta: 1e6, rope_scaling: { type: 'linear', factor: 2 } }).ropeScaling?.ropeType, 'linear');
  const refused: [Record<string, unknown>, RegExp][] = [
    [{ rope_parameters: { rope_type: 'yarn', factor: 4, rope_theta: 1e6 } }, /"rope_parameters\.rope_type" "yarn" is not supported/],
    [{ rope_scaling: { type: 'dynamic', factor: 2 } }, /"rope_scaling\.rope_type" "dynamic" is not supported/],
    [{ rope_parameters: { rope_type: 'linear', rope_theta: 1e6 } }, /"rope_parameters\.factor" must be a positive number/],
    [{ rope_parameters: { rope_type: 'default', rope_theta: 1e6, mrope_section: [1, 2] } }, /"rope_parameters\.mrope_section" is not supported/],
    [{ rope_theta: 1e4, rope_parameters: { rope_type: 'default', rope_theta: 1e6 } }, /"rope_theta" 10000 and "rope_parameters\.rope_theta" 1000000 disagree/],
    [{ partial_rotary_factor: 0.5 }, /"partial_rotary_factor" 0\.5 is not supported/],
    [{ layer_types: ['full_attention', 'sliding_attention'] }, /"layer_types"\[1\] is "sliding_attention"/],
    [{ layer_types: ['full_attention'] }, /"layer_types" has 1 entries but num_hidden_layers is 2/],
    [{ dtype: 'bfloat16', torch_dtype: 'float16' }, /"dtype" "bfloat16" and "torch_dtype" "float16" disagree/],
  ];
  for (const [extra, message] of refused) assert.throws(() => parseModelConfig({ ...BASE, ...extra }), message, JSON.stringify(extra));
  assert.equal(parseModelConfig({ ...BASE, torch_dtype: 'torch.bfloat16' }).torchDtype, 'bfloat16');
});

test('#23.4: num_hidden_layers 1e6 fails at once; a config that does not fit the weights fails before any tensor is read', () => {
  const t0 = performance.now();
  assert.throws(() => parseModelConfig({ ...BASE, num_hidden_layers: 1_000_000 }), /"num_hidden_layers" 1000000 is implausible/);
  assert.throws(() => parseModelConfig({ ...BASE, num_hidden_layers: 1e7 }), /"num_hidden_layers" 10000000 is implausible/);
  assert.throws(() => parseModelConfig({ ...BASE, vocab_size: 1e9 }), /"vocab_size" 1000000000 is implausible/);
  assert.ok(performance.now() - t0 < 200, 'fails fast');

  const config = tinyConfig('qwen2');
  const dir = tempDir('cfg-sanity-');
  saveModel(dir, { config, weights: randomWeights(config, 3), generationConfig: null });
  const json = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...json, num_hidden_layers: 900 }));
  assert.throws(() => loadModel(dir), new RegExp(`"num_hidden_layers" is 900 but the weights hold ${config.numLayers} layer\\(s\\)`));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...json, vocab_size: 41 }));
  assert.throws(() => loadModel(dir), /"vocab_size" is 41 but model.embed_tokens.weight has 40 rows/);
});
