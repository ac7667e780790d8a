// What SFT, reward-model and GRPO configs have in common, written once: the method (full / LoRA /
// selective), the AdamW optimizer, the learning-rate schedule, held-out data, compute precision and the
// device (execution provider). Two halves:
//   - zod pieces the three schemas are built from, so a setting is validated the same way everywhere.
//     The user-facing keys stay as each trainer has always spelled them (SFT and RM flat: `learningRate`,
//     `decay`; GRPO grouped: `optimization.learningRate`, `optimization.schedule.decay`): YAML recipes,
//     the CLI, the API and the verl exporter read them. Defaults stay per trainer (the factories take them).
//   - TrainerBase, the same settings in one shape, read from any of the three resolved configs
//     (sftBase / rmBase / grpoBase next to each schema): what code that handles "a trainer" reads, e.g.
//     the learning-rate schedule (scheduleFor) and the memory plan.
import { z } from 'zod';
import type { LrDecay, LrSchedule } from '../run/index.ts';

// ---- zod pieces --------------------------------------------------------------------------------

/** Execution provider of the update ('auto': CUDA, WebGPU, then CPU). */
export const providerSchema = z.enum(['auto', 'cpu', 'cuda', 'webgpu']);
export type TrainProvider = z.infer<typeof providerSchema>;

/** Compute precision; master weights and AdamW moments stay fp32 (fp16: dynamic loss scaling; bf16 needs a GPU). */
export const precisionSchema = z.enum(['fp32', 'bf16', 'fp16']);
export type TrainPrecision = z.infer<typeof precisionSchema>;

/** Learning-rate decay after warmup. */
export const decaySchema = z.enum(['cosine', 'linear', 'constant']);

/** Global gradient-norm clipping; null turns it off. */
export const maxGradNormSchema = z.number().positive().nullable().default(1);

/** AdamW's β₁ and β₂. */
export const adamBetaSchema = (fallback: number) => z.number().min(0).lt(1).default(fallback);

/** Floor of the decay as a fraction of learningRate. */
export const minLearningRateRatioSchema = z.number().min(0).max(1).default(0);

/** Full fine-tuning: every weight trains. */
export const fullMethodSchema = z.object({ kind: z.literal('full') }).strict();

/** LoRA rank and scale as PEFT spells them (r, alpha). */
export const loraRankFields = {
  r: z.number().int().positive().default(16),
  alpha: z.number().positive().default(32),
};

// ---- one shape ---------------------------------------------------------------------------------

export type TrainerKind = 'sft' | 'rm' | 'grpo';

/** The shared settings of any trainer's resolved config, in one shape. */
export interface TrainerBase {
  kind: TrainerKind;
  method: { kind: 'full' } | { kind: 'lora'; r: number; alpha: number; dropout: number; targetModules: readonly string[] } | { kind: 'selective' };
  optimizer: { learningRate: number; weightDecay: number; beta1: number; beta2: number; maxGradNorm: number | null };
  /** Warmup as steps, or (when warmupSteps is absent) as a share of the run's steps. */
  schedule: { warmupSteps?: number; warmupRatio: number; decay: LrDecay; minLearningRateRatio: number };
  /** Held-out data: a share of the training rows, another source, or none. */
  heldOut: { share: number } | { source: string } | null;
  /** null: the device's default (bf16 on CUDA, fp16 on WebGPU, fp32 on CPU). */
  precision: TrainPrecision | null;
  device: { provider: TrainProvider };
  seed: number;
}

/** The learning-rate schedule of a run of `totalSteps` optimizer steps (warmup steps, else the ratio, rounded). */
export function scheduleFor(base: Pick<TrainerBase, 'optimizer' | 'schedule'>, totalSteps: number): LrSchedule {
  const { schedule, optimizer } = base;
  const warmupSteps = schedule.warmupSteps ?? Math.round(schedule.warmupRatio * totalSteps);
  return { learningRate: optimizer.learningRate, warmupSteps, decay: schedule.decay, minLearningRateRatio: schedule.minLearningRateRatio };
}

/** A method as TrainerBase holds it (LoRA's shape; selective's lists stay with the trainer). */
export function baseMethod(m: { kind: 'full' | 'lora' | 'selective'; r?: number; alpha?: number; dropout?: number; targetModules?: readonly string[] }): TrainerBase['method'] {
  if (m.kind === 'lora') return { kind: 'lora', r: m.r!, alpha: m.alpha!, dropout: m.dropout!, targetModules: m.targetModules! };
  return { kind: m.kind };
}

// ---- how optimizer steps run -------------------------------------------------------------------

/**
 * 'loop' (default): many optimizer steps of many micro-batches in one session.run, the trainable state
 * crossing host↔device once per run (engine/runtime/train-steps.ts); 'per-step': one run per micro-batch.
 * fp16 always runs per step (its loss scale is decided on the host).
 */
export const stepRunnerSchema = z.enum(['loop', 'per-step']).default('loop');

/**
 * Optimizer steps per run in loop mode. 'auto': as many as about RUN_FLOPS of compute (a few seconds on a
 * CPU, so progress, stop and checkpoints stay prompt), at most 32; a run also ends at every evaluation,
 * checkpoint and the last step.
 */
export const stepsPerRunSchema = z.union([z.literal('auto'), z.number().int().positive()]).default('auto');
