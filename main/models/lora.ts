// LoRA on the decoder graph: for every targeted projection, y = x·Wᵀ (+ b) + scale · (drop(x)·Aᵀ)·Bᵀ
// with A [r, in], B [out, r] as graph params named like PEFT's keys without its prefix
// (`model.layers.0.self_attn.q_proj.lora_A.weight`), scale = alpha / r (alpha / √r with rsLoRA).
// Targets follow PEFT: a module matches a target name when its path ends with `.name` (or equals it);
// "all-linear" means every projection except the output head.
//
// Dropout: the engine has no random ops, so dropout masks are graph inputs the caller fills each step
// (`lora_dropout_mask.{width}` [batch, seq, width], already scaled by 1/(1 − p); see
// loraDropoutFeeds). One mask per input width is shared by the modules that read that width — PEFT
// draws one per module; the regularizing effect is the same kind, not bit-for-bit the same.
import { nn, op, type Tensor } from '../engine/index.ts';
import type { SafeTensor, TensorMap } from '../engine/safetensors.ts';
import type { ModelConfig } from './config.ts';
import { SeededRandom } from './init.ts';
import { loraScale, type LoraAdapter, type LoraConfig } from './peft.ts';
import { DIMS, type DecoderDType, type Projection } from './decoder.ts';
import { expectedWeightShapes } from './weights.ts';

export const loraParamNames = (module: string) => ({ a: `${module}.lora_A.weight`, b: `${module}.lora_B.weight` });
export const dropoutMaskName = (width: number) => `lora_dropout_mask.${width}`;

/** PEFT's pattern lookup: the first key matching the module path as `(.*\.)?key$`. */
function patternValue(pattern: Record<string, number>, modulePath: string): number | undefined {
  for (const [key, value] of Object.entries(pattern)) if (new RegExp(`^(?:.*\\.)?${key}$`).test(modulePath)) return value;
  return undefined;
}

/** The projection modules of a model LoRA may target ('model.layers.0.self_attn.q_proj', …), with [out, in]. */
export function linearModules(config: ModelConfig): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  for (const [name, shape] of expectedWeightShapes(config)) {
    if (shape.length !== 2 || !name.endsWith('.weight') || name === 'model.embed_tokens.weight') continue;
    out.set(name.slice(0, -'.weight'.length), shape as [number, number]);
  }
  return out;
}

/** The modules a LoRA config adapts, with their rank; errors when a target matches nothing. */
export function loraTargets(config: ModelConfig, lora: LoraConfig): Map<string, { rank: number; out: number; in: number; scale: number }> {
  if (!Number.isInteger(lora.r) || lora.r < 1) throw new RangeError(`LoRA rank must be an integer ≥ 1, got ${lora.r}`);
  if (!(lora.loraDropout >= 0 && lora.loraDropout < 1)) throw new RangeError(`LoRA dropout must be in [0, 1), got ${lora.loraDropout}`);
  if (lora.targetModules.length === 0) throw new Error('LoRA: no target modules');
  const modules = linearModules(config);
  const allLinear = lora.targetModules.includes('all-linear');
  const head = new Set(['lm_head', 'score']);
  const found = new Map<string, { rank: number; out: number; in: number; scale: number }>();
  const unmatched = new Set(lora.targetModules.filter((t) => t !== 'all-linear'));
  for (const [module, [outSize, inSize]] of modules) {
    const hit = lora.targetModules.find((t) => t !== 'all-linear' && (module === t || module.endsWith(`.${t}`)));
    if (hit) unmatched.delete(hit);
    if (!hit && !(allLinear && !head.has(module))) continue;
    const rank = patternValue(lora.rankPattern, module) ?? lora.r;
    found.set(module, { rank, out: outSize, in: inSize, scale: loraScale(lora, module, rank) });
  }
  if (unmatched.size) {
    const names = [...new Set([...modules.keys()].map((m) => m.split('.').pop()!))];
    throw new Error(`LoRA target modules ${[...unmatched].join(', ')} match no module of ${config.architecture} (it has: ${names.join(', ')})`);
  }
  return found;
}

export interface LoraGraph {
  projection: Projection;
  /** A and B params by module path (filled as the decoder graph is built). */
  params: Map<string, { a: Tensor; b: Tensor }>;
  /** Dropout mask inputs by width (training graphs with dropout > 0). */
  dropoutMasks: Map<number, Tensor>;
}

/**
 * A projection hook adding LoRA to targeted modules of a decoder graph. Pass it to buildDecoderGraph;
 * `dropout: true` declares the mask inputs (training), false ignores dropout (inference, as PEFT's eval mode).
 */
export function loraProjection(config: ModelConfig, lora: LoraConfig, options: { dtype: DecoderDType; dropout: boolean }): LoraGraph {
  const targets = loraTargets(config, lora);
  const params = new Map<string, { a: Tensor; b: Tensor }>();
  const dropoutMasks = new Map<number, Tensor>();
  const projection: Projection = (module, x, weight, bias) => {
    const base = nn.linear(x, weight, bias);
    const target = targets.get(module);
    if (!target) return base;
    const g = x.graph;
    const names = loraParamNames(module);
    // A layer rebuilt for gradient checkpointing calls this again: reuse the module's params.
    const { a, b } = params.get(module) ?? { a: g.param(names.a, options.dtype, [target.rank, target.in]), b: g.param(names.b, options.dtype, [target.out, target.rank]) };
    params.set(module, { a, b });
    return g.scope('lora', () => {
      let input = x;
      if (options.dropout && lora.loraDropout > 0) {
        let mask = dropoutMasks.get(target.in);
        if (!mask) {
          mask = g.input(dropoutMaskName(target.in), options.dtype, [DIMS.batch, DIMS.seq, target.in]);
          dropoutMasks.set(target.in, mask);
        }
        input = op.mul(x, op.cast(mask, x.dtype));
      }
      // Mixed precision: A and B are float32 master weights, cast to the activations' dtype at use.
      const low = op.mul(nn.linear(nn.linear(input, op.cast(a, x.dtype)), op.cast(b, x.dtype)), target.scale);
      return op.add(base, low);
    });
  };
  return { projection, params, dropoutMasks };
}

/** PEFT's initialization: A ~ kaiming_uniform(a=√5) = U(−1/√in, 1/√in), B = 0 (the adapter starts as a no-op). */
export function initLoraWeights(config: ModelConfig, lora: LoraConfig, seed = 0): Map<string, { a: SafeTensor; b: SafeTensor }> {
  const rng = new SeededRandom(seed);
  const out = new Map<string, { a: SafeTensor; b: SafeTensor }>();
  for (const [module, t] of loraTargets(config, lora)) {
    const bound = 1 / Math.sqrt(t.in);
    const a = Float32Array.from({ length: t.rank * t.in }, () => (2 * rng.uniform() - 1) * bound);
    out.set(module, { a: { dtype: 'F32', shape: [t.rank, t.in], data: a }, b: { dtype: 'F32', shape: [t.out, t.rank], data: new Float32Array(t.out * t.rank) } });
  }
  return out;
}

/** Flattens LoRA pairs into graph-param-named tensors (module.lora_A.weight, …). */
export function loraTensors(pairs: ReadonlyMap<string, { a: SafeTensor; b: SafeTensor }>): TensorMap {
  const out: TensorMap = new Map();
  for (const [module, { a, b }] of pairs) {
    const n = loraParamNames(module);
    out.set(n.a, a);
    out.set(n.b, b);
  }
  return out;
}

/** The inverse of loraTensors: a PEFT adapter from trained graph params. */
export function loraAdapterFrom(lora: LoraConfig, tensors: ReadonlyMap<string, SafeTensor>): LoraAdapter {
  const pairs = new Map<string, { a: SafeTensor; b: SafeTensor }>();
  for (const [name, t] of tensors) {
    const m = /^(.*)\.lora_A\.weight$/.exec(name);
    if (!m) continue;
    const b = tensors.get(loraParamNames(m[1]).b);
    if (!b) throw new Error(`LoRA: ${name} has no matching lora_B`);
    pairs.set(m[1], { a: t, b });
  }
  return { config: lora, lora: pairs, extra: new Map() };
}

/** Fresh dropout masks for one step: Bernoulli(1 − p) / (1 − p) per element. */
export function loraDropoutFeeds(graphMasks: ReadonlyMap<number, Tensor>, lora: LoraConfig, batch: number, seq: number, rng: SeededRandom, dtype: DecoderDType = 'float32') {
  const keep = 1 - lora.loraDropout;
  const feeds: Record<string, { dtype: DecoderDType; dims: number[]; data: Float32Array | Float64Array }> = {};
  for (const width of graphMasks.keys()) {
    const n = batch * seq * width;
    const data = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = rng.uniform() < keep ? 1 / keep : 0;
    feeds[dropoutMaskName(width)] = { dtype, dims: [batch, seq, width], data };
  }
  return feeds;
}
