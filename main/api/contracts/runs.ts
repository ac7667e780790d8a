// The runs area's part of the API contract (see ../contract.ts): training runs of every kind (SFT, reward
// model, GRPO) as the Train page sees them — list, details, metrics polled by byte offset, start / stop /
// resume through the job kinds, GRPO rollouts per step, memory estimates and the models a run can start from.
//
// The value types mirror main/train/run (RunInfo, MetricRecord) instead of importing them, so the renderer
// keeps importing types from main/api only.
import { z } from 'zod';
import { method } from '../method.ts';
import type { JobStatus, JobProgress } from '../../jobs/types.ts';
import type { TextSpan } from '../../rewards/playground-types.ts';

export type RunKindName = 'sft' | 'grpo' | 'rm';
export type RunState = 'created' | 'running' | 'stopped' | 'failed' | 'diverged' | 'finished';

/** One run as listed: runs/<name>/run.json plus the job that runs (or ran) it. */
export type RunRecord = {
  name: string;
  kind: RunKindName;
  /**
   * The run's status. run.json says 'running' while a trainer writes it; when its job has ended without the
   * trainer updating run.json (a crash, an app restart), this says 'failed' or 'stopped' and `stale` is true.
   */
  status: RunState;
  stale?: boolean;
  createdAt: string;
  updatedAt: string;
  step: number;
  totalSteps: number | null;
  output?: string;
  error?: string;
  summary?: Record<string, number>;
  baseModel?: string;
  data?: string;
  /** What the trainer did on its own to keep going, e.g. an out-of-memory retry with a halved micro-batch (#21). */
  recoveries?: string[];
  /** The newest job started for this run from the app (progress, ETA, log), if the job list still has it. */
  job: { id: string; status: JobStatus; progress: JobProgress | null; error?: string } | null;
};

export type RunDetails = {
  run: RunRecord;
  /** runs/<name>/config.yaml as written (the resolved config that reproduces the run). */
  configYaml: string;
  /** The same config parsed, for forms ("start a similar run") and labels. */
  config: Record<string, unknown> | null;
  /** Steps of the checkpoints on disk (the newest one is where a resume starts). */
  checkpoints: number[];
  /** Steps with saved GRPO rollouts (runs/<name>/samples/step-<N>.jsonl), ascending. */
  sampleSteps: number[];
};

/** One metrics point (metrics.jsonl line): optimizer step, split ('train', 'eval', ...), numbers by name. */
export type RunMetricRecord = { step: number; split: string; time: string; [metric: string]: number | string };

export type RunMetricsPage = {
  records: RunMetricRecord[];
  /** Byte offset to pass as `from` next time (only complete lines are consumed). */
  next: number;
  /**
   * The file had shrunk below `from` (a resumed run drops the points after its checkpoint), so these
   * records are read from the start and replace what the caller had.
   */
  restarted?: boolean;
};

/** One GRPO response in the rollout viewer. */
export type RolloutResponse = {
  text: string;
  /** Weighted total reward. */
  reward: number | null;
  /** Per-component rewards (accuracy, format, language, rewardModel, judge, ...); null = not applicable. */
  rewards: Record<string, number | null>;
  advantage: number | null;
  /** Spans of the thinking removed before language counting, relative to `text`. */
  spans: TextSpan[];
  /** The response hit maxNewTokens. */
  truncated: boolean;
  tokens: number | null;
  /** Target-language share of the thinking, when the trainer saved it. */
  lang: number | null;
  /** Reused from the replay buffer rather than sampled at this step. */
  replayed: boolean;
};

/** One prompt and its G responses at a step (a line of samples/step-<N>.jsonl). */
export type RolloutGroup = {
  prompt: string;
  answer: string | null;
  lang: string | null;
  /** Variance-aware sampling: the prompt's Variance Promotion Score after this visit (null when the run does not use it). */
  vps: number | null;
  /** The curriculum's category of the prompt (null when the run does not use one). */
  category: string | null;
  responses: RolloutResponse[];
};

export type RunSamples = {
  /** Every step with saved rollouts, ascending. */
  steps: number[];
  /** The step shown (the one asked for, else the newest), or null when there are none. */
  step: number | null;
  groups: RolloutGroup[];
};

export type RunMemoryEstimate = {
  /** What was estimated: parameters of the model, trainable ones under the chosen method. */
  parameters: number;
  trainableParameters: number;
  /** Bytes by part (weights, gradients, AdamW moments, activations) and their total. */
  weights: number;
  gradients: number;
  optimizer: number;
  activations: number;
  total: number;
  /** The sequences and tokens per micro-batch the estimate assumes. */
  batchSize: number;
  seqLength: number;
  /** The device the run would use and the memory it has (GPU memory, or the machine's RAM for CPU). */
  device: { provider: 'cpu' | 'cuda' | 'webgpu'; name: string; memoryBytes: number };
  fits: boolean;
  /** What to change when it does not fit, as values the UI words itself. */
  advice: MemoryAdvice[];
};

/**
 * One way to make a run fit: lower a config field (`field`, a dotted path) to `value`, switch to LoRA,
 * or nothing at this size ('smaller-model').
 */
export type MemoryAdvice =
  | { action: 'lower'; field: string; value: number }
  | { action: 'use-lora' }
  | { action: 'smaller-model' };

export type RunStartModel = {
  /** Label: the folder name, or "<run> (output)". */
  name: string;
  /** Absolute folder path (config.json, weights, tokenizer). */
  path: string;
  source: 'workspace' | 'run';
  /** For run outputs: the run and its kind. */
  run?: string;
  kind?: RunKindName;
  /** From config.json: architecture family, size, task; null when config.json could not be read. */
  family: string | null;
  parameters: number | null;
  task: 'causal-lm' | 'sequence-classification' | null;
  /** A PEFT adapter folder (adapter_config.json) rather than full weights. */
  adapter: boolean;
};

const runName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\p{L}\p{N}_.-]+$/u, 'run names use letters, digits, "_", "-" and "." only')
  .refine((n) => n !== '.' && n !== '..', 'not a run name');

const runKind = z.enum(['sft', 'grpo', 'rm']);
const configObject = z.record(z.string(), z.unknown());

export const runsMethods = {
  'runs.list': method<RunRecord[]>()(z.object({})),
  'runs.get': method<RunDetails>()(z.object({ name: runName })),
  /** Metrics points from byte offset `from` (0 = the start); poll with the returned `next`. */
  'runs.metrics': method<RunMetricsPage>()(z.object({ name: runName, from: z.number().int().min(0).default(0) })),
  /**
   * Validates the config against the kind's schema (SFT, GRPO; RM configs are checked by their job) and
   * starts the job. The run is named config.name, or a free name from the kind ("sft", "sft-2", ...);
   * an existing run of that name is a conflict (resume it instead).
   */
  'runs.start': method<{ jobId: string; run: string }>()(
    z.object({
      kind: runKind,
      config: configObject,
      /** cpu, webgpu or cuda:N (#21): the job waits in that device's queue and sees only that device. */
      device: z.string().max(32).optional(),
    }),
  ),
  /** Cancels the run's job: the trainer saves a checkpoint and ends with status 'stopped'. */
  'runs.stop': method<{ stopped: boolean; jobId: string | null }>()(z.object({ name: runName })),
  /** Starts the job again with the saved config; the trainer continues from the newest checkpoint. */
  'runs.resume': method<{ jobId: string; run: string }>()(z.object({ name: runName })),
  /** GRPO rollouts of one step (default: the newest) and the list of steps that have them. */
  'runs.samples': method<RunSamples>()(
    z.object({ name: runName, step: z.number().int().min(0).optional(), limit: z.number().int().min(1).max(1000).default(200) }),
  ),
  /** Training-memory estimate of a config on a device, and whether it fits. */
  'runs.estimate': method<RunMemoryEstimate>()(
    z.object({
      kind: runKind,
      config: configObject,
      provider: z.enum(['auto', 'cpu', 'cuda', 'webgpu']).default('auto'),
      /** A device (cpu, webgpu, cuda:N): the estimate is checked against that GPU's free memory (#21). */
      device: z.string().max(32).optional(),
    }),
  ),
  /** Model folders a run can start from: workspace models/<name>/ and finished runs' outputs. */
  'runs.models': method<RunStartModel[]>()(z.object({})),
  /** Starts an `export` job: the run's output as a GGUF (llama.cpp, LM Studio) or GGUF + Modelfile (Ollama) in runs/<name>/export/. */
  'runs.export': method<{ jobId: string; files: string[] }>()(
    z.object({ name: runName, format: z.enum(['gguf', 'ollama']), quant: z.enum(['f32', 'f16', 'bf16', 'q8_0', 'q4_k_m']).default('q8_0') }),
  ),
} as const;

export type RunsEvents = {
  /** A run was started, stopped or resumed from the app (lists refresh; metrics are polled). */
  'runs.changed': { name: string };
};
