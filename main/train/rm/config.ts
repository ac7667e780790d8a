// The reward-model run config: one typed object that `saenggak train rm` builds from its flags, the `rm`
// job kind receives from the Reward Model page, the pipeline's `rewardModel` stage embeds, and the run
// saves as runs/<name>/config.yaml (fully resolved). Defaults follow TRL's RewardConfig where it has one
// (max_length 1024, drop longer pairs, no centring) and suit the demo otherwise.
import { z } from 'zod';
import { baseMethod, decaySchema, fullMethodSchema, loraRankFields, maxGradNormSchema, minLearningRateRatioSchema, precisionSchema, providerSchema, stepRunnerSchema, stepsPerRunSchema, type TrainerBase } from '../shared/config-base.ts';
import type { TrainingShape } from '../shared/memory.ts';

export const rmMethodSchema = z.discriminatedUnion('kind', [
  fullMethodSchema,
  z
    .object({
      kind: z.literal('lora'),
      ...loraRankFields,
      dropout: z.number().min(0).max(0.9).default(0.05),
      /** Module names (`q_proj`, …) or `all-linear`. The score head always trains (PEFT's modules_to_save). */
      targetModules: z.array(z.string().min(1)).min(1).default(['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']),
    })
    .strict(),
  z
    .object({
      kind: z.literal('selective'),
      /** Train every weight of these decoder layers (plus the score head). */
      layers: z.array(z.number().int().nonnegative()).optional(),
      /** Weight names, or `/regex/` patterns tested against the names. */
      parameters: z.array(z.string().min(1)).optional(),
    })
    .strict()
    .refine((m) => (m.layers?.length ?? 0) + (m.parameters?.length ?? 0) > 0, { message: 'method: selective tuning needs layers or parameters to train' }),
]);

export const rmConfigSchema = z
  .object({
    // Identity
    /** Run name (runs/<name>/). Default: "rm", "rm-2", … whichever is free. */
    name: z.string().min(1).optional(),
    /** Workspace folder (the CLI's --workspace and the job's workspace take precedence). */
    workspace: z.string().min(1).optional(),
    /** Also copy the final model here (the CLI's --out). The run's own copy is runs/<name>/output/. */
    out: z.string().min(1).optional(),

    // What to train on what
    /** Base model folder: an instruct / SFT causal LM (a score head is added) or a reward model to continue. */
    model: z.string().min(1, 'model: give the folder of a Hugging Face model'),
    /** A preference file (.jsonl / .json / .parquet in TRL's layout) or a workspace dataset (a preference set). */
    data: z.string().min(1, 'data: name a preference file or a preference set of the workspace'),
    method: rmMethodSchema.default({ kind: 'full' }),

    // Sequences
    /** Longest prompt + answer in tokens, chat template applied. */
    maxLength: z.number().int().min(8).default(1024),
    /** Pairs longer than maxLength: 'drop' them (TRL) or 'cut' them from the left (both counted). */
    truncation: z.enum(['drop', 'cut']).default('drop'),
    /** Share of the pairs held out for evaluation (0 = none). */
    heldOutShare: z.number().min(0).lt(1).default(0.1),

    // Loss
    /** Reward-centring coefficient c: adds c · mean(r²) so scores stay near zero (TRL suggests 0.01). */
    centeringCoefficient: z.number().min(0).default(0),
    /** Use the data's `margin` column inside the sigmoid when it has one. */
    useMargin: z.boolean().default(true),

    // Batches, steps, optimizer
    /** Pairs per optimizer step (the step graph holds 2× as many sequences). */
    pairsPerBatch: z.number().int().positive().default(8),
    epochs: z.number().positive().default(1),
    /** Optimizer steps; overrides epochs. */
    maxSteps: z.number().int().positive().optional(),
    learningRate: z.number().positive().default(1e-5),
    warmupRatio: z.number().min(0).max(1).default(0.03),
    decay: decaySchema.default('linear'),
    minLearningRateRatio: minLearningRateRatioSchema,
    weightDecay: z.number().min(0).default(0),
    /** Global gradient-norm clipping; null turns it off. */
    maxGradNorm: maxGradNormSchema,
    seed: z.number().int().default(42),

    // Evaluation and checkpoints
    /** Held-out accuracy every N steps (and at the end); 0 = only at the end. */
    evalEvery: z.number().int().nonnegative().default(50),
    /** Checkpoint every N steps (and when stopped); 0 = only when stopped. */
    saveEvery: z.number().int().nonnegative().default(100),
    keepCheckpoints: z.number().int().positive().default(2),

    // Where and how to compute
    provider: providerSchema.default('cpu'),
    dtype: z.enum(['float32', 'float64']).default('float32'),
    /** Recompute each decoder layer in the backward pass instead of keeping its activations (same gradients, less memory). */
    gradientCheckpointing: z.boolean().default(false),
    /** Compute precision; master weights and AdamW moments stay fp32 (fp16: dynamic loss scaling; bf16 needs a GPU). Default: bf16 on CUDA, fp16 on WebGPU, fp32 on CPU. */
    precision: precisionSchema.optional(),
    /** 'loop' (default): many optimizer steps per session.run, the trainable state crossing host↔device once per run; 'per-step'. */
    stepRunner: stepRunnerSchema,
    /** Optimizer steps per run of the loop ('auto': a few seconds of CPU compute, ≤ 32; runs also end at evals and checkpoints). */
    stepsPerRun: stepsPerRunSchema,
  })
  .strict();

export type RmConfigInput = z.input<typeof rmConfigSchema>;
export type RmConfig = z.output<typeof rmConfigSchema>;
export type RmMethod = RmConfig['method'];

export class RmConfigError extends Error {
  readonly code = 'invalid_config';
  constructor(readonly issues: string[]) {
    super(`invalid reward-model config:\n  ${issues.join('\n  ')}`);
  }
}

/** Validates and fills defaults; throws RmConfigError listing every problem with its field. */
export function parseRmConfig(input: unknown): RmConfig {
  const result = rmConfigSchema.safeParse(input);
  if (result.success) return result.data;
  throw new RmConfigError(result.error.issues.map((i) => `${i.path.length ? i.path.join('.') + ': ' : ''}${i.message.replace(/^[\w.]+: /, '')}`));
}

/** The settings every trainer shares (config-base.ts), read from a resolved reward-model config (AdamW's betas are the defaults). */
export function rmBase(c: RmConfig): TrainerBase {
  return {
    kind: 'rm',
    method: baseMethod(c.method),
    optimizer: { learningRate: c.learningRate, weightDecay: c.weightDecay, beta1: 0.9, beta2: 0.999, maxGradNorm: c.maxGradNorm },
    schedule: { warmupRatio: c.warmupRatio, decay: c.decay, minLearningRateRatio: c.minLearningRateRatio },
    heldOut: c.heldOutShare > 0 ? { share: c.heldOutShare } : null,
    precision: c.precision ?? null,
    device: { provider: c.provider },
    seed: c.seed,
  };
}

/** What one step graph holds, for the memory planner: a chosen and a rejected sequence per pair, a one-label head. */
export function rmShape(c: RmConfig): TrainingShape {
  return { sequences: 2 * c.pairsPerBatch, seqLength: c.maxLength, loraRank: c.method.kind === 'lora' ? c.method.r : undefined, checkpointing: c.gradientCheckpointing, accumulation: false, scorer: true, runner: c.precision === 'fp16' ? 'per-step' : c.stepRunner };
}

/**
 * What decides the numbers a run produces: a resume must match it (checkpoints store it). How steps are
 * run (stepRunner, stepsPerRun) is left out: the loop and the per-step runner take the same steps.
 */
export function trajectoryConfig(config: RmConfig): Record<string, unknown> {
  const { name: _n, workspace: _w, out: _o, provider: _p, evalEvery: _e, saveEvery: _s, keepCheckpoints: _k, stepRunner: _r, stepsPerRun: _sp, ...rest } = config;
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
}
