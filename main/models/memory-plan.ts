// The memory planner: what one training step of this engine holds at its peak, counting every copy
// (issue #19: the old estimate left out the second copy of params / m / v that the fused step outputs
// and came out 20% low for Qwen2.5-1.5B full fine-tuning). `saenggak model info`, `pipeline check`, the
// trainers' memory checks and the device queue all read this one function.
//
// What a fused train step (engine/runtime/train-step-runner.ts) holds, by piece (measured on CPU by
// bench/scale.bench.ts: small shapes varied one term at a time, and Qwen2.5-1.5B cut to 2 and 8 layers):
//   hostWeights    the loaded checkpoint the trainer keeps for export (float32 today, 4 B/param);
//   frozen         frozen weights as onnxruntime's session initializers (LoRA: every base weight), in the
//                  compute dtype;
//   headBlocks     chunked cross-entropy (lossChunks) splits the head weight into vocabulary blocks. Frozen
//                  head: onnxruntime folds the Split into new initializers, a second resident copy of the
//                  (tied) embedding, plus one more while folding (a measured 2 × head bytes at load).
//                  Trainable tied head: the step holds the blocks, their concatenated gradient, the
//                  Gather's dense gradient and their sum (measured 4.75 × embedding bytes beyond the
//                  per-parameter terms below);
//   trainableState params + AdamW m and v, float32 master copies, × 2: the run's inputs and the
//                  outputs it writes (alternating host buffers on CPU; on a GPU, device copies of both);
//   outputCopies   onnxruntime-node hands back a JS copy of every output it wrote into the preallocated
//                  buffers (params, m, v): garbage after the step, but alive at its end (CPU only);
//   loopCarry      the loop step (the trainers' default): the Loop's own buffers of params + moments, 1 ×
//                  that state (LOOP_CARRY_FACTOR); it also runs the accumulate/apply graphs at any
//                  accumulation, so the accumulators count as with `accumulation`;
//   gradients      float32 gradients of every trainable parameter plus their clipped copies (global-norm
//                  clipping needs every gradient before it scales any);
//   optimizerTemps AdamW's elementwise temporaries: onnxruntime runs the update tensor by tensor in
//                  breadth-first order, so about two trainable-sized temporaries coexist (measured);
//   activations    what the backward reads, per layer (all layers; with checkpointing: each layer's
//                  input plus one layer's working set, rebuilt in the backward);
//   logits         the head's [tokens, vocab] float32 logits, log-probs and their gradient (a 1/k of
//                  that with lossChunks k);
//   sessionLoad    creating the session (CPU): the head's folding copy, for what it holds beyond the
//                  step's working set. (Frozen weights are handed over as views of their own bytes; when
//                  they were copied into external-data pieces, that copy lived into the first step: +1 ×
//                  frozen bytes at the peak, measured before step-graph.ts passed ownBufferBytes);
//   scorer         GRPO (options.grpo): the forward-only log-prob session's own copy of the frozen weights
//                  (bf16 when the checkpoint is: policy.ts stores exactly-bf16 weights so, cast at use;
//                  `scorerWeightBytes`), the tied head cast back to float32 while it runs, its
//                  [tokens, vocab] logits; and one more head-sized buffer the update holds (measured);
//   runtime        the process: Node, onnxruntime's libraries, its arena slack (measured: ~150 MiB on CPU);
//                  on GPUs the CUDA / Vulkan context;
//   margin         5% of the rest: the same step's peak RSS varies ~4% between runs.
// Checked against measured peak RSS on CPU by test/unit/models/memory-plan-measured.test.ts (a small
// shape, each run) and bench/scale.bench.ts (planner_error on the released shapes).

import type { ModelConfig } from './config.ts';
import { DEFAULT_LORA_TARGETS, loraParameterCount, parameterCounts } from './parameter-counts.ts';

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
  /**
   * How the trainer runs steps (engine/runtime/train-steps.ts): 'loop' (the trainers' default; fp16 runs per
   * step) always uses the accumulate/apply graphs and holds one more copy of params + moments inside the
   * loop (loopCarry); 'per-step'. Default: 'loop', or 'per-step' for fp16.
   */
  runner?: 'loop' | 'per-step';
  device?: PlanDevice;
  /** Bytes per weight of the checkpoint the trainer keeps loaded (4 today: loading widens to float32). */
  hostWeightBytes?: number;
  /** A GRPO policy (train/grpo/policy.ts): the update step plus a forward-only scorer session over the same frozen weights. */
  grpo?: boolean;
  /**
   * Bytes per frozen weight in GRPO's scorer: 2 when the checkpoint is bf16 (train/grpo/policy.ts keeps
   * exactly-bf16 frozen weights as bf16 there, cast at use), 4 otherwise (default).
   */
  scorerWeightBytes?: number;
}

export interface MemoryPlanBreakdown {
  hostWeights: number;
  frozen: number;
  headBlocks: number;
  trainableState: number;
  outputCopies: number;
  loopCarry: number;
  gradients: number;
  optimizerTemps: number;
  activations: number;
  logits: number;
  sessionLoad: number;
  scorer: number;
  runtime: number;
  margin: number;
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
/** AdamW temporaries alive at once, in trainable-parameter sizes (measured: full fine-tuning holds ~14 × params bytes in all). */
export const OPTIMIZER_TEMPS_FACTOR = 2;
/** A trainable tied head under chunked loss: embedding-sized tensors beyond the per-parameter terms (measured 4.75). */
export const TIED_HEAD_FACTOR = 4.75;
/**
 * Full fine-tuning with chunked loss: [tokens, vocab] float32 buffers beyond LoRA's (each block's logits
 * gradient feeds the hidden states' and the weight's gradient; measured 2.5 at 512 tokens, vocab 128k–152k).
 */
export const FULL_CHUNKED_LOGITS_FACTOR = 2.5;
/**
 * The loop step's own copy of params + AdamW moments (onnxruntime's Loop keeps its carried values in
 * buffers of its own and copies the final ones to the outputs), in trainable-state sizes. Measured: full
 * fine-tuning of Qwen2.5-0.5B cut to 2 layers, 512 tokens: 16.40 GiB loop vs 12.06 GiB per step, of which
 * the accumulate/apply graphs' accumulators explain 1.86 GiB and this copy 1.0 × state (1.86 GiB) the rest.
 */
export const LOOP_CARRY_FACTOR = 1;
/** Safety margin over the sum of the pieces (the measured run-to-run spread of peak RSS is ~4%). */
export const MARGIN = 0.03;
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
  const scorerBytes = options.scorerWeightBytes ?? 4;

  const cpu = device === 'cpu';
  const loop = (options.runner ?? (precision === 'fp16' ? 'per-step' : 'loop')) === 'loop';
  // The loop step runs the accumulate/apply graphs at any accumulation: accumulators exist even at K = 1.
  const accumulation = options.accumulation || loop;
  const chunked = chunks > 1 && config.task !== 'sequence-classification';
  const headParams = config.vocabSize * config.hiddenSize;
  // Frozen head split into blocks (LoRA, chunked loss): folded into initializers (resident) + once while folding.
  const frozenHead = method === 'lora' && chunked ? headParams * a : 0;
  // Trainable tied head split into blocks (full, chunked loss): blocks, their gradient's Concat, the Gather's dense gradient, the sum.
  const trainableHead = method === 'full' && chunked && config.tieWordEmbeddings ? TIED_HEAD_FACTOR * 4 * headParams : 0;
  const working = {
    gradients: 2 * 4 * Pt,
    optimizerTemps: OPTIMIZER_TEMPS_FACTOR * 4 * Pt,
    activations: ACTIVATION_FACTOR * a * tokens * activationValuesPerToken(config, seqLength, checkpointing, method === 'lora' ? rank * targets.length : 0),
    logits: config.task === 'sequence-classification' ? 0 : Math.ceil((LOGITS_FACTOR * 3 * 4 * tokens * config.vocabSize) / chunks) + (method === 'full' && chunked ? FULL_CHUNKED_LOGITS_FACTOR * 4 * tokens * config.vocabSize : 0),
  };
  // Session creation on CPU: the head's folding copy, counted for what it holds beyond the step's working
  // set (it is gone before the step). Frozen weights reach onnxruntime as views of their own bytes (no
  // copy in JS); GRPO's scorer session still copies them into pieces, but while the update session does
  // not exist yet (less than the step holds later).
  const workingBytes = Object.values(working).reduce((x, y) => x + y, 0);
  const loadTransient = cpu ? Math.max(0, frozenHead - workingBytes) : 0;
  const breakdown: MemoryPlanBreakdown = {
    hostWeights: cpu ? P * (options.hostWeightBytes ?? 4) : 0,
    frozen: Pf * a,
    headBlocks: frozenHead + trainableHead,
    trainableState: 2 * (accumulation ? 4 : 3) * 4 * Pt,
    outputCopies: cpu ? (accumulation ? 4 : 3) * 4 * Pt : 0,
    loopCarry: loop ? LOOP_CARRY_FACTOR * 3 * 4 * Pt : 0,
    ...working,
    sessionLoad: loadTransient,
    // GRPO's scorer: its own initializers, its [tokens, vocab] logits and log-probs, and head-sized
    // float32 buffers. bf16-stored weights (a bf16 checkpoint): half-size initializers, and a run casts
    // the tied head back to float32 whole (one head-sized buffer; the layers' casts live one at a time;
    // measured at 4 layers, group 4: peak 7.19 → 6.03 GiB). float32 initializers: two head-sized buffers,
    // the update's and the packed head measured when the scorer still prepacked (kept: not re-measured).
    scorer: options.grpo ? Pf * scorerBytes + (Pf ? (scorerBytes === 4 ? 2 : 1) * 4 * headParams : 0) + 2 * 4 * tokens * config.vocabSize : 0,
    runtime: cpu ? CPU_RUNTIME_BYTES : GPU_RUNTIME_BYTES,
    margin: 0,
  };
  // Run-to-run spread of the same step's peak RSS: 4% measured (arena growth, GC timing). Counted so the
  // estimate stays above the peak, not centred on it.
  breakdown.margin = Math.ceil(MARGIN * Object.values(breakdown).reduce((s, v) => s + v, 0));
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
