// The eval area's part of the API contract (see ../contract.ts): its value types, methods and events.
// Evaluations run as `eval` jobs (progress through the jobs events); these methods start them and read
// their stored results.
import { z } from 'zod';
import { method } from '../method.ts';
import type { BenchmarkProblemInfo, EvalMeta, EvalSummary, SampleRow } from '../../eval/types.ts';
import type { BenchmarkColumnsInfo } from '../../eval/benchmarks.ts';

export type { EvalMeta, EvalSettings, EvalSummary, SampleRow, EvalFinishReason } from '../../eval/types.ts';

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

export type { BenchmarkColumnsInfo, ColumnMapping } from '../../eval/benchmarks.ts';

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

const evalName = z.string().min(1).max(200);
const columnName = z.string().min(1).max(200);
/** Which columns hold the problem and the gold answer (and optionally an id), for one benchmark. */
const columnMapping = z.object({ problem: columnName, answer: columnName, id: columnName.optional() });

export const evalMethods = {
  /** Model folders under the workspace's models/ and runs/<run>/output (full checkpoints and LoRA adapters). */
  'eval.models': method<EvalModelInfo[]>()(z.object({})),
  /** Workspace datasets plus the held-out splits pipeline runs wrote, for the benchmark list. */
  'eval.benchmarks': method<EvalBenchmarkInfo[]>()(z.object({})),
  /** A benchmark's columns, the mapping detected from their names (null: none) and its first row. */
  'eval.columns': method<BenchmarkColumnsInfo>()(z.object({ benchmark: z.string().min(1).max(4096) })),
  /** Starts one `eval` job evaluating every model on every benchmark (dataset names or paths). */
  'eval.start': method<{ jobId: string }>()(
    z.object({
      models: z.array(z.string().min(1)).min(1).max(32),
      benchmarks: z.array(z.string().min(1)).min(1).max(32),
      k: z.number().int().min(1).max(1024).default(1),
      temperature: z.number().min(0).max(10).optional(),
      topP: z.number().gt(0).max(1).optional(),
      maxNewTokens: z.number().int().min(1).max(131072).optional(),
      seed: z.number().int().default(0),
      template: z.string().includes('{problem}').optional(),
      /** Base model folder for LoRA adapters whose adapter_config does not name an existing folder. */
      base: z.string().optional(),
      /** cpu, webgpu or cuda:N (#21): the job waits in that device's queue and sees only that device. */
      device: z.string().max(32).optional(),
      /** Evaluate only the first `limit` problems of each benchmark. */
      limit: z.number().int().min(1).optional(),
      /** Column mappings by benchmark (as named in `benchmarks`); a benchmark without one is detected. */
      columns: z.record(z.string(), columnMapping).optional(),
    }),
  ),
  'eval.list': method<EvalListItem[]>()(z.object({})),
  /** An evaluation's summary and a page of its problems with every sample. */
  'eval.get': method<EvalDetail>()(
    z.object({ name: evalName, offset: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(200).default(20) }),
  ),
  /** Writes report.md / .csv / .html comparing the named finished evaluations (all finished ones when empty). */
  'eval.report': method<EvalReportPaths>()(z.object({ names: z.array(evalName).default([]) })),
} as const;

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export type EvalEvents = {};
