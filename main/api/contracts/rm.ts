// The rm area's part of the API contract (see ../contract.ts): reward-model training runs (started as
// `rm` jobs), their live metrics, RewardBench-style evaluations, the comparison table and the reward
// model GRPO uses.
import { z } from 'zod';
import { method } from '../method.ts';
import type { RunInfo, MetricsPage } from '../../train/run/index.ts';
import type { ModelFolder } from '../../train/rm/catalog.ts';
import type { ComparisonTable } from '../../train/rm/compare.ts';
import type { RewardBenchReport } from '../../train/rm/rewardbench.ts';
import type { SelectedRewardModel } from '../../train/rm/results.ts';

export type { ModelFolder as RmModelFolder } from '../../train/rm/catalog.ts';
export type { ComparisonTable as RmComparisonTable } from '../../train/rm/compare.ts';
export type { SelectedRewardModel } from '../../train/rm/results.ts';
export type { RunInfo as RmRunInfo, MetricRecord as RmMetricRecord } from '../../train/run/index.ts';

export type RmOptions = {
  models: ModelFolder[];
  preferenceSets: { name: string; rows: number; hasSubset: boolean; hasLanguage: boolean }[];
  selected: SelectedRewardModel | null;
};

/** A stored evaluation without its per-pair scores. */
export type RmEvaluationItem = { id: string; model: string; modelName: string; data: string; dataName: string; evaluatedAt: string; report: RewardBenchReport };

export type RmScores = { chosen: number[]; rejected: number[]; source: string };

/** The form's fields: what `saenggak train rm` takes, with the page's defaults filled in by the back end. */
const trainInput = z.object({
  model: z.string().min(1),
  data: z.string().min(1),
  name: z.string().min(1).max(128).optional(),
  method: z.enum(['full', 'lora']).default('full'),
  loraRank: z.number().int().min(1).max(1024).default(16),
  epochs: z.number().positive().max(1000).default(1),
  learningRate: z.number().positive().max(1).default(1e-5),
  pairsPerBatch: z.number().int().min(1).max(4096).default(8),
  maxLength: z.number().int().min(8).max(131072).default(1024),
  centeringCoefficient: z.number().min(0).max(10).default(0),
  heldOutShare: z.number().min(0).lt(1).default(0.1),
  /** cpu, webgpu or cuda:N (#21): the job waits in that device's queue and sees only that device. */
  device: z.string().max(32).optional(),
});
export type RmTrainInput = z.input<typeof trainInput>;

export const rmMethods = {
  /** Base models, trained reward models, preference sets and the current GRPO reward model. */
  'rm.options': method<RmOptions>()(z.object({})),
  /** Starts an `rm` job; the run name is fixed here so the page can poll its metrics at once. */
  'rm.train': method<{ jobId: string; run: string }>()(trainInput),
  /** Reward-model runs, newest first. */
  'rm.runs': method<RunInfo[]>()(z.object({})),
  /** A run's metrics from byte offset `from` (poll with the returned `next`). */
  'rm.metrics': method<MetricsPage>()(z.object({ run: z.string().min(1).max(128), from: z.number().int().min(0).default(0) })),
  /** Starts an `rm` job scoring each model on the file or dataset (RewardBench / M-RewardBench layout). */
  'rm.evaluate': method<{ jobId: string }>()(z.object({ models: z.array(z.string().min(1)).min(1).max(32), data: z.string().min(1) })),
  'rm.evaluations': method<RmEvaluationItem[]>()(z.object({})),
  /** Chosen and rejected scores for the histogram: a stored evaluation's, or a run's last held-out evaluation. */
  'rm.scores': method<RmScores>()(z.object({ evaluation: z.string().optional(), run: z.string().optional() })),
  /** Models × (sections, languages), best per column, plus the Markdown and CSV exports. */
  'rm.compare': method<{ table: ComparisonTable; markdown: string; csv: string }>()(z.object({})),
  /** Marks a reward model as the one GRPO uses (models/reward-model.json). */
  'rm.select': method<SelectedRewardModel>()(z.object({ model: z.string().min(1) })),
  'rm.getSelected': method<SelectedRewardModel | null>()(z.object({})),
} as const;

export type RmEvents = Record<never, never>;
