// The model to evaluate: a Hugging Face folder (full checkpoint), or a PEFT LoRA adapter folder merged into
// its base. The base is `base` when given, else adapter_config.json's base_model_name_or_path when that is
// an existing folder (a hub id like "Qwen/Qwen2.5-1.5B-Instruct" cannot be fetched here).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ModelConfig } from '../models/config.ts';
import { ADAPTER_CONFIG, mergeLoraAdapter, readLoraAdapter } from '../models/peft.ts';
import { Tokenizer } from '../models/tokenizer.ts';
import { loadModel } from '../models/weights.ts';
import { findHubSnapshot, isHubId } from '../models/resolve.ts';
import type { TensorMap } from '../engine/safetensors.ts';

export interface EvalModel {
  config: ModelConfig;
  weights: TensorMap;
  tokenizer: Tokenizer;
  /** Token ids that end a response: the config's and generation_config's eos ids. */
  stopTokenIds: number[];
  /** The base folder when `dir` is an adapter. */
  base?: string;
}

export function isAdapterFolder(dir: string): boolean {
  return existsSync(join(dir, ADAPTER_CONFIG));
}

/** The base folder an adapter names, when it is a folder here. */
export function adapterBase(dir: string, base?: string): string {
  if (base) return resolve(base);
  const adapter = readLoraAdapter(dir);
  const named = adapter.config.baseModelNameOrPath;
  if (named && existsSync(join(named, 'config.json'))) return resolve(named);
  // PEFT writes the Hub id the adapter was trained from; the local Hub cache may hold it (refs/main).
  const cached = named && isHubId(named) ? findHubSnapshot(named) : null;
  if (cached) return cached;
  throw new Error(
    `${dir} is a LoRA adapter; its base model ${named ? `"${named}" is not a model folder here` : 'is not named in adapter_config.json'}: pass the base folder with --base DIR`,
  );
}

export function loadEvalModel(dir: string, base?: string): EvalModel {
  if (!existsSync(dir)) throw new Error(`model folder ${dir} does not exist`);
  let folder = dir;
  let weights: TensorMap;
  let config: ModelConfig;
  let generationConfig: Record<string, unknown> | null;
  let baseDir: string | undefined;
  if (isAdapterFolder(dir)) {
    baseDir = adapterBase(dir, base);
    const loaded = loadModel(baseDir);
    weights = mergeLoraAdapter(loaded.weights, readLoraAdapter(dir));
    ({ config, generationConfig } = loaded);
    folder = existsSync(join(dir, 'tokenizer.json')) ? dir : baseDir;
  } else {
    if (!existsSync(join(dir, 'config.json'))) throw new Error(`${dir} has neither config.json (a model) nor ${ADAPTER_CONFIG} (a LoRA adapter)`);
    ({ config, weights, generationConfig } = loadModel(dir));
  }
  if (config.task !== 'causal-lm') throw new Error(`${dir}: ${config.architecture} is not a causal language model`);
  const tokenizer = Tokenizer.load(folder);
  const genEos = generationConfig?.eos_token_id;
  const stopTokenIds = [...new Set([...config.eosTokenIds, ...(Array.isArray(genEos) ? (genEos as number[]) : typeof genEos === 'number' ? [genEos] : [])])];
  return { config, weights, tokenizer, stopTokenIds, ...(baseDir ? { base: baseDir } : {}) };
}
