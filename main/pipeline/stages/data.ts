// Stage "data": the SFT training set, the RL prompts and the held-out split. Three sources:
// - `task: korean-arithmetic`: the synthetic task with its programmatic teacher (main/train/tasks),
//   written as JSONL under the stage folder; held-out problems never repeat a training or RL prompt;
// - `build`: a data build (main/data/build) whose output dataset is the training set;
// - `train` (+ `prompts`, `heldout`): existing data (workspace dataset names, files, or downloaded hub ids).
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBuild } from '../../data/build/index.ts';
import { openWorkspace } from '../../store/index.ts';
import { arithmeticProblems, arithmeticRow, type ArithmeticProblem } from '../../train/tasks/index.ts';
import { workspacePath } from '../fingerprint.ts';
import { datasetDownloadHint, datasetFolder, locateDataset } from '../locate.ts';
import type { ArithmeticTask, DatasetRef } from '../recipe.ts';
import type { CheckFinding, StageDefinition } from '../stage.ts';
import { importHubSplit } from './hub-import.ts';

/** Splits of the synthetic task: disjoint prompts across train, RL prompts and held-out. */
export function arithmeticSplits(task: ArithmeticTask): { train: ArithmeticProblem[]; prompts: ArithmeticProblem[]; heldout: ArithmeticProblem[] } {
  // Train and prompts come from one seeded stream; the held-out split from a second stream, minus any
  // prompt seen in the first, topped up until it has `heldout` problems (bounded: the space is finite).
  const first = arithmeticProblems({ count: task.train + task.prompts, seed: task.seed, steps: task.steps, englishThinkingShare: task.englishThinkingShare, shortcutShare: task.shortcutShare, idPrefix: 'train' });
  const seen = new Set(first.map((p) => p.prompt));
  const heldout: ArithmeticProblem[] = [];
  for (let round = 0; heldout.length < task.heldout && round < 20; round++) {
    const candidates = arithmeticProblems({ count: task.heldout * 4, seed: task.seed + 1_000_003 * (round + 1), steps: task.steps, idPrefix: `heldout${round}` });
    for (const p of candidates) {
      if (heldout.length >= task.heldout) break;
      if (seen.has(p.prompt)) continue;
      seen.add(p.prompt);
      heldout.push({ ...p, id: `heldout-${heldout.length}` });
    }
  }
  if (heldout.length < task.heldout) throw new Error(`data: only ${heldout.length} held-out problems differ from the ${first.length} training prompts; use more steps or fewer problems`);
  const prompts = first.slice(task.train).map((p, i) => ({ ...p, id: `prompt-${i}` }));
  return { train: first.slice(0, task.train), prompts, heldout };
}

function writeJsonl(path: string, rows: readonly Record<string, unknown>[]): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  renameSync(tmp, path);
}

/** A dataset reference as a stage input: a path, a workspace dataset name, or a downloaded hub dataset's folder. */
export function resolveDatasetRef(ref: DatasetRef, workspace: string): string {
  if (typeof ref !== 'string') {
    const dir = locateDataset(workspace, ref.hub);
    if (!dir) throw new Error(`dataset ${ref.hub} is not downloaded: put its files at ${datasetFolder(workspace, ref.hub)} (${datasetDownloadHint(workspace, ref.hub)})`);
    return dir;
  }
  const path = workspacePath(workspace, ref);
  return existsSync(path) ? path : ref; // else a workspace dataset name
}

/**
 * A dataset reference as trainers read it: a hub dataset's downloaded split is imported as a workspace
 * dataset named after it (the trainers read workspace datasets and .jsonl files, not shard folders).
 */
async function materialize(ref: DatasetRef, workspace: string, signal: AbortSignal, log: (line: string) => void): Promise<string> {
  if (typeof ref === 'string') return resolveDatasetRef(ref, workspace);
  const folder = resolveDatasetRef(ref, workspace);
  const name = [ref.hub.replace(/\//g, '__'), ref.config, ref.split].filter(Boolean).join('-');
  const rows = await importHubSplit(workspace, folder, name, { split: ref.split, config: ref.config, signal });
  log(`data: imported ${ref.hub}${ref.split ? ` (${ref.split})` : ''} as workspace dataset ${name}: ${rows} rows`);
  return name;
}

async function datasetRefProblem(ref: DatasetRef, workspace: string, at: string): Promise<CheckFinding | null> {
  if (typeof ref !== 'string') {
    if (locateDataset(workspace, ref.hub)) return null;
    const expectedAt = datasetFolder(workspace, ref.hub);
    return { stage: 'data', level: 'error', message: `${at}: dataset ${ref.hub} is not downloaded: put its files at ${expectedAt} (${datasetDownloadHint(workspace, ref.hub)})`, download: { kind: 'dataset', id: ref.hub, expectedAt } };
  }
  if (ref.includes('${')) return null;
  if (existsSync(workspacePath(workspace, ref))) return null;
  if (/[/\\]|\.(jsonl|json|parquet)$/.test(ref)) return { stage: 'data', level: 'error', message: `${at}: no file ${workspacePath(workspace, ref)}` };
  let ws;
  try {
    ws = await openWorkspace(workspace);
  } catch {
    return { stage: 'data', level: 'error', message: `${at}: dataset "${ref}" cannot be found: ${workspace} is not a workspace yet (pass --workspace, or give a file path)` };
  }
  try {
    return (await ws.datasets.has(ref)) ? null : { stage: 'data', level: 'error', message: `${at}: no dataset "${ref}" in the workspace (import it first, or give a file path)` };
  } finally {
    await ws.close();
  }
}

export const dataStage: StageDefinition = {
  name: 'data',
  plan({ recipe, workspace }) {
    const stage = recipe.data!;
    const refs = 'task' in stage ? [] : [('train' in stage ? stage.train : undefined), stage.prompts, stage.heldout].filter((r): r is DatasetRef => r !== undefined);
    const inputs = refs.map((r) => { try { return resolveDatasetRef(r, workspace); } catch { return ''; } }).filter((p) => p && existsSync(p));
    return { config: { ...stage }, inputs };
  },
  async run(_plan, ctx) {
    const stage = ctx.recipe.data!;
    if ('task' in stage) {
      const splits = arithmeticSplits(stage);
      mkdirSync(ctx.dir, { recursive: true });
      const paths = { train: join(ctx.dir, 'train.jsonl'), prompts: join(ctx.dir, 'prompts.jsonl'), heldout: join(ctx.dir, 'heldout.jsonl') };
      writeJsonl(paths.train, splits.train.map(arithmeticRow));
      writeJsonl(paths.prompts, splits.prompts.map(arithmeticRow));
      writeJsonl(paths.heldout, splits.heldout.map(arithmeticRow));
      const english = splits.train.filter((p) => p.thinkingLang === 'en').length;
      const hasty = splits.train.filter((p) => p.shortcut).length;
      ctx.log(`korean-arithmetic: ${splits.train.length} train (${english} thinking in English, ${hasty} hasty one-line traces), ${splits.prompts.length} RL prompts, ${splits.heldout.length} held-out`);
      return { outputs: { output: paths.train, ...paths }, summary: { train: splits.train.length, prompts: splits.prompts.length, heldout: splits.heldout.length, englishThinking: english, hastyTraces: hasty } };
    }
    if ('build' in stage) {
      const workspace = await openWorkspace(ctx.workspace, { create: true });
      try {
        const result = await runBuild({
          workspace,
          recipe: stage.build,
          baseDir: ctx.workspace,
          signal: ctx.signal,
          log: ctx.log,
          onProgress: (p) => ctx.progress({ done: p.done, total: p.total, unit: `${p.phase} samples` }),
        });
        const outputs: Record<string, unknown> = { output: result.dataset, train: result.dataset };
        if (stage.prompts) outputs.prompts = await materialize(stage.prompts, ctx.workspace, ctx.signal, ctx.log);
        if (stage.heldout) outputs.heldout = resolveDatasetRef(stage.heldout, ctx.workspace);
        return { outputs, summary: { rows: result.rows, generated: result.generation.generatedNow, failed: result.generation.failed } };
      } finally {
        await workspace.close();
      }
    }
    // The held-out split stays a path when it is a folder: the evaluator reads shard folders itself.
    const train = await materialize(stage.train, ctx.workspace, ctx.signal, ctx.log);
    const outputs: Record<string, unknown> = { output: train, train };
    if (stage.prompts) outputs.prompts = await materialize(stage.prompts, ctx.workspace, ctx.signal, ctx.log);
    if (stage.heldout) outputs.heldout = resolveDatasetRef(stage.heldout, ctx.workspace);
    return { outputs };
  },
  async check({ recipe, workspace }) {
    const stage = recipe.data!;
    if ('task' in stage) return [];
    const findings: CheckFinding[] = [];
    const refs: [string, DatasetRef | undefined][] = [['data.train', 'train' in stage ? stage.train : undefined], ['data.prompts', stage.prompts], ['data.heldout', stage.heldout]];
    for (const [at, ref] of refs) {
      if (ref === undefined) continue;
      const problem = await datasetRefProblem(ref, workspace, at);
      if (problem) findings.push(problem);
    }
    if ('build' in stage) findings.push({ stage: 'data', level: 'info', message: `data.build calls ${stage.build.teachers.length} teacher endpoint(s): ${stage.build.teachers.map((t) => t.base_url).join(', ')}` });
    return findings;
  },
};
