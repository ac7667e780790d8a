// Hugging Face `config.json` → one normalized ModelConfig for the decoder families we run.
//
// Families: Qwen2 (incl. Qwen2.5 and DeepSeek-R1-Distill-Qwen, which ship as Qwen2ForCausalLM), Qwen3
// (per-head q/k RMSNorm, head_dim decoupled from hidden/heads), Llama (Llama 2/3, DeepSeek-R1-Distill-Llama).
// Each may be a causal LM or a sequence classifier (reward models: `score.weight`, no lm_head).
// The quirks that differ between families are resolved here, once, so later code reads flags only:
//   - Qwen2 always has q/k/v biases and no o_proj bias (hard-wired in transformers, not in config.json);
//   - Qwen3 and Llama read `attention_bias` (q, k, v and o together) and Llama also `mlp_bias`;
//   - head_dim defaults to hidden_size / num_attention_heads when config.json omits it.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkLayerTypes, readRopeSettings, writeRopeSettings } from './rope-config.ts';
import type { RopeScaling } from './rope-config.ts';
export type { RopeScaling } from './rope-config.ts';

export type ModelFamily = 'qwen2' | 'qwen3' | 'llama';
export type ModelTask = 'causal-lm' | 'sequence-classification';

export interface ModelConfig {
  family: ModelFamily;
  task: ModelTask;
  /** The transformers class name, e.g. `Qwen2ForCausalLM`. */
  architecture: string;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
  vocabSize: number;
  ropeTheta: number;
  ropeScaling: RopeScaling | null;
  rmsNormEps: number;
  /** Bias on q_proj, k_proj, v_proj. */
  qkvBias: boolean;
  /** Bias on o_proj. */
  oBias: boolean;
  /** Bias on gate_proj, up_proj, down_proj (Llama `mlp_bias`). */
  mlpBias: boolean;
  /** Qwen3: RMSNorm over head_dim applied to queries and keys before rotary. */
  qkNorm: boolean;
  tieWordEmbeddings: boolean;
  maxPositionEmbeddings: number;
  /** Only when config.json enables it (`use_sliding_window`); our forward passes refuse it. */
  slidingWindow: number | null;
  bosTokenId: number | null;
  eosTokenIds: number[];
  padTokenId: number | null;
  /** Sequence classifiers: rows of `score.weight`. 0 for causal LMs. */
  numLabels: number;
  /** `torch_dtype` from config.json (e.g. "bfloat16"), informational. */
  torchDtype: string | null;
  /** The parsed config.json as read, so saving keeps fields we do not model. */
  raw: Record<string, unknown>;
}

const FAMILY_OF_MODEL_TYPE: Record<string, ModelFamily> = { qwen2: 'qwen2', qwen3: 'qwen3', llama: 'llama' };
const CLASS_PREFIX: Record<ModelFamily, string> = { qwen2: 'Qwen2', qwen3: 'Qwen3', llama: 'Llama' };
const TASK_SUFFIX: Record<ModelTask, string> = { 'causal-lm': 'ForCausalLM', 'sequence-classification': 'ForSequenceClassification' };

/** Every architecture name we accept, for error messages and docs. */
export const SUPPORTED_ARCHITECTURES: string[] = (Object.keys(CLASS_PREFIX) as ModelFamily[]).flatMap((f) =>
  (Object.keys(TASK_SUFFIX) as ModelTask[]).map((t) => architectureName(f, t)),
);

export function architectureName(family: ModelFamily, task: ModelTask): string {
  return CLASS_PREFIX[family] + TASK_SUFFIX[task];
}

function folderListing(dir: string): string {
  if (!existsSync(dir)) return 'the folder does not exist';
  const names = readdirSync(dir).sort();
  return names.length ? names.join(', ') : 'nothing';
}

/** Reads and parses `dir/config.json`; errors list what the folder holds. */
export function loadModelConfig(dir: string): ModelConfig {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) throw new Error(`no config.json in ${dir} (folder has: ${folderListing(dir)})`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
  try {
    return parseModelConfig(json);
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message} (folder has: ${folderListing(dir)})`);
  }
}

/** Normalizes a parsed config.json object. */
export function parseModelConfig(json: unknown): ModelConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('config is not a JSON object');
  const raw = json as Record<string, unknown>;
  const modelType = raw.model_type;
  const archs = Array.isArray(raw.architectures) ? raw.architectures.filter((a): a is string => typeof a === 'string') : [];
  const family = typeof modelType === 'string' ? FAMILY_OF_MODEL_TYPE[modelType] : undefined;
  const found = `model_type ${JSON.stringify(modelType)}, architectures ${JSON.stringify(archs)}`;
  if (!family) throw new Error(`unsupported model (${found}); supported: ${SUPPORTED_ARCHITECTURES.join(', ')}`);
  let task: ModelTask = 'causal-lm';
  let architecture = architectureName(family, 'causal-lm');
  if (archs.length > 0) {
    const known = archs.find((a) => SUPPORTED_ARCHITECTURES.includes(a));
    if (!known || !known.startsWith(CLASS_PREFIX[family])) throw new Error(`unsupported architecture (${found}); supported: ${SUPPORTED_ARCHITECTURES.join(', ')}`);
    architecture = known;
    task = known.endsWith(TASK_SUFFIX['sequence-classification']) ? 'sequence-classification' : 'causal-lm';
  }

  const int = (key: string, fallback?: number): number => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw new Error(`"${key}" must be a positive integer, got ${JSON.stringify(raw[key])}`);
    return v;
  };
  const num = (key: string, fallback: number): number => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new Error(`"${key}" must be a positive number, got ${JSON.stringify(raw[key])}`);
    return v;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'boolean') throw new Error(`"${key}" must be true or false, got ${JSON.stringify(raw[key])}`);
    return v;
  };
  const tokenId = (key: string): number | null => {
    const v = raw[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Error(`"${key}" must be a token id, got ${JSON.stringify(v)}`);
    return v;
  };

  const hiddenSize = int('hidden_size');
  const numHeads = int('num_attention_heads');
  const numKvHeads = int('num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) throw new Error(`num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads}`);
  if (raw.head_dim == null && hiddenSize % numHeads !== 0) throw new Error(`hidden_size ${hiddenSize} is not divisible by num_attention_heads ${numHeads} and head_dim is not given`);
  const headDim = raw.head_dim == null ? hiddenSize / numHeads : int('head_dim');
  if (headDim % 2 !== 0) throw new Error(`head_dim ${headDim} must be even for rotary embeddings`);

  const eosRaw = raw.eos_token_id;
  const eosTokenIds = eosRaw == null ? [] : Array.isArray(eosRaw) ? eosRaw : [eosRaw];
  if (!eosTokenIds.every((x) => Number.isSafeInteger(x) && x >= 0)) throw new Error(`"eos_token_id" must be a token id or a list of them, got ${JSON.stringify(eosRaw)}`);

  let numLabels = 0;
  if (task === 'sequence-classification') {
    // transformers derives num_labels from id2label when present, else defaults to 2.
    const id2label = raw.id2label;
    if (typeof raw.num_labels === 'number') numLabels = int('num_labels');
    else if (id2label && typeof id2label === 'object') numLabels = Object.keys(id2label).length;
    else numLabels = 2;
  }

  // Both spellings (v4 rope_theta + rope_scaling, v5 rope_parameters); refuses what we cannot compute.
  const rope = readRopeSettings(raw);
  const numLayers = int('num_hidden_layers');
  checkLayerTypes(raw, numLayers);
  const intermediateSize = int('intermediate_size');
  const vocabSize = int('vocab_size');
  checkSizeCeilings({ numLayers, hiddenSize, numHeads, headDim, intermediateSize, vocabSize });

  if (raw.hidden_act != null && raw.hidden_act !== 'silu') throw new Error(`hidden_act ${JSON.stringify(raw.hidden_act)} is not supported (only silu)`);
  const attentionBias = family === 'qwen2' ? true : bool('attention_bias', false);
  const useSliding = family !== 'llama' && raw.use_sliding_window === true;

  return {
    family,
    task,
    architecture,
    hiddenSize,
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    intermediateSize,
    vocabSize,
    ropeTheta: rope.ropeTheta,
    ropeScaling: rope.ropeScaling,
    rmsNormEps: num('rms_norm_eps', 1e-6),
    qkvBias: attentionBias,
    oBias: family === 'qwen2' ? false : attentionBias,
    mlpBias: family === 'llama' ? bool('mlp_bias', false) : false,
    qkNorm: family === 'qwen3',
    tieWordEmbeddings: bool('tie_word_embeddings', false), // all three HF config classes default to untied
    maxPositionEmbeddings: int('max_position_embeddings', 32768),
    slidingWindow: useSliding ? int('sliding_window') : null,
    bosTokenId: tokenId('bos_token_id'),
    eosTokenIds: eosTokenIds as number[],
    padTokenId: tokenId('pad_token_id'),
    numLabels,
    torchDtype: readDtype(raw),
    raw: { ...raw },
  };
}

/** `dtype` (transformers ≥ 4.56, v5) or `torch_dtype` (older), without a "torch." prefix; informational. */
function readDtype(raw: Record<string, unknown>): string | null {
  const a = typeof raw.dtype === 'string' ? raw.dtype.replace(/^torch\./, '') : null;
  const b = typeof raw.torch_dtype === 'string' ? raw.torch_dtype.replace(/^torch\./, '') : null;
  if (a && b && a !== b) throw new Error(`"dtype" ${JSON.stringify(raw.dtype)} and "torch_dtype" ${JSON.stringify(raw.torch_dtype)} disagree; remove one`);
  return a ?? b;
}

/**
 * Ceilings far above any released decoder (the largest have ~128 layers, hidden 16384, head_dim 256):
 * a corrupt or hostile config.json (num_hidden_layers: 1e6) must fail here, in microseconds, rather than
 * after building millions of weight names. The real check is against the weights (weights.ts); these
 * stop the cases where no weights are read first (model init, memory estimates).
 */
export const CONFIG_CEILINGS = { numLayers: 1024, hiddenSize: 131072, numHeads: 1024, headDim: 1024, intermediateSize: 1 << 20, vocabSize: 1 << 22 } as const;

function checkSizeCeilings(sizes: Record<keyof typeof CONFIG_CEILINGS, number>): void {
  const keys: Record<keyof typeof CONFIG_CEILINGS, string> = {
    numLayers: 'num_hidden_layers', hiddenSize: 'hidden_size', numHeads: 'num_attention_heads', headDim: 'head_dim', intermediateSize: 'intermediate_size', vocabSize: 'vocab_size',
  };
  for (const k of Object.keys(CONFIG_CEILINGS) as (keyof typeof CONFIG_CEILINGS)[]) {
    if (sizes[k] > CONFIG_CEILINGS[k]) throw new Error(`"${keys[k]}" ${sizes[k]} is implausible (limit ${CONFIG_CEILINGS[k]}); the config.json is corrupt or not for a model we run`);
  }
}

/**
 * The config.json object transformers expects for this config: the fields we model written under
 * their HF names, on top of whatever else the original file carried.
 */
export function modelConfigToJson(config: ModelConfig, overrides: { torchDtype?: string } = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config.raw };
  out.architectures = [config.architecture];
  out.model_type = config.family;
  out.hidden_size = config.hiddenSize;
  out.num_hidden_layers = config.numLayers;
  out.num_attention_heads = config.numHeads;
  out.num_key_value_heads = config.numKvHeads;
  out.head_dim = config.headDim;
  out.intermediate_size = config.intermediateSize;
  out.vocab_size = config.vocabSize;
  writeRopeSettings(out, { ropeTheta: config.ropeTheta, ropeScaling: config.ropeScaling, style: 'rope_parameters' in config.raw ? 'v5' : 'v4' });
  out.rms_norm_eps = config.rmsNormEps;
  out.hidden_act = 'silu';
  out.tie_word_embeddings = config.tieWordEmbeddings;
  out.max_position_embeddings = config.maxPositionEmbeddings;
  if (config.family !== 'qwen2') out.attention_bias = config.qkvBias;
  if (config.family === 'llama') out.mlp_bias = config.mlpBias;
  if (config.family !== 'llama') {
    out.use_sliding_window = config.slidingWindow !== null;
    // Keep a stated-but-unused window (Qwen2.5 ships sliding_window 32768 with use_sliding_window false).
    if (config.slidingWindow !== null) out.sliding_window = config.slidingWindow;
    else if (!('sliding_window' in out)) out.sliding_window = null;
  }
  out.bos_token_id = config.bosTokenId;
  out.eos_token_id = config.eosTokenIds.length === 1 ? config.eosTokenIds[0] : config.eosTokenIds.length ? config.eosTokenIds : null;
  out.pad_token_id = config.padTokenId;
  if (config.task === 'sequence-classification') {
    out.num_labels = config.numLabels;
    if (!out.id2label || Object.keys(out.id2label as object).length !== config.numLabels) {
      out.id2label = Object.fromEntries(Array.from({ length: config.numLabels }, (_, i) => [String(i), `LABEL_${i}`]));
      out.label2id = Object.fromEntries(Array.from({ length: config.numLabels }, (_, i) => [`LABEL_${i}`, i]));
    }
  }
  const dtype = overrides.torchDtype ?? config.torchDtype;
  // transformers ≥ 4.56 and v5 write `dtype`; older ones `torch_dtype`. Keep the file's spelling.
  if (dtype) {
    if ('dtype' in config.raw && !('torch_dtype' in config.raw)) out.dtype = dtype;
    else out.torch_dtype = dtype;
  }
  out.use_cache = out.use_cache ?? true;
  return out;
}
