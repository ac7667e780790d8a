// The held-out splits pipeline runs wrote (pipelines/<name>/state.json, the data stage's `heldout` output),
// offered as benchmarks on the Evaluate page beside the workspace's datasets: the demo's own test set must be
// one click away, not a path the user has to find. The caller reads a pipeline's data-stage outputs (the
// pipeline sits above the eval stage and is not imported from here).
import { existsSync, readdirSync } from 'node:fs';
import { workspacePaths } from '../store/index.ts';
import type { EvalBenchmarkInfo } from './view-types.ts';

/** pipelines/<name>/state.json's data-stage outputs (split name → path), or undefined. */
export type PipelineDataOutputs = (workspace: string, pipeline: string) => Record<string, unknown> | undefined;

/** Data splits of a pipeline worth evaluating on (train and RL prompts are not benchmarks). */
const SPLITS = ['heldout'] as const;

export function pipelineBenchmarks(workspace: string, dataOutputsOf: PipelineDataOutputs): EvalBenchmarkInfo[] {
  const dir = workspacePaths(workspace).pipelines;
  if (!existsSync(dir)) return [];
  const found: EvalBenchmarkInfo[] = [];
  for (const name of readdirSync(dir).sort()) {
    let outputs: Record<string, unknown> | undefined;
    try {
      outputs = dataOutputsOf(workspace, name);
    } catch {
      continue; // an unreadable state offers nothing
    }
    const data = outputs ?? {};
    for (const split of SPLITS) {
      const path = data[split];
      if (typeof path === 'string' && existsSync(path)) found.push({ source: path, label: `${name}/${split}`, origin: 'pipeline', rows: null });
    }
  }
  return found;
}
