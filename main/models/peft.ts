// LoRA adapters in the PEFT folder layout: `adapter_config.json` + `adapter_model.safetensors` with
// PEFT's key names, e.g. `base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight` ([r, in]) and
// `...lora_B.weight` ([out, r]). Full tensors PEFT saves next to them (modules_to_save such as a reward
// model's `score`, or trained biases) are kept as `extra` under their base-model names.
// `mergeLoraAdapter` folds an adapter into base weights: W' = W + scale · B·A, scale = alpha / r
// (alpha / √r with rsLoRA), alpha and r per module when rank_pattern / alpha_pattern say so.

import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors, type SafeTensor, type TensorMap } from '../engine/safetensors.ts';

export const PEFT_PREFIX = 'base_model.model.';
export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';

export interface LoraConfig {
  r: number;
  loraAlpha: number;
  loraDropout: number;
  /** Module names (suffixes like "q_proj") or PEFT's "all-linear". */
  targetModules: string[];
  useRslora: boolean;
  /** Per-module overrides, keys are module-name patterns as in PEFT. */
  rankPattern: Record<string, number>;
  alphaPattern: Record<string, number>;
  taskType: string;
  baseModelNameOrPath: string | null;
  bias: 'none' | 'all' | 'lora_only';
  modulesToSave: string[] | null;
  /** The file as read, so writing keeps fields we do not model. */
  raw: Record<string, unknown>;
}

/** One adapted Linear: A [r, in] and B [out, r] as float32. */
export interface LoraPair {
  a: SafeTensor;
  b: SafeTensor;
}

export interface LoraAdapter {
  config: LoraConfig;
  /** By module path in the base model, e.g. `model.layers.0.self_attn.q_proj`. */
  lora: Map<string, LoraPair>;
  /** Full tensors by base-model weight name (modules_to_save, biases), replacing the base's on merge. */
  extra: TensorMap;
}

/** A LoraConfig with PEFT's defaults for anything not given. */
export function loraConfig(fields: Partial<Omit<LoraConfig, 'raw'>> & { r: number; targetModules: string[] }): LoraConfig {
  return {
    loraAlpha: 8,
    loraDropout: 0,
    useRslora: false,
    rankPattern: {},
    alphaPattern: {},
    taskType: 'CAUSAL_LM',
    baseModelNameOrPath: null,
    bias: 'none',
    modulesToSave: null,
    ...fields,
    raw: {},
  };
}

/** PEFT's pattern lookup: the first key matching the module path as `(.*\.)?key$`. */
function patternValue(pattern: Record<string, number>, modulePath: string): number | undefined {
  for (const [key, value] of Object.entries(pattern)) if (new RegExp(`^(?:.*\\.)?${key}$`).test(modulePath)) return value;
  return undefined;
}

/** The factor B·A is multiplied by for one module. */
export function loraScale(config: LoraConfig, modulePath: string, rank: number): number {
  const alpha = patternValue(config.alphaPattern, modulePath) ?? config.loraAlpha;
  return config.useRslora ? alpha / Math.sqrt(rank) : alpha / rank;
}

export function parseLoraConfig(json: unknown, where = ADAPTER_CONFIG): LoraConfig {
  if (typeof json !== 'object' || json === null) throw new Error(`${where}: not a JSON object`);
  const raw = json as Record<string, unknown>;
  if (raw.peft_type !== 'LORA') throw new Error(`${where}: peft_type ${JSON.stringify(raw.peft_type)} is not supported (only LORA)`);
  if (raw.use_dora === true) throw new Error(`${where}: DoRA adapters (use_dora) are not supported`);
  if (raw.fan_in_fan_out === true) throw new Error(`${where}: fan_in_fan_out adapters (GPT-2 Conv1D) are not supported`);
  const r = raw.r;
  if (typeof r !== 'number' || !Number.isSafeInteger(r) || r <= 0) throw new Error(`${where}: "r" must be a positive integer, got ${JSON.stringify(r)}`);
  const targets = typeof raw.target_modules === 'string' ? [raw.target_modules] : Array.isArray(raw.target_modules) ? raw.target_modules.map(String) : [];
  const bias = raw.bias ?? 'none';
  if (bias !== 'none' && bias !== 'all' && bias !== 'lora_only') throw new Error(`${where}: "bias" must be none, all or lora_only`);
  return {
    r,
    loraAlpha: typeof raw.lora_alpha === 'number' ? raw.lora_alpha : 8,
    loraDropout: typeof raw.lora_dropout === 'number' ? raw.lora_dropout : 0,
    targetModules: targets,
    useRslora: raw.use_rslora === true,
    rankPattern: (raw.rank_pattern as Record<string, number>) ?? {},
    alphaPattern: (raw.alpha_pattern as Record<string, number>) ?? {},
    taskType: typeof raw.task_type === 'string' ? raw.task_type : 'CAUSAL_LM',
    baseModelNameOrPath: typeof raw.base_model_name_or_path === 'string' ? raw.base_model_name_or_path : null,
    bias,
    modulesToSave: Array.isArray(raw.modules_to_save) ? raw.modules_to_save.map(String) : null,
    raw: { ...raw },
  };
}

/** adapter_config.json as PEFT writes it. */
export function loraConfigToJson(config: LoraConfig): Record<string, unknown> {
  return {
    auto_mapping: null,
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layers_pattern: null,
    layers_to_transform: null,
    megatron_config: null,
    megatron_core: 'megatron.core',
    revision: null,
    use_dora: false,
    ...config.raw,
    peft_type: 'LORA',
    task_type: config.taskType,
    base_model_name_or_path: config.baseModelNameOrPath,
    r: config.r,
    lora_alpha: config.loraAlpha,
    lora_dropout: config.loraDropout,
    target_modules: config.targetModules,
    use_rslora: config.useRslora,
    rank_pattern: config.rankPattern,
    alpha_pattern: config.alphaPattern,
    bias: config.bias,
    modules_to_save: config.modulesToSave,
  };
}

/** Reads a PEFT LoRA folder; errors list what the folder has. */
export function readLoraAdapter(dir: string): LoraAdapter {
  const listing = () => (existsSync(dir) ? readdirSync(dir).sort().join(', ') || 'nothing' : 'the folder does not exist');
  const configPath = join(dir, ADAPTER_CONFIG);
  if (!existsSync(configPath)) throw new Error(`no ${ADAPTER_CONFIG} in ${dir} (folder has: ${listing()})`);
  const weightsPath = join(dir, ADAPTER_WEIGHTS);
  if (!existsSync(weightsPath)) {
    const hint = existsSync(join(dir, 'adapter_model.bin')) ? ' (adapter_model.bin is a pickle; re-save with safe_serialization=True)' : '';
    throw new Error(`no ${ADAPTER_WEIGHTS} in ${dir}${hint} (folder has: ${listing()})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (err) {
    throw new Error(`${configPath}: not valid JSON (${(err as Error).message})`);
  }
  const config = parseLoraConfig(json, configPath);
  const { tensors } = readSafetensors(weightsPath);
  const halves = new Map<string, Partial<LoraPair>>();
  const extra: TensorMap = new Map();
  for (const [key, raw] of tensors) {
    if (!key.startsWith(PEFT_PREFIX)) throw new Error(`${weightsPath}: key "${key}" does not start with "${PEFT_PREFIX}" (not a PEFT adapter?)`);
    const t = raw.data instanceof Float32Array ? raw : { ...raw, data: Float32Array.from(raw.data as Float64Array) };
    const name = key.slice(PEFT_PREFIX.length);
    const m = /^(.*)\.lora_(A|B)(?:\.[^.]+)?\.weight$/.exec(name);
    if (/\.lora_embedding_[AB]/.test(name) || /\.lora_magnitude_vector/.test(name)) throw new Error(`${weightsPath}: "${key}" (embedding LoRA / DoRA) is not supported`);
    if (!m) {
      extra.set(name, t);
      continue;
    }
    const [, module, which] = m;
    const pair = halves.get(module) ?? {};
    if (which === 'A') pair.a = t;
    else pair.b = t;
    halves.set(module, pair);
  }
  const lora = new Map<string, LoraPair>();
  for (const [module, pair] of halves) {
    if (!pair.a || !pair.b) throw new Error(`${weightsPath}: module ${module} has lora_${pair.a ? 'A' : 'B'} but no lora_${pair.a ? 'B' : 'A'}`);
    checkPair(module, pair as LoraPair, weightsPath);
    lora.set(module, pair as LoraPair);
  }
  return { config, lora, extra };
}

function checkPair(module: string, pair: LoraPair, where: string): void {
  const { a, b } = pair;
  if (a.shape.length !== 2 || b.shape.length !== 2 || a.shape[0] !== b.shape[1]) {
    throw new Error(`${where}: ${module}: lora_A [${a.shape}] and lora_B [${b.shape}] do not form B·A (A is [r, in], B is [out, r])`);
  }
}

/** Writes `adapter_config.json` + `adapter_model.safetensors` with PEFT key names. */
export function writeLoraAdapter(dir: string, adapter: LoraAdapter, options: { dtype?: 'F32' | 'BF16' | 'F16' } = {}): string[] {
  mkdirSync(dir, { recursive: true });
  const tensors: TensorMap = new Map();
  const dtype = (t: SafeTensor) => options.dtype ?? t.dtype;
  for (const [module, pair] of adapter.lora) {
    checkPair(module, pair, dir);
    tensors.set(`${PEFT_PREFIX}${module}.lora_A.weight`, { ...pair.a, dtype: dtype(pair.a) });
    tensors.set(`${PEFT_PREFIX}${module}.lora_B.weight`, { ...pair.b, dtype: dtype(pair.b) });
  }
  for (const [name, t] of adapter.extra) tensors.set(`${PEFT_PREFIX}${name}`, { ...t, dtype: dtype(t) });
  writeFileSync(join(dir, ADAPTER_CONFIG), JSON.stringify(loraConfigToJson(adapter.config), null, 2) + '\n');
  writeSafetensors(join(dir, ADAPTER_WEIGHTS), tensors, { format: 'pt' });
  return [ADAPTER_CONFIG, ADAPTER_WEIGHTS];
}

/**
 * Base weights with the adapter folded in (a new map; `base` is not modified): for every adapted
 * module, `module.weight += scale · B·A`; `extra` tensors replace the base's.
 */
export function mergeLoraAdapter(base: ReadonlyMap<string, SafeTensor>, adapter: LoraAdapter): TensorMap {
  const merged: TensorMap = new Map(base);
  for (const [module, { a, b }] of adapter.lora) {
    const name = `${module}.weight`;
    const w = base.get(name);
    if (!w) throw new Error(`merge: the adapter targets ${module} but the base model has no ${name}`);
    const [rank, inSize] = a.shape;
    const outSize = b.shape[0];
    if (w.shape.length !== 2 || w.shape[0] !== outSize || w.shape[1] !== inSize) {
      throw new Error(`merge: ${name} is [${w.shape}] but the adapter's B·A is [${outSize}, ${inSize}]`);
    }
    const scale = loraScale(adapter.config, module, rank);
    const out = Float32Array.from(w.data as Float32Array);
    const A = a.data as Float32Array;
    const B = b.data as Float32Array;
    const row = new Float64Array(inSize);
    for (let o = 0; o < outSize; o++) {
      row.fill(0);
      for (let k = 0; k < rank; k++) {
        const bk = B[o * rank + k];
        if (bk === 0) continue;
        for (let i = 0; i < inSize; i++) row[i] += bk * A[k * inSize + i];
      }
      for (let i = 0; i < inSize; i++) out[o * inSize + i] += scale * row[i];
    }
    merged.set(name, { dtype: w.dtype, shape: [...w.shape], data: out });
  }
  for (const [name, t] of adapter.extra) {
    const w = base.get(name);
    if (w && (w.shape.length !== t.shape.length || w.shape.some((d, i) => d !== t.shape[i]))) throw new Error(`merge: adapter tensor ${name} is [${t.shape}] but the base's is [${w.shape}]`);
    merged.set(name, { dtype: w?.dtype ?? t.dtype, shape: [...t.shape], data: t.data });
  }
  return merged;
}
