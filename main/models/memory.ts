// Parameter counts and a training-memory estimate from a ModelConfig alone (no weights needed), for
// `saenggak model info` and device planning.
//
// The estimate counts what a plain (no activation checkpointing) train step keeps alive:
//   weights     every parameter at `weightBytes` (4 = float32, 2 = bf16 frozen base under LoRA);
//   gradients   float32 per trainable parameter;
//   optimizer   AdamW's two float32 moments per trainable parameter;
//   activations float32 tensors saved for backward, per token and layer: the two RMSNorm inputs and
//               outputs, q/k/v before and after rotary, the attention output, gate/up/SiLU/product of
//               the MLP, the attention probabilities (heads × length per token), plus the final norm and
//               the logits with their softmax (2 × vocab per token, usually the largest single term).
// Those pieces are the textbook view; each column's `total` is the planner's peak (memory-plan.ts), which
// counts every copy the engine holds and is calibrated against measured RSS on CPU.

import type { ModelConfig } from './config.ts';
import { parameterCounts, loraParameterCount, DEFAULT_LORA_TARGETS } from './parameter-counts.ts';
import { planTrainingMemory, type PlanDevice, type Precision } from './memory-plan.ts';

// Parameter counting lives in parameter-counts.ts (the planner uses it too); re-exported for existing importers.
export { DEFAULT_LORA_TARGETS, loraParameterCount, parameterCounts, type ParameterCounts } from './parameter-counts.ts';

export interface MemoryEstimateOptions {
  batchSize: number;
  seqLength: number;
  /** Bytes per weight (4 float32, 2 bf16). Default 4. */
  weightBytes?: number;
  loraRank?: number;
  loraTargets?: readonly string[];
  /** Passed to the planner (memory-plan.ts), which gives each column's `total`. */
  precision?: Precision;
  checkpointing?: boolean;
  lossChunks?: number;
  accumulation?: boolean;
  /** The trainer's step runner (memory-plan.ts MemoryPlanOptions.runner); default the trainers' own. */
  runner?: 'loop' | 'per-step';
  device?: PlanDevice;
}

export interface MemoryBreakdown {
  trainableParameters: number;
  weights: number;
  gradients: number;
  optimizer: number;
  activations: number;
  total: number;
}

export interface MemoryEstimate {
  batchSize: number;
  seqLength: number;
  full: MemoryBreakdown;
  lora: MemoryBreakdown & { rank: number; targets: string[] };
}

/** Float32 values saved for backward, per token, for the whole network. */
function activationFloatsPerToken(config: ModelConfig, seqLength: number, loraRank: number, loraTargets: number): number {
  const { hiddenSize: h, numHeads, numKvHeads, headDim: d, intermediateSize: m, numLayers, vocabSize } = config;
  const perLayer =
    4 * h + // two norm inputs and outputs
    (numHeads + 2 * numKvHeads) * d + // q, k, v as projected
    (numHeads + numKvHeads) * d + // q, k after rotary
    numHeads * d + // attention output before o_proj
    numHeads * seqLength + // attention probabilities
    4 * m + // gate, up, SiLU(gate), product
    loraRank * loraTargets; // x·Aᵀ of each adapter
  const head = config.task === 'sequence-classification' ? h : h + 2 * vocabSize;
  return numLayers * perLayer + head;
}

export function estimateTrainingMemory(config: ModelConfig, options: MemoryEstimateOptions): MemoryEstimate {
  const { batchSize, seqLength } = options;
  if (!(Number.isSafeInteger(batchSize) && batchSize > 0)) throw new Error(`batch size must be a positive integer, got ${batchSize}`);
  if (!(Number.isSafeInteger(seqLength) && seqLength > 0)) throw new Error(`sequence length must be a positive integer, got ${seqLength}`);
  const weightBytes = options.weightBytes ?? 4;
  const rank = options.loraRank ?? 16;
  const targets = [...(options.loraTargets ?? DEFAULT_LORA_TARGETS)];
  const params = parameterCounts(config).total;
  const tokens = batchSize * seqLength;

  const fullActivations = 4 * tokens * activationFloatsPerToken(config, seqLength, 0, 0);
  const full: MemoryBreakdown = {
    trainableParameters: params,
    weights: params * weightBytes,
    gradients: params * 4,
    optimizer: params * 8,
    activations: fullActivations,
    total: 0,
  };
  // The total is the planner's peak: every copy the engine holds (both sides of the fused step, the
  // loaded checkpoint, the runtime), calibrated against measured RSS; the pieces above are the textbook view.
  const plan = (method: 'full' | 'lora') =>
    planTrainingMemory(config, { batchSize, seqLength, method, loraRank: rank, loraTargets: targets, precision: options.precision, checkpointing: options.checkpointing, lossChunks: options.lossChunks, accumulation: options.accumulation, runner: options.runner, device: options.device, hostWeightBytes: weightBytes }).peakBytes;
  full.total = plan('full');

  const loraParams = loraParameterCount(config, rank, targets);
  const lora = {
    rank,
    targets,
    trainableParameters: loraParams,
    weights: params * weightBytes + loraParams * 4,
    gradients: loraParams * 4,
    optimizer: loraParams * 8,
    activations: 4 * tokens * activationFloatsPerToken(config, seqLength, rank, targets.length),
    total: 0,
  };
  lora.total = plan('lora');
  return { batchSize, seqLength, full, lora };
}

/** 1536 → "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${units[u]}`;
}

/** 1234567 → "1.23M". */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}
