// `saenggak eval rm`: score a preference file (RewardBench / M-RewardBench layout, or any TRL
// preference file) with a reward-model folder and report RewardBench's numbers. Rows that cannot make a
// pair are counted, never fatal; overlong pairs are cut from the left (evaluation drops nothing).
import { RewardModel } from '../../models/reward-model.ts';
import { Tokenizer } from '../../models/tokenizer.ts';
import { openModelFolder } from '../../models/weight-files.ts';
import type { Workspace } from '../../store/index.ts';
import { tokenizePreferences, type PreferenceDataReport } from './data.ts';
import { rewardBenchReport, type RewardBenchReport } from './rewardbench.ts';
import { readPreferenceSource } from './rows.ts';
import { scorePairs } from './scoring.ts';

export interface EvaluateRewardModelOptions {
  /** Reward-model folder (`*ForSequenceClassification`, num_labels 1). */
  model: string;
  /** A .jsonl / .json / .parquet file, or a dataset of `workspace`. */
  data: string;
  workspace?: Workspace | null;
  /** Longest sequence in tokens (default: the model's max_position_embeddings, at most 4096). */
  maxLength?: number;
  batchSize?: number;
  signal?: AbortSignal;
}

export interface RewardModelEvaluation {
  report: RewardBenchReport;
  data: PreferenceDataReport;
  /** Per pair (in the order of the usable rows): both scores, for histograms and error analysis. */
  scores: { row: number; chosen: number; rejected: number; subset?: string; language?: string }[];
}

export async function evaluateRewardModel(options: EvaluateRewardModelOptions): Promise<RewardModelEvaluation> {
  // The session maps the checkpoint's files (no copy of the weights in JS, issue #30).
  const { config, weightFiles } = openModelFolder(options.model);
  if (config.task !== 'sequence-classification' || config.numLabels !== 1) {
    throw new Error(`${options.model}: ${config.architecture} with num_labels ${config.numLabels} is not a reward model (expected *ForSequenceClassification with num_labels 1)`);
  }
  const tokenizer = Tokenizer.load(options.model);
  const source = await readPreferenceSource(options.data, options.workspace ?? null);
  const maxLength = options.maxLength ?? Math.min(config.maxPositionEmbeddings, 4096);
  const { pairs, report: data } = tokenizePreferences(source.rows, tokenizer, { maxLength, truncation: 'cut' });
  data.bad.invalid_type += source.unreadable;
  const model = await RewardModel.create(config, new Map(), { weightFiles });
  try {
    const s = await scorePairs(model, pairs, { batchSize: options.batchSize, signal: options.signal });
    const scores = pairs.map((p, i) => ({ row: p.row, chosen: s.chosen[i], rejected: s.rejected[i], ...(p.subset !== undefined ? { subset: p.subset } : {}), ...(p.language !== undefined ? { language: p.language } : {}) }));
    return { report: rewardBenchReport(scores), data, scores };
  } finally {
    await model.release();
  }
}
