// The GRPO run config: one typed object (`saenggak train grpo --config run.yaml`, the pipeline's GRPO stage,
// the app's form). Field names are part of the contract: the verl exporter maps them to verl keys, so
// rename nothing without updating main/export.
//
// Groups, as TRL's GRPOConfig: what trains (model, method), what it trains on (prompts, heldOut), how
// rollouts are drawn (rollout), how they are scored (rewards: the same composition data filtering and
// evaluation use), the objective (advantages, clipping, aggregation, epochs, KL, over-long handling),
// batch shaping (dynamic sampling, difficulty filter, replay), optimisation and bookkeeping.
import { z } from 'zod';
import { rewardConfigSchema } from '../../rewards/compose.ts';
import { neuronsFromSelection } from '../../models/neurons/selection-file.ts';
import { adamBetaSchema, baseMethod, decaySchema, fullMethodSchema, loraRankFields, maxGradNormSchema, minLearningRateRatioSchema, precisionSchema, providerSchema, stepRunnerSchema, type TrainerBase } from '../shared/config-base.ts';
import type { TrainingShape } from '../shared/memory.ts';

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().min(0);
const probability = z.number().min(0).max(1);

/** What dynamic sampling compares within a group: the accuracy reward (DAPO), the total, or a component. */
export const DYNAMIC_SAMPLING_BY = ['accuracy', 'total', 'format', 'language', 'rewardModel', 'judge'] as const;
export type DynamicSamplingBy = (typeof DYNAMIC_SAMPLING_BY)[number];

/** LoRA as PEFT spells it (r, alpha, dropout, target modules). */
export const loraMethodSchema = z
  .object({
    kind: z.literal('lora'),
    ...loraRankFields,
    dropout: z.number().min(0).lt(1).default(0),
    /** Module names ("q_proj") or "all-linear". */
    targetModules: z.array(z.string().min(1)).min(1).default(['all-linear']),
    useRslora: z.boolean().default(false),
    /** Start from this PEFT adapter folder instead of a fresh adapter. */
    adapter: z.string().min(1).optional(),
  })
  .strict();

/** Train only some weights: whole layers, named parameters (exact names or /regex/ strings), MLP neurons. */
export const selectiveMethodSchema = z
  .object({
    kind: z.literal('selective'),
    layers: z.array(nonNegativeInt).optional(),
    parameters: z.array(z.string().min(1)).optional(),
    /** MLP neurons per layer ({ "0": [3, 17] }), or a `saenggak neurons find` selection file (its contents or its .json path). */
    neurons: z.preprocess(neuronsFromSelection, z.record(z.string().regex(/^\d+$/, 'layer index'), z.array(nonNegativeInt))).optional(),
  })
  .strict();

export const methodSchema = z.discriminatedUnion('kind', [fullMethodSchema, loraMethodSchema, selectiveMethodSchema]);

/** Where prompts come from: a workspace dataset or a JSONL file, and which columns hold what. */
export const promptSourceSchema = z
  .object({
    /** Workspace dataset name (store) … */
    dataset: z.string().min(1).optional(),
    /** … or a JSONL file (one row per line). Exactly one of the two. */
    path: z.string().min(1).optional(),
    columns: z
      .object({
        /** User turn text; rows may instead have `messages` (the first user message is used). */
        prompt: z.string().min(1).default('prompt'),
        /** Gold answer for the accuracy reward. */
        answer: z.string().min(1).default('answer'),
        /** Target language of the thinking (default: detected from the prompt). */
        lang: z.string().min(1).default('lang'),
      })
      .strict()
      .default({ prompt: 'prompt', answer: 'answer', lang: 'lang' }),
    /** Use at most this many rows (after shuffling by `seed`). */
    limit: positiveInt.optional(),
  })
  .strict()
  .refine((s) => (s.dataset === undefined) !== (s.path === undefined), { message: 'set exactly one of prompts.dataset or prompts.path' });

export const rolloutSchema = z
  .object({
    /** G: samples per prompt. */
    groupSize: z.number().int().min(2).default(8),
    /** Prompts (groups) in one optimizer step's rollout batch. */
    promptsPerStep: positiveInt.default(8),
    temperature: z.number().gt(0).default(1),
    topP: z.number().gt(0).max(1).default(1),
    maxNewTokens: positiveInt.default(512),
    /** Generation stops at any of these (the eos token always stops). */
    stopStrings: z.array(z.string().min(1)).default([]),
  })
  .strict();

export const objectiveSchema = z
  .object({
    advantage: z
      .object({
        /** Divide by the group's std (GRPO), the whole batch's std, or not at all (Dr. GRPO). */
        std: z.enum(['group', 'batch', 'none']).default('group'),
        /** Added to the std before dividing. */
        eps: z.number().positive().default(1e-4),
      })
      .strict()
      .default({ std: 'group', eps: 1e-4 }),
    /** PPO clip range [1 − epsLow, 1 + epsHigh] (clip-higher: epsHigh > epsLow, as DAPO's 0.2 / 0.28). */
    clip: z
      .object({
        epsLow: z.number().positive().default(0.2),
        epsHigh: z.number().positive().default(0.28),
        /**
         * standard: clipped tokens send no gradient (PPO/GRPO/DAPO). gppo: Gradient-Preserving clipping
         * (Klear-Reasoner): same loss value, but clipped tokens keep a gradient bounded at the clip edge.
         */
        mode: z.enum(['standard', 'gppo']).default('standard'),
      })
      .strict()
      .default({ epsLow: 0.2, epsHigh: 0.28, mode: 'standard' }),
    /**
     * token: mean over all response tokens of the batch (DAPO); sequence: mean per response, then over
     * responses (GRPO); constant: sum over tokens / (responses × maxNewTokens) (Dr. GRPO).
     */
    lossAggregation: z.enum(['token', 'sequence', 'constant']).default('token'),
    /** μ: optimizer passes over each rollout batch (ratios use the stored old log-probs). */
    updateEpochs: positiveInt.default(1),
    /** Responses per optimizer step within an epoch (default: the whole batch, one step per epoch). */
    miniBatch: positiveInt.optional(),
    /** KL penalty to the reference policy (base model; with LoRA the adapter switched off). β = 0 turns it off. */
    kl: z.object({ beta: z.number().min(0).default(0), estimator: z.literal('k3').default('k3') }).strict().default({ beta: 0, estimator: 'k3' }),
    /**
     * Truncated responses (hit maxNewTokens): `mask` drops them from the loss; `soft` subtracts a
     * linear penalty over the last `buffer` tokens before `length` (DAPO's soft over-long punishment).
     */
    overlong: z
      .object({
        mode: z.enum(['none', 'mask', 'soft']).default('none'),
        /** Soft: the length where the penalty reaches `penalty` (default: maxNewTokens). */
        length: positiveInt.optional(),
        buffer: positiveInt.default(64),
        penalty: z.number().positive().default(1),
      })
      .strict()
      .default({ mode: 'none', buffer: 64, penalty: 1 }),
  })
  .strict();

export const batchShapingSchema = z
  .object({
    /**
     * Drop groups that teach nothing and sample more prompts, at most maxRounds extra rounds. `by` says which
     * score decides: 'accuracy' (DAPO's rule: all responses right or all wrong), 'total' (the whole reward is
     * equal across the group), or one reward component's name. A group whose chosen score does not apply
     * (e.g. accuracy without a gold answer) is kept.
     */
    dynamicSampling: z
      .object({ enabled: z.boolean().default(false), maxRounds: nonNegativeInt.default(3), by: z.enum(DYNAMIC_SAMPLING_BY).default('accuracy') })
      .strict()
      .default({ enabled: false, maxRounds: 3, by: 'accuracy' }),
    /**
     * Variance-Aware Sampling (MMR1): a share `ratio` of each batch drawn with probability ∝ the prompt's
     * Variance Promotion Score, outcomeWeight·p(1 − p) + diversityWeight·(trajectory diversity), from its last visit.
     */
    varianceAwareSampling: z
      .object({ enabled: z.boolean().default(false), ratio: probability.default(0.5), outcomeWeight: z.number().min(0).default(1), diversityWeight: z.number().min(0).default(1) })
      .strict()
      .refine((v) => v.outcomeWeight + v.diversityWeight > 0, { message: 'varianceAwareSampling: outcomeWeight and diversityWeight cannot both be 0' })
      .default({ enabled: false, ratio: 0.5, outcomeWeight: 1, diversityWeight: 1 }),
    /**
     * Self-Evolving Curriculum (SEC): prompt categories are bandit arms; each slot picks a category by
     * softmax(Q/temperature), and Q moves toward the mean absolute advantage the category gave (TD(0), step
     * learningRate). Categories: `by: passRate` buckets the prompts' last pass rate into `buckets` bins (plus
     * 'unseen'); `by: column` uses the prompt rows' `column` value.
     */
    curriculum: z
      .object({
        enabled: z.boolean().default(false),
        by: z.enum(['passRate', 'column']).default('passRate'),
        column: z.string().min(1).optional(),
        buckets: z.number().int().min(2).default(3),
        learningRate: z.number().gt(0).max(1).default(0.5),
        temperature: z.number().gt(0).default(1),
      })
      .strict()
      .refine((c) => c.by !== 'column' || c.column !== undefined, { message: 'curriculum.by is column: name the column (curriculum.column)' })
      .default({ enabled: false, by: 'passRate', buckets: 3, learningRate: 0.5, temperature: 1 }),
    /** Skip prompts whose recent pass rate (mean accuracy over the last `window` visits) lies outside [low, high]. */
    difficultyFilter: z
      .object({ enabled: z.boolean().default(false), low: probability.default(0), high: probability.default(1), window: positiveInt.default(4) })
      .strict()
      .refine((d) => d.low <= d.high, { message: 'difficultyFilter.low must be ≤ high' })
      .default({ enabled: false, low: 0, high: 1, window: 4 }),
    /** Reuse recent successful rollouts of a prompt in place of one sample of an otherwise all-wrong group. */
    replay: z.object({ enabled: z.boolean().default(false), size: positiveInt.default(256) }).strict().default({ enabled: false, size: 256 }),
  })
  .strict();

export const optimizationSchema = z
  .object({
    learningRate: z.number().positive().default(1e-5),
    schedule: z
      .object({ warmupSteps: nonNegativeInt.default(0), decay: decaySchema.default('constant'), minLearningRateRatio: minLearningRateRatioSchema })
      .strict()
      .default({ warmupSteps: 0, decay: 'constant', minLearningRateRatio: 0 }),
    weightDecay: z.number().min(0).default(0),
    /** Global gradient-norm clip; null turns clipping off. */
    maxGradNorm: maxGradNormSchema,
    beta1: adamBetaSchema(0.9),
    beta2: adamBetaSchema(0.999),
  })
  .strict();

/** Held-out evaluation: greedy accuracy and target-language share of the thinking. */
export const heldOutSchema = z
  .object({
    dataset: z.string().min(1).optional(),
    path: z.string().min(1).optional(),
    columns: z.object({ prompt: z.string().default('prompt'), answer: z.string().default('answer'), lang: z.string().default('lang') }).strict().default({ prompt: 'prompt', answer: 'answer', lang: 'lang' }),
    limit: positiveInt.optional(),
    maxNewTokens: positiveInt.optional(),
  })
  .strict()
  .refine((s) => (s.dataset === undefined) !== (s.path === undefined), { message: 'set exactly one of heldOut.dataset or heldOut.path' });

export const grpoConfigSchema = z
  .object({
    /** Run name (runs/<name>); default: a free name from the model folder. */
    name: z.string().min(1).optional(),
    /** Model folder (Hugging Face layout), usually the SFT run's output. */
    model: z.string().min(1),
    method: methodSchema.default({ kind: 'lora', r: 16, alpha: 32, dropout: 0, targetModules: ['all-linear'], useRslora: false }),
    prompts: promptSourceSchema,
    rollout: rolloutSchema.default(rolloutSchema.parse({})),
    /**
     * Rewards: the composition of main/rewards (accuracy, format, language on the thinking, reward model on
     * the summary only, judge) with weights. `rewardModel.path` names a Qwen2ForSequenceClassification folder.
     */
    rewards: rewardConfigSchema.default({ accuracy: { weight: 1 }, format: { weight: 0.2 }, language: { weight: 0.5 } }),
    rewardModelPath: z.string().min(1).optional(),
    /** OpenAI-compatible judge endpoint, when rewards.judge is set (the key comes from the environment). */
    judge: z.object({ baseUrl: z.string().url(), model: z.string().min(1), apiKeyEnv: z.string().default('SAENGGAK_JUDGE_API_KEY') }).strict().optional(),
    objective: objectiveSchema.default(objectiveSchema.parse({})),
    dynamicSampling: batchShapingSchema.shape.dynamicSampling,
    difficultyFilter: batchShapingSchema.shape.difficultyFilter,
    replay: batchShapingSchema.shape.replay,
    varianceAwareSampling: batchShapingSchema.shape.varianceAwareSampling,
    curriculum: batchShapingSchema.shape.curriculum,
    optimization: optimizationSchema.default(optimizationSchema.parse({})),
    /** Optimizer steps (one rollout batch each, times updateEpochs × mini-batches). */
    steps: positiveInt.default(100),
    saveEvery: positiveInt.default(25),
    keepCheckpoints: positiveInt.default(2),
    /** Evaluate on heldOut every N steps (and at the end); 0 = only at the end. */
    evalEvery: nonNegativeInt.default(0),
    heldOut: heldOutSchema.optional(),
    seed: z.number().int().default(0),
    /** Execution provider for the update ('auto': CUDA, WebGPU, then CPU). Rollouts run on the CPU provider unless set. */
    provider: providerSchema.default('auto'),
    /** Refuse to start when the memory estimate exceeds this many GiB (default: the device's memory). */
    memoryLimitGiB: z.number().positive().optional(),
    /** Recompute each decoder layer in the update's backward pass instead of keeping its activations (same gradients, less memory). */
    gradientCheckpointing: z.boolean().default(false),
    /** With gradientCheckpointing: the update's attention in this many groups of query heads (one group's probabilities at a time); must divide the heads. Same loss. */
    attentionChunks: z.number().int().positive().default(1),
    /** The update's compute precision (master weights and AdamW moments stay fp32; fp16 uses dynamic loss scaling; bf16 needs a GPU). Default: bf16 on CUDA, fp16 on WebGPU, fp32 on CPU. */
    precision: precisionSchema.optional(),
    /** 'loop' (default): a step's whole update (updateEpochs × mini-batches optimizer steps) in one session.run, the trainable state crossing host↔device once; 'per-step'. fp16 always runs per step. */
    stepRunner: stepRunnerSchema,
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.method.kind === 'lora' && c.method.dropout > 0) {
      // Rollouts are sampled without dropout and the ratio must compare like with like: refuse rather than ignore it.
      ctx.addIssue({ code: 'custom', path: ['method', 'dropout'], message: `LoRA dropout is not supported in GRPO (the rollout policy and the ratio's policy must be the same network); set method.dropout to 0 (got ${c.method.dropout})` });
    }
    if (c.rewards.rewardModel && !c.rewardModelPath) ctx.addIssue({ code: 'custom', path: ['rewardModelPath'], message: 'rewards.rewardModel is set: give rewardModelPath (a Qwen2ForSequenceClassification folder)' });
    if (c.rewards.judge && !c.judge) ctx.addIssue({ code: 'custom', path: ['judge'], message: 'rewards.judge is set: give judge.baseUrl and judge.model' });
    if (c.objective.miniBatch !== undefined && c.objective.miniBatch > rolloutResponses(c.rollout)) {
      ctx.addIssue({ code: 'custom', path: ['objective', 'miniBatch'], message: `miniBatch ${c.objective.miniBatch} is larger than a rollout batch (promptsPerStep × groupSize = ${rolloutResponses(c.rollout)})` });
    }
    if (c.objective.overlong.mode === 'soft') {
      const length = c.objective.overlong.length ?? c.rollout.maxNewTokens;
      if (c.objective.overlong.buffer >= length) ctx.addIssue({ code: 'custom', path: ['objective', 'overlong', 'buffer'], message: `overlong.buffer (${c.objective.overlong.buffer}) must be smaller than the over-long length (${length})` });
    }
    const by = c.dynamicSampling.by;
    if (c.dynamicSampling.enabled && by !== 'total' && !c.rewards[by]) ctx.addIssue({ code: 'custom', path: ['dynamicSampling', 'by'], message: `dynamicSampling.by is ${by}, but rewards.${by} is not enabled` });
    if (c.varianceAwareSampling.enabled && c.curriculum.enabled) ctx.addIssue({ code: 'custom', path: ['curriculum'], message: 'choose one prompt sampler: varianceAwareSampling or curriculum, not both' });
    if (!c.rewards.accuracy && !c.rewards.format && !c.rewards.language && !c.rewards.rewardModel && !c.rewards.judge) ctx.addIssue({ code: 'custom', path: ['rewards'], message: 'no reward component is enabled' });
  });

/** Responses in one step's rollout batch: promptsPerStep groups of groupSize (the one place this product is written). */
export function rolloutResponses(rollout: { promptsPerStep: number; groupSize: number }): number {
  return rollout.promptsPerStep * rollout.groupSize;
}

/** Responses per optimizer step: objective.miniBatch, or the whole rollout batch (one optimizer step per epoch). */
export function responsesPerUpdate(c: { rollout: { promptsPerStep: number; groupSize: number }; objective: { miniBatch?: number } }): number {
  return c.objective.miniBatch ?? rolloutResponses(c.rollout);
}

export type GrpoConfig = z.infer<typeof grpoConfigSchema>;
export type GrpoConfigInput = z.input<typeof grpoConfigSchema>;
export type GrpoMethod = z.infer<typeof methodSchema>;
export type GrpoObjective = z.infer<typeof objectiveSchema>;

/** The settings every trainer shares (config-base.ts), read from a resolved GRPO config. */
export function grpoBase(c: GrpoConfig): TrainerBase {
  const o = c.optimization;
  return {
    kind: 'grpo',
    method: baseMethod(c.method),
    optimizer: { learningRate: o.learningRate, weightDecay: o.weightDecay, beta1: o.beta1, beta2: o.beta2, maxGradNorm: o.maxGradNorm },
    schedule: { warmupSteps: o.schedule.warmupSteps, warmupRatio: 0, decay: o.schedule.decay, minLearningRateRatio: o.schedule.minLearningRateRatio },
    heldOut: c.heldOut ? { source: (c.heldOut.dataset ?? c.heldOut.path)! } : null,
    precision: c.precision ?? null,
    device: { provider: c.provider },
    seed: c.seed,
  };
}

/**
 * The config a checkpoint stores and a resume must match: the whole config but how the update's steps are
 * run (stepRunner gives the same numbers either way), so a run saved before that key existed, or resumed
 * with the other runner, still resumes.
 */
export function trajectoryConfig(config: GrpoConfig): Record<string, unknown> {
  const { stepRunner: _r, ...rest } = config;
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
}

/** Prompt tokens allowed beside the response when the prompts have not been read (pipeline check, the app's form). */
export const PROMPT_TOKENS_ALLOWANCE = 256;

/** What one update graph holds, for the memory planner: a mini-batch of responses of up to promptTokens + maxNewTokens. */
export function grpoShape(c: GrpoConfig, promptTokens: number = PROMPT_TOKENS_ALLOWANCE): TrainingShape {
  return { sequences: responsesPerUpdate(c), seqLength: promptTokens + c.rollout.maxNewTokens, loraRank: c.method.kind === 'lora' ? c.method.r : undefined, checkpointing: c.gradientCheckpointing, accumulation: false, scorer: false, runner: c.precision === 'fp16' ? 'per-step' : c.stepRunner };
}

/** Validates an untrusted config (YAML file, UI form, recipe stage); errors name every offending field. */
export function parseGrpoConfig(input: unknown): GrpoConfig {
  const r = grpoConfigSchema.safeParse(input);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`invalid GRPO config: ${issues}`);
  }
  return r.data;
}
