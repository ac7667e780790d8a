// The SFT run config: one typed object that `saenggak train sft --config run.yaml` reads, the `sft` job
// kind receives from the Train page, and the run saves as runs/<name>/config.yaml (fully resolved, so
// the saved file reproduces the run). Every field has a default that suits the demo (a small model on
// the Korean arithmetic traces); errors name the field and say what to set.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { neuronsFromSelection } from '../../models/neurons/selection-file.ts';
import { adamBetaSchema, baseMethod, decaySchema, fullMethodSchema, loraRankFields, maxGradNormSchema, minLearningRateRatioSchema, precisionSchema, providerSchema, stepRunnerSchema, stepsPerRunSchema, type TrainerBase } from '../shared/config-base.ts';
import type { TrainingShape } from '../shared/memory.ts';

// ---- Data --------------------------------------------------------------------------------------

/** Which columns hold the conversation: a `messages` list, or prompt / response (/ system) strings. */
export const sftColumnsSchema = z
  .object({
    /** A list of {role, content} messages (system / user / assistant; thinking inside the assistant turn). */
    messages: z.string().min(1).optional(),
    /** Single-turn rows: the user turn ... */
    prompt: z.string().min(1).optional(),
    /** ... the assistant turn (may hold `<think>…</think>`) ... */
    response: z.string().min(1).optional(),
    /** ... and an optional system prompt. */
    system: z.string().min(1).optional(),
  })
  .strict()
  .refine((c) => !(c.messages && (c.prompt || c.response)), { message: 'data.columns: map either messages or prompt/response, not both' })
  .refine((c) => c.messages !== undefined || !!c.prompt === !!c.response, { message: 'data.columns: prompt and response go together (set both)' });

export const sftDataSchema = z
  .object({
    /** A workspace dataset name, or a path to a .jsonl file (one JSON object per line). */
    source: z.string().min(1, 'data.source: name a workspace dataset or a .jsonl file'),
    /** Column mapping. Default: `messages` when the rows have it, else `prompt` / `response` (/ `system`). */
    columns: sftColumnsSchema.default({}),
  })
  .strict();

/** `data: my-dataset` is shorthand for `data: {source: my-dataset}`. */
const dataField = z.preprocess((v) => (typeof v === 'string' ? { source: v } : v), sftDataSchema);

// ---- Method ------------------------------------------------------------------------------------

export const sftMethodSchema = z.discriminatedUnion('kind', [
  fullMethodSchema,
  z
    .object({
      kind: z.literal('lora'),
      ...loraRankFields,
      dropout: z.number().min(0).max(0.9).default(0.05),
      /** Module names (`q_proj`, …) or `all-linear`. */
      targetModules: z.array(z.string().min(1)).min(1).default(['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']),
    })
    .strict(),
  z
    .object({
      kind: z.literal('selective'),
      /** Train every weight of these decoder layers. */
      layers: z.array(z.number().int().nonnegative()).optional(),
      /** Weight names, or `/regex/` patterns tested against the names. */
      parameters: z.array(z.string().min(1)).optional(),
      /** MLP neurons (intermediate indices) per layer: { "0": [3, 17], ... }, or a `saenggak neurons find` selection file's contents as is. */
      neurons: z.preprocess(neuronsFromSelection, z.record(z.string().regex(/^\d+$/, 'layer index'), z.array(z.number().int().nonnegative()))).optional(),
    })
    .strict()
    .refine((m) => (m.layers?.length ?? 0) + (m.parameters?.length ?? 0) + Object.keys(m.neurons ?? {}).length > 0, {
      message: 'method: selective tuning needs layers, parameters or neurons to train',
    }),
]);

// ---- The whole run -----------------------------------------------------------------------------

export const sftConfigSchema = z
  .object({
    // Identity
    /** Run name (runs/<name>/). Default: "sft", "sft-2", … whichever is free. */
    name: z.string().min(1).optional(),
    /** Workspace folder (the CLI's --workspace and the job's workspace take precedence). */
    workspace: z.string().min(1).optional(),

    // What to train on what
    /** Hugging Face model folder (config.json, *.safetensors, tokenizer files with a chat template). */
    model: z.string().min(1, 'model: give the folder of a Hugging Face model'),
    data: dataField,
    method: sftMethodSchema.default({ kind: 'full' }),

    // Sequences
    /** Longest training sequence in tokens (also the packed row length). */
    maxSeqLength: z.number().int().min(8).default(1024),
    /** Examples longer than maxSeqLength: 'drop' them, 'cut' them at maxSeqLength (both counted), or stop with an 'error' naming the row. */
    truncation: z.enum(['drop', 'cut', 'error']).default('drop'),
    /** Pack several examples per row (block-diagonal attention, positions restart per example). */
    packing: z.boolean().default(true),

    // Batches and steps
    /** Per micro-batch: rows (`batchUnit: sequences`; packed rows when packing) or tokens (`batchUnit: tokens`). */
    batchSize: z.number().int().positive().default(8),
    batchUnit: z.enum(['sequences', 'tokens']).default('sequences'),
    /** Micro-batches per optimizer step. The loss is normalised per target token over all of them. */
    gradAccumulation: z.number().int().positive().default(1),
    /** Passes over the training split (ignored when maxSteps is set). */
    epochs: z.number().positive().default(1),
    /** Optimizer steps; overrides epochs. */
    maxSteps: z.number().int().positive().optional(),

    // Optimizer (AdamW) and schedule
    learningRate: z.number().positive().default(1e-4),
    /** Warmup as steps; when absent, warmupRatio of the total steps. */
    warmupSteps: z.number().int().nonnegative().optional(),
    warmupRatio: z.number().min(0).max(1).default(0.03),
    decay: decaySchema.default('cosine'),
    /** Floor of the decay as a fraction of learningRate. */
    minLearningRateRatio: minLearningRateRatioSchema,
    weightDecay: z.number().min(0).default(0),
    beta1: adamBetaSchema(0.9),
    beta2: adamBetaSchema(0.999),
    /** Global gradient-norm clipping; null turns it off. */
    maxGradNorm: maxGradNormSchema,
    seed: z.number().int().default(42),

    // Evaluation and checkpoints
    /** Held-out data: a fraction of the rows (0 = none), or another dataset / .jsonl file. */
    evalSplit: z.union([z.number().min(0).lt(1), z.object({ source: z.string().min(1) }).strict()]).default(0.05),
    /** Eval loss every N optimizer steps (and at the end); 0 = only at the end. */
    evalEvery: z.number().int().nonnegative().default(50),
    /** Checkpoint every N optimizer steps (and when stopped); 0 = only when stopped. */
    saveEvery: z.number().int().nonnegative().default(100),
    keepCheckpoints: z.number().int().positive().default(2),

    // Where and how to compute
    provider: providerSchema.default('auto'),
    /** Master weights and compute dtype (float64 for exactness tests). */
    dtype: z.enum(['float32', 'float64']).default('float32'),
    /**
     * Compute precision; master weights and AdamW moments stay float32. fp16 uses dynamic loss scaling
     * (overflowing steps are skipped and retried at half the scale); bf16 needs a GPU provider.
     * Default: bf16 on GPUs, fp32 on the CPU.
     */
    precision: precisionSchema.optional(),
    /** Recompute each decoder layer in the backward pass instead of keeping its activations (same gradients, less memory, some extra compute). */
    gradientCheckpointing: z.boolean().default(false),
    /** With gradientCheckpointing: attention computed (and rebuilt in the backward) in this many groups of query heads, so one group's [B, H/k, S, S] probabilities exist at a time; must divide the heads. Same loss. */
    attentionChunks: z.number().int().positive().default(1),
    /** Cross-entropy over this many vocabulary blocks, so the [tokens, vocab] logits never exist whole (LoRA on lm_head is refused with it). */
    lossChunks: z.number().int().positive().optional(),
    /** 'loop' (default): many optimizer steps per session.run, the trainable state crossing host↔device once per run; 'per-step'. */
    stepRunner: stepRunnerSchema,
    /** Optimizer steps per run of the loop ('auto': a few seconds of CPU compute, ≤ 32; runs also end at evals and checkpoints). */
    stepsPerRun: stepsPerRunSchema,
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.batchUnit === 'tokens' && c.batchSize < c.maxSeqLength) {
      ctx.addIssue({ code: 'custom', path: ['batchSize'], message: `batchSize: ${c.batchSize} tokens cannot hold one sequence of maxSeqLength ${c.maxSeqLength}; raise batchSize or lower maxSeqLength` });
    }
    if (c.warmupSteps !== undefined && c.maxSteps !== undefined && c.warmupSteps > c.maxSteps) {
      ctx.addIssue({ code: 'custom', path: ['warmupSteps'], message: `warmupSteps (${c.warmupSteps}) exceeds maxSteps (${c.maxSteps})` });
    }
  });

/** A config as written (defaults optional). */
export type SftConfigInput = z.input<typeof sftConfigSchema>;
/** A resolved config: every default filled in. This is what runs and what config.yaml holds. */
export type SftConfig = z.output<typeof sftConfigSchema>;
export type SftMethod = SftConfig['method'];
export type SftData = SftConfig['data'];

export class SftConfigError extends Error {
  readonly code = 'invalid_config';
  constructor(readonly issues: string[]) {
    super(`invalid SFT config:\n  ${issues.join('\n  ')}`);
  }
}

/** Validates and fills defaults; throws SftConfigError listing every problem with its field. */
export function parseSftConfig(input: unknown): SftConfig {
  const result = sftConfigSchema.safeParse(input);
  if (result.success) return result.data;
  throw new SftConfigError(result.error.issues.map((i) => `${i.path.length ? i.path.join('.') + ': ' : ''}${i.message.replace(/^[\w.]+: /, '')}`));
}

/** The settings every trainer shares (config-base.ts), read from a resolved SFT config. */
export function sftBase(c: SftConfig): TrainerBase {
  return {
    kind: 'sft',
    method: baseMethod(c.method),
    optimizer: { learningRate: c.learningRate, weightDecay: c.weightDecay, beta1: c.beta1, beta2: c.beta2, maxGradNorm: c.maxGradNorm },
    schedule: { warmupSteps: c.warmupSteps, warmupRatio: c.warmupRatio, decay: c.decay, minLearningRateRatio: c.minLearningRateRatio },
    heldOut: typeof c.evalSplit === 'number' ? (c.evalSplit > 0 ? { share: c.evalSplit } : null) : { source: c.evalSplit.source },
    precision: c.precision ?? null,
    device: { provider: c.provider },
    seed: c.seed,
  };
}

/** What one micro-batch graph holds, for the memory planner: a token budget holds batchSize / maxSeqLength full-length rows. */
export function sftShape(c: SftConfig): TrainingShape {
  const sequences = c.batchUnit === 'tokens' ? Math.max(1, Math.floor(c.batchSize / c.maxSeqLength)) : c.batchSize;
  return { sequences, seqLength: c.maxSeqLength, loraRank: c.method.kind === 'lora' ? c.method.r : undefined, checkpointing: c.gradientCheckpointing, lossChunks: c.lossChunks, accumulation: c.gradAccumulation > 1, scorer: false, runner: c.precision === 'fp16' ? 'per-step' : c.stepRunner };
}

/** Reads a run.yaml (or .json) file and parses it. */
export function readSftConfigFile(path: string): SftConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read SFT config ${path}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new Error(`${path}: not valid YAML (${(error as Error).message})`);
  }
  return parseSftConfig(raw);
}

/**
 * The config that decides the numbers a run produces. A resumed run must match it (checkpoints store
 * it); fields that do not change the trajectory (name, workspace, provider, eval/save cadence, how steps are run) are left out.
 */
export function trajectoryConfig(config: SftConfig): Record<string, unknown> {
  const { name: _name, workspace: _workspace, provider: _provider, evalEvery: _e, saveEvery: _s, keepCheckpoints: _k, stepRunner: _r, stepsPerRun: _p, ...rest } = config;
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
}
