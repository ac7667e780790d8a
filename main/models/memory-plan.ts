// The memory planner: what one training step of this engine holds at its peak, counting every copy
// (issue #19: the old estimate left out the second copy of params / m / v that the fused step outputs
// and came out 20% low for Qwen2.5-1.5B full fine-tuning). `saenggak model info`, `pipeline check`, the
// trainers' memory checks and the device queue all read this one function.
//
// What a fused train step (engine/runtime/train-step-runner.ts) holds, by piece:
//   hostWeights    the loaded checkpoint the trainer keeps for export (float32 today, 4 B/param);
//   frozen         frozen weights as session initializers (LoRA: every base weight), in the compute
//                  dtype, plus the in-memory external-data pieces they are handed over in while the
//                  session is created (transient, but that is when LoRA peaks);
//   trainableState params + AdamW m and v, float32 master copies, × 2: the run's inputs and the
//                  outputs it writes (alternating host buffers on CPU; on a GPU, device copies of both);
//   gradients      one float32 gradient per trainable parameter (clipping needs them all at once);
//   optimizerTemps AdamW's elementwise temporaries, a few of the largest trainable tensor;
//   activations    what the backward reads, per layer (all layers; with checkpointing: each layer's
//                  input plus one layer's working set, rebuilt in the backward);
//   logits         the head's [tokens, vocab] float32 logits, log-probs and their gradient (a 1/k of
//                  that with lossChunks k);
//   runtime        the process: Node, onnxruntime's libraries, its arena slack (measured: ~150 MiB on CPU);
//                  on GPUs the CUDA / Vulkan context.
// Checked against measured peak RSS on CPU by bench/scale.bench.ts (planner_error).

import type { ModelConfig } from './config.ts';
import { DEFAULT_LORA_TARGETS, loraParameterCount, parameterCounts } from './memory.ts';
import { expectedWeightShapes } from './weights.ts';

export type Precision = 'fp32' | 'bf16' | 'fp16';
export type PlanDevice = 'cpu' | 'cuda' | 'webgpu';

export interface MemoryPlanOptions {
  batchSize: number;
  seqLength: number;
  method: 'full' | 'lora';
  loraRank?: number;
  loraTargets?: readonly string[];
  /** Compute precision (master weights and moments stay float32). Default fp32. */
  precision?: Precision;
  /** Activation checkpointing per decoder layer. Default false. */
  checkpointing?: boolean;
  /** Chunked cross-entropy over this many vocabulary blocks (1 = whole logits). Default 1. */
  lossChunks?: number;
  /** Gradient accumulation (accumulate/apply graphs): float32 accumulators carried too, both copies. */
  accumulation?: boolean;
  device?: PlanDevice;
  /** Bytes per weight of the checkpoint the trainer keeps loaded (4 today: loading widens to float32). */
  hostWeightBytes?: number;
}

export interface MemoryPlanBreakdown {
  hostWeights: number;
  frozen: number;
  trainableState: number;
  gradients: number;
  optimizerTemps: number;
  activations: number;
  logits: number;
  runtime: number;
}

export interface MemoryPlan {
  method: 'full' | 'lora';
  precision: Precision;
  checkpointing: boolean;
  device: PlanDevice;
  batchSize: number;
  seqLength: number;
  trainableParameters: number;
  /** Peak bytes on the device that computes (host RAM on CPU; GPU memory otherwise). */
  peakBytes: number;
  /** Host RAM the process needs besides (GPU runs: loaded weights, host copies of the state). */
  hostBytes: number;
  breakdown: MemoryPlanBreakdown;
  /** Which common GPU sizes the peak fits (10% left for fragmentation). */
  fits: Record<'24GB' | '40GB' | '80GB', boolean>;
}

/**
 * Calibration against measured peak RSS on CPU (onnxruntime-node 1.30, default arena; bench/scale.bench.ts
 * and bench/lib/ckpt-mem-probe.ts): onnxruntime holds about 2.6× the textbook activation count (the
 * backward's temporaries, transposed and reshaped copies, arena slack) and about 2× the three [tokens,
 * vocab] float32 tensors of the loss. Measured on 6 small shapes (full / LoRA, checkpointing on / off,
 * vocab 2k–32k): within 10% except chunked loss at 2048 tokens (−25%).
 */
export const ACTIVATION_FACTOR = 2.6;
export const LOGITS_FACTOR = 2;

/** Process baseline measured on CPU (Node + onnxruntime-node loaded, nothing else): ~150 MiB. */
export const CPU_RUNTIME_BYTES = 150 * 2 ** 20;
/** CUDA / Vulkan context and kernels' workspace on a GPU (typical, not measured here). */
export const GPU_RUNTIME_BYTES = 1 * 2 ** 30;
export const GPU_SIZES = { '24GB': 24e9, '40GB': 40e9, '80GB': 80e9 } as const;

export function planTrainingMemory(config: ModelConfig, options: MemoryPlanOptions): MemoryPlan {
  const { batchSize, seqLength, method } = options;
  if (!(Number.isSafeInteger(batchSize) && batchSize > 0)) throw new Error(`batch size must be a positive integer, got ${batchSize}`);
  if (!(Number.isSafeInteger(seqLength) && seqLength > 0)) throw new Error(`sequence length must be a positive integer, got ${seqLength}`);
  if (method !== 'full' && method !== 'lora') throw new Error(`method must be full or lora, got ${method}`);
  const precision = options.precision ?? 'fp32';
  if (!['fp32', 'bf16', 'fp16'].includes(precision)) throw new Error(`precision must be fp32, bf16 or fp16, got ${precision}`);
  const device = options.device ?? 'cpu';
  if (!['cpu', 'cuda', 'webgpu'].includes(device)) throw new Error(`device must be cpu, cuda or webgpu, got ${device}`);
  const checkpointing = options.checkpointing ?? false;
  const chunks = options.lossChunks ?? 1;
  const a = precision === 'fp32' ? 4 : 2; // bytes per activation / compute weight
  const P = parameterCounts(config).total;
  const rank = options.loraRank ?? 16;
  const targets = options.loraTargets ?? DEFAULT_LORA_TARGETS;
  const Pt = method === 'full' ? P : loraParameterCount(config, rank, targets);
  const Pf = method === 'full' ? 0 : P;
  const tokens = batchSize * seqLength;
  const largest = method === 'full' ? largestTensor(config) : largestLoraTensor(config, rank);

  const breakdown: MemoryPlanBreakdown = {
    hostWeights: device === 'cpu' ? P * (options.hostWeightBytes ?? 4) : 0,
    // Initializers, plus the pieces they arrive in while the session is created (on CPU, onnxruntime
    // keeps its own copy; on GPUs the pieces are host memory).
    frozen: Pf * a * (device === 'cpu' ? 2 : 1),
    trainableState: 2 * (options.accumulation ? 4 : 3) * 4 * Pt,
    gradients: 4 * Pt,
    optimizerTemps: 3 * 4 * largest,
    activations: ACTIVATION_FACTOR * a * tokens * activationValuesPerToken(config, seqLength, checkpointing, method === 'lora' ? rank * targets.length : 0),
    logits: config.task === 'sequence-classification' ? 0 : Math.ceil((LOGITS_FACTOR * 3 * 4 * tokens * config.vocabSize) / chunks),
    runtime: device === 'cpu' ? CPU_RUNTIME_BYTES : GPU_RUNTIME_BYTES,
  };
  const peakBytes = Object.values(breakdown).reduce((s, v) => s + v, 0);
  // GPU runs: the host keeps the loaded checkpoint and host copies of the state that crosses per step.
  const hostBytes = device === 'cpu' ? 0 : P * (options.hostWeightBytes ?? 4) + 2 * 3 * 4 * Pt + Pf * a + CPU_RUNTIME_BYTES;
  const fits = Object.fromEntries(Object.entries(GPU_SIZES).map(([k, v]) => [k, peakBytes <= 0.9 * v])) as MemoryPlan['fits'];
  return { method, precision, checkpointing, device, batchSize, seqLength, trainableParameters: Pt, peakBytes, hostBytes, breakdown, fits };
}

/**
 * Values the backward pass reads, per token, for the whole network (logits apart). Without
 * checkpointing every layer keeps its working set: two norm inputs and outputs, q/k/v before and after
 * rotary, the attention output, the probabilities (heads × length per token), gate/up/SiLU/product, x·Aᵀ
 * of each LoRA adapter. With checkpointing only each layer's input lives through the step, and one
 * layer's working set exists at a time (rebuilt in the backward), plus its gradient flowing down.
 */
export function activationValuesPerToken(config: ModelConfig, seqLength: number, checkpointing: boolean, loraValues = 0): number {
  const { hiddenSize: h, numHeads, numKvHeads, headDim: d, intermediateSize: m, numLayers } = config;
  const perLayer =
    4 * h +
    (numHeads + 2 * numKvHeads) * d +
    (numHeads + numKvHeads) * d +
    numHeads * d +
    numHeads * seqLength +
    4 * m +
    loraValues;
  const head = 2 * h;
  if (!checkpointing) return numLayers * perLayer + head;
  return (numLayers + 1) * h + 2 * perLayer + head;
}

function largestTensor(config: ModelConfig): number {
  let best = 0;
  for (const [, shape] of expectedWeightShapes(config)) best = Math.max(best, shape.reduce((x, y) => x * y, 1));
  return best;
}

function largestLoraTensor(config: ModelConfig, rank: number): number {
  return rank * Math.max(config.intermediateSize, config.numHeads * config.headDim, config.hiddenSize);
}
