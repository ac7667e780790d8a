// What the Evaluations page and the CLI see of stored evaluations: model folders on offer, the list, a
// drill-down page, benchmark sources and report paths. The app contract (api/contracts/eval.ts) re-exports these.
import type { BenchmarkProblemInfo, EvalMeta, EvalSummary, SampleRow } from './types.ts';

/** A model folder the workspace offers for evaluation. */
export type EvalModelInfo = {
  /** Display name: models/<name>, or <run>/output for a training run. */
  name: string;
  path: string;
  kind: 'model' | 'adapter';
  source: 'models' | 'runs';
};

/** One stored evaluation (finished or not). */
export type EvalListItem = {
  name: string;
  /** Short model name (folder name, or run/output). */
  modelLabel: string;
  meta: EvalMeta;
  /** Stored (problem, sample) rows. */
  samplesDone: number;
  samplesTotal: number;
  /** Null until the evaluation has finished once. */
  summary: EvalSummary | null;
};

/** One problem of an evaluation with its samples (drill-down). */
export type EvalProblemRow = BenchmarkProblemInfo & { samples: SampleRow[] };

export type EvalDetail = {
  meta: EvalMeta;
  summary: EvalSummary | null;
  /** Problems in the benchmark. */
  total: number;
  offset: number;
  problems: EvalProblemRow[];
};

/** A benchmark the page offers: a workspace dataset, or a split a pipeline run wrote (its held-out file). */
export type EvalBenchmarkInfo = {
  /** What eval.start and eval.columns take: the dataset name, or the file's path. */
  source: string;
  /** Display name: the dataset name, or <pipeline>/heldout. */
  label: string;
  origin: 'dataset' | 'pipeline';
  /** Rows, when known without reading the file. */
  rows: number | null;
};

export type EvalReportPaths = { dir: string; markdown: string; csv: string; html: string };
