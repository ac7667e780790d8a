import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelConfig, modelConfigToJson, parseModelConfig } from '../../../main/models/config.ts';
import { tempDir } from '../../helpers/model-fixtures.ts';

// config.json files as published on the Hugging Face hub (trimmed of fields we do not read).
const QWEN25_15B_INSTRUCT = {
  architectures: ['Qwen2ForCausalLM'], attention_dropout: 0.0, bos_token_id: 151643, eos_token_id: 151645, hidden_act: 'silu',
  hidden_size: 1536, initializer_range: 0.02, intermediate_size: 8960, max_position_embeddings: 32768, max_window_layers: 21,
  model_type: 'qwen2', num_attention_heads: 12, num_hidden_layers: 28, num_key_value_heads: 2, rms_norm_eps: 1e-6,
  rope_theta: 1000000.0, sliding_window: 32768, tie_word_embeddings: true, torch_dtype: 'bfloat16', use_cache: true,
  use_sliding_window: false, vocab_size: 151936,
};
const QWEN3_06B = {
  architectures: ['Qwen3ForCausalLM'], attention_bias: false, bos_token_id: 151643, eos_token_id: 151645, head_dim: 128,
  hidden_act: 'silu', hidden_size: 1024, intermediate_size: 3072, max_position_embeddings: 40960, model_type: 'qwen3',
  num_attention_heads: 16, num_hidden_layers: 28, num_key_value_heads: 8, rms_norm_eps: 1e-6, rope_scaling: null,
  rope_theta: 1000000, sliding_window: null, tie_word_embeddings: true, torch_dtype: 'bfloat16', use_sliding_window: false,
  vocab_size: 151936,
};
const LLAMA32_1B = {
  architectures: ['LlamaForCausalLM'], attention_bias: false, bos_token_id: 128000, eos_token_id: [128001, 128008, 128009],
  head_dim: 64, hidden_act: 'silu', hidden_size: 2048, intermediate_size: 8192, max_position_embeddings: 131072, mlp_bias: false,
  model_type: 'llama', num_attention_heads: 32, num_hidden_layers: 16, num_key_value_heads: 8, rms_norm_eps: 1e-5,
  rope_scaling: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
  rope_theta: 500000.0, tie_word_embeddings: true, torch_dtype: 'bfloat16', vocab_size: 128256,
};
const DEEPSEEK_R1_DISTILL_QWEN_15B = {
  architectures: ['Qwen2ForCausalLM'], bos_token_id: 151643, eos_token_id: 151643, hidden_size: 1536, intermediate_size: 8960,
  max_position_embeddings: 131072, model_type: 'qwen2', num_attention_heads: 12, num_hidden_layers: 28, num_key_value_heads: 2,
  rms_norm_eps: 1e-6, rope_theta: 10000, sliding_window: 4096, tie_word_embeddings: false, torch_dtype: 'bfloat16',
  use_sliding_window: false, vocab_size: 151936,
};

test('Qwen2.5-1.5B-Instruct: GQA, qkv bias (implicit in Qwen2), tied embeddings', () => {
  const c = parseModelConfig(QWEN25_15B_INSTRUCT);
  assert.equal(c.family, 'qwen2');
  assert.equal(c.task, 'causal-lm');
  assert.equal(c.headDim, 128);
  assert.equal(c.numKvHeads, 2);
  assert.equal(c.qkvBias, true);
  assert.equal(c.oBias, false);
  assert.equal(c.qkNorm, false);
  assert.equal(c.tieWordEmbeddings, true);
  assert.equal(c.ropeTheta, 1e6);
  assert.equal(c.slidingWindow, null);
  assert.deepEqual(c.eosTokenIds, [151645]);
  assert.equal(c.bosTokenId, 151643);
  assert.equal(c.padTokenId, null);
});

test('Qwen3-0.6B: explicit head_dim (16 × 128 ≠ 1024), q/k norms, no bias', () => {
  const c = parseModelConfig(QWEN3_06B);
  assert.equal(c.family, 'qwen3');
  assert.equal(c.headDim, 128);
  assert.equal(c.numHeads * c.headDim, 2048);
  assert.equal(c.qkNorm, true);
  assert.equal(c.qkvBias, false);
  assert.equal(c.ropeScaling, null);
});

test('Llama-3.2-1B: llama3 rope scaling kept, eos list, mlp_bias', () => {
  const c = parseModelConfig(LLAMA32_1B);
  assert.equal(c.family, 'llama');
  assert.equal(c.ropeScaling?.ropeType, 'llama3');
  assert.equal(c.ropeScaling?.factor, 32);
  assert.equal(c.ropeScaling?.raw.original_max_position_embeddings, 8192);
  assert.deepEqual(c.eosTokenIds, [128001, 128008, 128009]);
  assert.equal(c.mlpBias, false);
  assert.equal(c.rmsNormEps, 1e-5);
  const biased = parseModelConfig({ ...LLAMA32_1B, attention_bias: true, mlp_bias: true });
  assert.equal(biased.qkvBias && biased.oBias && biased.mlpBias, true);
});

test('DeepSeek-R1-Distill-Qwen is a Qwen2 with untied head', () => {
  const c = parseModelConfig(DEEPSEEK_R1_DISTILL_QWEN_15B);
  assert.equal(c.architecture, 'Qwen2ForCausalLM');
  assert.equal(c.tieWordEmbeddings, false);
  assert.equal(c.ropeTheta, 10000);
  assert.equal(c.maxPositionEmbeddings, 131072);
});

test('sequence classifiers: num_labels from num_labels, id2label, or the default 2', () => {
  const base = { ...QWEN25_15B_INSTRUCT, architectures: ['Qwen2ForSequenceClassification'], pad_token_id: 151643 };
  const fromId2label = parseModelConfig({ ...base, id2label: { 0: 'LABEL_0' }, label2id: { LABEL_0: 0 } });
  assert.equal(fromId2label.task, 'sequence-classification');
  assert.equal(fromId2label.numLabels, 1);
  assert.equal(fromId2label.padTokenId, 151643);
  assert.equal(parseModelConfig({ ...base, num_labels: 3 }).numLabels, 3);
  assert.equal(parseModelConfig(base).numLabels, 2);
  assert.equal(parseModelConfig({ ...LLAMA32_1B, architectures: ['LlamaForSequenceClassification'], num_labels: 1 }).architecture, 'LlamaForSequenceClassification');
});

test('config → config.json → config is lossless for the fields we model and keeps the rest', () => {
  for (const raw of [QWEN25_15B_INSTRUCT, QWEN3_06B, LLAMA32_1B, DEEPSEEK_R1_DISTILL_QWEN_15B]) {
    const c = parseModelConfig(raw);
    const json = modelConfigToJson(c);
    const back = parseModelConfig(JSON.parse(JSON.stringify(json)));
    const { raw: _a, ...x } = c;
    const { raw: _b, ...y } = back;
    assert.deepEqual(y, x);
    assert.equal(json.torch_dtype, 'bfloat16');
  }
  const qwenJson = modelConfigToJson(parseModelConfig(QWEN25_15B_INSTRUCT));
  assert.equal(qwenJson.max_window_layers, 21);
  assert.equal(qwenJson.sliding_window, 32768);
  assert.equal(qwenJson.use_sliding_window, false);
});

test('unsupported architectures and bad fields give errors that say what was found', () => {
  assert.throws(() => parseModelConfig({ ...QWEN25_15B_INSTRUCT, model_type: 'mistral', architectures: ['MistralForCausalLM'] }),
    /unsupported model \(model_type "mistral", architectures \["MistralForCausalLM"\]\); supported: Qwen2ForCausalLM.*LlamaForSequenceClassification/);
  assert.throws(() => parseModelConfig({ ...QWEN25_15B_INSTRUCT, architectures: ['Qwen2ForTokenClassification'] }), /unsupported architecture.*Qwen2ForTokenClassification/);
  assert.throws(() => parseModelConfig({ ...QWEN25_15B_INSTRUCT, hidden_size: -1 }), /"hidden_size" must be a positive integer/);
  assert.throws(() => parseModelConfig({ ...QWEN25_15B_INSTRUCT, num_key_value_heads: 5 }), /not a multiple of num_key_value_heads 5/);
  assert.throws(() => parseModelConfig({ ...QWEN25_15B_INSTRUCT, hidden_act: 'gelu' }), /hidden_act "gelu" is not supported/);
  assert.throws(() => parseModelConfig([1, 2]), /not a JSON object/);
});

test('loading a folder: missing config.json lists the folder, bad JSON names the file', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'model.safetensors'), '');
  writeFileSync(join(dir, 'tokenizer.json'), '{}');
  assert.throws(() => loadModelConfig(dir), /no config\.json in .* \(folder has: model\.safetensors, tokenizer\.json\)/);
  writeFileSync(join(dir, 'config.json'), '{oops');
  assert.throws(() => loadModelConfig(dir), /config\.json: not valid JSON/);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt2', architectures: ['GPT2LMHeadModel'] }));
  assert.throws(() => loadModelConfig(dir), /unsupported model.*GPT2LMHeadModel.*folder has: config\.json, model\.safetensors, tokenizer\.json/);
  const missing = join(dir, 'nope');
  assert.throws(() => loadModelConfig(missing), /folder does not exist/);
  mkdirSync(join(dir, 'empty'));
  assert.throws(() => loadModelConfig(join(dir, 'empty')), /folder has: nothing/);
});
