// The eval area's part of the API contract (see ../contract.ts): its value types, methods and events.
// Evaluations run as `eval` jobs (progress through the jobs events); these methods start them and read
// their stored results.
import { z } from 'zod';
import { method } from '../method.ts';
import type { BenchmarkColumnsInfo } from '../../eval/benchmarks.ts';

export type { EvalMeta, EvalSettings, EvalSummary, SampleRow, EvalFinishReason } from '../../eval/types.ts';
export type { BenchmarkColumnsInfo, ColumnMapping } from '../../eval/benchmarks.ts';
// The pages' value types live with the eval module (eval/view-types.ts).
import type { EvalBenchmarkInfo, EvalDetail, EvalListItem, EvalModelInfo, EvalReportPaths } from '../../eval/view-types.ts';
export type { EvalBenchmarkInfo, EvalDetail, EvalListItem, EvalModelInfo, EvalProblemRow, EvalReportPaths } from '../../eval/view-types.ts';

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

/** No eval-specific events yet (progress comes through job.updated). */
export type EvalEvents = Record<never, never>;
