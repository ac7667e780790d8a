// Model folders in the Hugging Face layout: the weight names and shapes transformers uses, loading a
// folder (single file or sharded) into named float32 tensors checked against config.json, and saving
// one back (config.json, generation_config.json, safetensors or shards + index, tokenizer files).

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensorsFolder, writeSafetensorsFolder, type SafeTensor, type SafetensorsDtype, type TensorMap } from '../engine/safetensors.ts';
import { loadModelConfig, modelConfigToJson, type ModelConfig } from './config.ts';
import { copyTokenizerFiles } from './tokenizer.ts';
import { checkConfigAgainstWeights, readFolderShapes } from './config-sanity.ts';

/** Storage dtypes a model may be saved in. */
export type WeightDtype = 'F32' | 'BF16' | 'F16';

const TORCH_DTYPE: Record<WeightDtype, string> = { F32: 'float32', BF16: 'bfloat16', F16: 'float16' };

/** Names of one decoder layer's weights, as in transformers' state dict. */
export function layerWeightNames(config: ModelConfig, layer: number): string[] {
  return [...layerWeightShapes(config, layer).keys()];
}

function layerWeightShapes(config: ModelConfig, i: number): Map<string, number[]> {
  const { hiddenSize: h, numHeads, numKvHeads, headDim: d, intermediateSize: m } = config;
  const p = `model.layers.${i}`;
  const shapes = new Map<string, number[]>();
  shapes.set(`${p}.input_layernorm.weight`, [h]);
  shapes.set(`${p}.self_attn.q_proj.weight`, [numHeads * d, h]);
  if (config.qkvBias) shapes.set(`${p}.self_attn.q_proj.bias`, [numHeads * d]);
  shapes.set(`${p}.self_attn.k_proj.weight`, [numKvHeads * d, h]);
  if (config.qkvBias) shapes.set(`${p}.self_attn.k_proj.bias`, [numKvHeads * d]);
  shapes.set(`${p}.self_attn.v_proj.weight`, [numKvHeads * d, h]);
  if (config.qkvBias) shapes.set(`${p}.self_attn.v_proj.bias`, [numKvHeads * d]);
  shapes.set(`${p}.self_attn.o_proj.weight`, [h, numHeads * d]);
  if (config.oBias) shapes.set(`${p}.self_attn.o_proj.bias`, [h]);
  if (config.qkNorm) {
    shapes.set(`${p}.self_attn.q_norm.weight`, [d]);
    shapes.set(`${p}.self_attn.k_norm.weight`, [d]);
  }
  shapes.set(`${p}.post_attention_layernorm.weight`, [h]);
  shapes.set(`${p}.mlp.gate_proj.weight`, [m, h]);
  if (config.mlpBias) shapes.set(`${p}.mlp.gate_proj.bias`, [m]);
  shapes.set(`${p}.mlp.up_proj.weight`, [m, h]);
  if (config.mlpBias) shapes.set(`${p}.mlp.up_proj.bias`, [m]);
  shapes.set(`${p}.mlp.down_proj.weight`, [h, m]);
  if (config.mlpBias) shapes.set(`${p}.mlp.down_proj.bias`, [h]);
  return shapes;
}

/**
 * Every weight transformers' model has for this config, with its shape, in state-dict order:
 * embeddings, layers, final norm, then `lm_head.weight` (untied causal LM) or `score.weight` (classifier).
 */
export function expectedWeightShapes(config: ModelConfig): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  shapes.set('model.embed_tokens.weight', [config.vocabSize, config.hiddenSize]);
  for (let i = 0; i < config.numLayers; i++) for (const [k, v] of layerWeightShapes(config, i)) shapes.set(k, v);
  shapes.set('model.norm.weight', [config.hiddenSize]);
  if (config.task === 'sequence-classification') shapes.set('score.weight', [config.numLabels, config.hiddenSize]);
  else if (!config.tieWordEmbeddings) shapes.set('lm_head.weight', [config.vocabSize, config.hiddenSize]);
  return shapes;
}

/** Keys transformers itself ignores on load: stale rotary buffers, and lm_head when tied to the embeddings. */
function isIgnorableKey(config: ModelConfig, name: string): boolean {
  if (name.endsWith('.rotary_emb.inv_freq')) return true;
  return name === 'lm_head.weight' && (config.tieWordEmbeddings || config.task === 'sequence-classification');
}

/** Checks names and shapes; throws one error listing every problem. Returns the keys it ignored. */
export function validateWeights(config: ModelConfig, weights: ReadonlyMap<string, SafeTensor>, options: { strict?: boolean } = {}): { ignored: string[]; unexpected: string[] } {
  const expected = expectedWeightShapes(config);
  const problems: string[] = [];
  const missing = [...expected.keys()].filter((k) => !weights.has(k));
  if (missing.length) problems.push(`missing ${missing.length} weight(s): ${summarize(missing)}`);
  for (const [name, shape] of expected) {
    const t = weights.get(name);
    if (t && (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))) {
      problems.push(`${name} has shape [${t.shape}] but config.json implies [${shape}]`);
    }
  }
  const ignored: string[] = [];
  const unexpected: string[] = [];
  for (const name of weights.keys()) {
    if (expected.has(name)) continue;
    if (isIgnorableKey(config, name)) ignored.push(name);
    else unexpected.push(name);
  }
  if (unexpected.length && options.strict !== false) problems.push(`unexpected weight(s) for ${config.architecture}: ${summarize(unexpected)}`);
  if (problems.length) throw new Error(`weights do not match ${config.architecture} (${config.numLayers} layers, hidden ${config.hiddenSize}): ${problems.join('; ')}`);
  return { ignored, unexpected };
}

function summarize(names: string[]): string {
  return names.length <= 6 ? names.join(', ') : `${names.slice(0, 6).join(', ')} and ${names.length - 6} more`;
}

/** A model folder in memory. Float weights are Float32Array; `dtype` remembers how they were stored. */
export interface HfModel {
  config: ModelConfig;
  weights: TensorMap;
  /** generation_config.json as read (null when absent). */
  generationConfig: Record<string, unknown> | null;
}

export interface LoadModelOptions {
  /** Error on weights the architecture does not have (default true; stale rotary buffers and tied lm_head are always ignored). */
  strict?: boolean;
}

/** Loads config.json, generation_config.json and the safetensors weights of a HF folder. */
export function loadModel(dir: string, options: LoadModelOptions = {}): HfModel {
  const config = loadModelConfig(dir);
  // Headers only first: a config that does not fit the checkpoint fails before any tensor is read.
  checkConfigAgainstWeights(config, readFolderShapes(dir));
  const { tensors } = readSafetensorsFolder(dir);
  for (const [name, t] of tensors) {
    if (t.data instanceof Float64Array) tensors.set(name, { ...t, data: Float32Array.from(t.data) });
    else if (!(t.data instanceof Float32Array)) throw new Error(`${dir}: weight ${name} has dtype ${t.dtype}; model weights must be floating point`);
  }
  const { ignored } = validateWeights(config, tensors, options);
  for (const name of ignored) tensors.delete(name);
  const generationConfig = readGenerationConfig(dir);
  // Put weights in transformers' order (shards may be in any order).
  const ordered: TensorMap = new Map();
  for (const name of expectedWeightShapes(config).keys()) ordered.set(name, tensors.get(name)!);
  for (const [name, t] of tensors) if (!ordered.has(name)) ordered.set(name, t);
  return { config, weights: ordered, generationConfig };
}

/** generation_config.json of a folder as read (null when absent). */
export function readGenerationConfig(dir: string): Record<string, unknown> | null {
  const genPath = join(dir, 'generation_config.json');
  return existsSync(genPath) ? (JSON.parse(readFileSync(genPath, 'utf8')) as Record<string, unknown>) : null;
}

export interface SaveModelOptions {
  /** Storage dtype for every weight (default: each tensor's own `dtype`). */
  dtype?: WeightDtype;
  /** Shard when the weights exceed this (bytes or "5GB"; default 5GB). */
  maxShardSize?: number | string;
  /** Copy tokenizer files from this folder. */
  tokenizerDir?: string;
}

/** The generation_config.json we write when none is given: the config's special tokens. */
export function defaultGenerationConfig(config: ModelConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (config.bosTokenId !== null) out.bos_token_id = config.bosTokenId;
  if (config.eosTokenIds.length) out.eos_token_id = config.eosTokenIds.length === 1 ? config.eosTokenIds[0] : config.eosTokenIds;
  if (config.padTokenId !== null) out.pad_token_id = config.padTokenId;
  return out;
}

/** Writes a HF model folder that transformers' from_pretrained loads. Returns the files written. */
export function saveModel(dir: string, model: HfModel, options: SaveModelOptions = {}): string[] {
  validateWeights(model.config, model.weights);
  mkdirSync(dir, { recursive: true });
  const tensors: TensorMap = new Map();
  const dtypes = new Set<SafetensorsDtype>();
  for (const [name, t] of model.weights) {
    const dtype = options.dtype ?? t.dtype;
    if (dtype !== 'F32' && dtype !== 'BF16' && dtype !== 'F16') throw new Error(`weight ${name}: cannot save as ${dtype} (use F32, BF16 or F16)`);
    tensors.set(name, { dtype, shape: t.shape, data: t.data });
    dtypes.add(dtype);
  }
  const torchDtype = dtypes.size === 1 ? TORCH_DTYPE[[...dtypes][0] as WeightDtype] : 'float32';
  writeFileSync(join(dir, 'config.json'), JSON.stringify(modelConfigToJson(model.config, { torchDtype }), null, 2) + '\n');
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify(model.generationConfig ?? defaultGenerationConfig(model.config), null, 2) + '\n');
  // transformers refuses safetensors files whose metadata lacks format=pt.
  const files = writeSafetensorsFolder(dir, tensors, { maxShardSize: options.maxShardSize, metadata: { format: 'pt' } });
  const copied = options.tokenizerDir ? copyTokenizerFiles(options.tokenizerDir, dir) : [];
  return ['config.json', 'generation_config.json', ...files, ...copied];
}

/** Number of elements of every weight, by name. */
export function parameterCount(weights: ReadonlyMap<string, { shape: number[] }>): number {
  let n = 0;
  for (const t of weights.values()) n += t.shape.reduce((a, b) => a * b, 1);
  return n;
}
