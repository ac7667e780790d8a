// One entry contract for every trainer (SFT, reward model, GRPO), TRL-like but smaller:
//
//   trainer.train({ config, data, onStep, signal, workspace }) → RunResult
//
// `config` is the trainer's own run config (its YAML keys, validated by its schema); `data` optionally
// names the training (and held-out) data in place of the config's own data fields, in one spelling for
// all three; `onStep` hears every optimizer step; `signal` stops the run at the next step boundary with a
// checkpoint (status 'stopped', resumable). The pipeline, and any caller that handles "a trainer" without
// caring which, goes through this; each trainer's older entry (runSft, runRewardModelTraining, runGrpo)
// is what the adapter (sft/entry.ts, rm/entry.ts, grpo/entry.ts) calls.
import type { z } from 'zod';
import type { TrainerBase, TrainerKind } from './config-base.ts';
import type { TrainingShape } from './memory.ts';

/** Training data in one spelling: a workspace dataset name or a file path (.jsonl; RM also .json / .parquet). */
export interface TrainData {
  source: string;
  /** Held-out data from another source (SFT, GRPO). Without it each trainer keeps its config's held-out setting. */
  heldOut?: string;
}

/** One optimizer step's report: the step, the planned total and the trainer's headline numbers of it. */
export interface StepReport {
  step: number;
  totalSteps: number;
  /** SFT: loss, learningRate, tokensPerSecond. RM: loss, accuracy, margin, learningRate, pairsPerSecond. GRPO: reward, accuracy (NaN when a step's update was skipped). */
  metrics: Record<string, number>;
}

export interface TrainRequest {
  /** The trainer's run config as written (defaults optional) or resolved. */
  config: unknown;
  data?: TrainData;
  onStep?: (report: StepReport) => void;
  signal?: AbortSignal;
  /** Workspace folder: runs/<name>/ is written there (SFT and RM may instead name one in the config). */
  workspace?: string;
  /** Folder that relative paths in the config are resolved against (GRPO; default: the working directory). */
  baseDir?: string;
  log?: (line: string) => void;
  /** Continue the run named config.name from its latest checkpoint (GRPO always continues one it finds). */
  resume?: boolean;
}

/** What any trainer returns. */
export interface RunResult {
  kind: TrainerKind;
  /** Run name (runs/<run>/) and its folder. */
  run: string;
  runDir: string;
  status: 'finished' | 'stopped';
  /** The trained model's folder; '' when stopped. */
  output: string;
  /** Optimizer steps done and planned. */
  steps: number;
  totalSteps: number;
  /** The trainer's final numbers and strings, flat (what the pipeline's stage summary and tables show). */
  summary: Record<string, number | string>;
  /** The trainer's own summary object as its older entry returned it (SftSummary, RmSummary, GRPO's numbers). */
  details: unknown;
}

export interface Trainer {
  kind: TrainerKind;
  /** The run config's schema (what a recipe section or a run.yaml is checked against). */
  schema: z.ZodType;
  /** The shared settings (config-base.ts) of a config; throws the trainer's config error when it is invalid. */
  base(config: unknown): TrainerBase;
  /** What one optimizer graph of a run of this config holds, for the memory planner (shared/memory.ts); throws like base. */
  memoryShape(config: unknown): TrainingShape;
  train(request: TrainRequest): Promise<RunResult>;
}

/** Numbers and strings of an object, one level deep (nested objects and NaN / ±∞ left out). */
export function flatSummary(values: Record<string, unknown>): Record<string, number | string> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'string')) as Record<string, number | string>;
}
