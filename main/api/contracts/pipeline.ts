// The pipeline area's part of the API contract (see ../contract.ts): recipes on offer, a pipeline's state
// and results, starting it as a `pipeline` job (stop = jobs.cancel; starting again resumes), the offline
// check and the verl export preview.
import { z } from 'zod';
import { method } from '../method.ts';
import type { CheckReport } from '../../pipeline/check.ts';
import type { PipelineDetail, RecipeInfo } from '../../pipeline/catalog.ts';
import type { ExportPreview } from '../../export/verl/preview.ts';

export type { CheckReport } from '../../pipeline/check.ts';
export type { PipelineDetail, PipelineResults, RecipeInfo } from '../../pipeline/catalog.ts';
export type { ExportPreview } from '../../export/verl/preview.ts';
export type { PipelineState, StageState, StageStatus, PipelineStatus, StageProgress } from '../../pipeline/state.ts';
export type { StageName } from '../../pipeline/stage-names.ts';
export type { CheckFinding } from '../../pipeline/stage.ts';

const recipePath = z.string().min(1).max(4096);
const stageName = z.enum(['model', 'data', 'sft', 'pairs', 'rewardModel', 'grpo', 'ablation', 'alignment', 'eval', 'report']);

export const pipelineMethods = {
  /** Bundled recipes (assets/recipes), recipes that ran in this workspace, and the `extra` files the user opened. */
  'pipeline.recipes': method<RecipeInfo[]>()(z.object({ extra: z.array(recipePath).max(50).default([]) })),
  /** A pipeline's saved state (stages with status, progress, ETA), its before/after results and report paths. */
  'pipeline.get': method<PipelineDetail>()(z.object({ name: z.string().min(1).max(200) })),
  /** Starts the recipe as a `pipeline` job; unchanged finished stages are skipped, interrupted ones resume. */
  'pipeline.start': method<{ jobId: string; name: string }>()(
    z.object({
      recipePath,
      force: z.array(stageName).default([]),
      /** cpu, webgpu or cuda:N (#21), like `pipeline run --device`: the job waits in that device's queue and sees only that device. */
      device: z.string().max(32).optional(),
    }),
  ),
  /** Validates a recipe offline: stage configs, paths, downloads, memory per stage. */
  'pipeline.check': method<CheckReport>()(z.object({ recipePath })),
  /** The report's Markdown text, or null before the report stage has run. */
  'pipeline.report': method<{ markdown: string | null; html: string | null; htmlContent: string | null }>()(z.object({ name: z.string().min(1).max(200) })),
  /** What `saenggak export verl` would write for the recipe (dry run); available false without the exporter. */
  'pipeline.exportPreview': method<ExportPreview>()(z.object({ recipePath })),
} as const;

export type PipelineEvents = Record<never, never>;
