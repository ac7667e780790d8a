// The `pipeline` job kind: runs a recipe (main/pipeline) in a job process. Cancel stops the running stage
// at a step boundary (trainers checkpoint); starting the job again resumes. The Recipe page reads the
// per-stage progress and ETA from pipelines/<name>/state.json (pipeline.get); the job's own progress
// counts stages.
import type { JobContext } from '../job-kind.ts';
import { readRecipeFile, runPipeline, STAGE_ORDER, type StageName } from '../../pipeline/index.ts';

export type PipelineJobInput = {
  /** Absolute path of RECIPE.yaml. */
  recipePath: string;
  /** Stages to rerun even when unchanged. */
  force?: StageName[];
  /**
   * cpu, webgpu or cuda:N (#21): the runner queues the job on that device and starts its process with the
   * device's environment (the same variables `pipeline run --device` sets), so every stage runs there.
   */
  device?: string;
};

export async function run(raw: unknown, ctx: JobContext): Promise<unknown> {
  const input = raw as PipelineJobInput;
  if (typeof input?.recipePath !== 'string') throw new Error('pipeline job: give recipePath (the RECIPE.yaml to run)');
  const recipe = await readRecipeFile(input.recipePath);
  const force = (input.force ?? []).filter((s) => (STAGE_ORDER as readonly string[]).includes(s));
  const result = await runPipeline(recipe, {
    workspace: ctx.workspace,
    recipePath: input.recipePath,
    signal: ctx.signal,
    force,
    log: ctx.log,
    onUpdate: (state) => {
      const stages = Object.entries(state.stages);
      const done = stages.filter(([, s]) => s?.status === 'finished' || s?.status === 'skipped').length;
      const running = stages.find(([, s]) => s?.status === 'running');
      const p = running?.[1]?.progress;
      const fraction = p && p.total > 0 ? Math.min(1, p.done / p.total) : 0;
      ctx.progress({ done: done + fraction, total: stages.length, unit: 'stages', message: running ? `${running[0]}${p ? ` ${Math.floor(p.done)}/${p.total} ${p.unit}` : ''}` : undefined });
    },
  });
  if (result.status === 'failed') throw new Error(`pipeline ${recipe.name} failed: ${result.error}`);
  const { state: _state, ...summary } = result;
  return summary;
}
