// A training run's value types as the app shows them: kind and state, metrics pages, GRPO rollouts, the
// memory estimate and the models a run can start from. The app contract (api/contracts/runs.ts) re-exports them.
import type { TextSpan } from '../../rewards/playground-types.ts';
import type { MemoryBreakdown } from '../../models/memory.ts';

export type RunKindName = 'sft' | 'grpo' | 'rm';
export type RunState = 'created' | 'running' | 'stopped' | 'failed' | 'diverged' | 'finished';

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

/** Trainable parameters and bytes by part (weights, gradients, AdamW moments, activations) and their total: models/memory.ts's breakdown. */
export type RunMemoryEstimate = MemoryBreakdown & {
  /** What was estimated: parameters of the model (MemoryBreakdown.trainableParameters: those under the chosen method). */
  parameters: number;
  /** The sequences and tokens per micro-batch the estimate assumes. */
  batchSize: number;
  seqLength: number;
  /** The device the run would use and the memory it has (GPU memory, or the machine's RAM for CPU). */
  device: { provider: 'cpu' | 'cuda' | 'webgpu'; name: string; memoryBytes: number };
  fits: boolean;
  /** What to change when it does not fit, as values the UI words itself. */
  advice: MemoryAdvice[];
  /**
   * The planner's peak for this run's shape (models/memory-plan.ts: every copy onnxruntime holds, measured
   * against peak RSS; the number `pipeline check` gives), and which GPU sizes hold it with 10% to spare.
   * `fits` needs both this and `total` within the device. Absent for selective tuning (not planned).
   */
  plannedPeakBytes?: number;
  gpuFits?: { '24GB': boolean; '40GB': boolean; '80GB': boolean };
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
