// The model to evaluate: a Hugging Face folder (full checkpoint), or a PEFT LoRA adapter folder merged into
// its base. The base is `base` when given, else adapter_config.json's base_model_name_or_path when that is
// an existing folder (a hub id like "Qwen/Qwen2.5-1.5B-Instruct" cannot be fetched here).
//
// Weights are not read into JS (issue #30): the session maps the checkpoint's safetensors shards
// (`weightFiles`) and an adapter is applied at run time (its A/B are the only tensors read), so an
// evaluation holds about one copy of the model, in the OS's file cache.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ModelConfig } from '../models/config.ts';
import { DecodeLoop } from '../models/decode-loop.ts';
import { ADAPTER_CONFIG, readLoraAdapter, type LoraAdapter } from '../models/peft.ts';
import { Tokenizer } from '../models/tokenizer.ts';
import { defaultOptimizedCacheDir } from '../models/optimized-cache.ts';
import { openModelFolder, type WeightFiles } from '../models/weight-files.ts';
import type { ProviderRequest } from '../engine/index.ts';
import { findHubSnapshot, isHubId } from '../models/resolve.ts';
import type { TensorMap } from '../engine/safetensors.ts';

export interface EvalModel {
  config: ModelConfig;
  /** Weights held in memory (a trainer's current weights); empty when they are all in `weightFiles`. */
  weights: TensorMap;
  /** The checkpoint's weights on disk, mapped by the session (a name also in `weights` takes that tensor). */
  weightFiles?: WeightFiles;
  /** A LoRA adapter applied at run time on top of the base weights. */
  adapter?: LoraAdapter;
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
  let baseDir: string | undefined;
  let adapter: LoraAdapter | undefined;
  if (isAdapterFolder(dir)) {
    baseDir = adapterBase(dir, base);
    adapter = readLoraAdapter(dir);
    folder = existsSync(join(dir, 'tokenizer.json')) ? dir : baseDir;
  } else if (!existsSync(join(dir, 'config.json'))) throw new Error(`${dir} has neither config.json (a model) nor ${ADAPTER_CONFIG} (a LoRA adapter)`);
  const { config, generationConfig, weightFiles } = openModelFolder(baseDir ?? dir);
  if (adapter) checkAdapterTargets(adapter, weightFiles);
  if (config.task !== 'causal-lm') throw new Error(`${dir}: ${config.architecture} is not a causal language model`);
  const tokenizer = Tokenizer.load(folder);
  const genEos = generationConfig?.eos_token_id;
  const stopTokenIds = [...new Set([...config.eosTokenIds, ...(Array.isArray(genEos) ? (genEos as number[]) : typeof genEos === 'number' ? [genEos] : [])])];
  return { config, weights: new Map(), weightFiles, ...(adapter ? { adapter } : {}), tokenizer, stopTokenIds, ...(baseDir ? { base: baseDir } : {}) };
}

/** What merging would have refused: an adapted module the base lacks, or a B·A of another shape. */
function checkAdapterTargets(adapter: LoraAdapter, files: WeightFiles): void {
  for (const [module, { a, b }] of adapter.lora) {
    const name = `${module}.weight`;
    const w = files.tensors.get(name);
    if (!w) throw new Error(`the adapter targets ${module} but the base model has no ${name}`);
    if (w.shape.length !== 2 || w.shape[0] !== b.shape[0] || w.shape[1] !== a.shape[1]) throw new Error(`${name} is [${w.shape}] but the adapter's B·A is [${b.shape[0]}, ${a.shape[1]}]`);
  }
}

/**
 * The generation session of an evaluation model (mapped checkpoint, run-time adapter): a DecodeLoop, so
 * each batch is one onnxruntime run (#20); `log` gets the line saying which decode path ran.
 */
export async function evalSession(model: EvalModel, provider: ProviderRequest = 'cpu', log?: (line: string) => void, optimizedCache?: string | false): Promise<DecodeLoop> {
  // `optimizedCache`: a folder, false for none, undefined for the default (defaultEvalCacheDir).
  const optimizedCacheDir = optimizedCache === false ? undefined : (optimizedCache ?? defaultEvalCacheDir(model));
  return DecodeLoop.create(model.config, model.weights, { provider, weightFiles: model.weightFiles, adapter: model.adapter, log, optimizedCacheDir });
}

/**
 * The optimised-graph cache folder an evaluation uses by default, as `saenggak generate` does: for a bf16/f16
 * checkpoint without an adapter (its first start folds a float32 copy of every weight, later ones map the
 * saved one; docs/inference-memory.md). None for float32 checkpoints (nothing to fold) or with an adapter
 * (each adapter would save another full-size entry).
 */
export function defaultEvalCacheDir(model: EvalModel): string | undefined {
  if (model.adapter || !model.weightFiles || model.weights.size > 0) return undefined;
  return [...model.weightFiles.tensors.values()].some((t) => t.dtype === 'BF16' || t.dtype === 'F16') ? defaultOptimizedCacheDir() : undefined;
}
