// Parameter counts of a model from its ModelConfig alone (no weights needed): the total, by part, and what
// LoRA of rank r adds. Used by the memory estimate (memory.ts) and the planner (memory-plan.ts).
import type { ModelConfig } from './config.ts';
import { expectedWeightShapes } from './weights.ts';

export interface ParameterCounts {
  total: number;
  /** model.embed_tokens */
  embedding: number;
  /** lm_head when untied, else 0 */
  lmHead: number;
  /** score.weight for classifiers, else 0 */
  score: number;
  /** One decoder layer (all layers are alike). */
  perLayer: number;
  perLayerAttention: number;
  perLayerMlp: number;
  perLayerNorms: number;
  layers: number;
  finalNorm: number;
}

export function parameterCounts(config: ModelConfig): ParameterCounts {
  const counts: ParameterCounts = { total: 0, embedding: 0, lmHead: 0, score: 0, perLayer: 0, perLayerAttention: 0, perLayerMlp: 0, perLayerNorms: 0, layers: 0, finalNorm: 0 };
  for (const [name, shape] of expectedWeightShapes(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    counts.total += n;
    if (name === 'model.embed_tokens.weight') counts.embedding = n;
    else if (name === 'lm_head.weight') counts.lmHead = n;
    else if (name === 'score.weight') counts.score = n;
    else if (name === 'model.norm.weight') counts.finalNorm = n;
    else {
      counts.layers += n;
      if (!name.startsWith('model.layers.0.')) continue;
      counts.perLayer += n;
      if (name.includes('.self_attn.')) counts.perLayerAttention += n;
      else if (name.includes('.mlp.')) counts.perLayerMlp += n;
      else counts.perLayerNorms += n;
    }
  }
  return counts;
}

/** The Linear modules LoRA adapts by default (all projections). */
export const DEFAULT_LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

/** Parameters LoRA of rank r adds: r·(in + out) per targeted Linear per layer. */
export function loraParameterCount(config: ModelConfig, rank: number, targets: readonly string[] = DEFAULT_LORA_TARGETS): number {
  const { hiddenSize: h, numHeads, numKvHeads, headDim: d, intermediateSize: m } = config;
  const dims: Record<string, [number, number]> = {
    q_proj: [h, numHeads * d], k_proj: [h, numKvHeads * d], v_proj: [h, numKvHeads * d], o_proj: [numHeads * d, h],
    gate_proj: [h, m], up_proj: [h, m], down_proj: [m, h],
  };
  let perLayer = 0;
  for (const t of targets) {
    const dim = dims[t];
    if (!dim) throw new Error(`unknown LoRA target "${t}" (known: ${Object.keys(dims).join(', ')})`);
    perLayer += rank * (dim[0] + dim[1]);
  }
  return perLayer * config.numLayers;
}
