// Runs a recipe's stages in order. Each stage's resolved config and the fingerprints of its inputs are
// hashed; a stage that finished before with the same hash (and whose outputs still exist) is skipped, so
// editing one stage reruns it and the stages after it, nothing before. A stage that was interrupted
// (cancelled, or its process died) runs again with the same hash, hence the same run folder, and the
// trainers resume from their checkpoints. State is written atomically to pipelines/<name>/state.json
// after every change (throttled while a stage reports progress) for `pipeline status` and the Recipe page.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { openWorkspace } from '../store/index.ts';
import { pathsIn, stageHash } from './fingerprint.ts';
import { recipeStages, type PipelineRecipe } from './recipe.ts';
import type { StageOutputs } from './references.ts';
import { beforeAfter, type Scores, type StageRow } from './report.ts';
import { StageStoppedError, StageUnavailableError, type StageDefinition } from './stage.ts';
import type { StageName } from './stage-names.ts';
import { STAGES } from './stages/index.ts';
import { readEvalResults } from './stages/eval.ts';
import { PIPELINE_STATE_FORMAT, pipelineDir, readPipelineState, writePipelineState, type PipelineState, type PipelineStatus, type StageProgress, type StageState } from './state.ts';

export interface RunPipelineOptions {
  /** Workspace folder (created when missing). */
  workspace: string;
  /** Recorded in the state so the Recipe page can show and rerun it. */
  recipePath?: string;
  /** Abort → the running stage stops at a step boundary (trainers checkpoint), status 'stopped'. */
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Called after every state change (progress included, at most every `progressIntervalMs`). */
  onUpdate?: (state: PipelineState) => void;
  /** Run these stages even when unchanged ('all' for every stage). */
  force?: readonly StageName[] | 'all';
  /** Stage implementations to use instead of the built-in ones (tests, embedding). */
  stages?: Partial<Record<StageName, StageDefinition>>;
  progressIntervalMs?: number;
}

export interface PipelineRunResult {
  status: PipelineStatus;
  /** `accuracy`: the reward model's held-out pair accuracy, on its entry when it has one. */
  stages: { name: StageName; status: StageState['status']; seconds: number; accuracy?: number }[];
  /** Path of the report (HTML when written, else Markdown), or null. */
  report: string | null;
  before: Scores | null;
  /** The SFT model's scores when a GRPO model follows it (what GRPO started from), else null. */
  sft: Scores | null;
  after: Scores | null;
  state: PipelineState;
  /** The first failure, if any. */
  error?: string;
}

export class PipelineBusyError extends Error {
  override readonly name = 'PipelineBusyError';
  readonly code = 'busy';
}

/** Published outputs that are paths must still exist for a finished stage to be skipped. */
function outputsExist(outputs: Record<string, unknown> | undefined): boolean {
  if (!outputs) return false;
  return Object.values(outputs).every((v) => typeof v !== 'string' || !isAbsolute(v) || existsSync(v));
}

const elapsed = (since: number): number => (performance.now() - since) / 1000;

export async function runPipeline(recipe: PipelineRecipe, options: RunPipelineOptions): Promise<PipelineRunResult> {
  const workspace = resolve(options.workspace);
  await (await openWorkspace(workspace, { create: true })).close();
  const log = options.log ?? (() => {});
  const signal = options.signal ?? new AbortController().signal;
  const registry = { ...STAGES, ...options.stages };
  const previous = readPipelineState(workspace, recipe.name);
  if (previous?.status === 'running' && previous.pid !== undefined && previous.pid !== process.pid) {
    throw new PipelineBusyError(`pipeline ${recipe.name} is already running (process ${previous.pid}); stop it first`);
  }
  const order = recipeStages(recipe);
  const state: PipelineState = {
    format: PIPELINE_STATE_FORMAT,
    name: recipe.name,
    status: 'running',
    recipePath: options.recipePath ? resolve(options.recipePath) : previous?.recipePath,
    updatedAt: new Date().toISOString(),
    pid: process.pid,
    stages: Object.fromEntries(order.map((s) => [s, { ...previous?.stages[s], status: 'pending', progress: undefined, etaSeconds: undefined, error: undefined } satisfies StageState])),
  };
  // Writes are chained so they land in order; progress writes are throttled, with a trailing write: the
  // newest progress is written when the interval ends, so a stage that pauses after a burst of steps (a long
  // evaluation, a checkpoint) still shows the steps it took instead of what it had a second before.
  let writes: Promise<void> = Promise.resolve();
  let lastWrite = 0;
  let trailing: NodeJS.Timeout | null = null;
  const save = (throttle = false): Promise<void> => {
    const now = Date.now();
    const interval = options.progressIntervalMs ?? 1000;
    if (throttle && now - lastWrite < interval) {
      trailing ??= setTimeout(() => {
        trailing = null;
        void save();
      }, interval - (now - lastWrite)).unref();
      return writes;
    }
    if (trailing) clearTimeout(trailing);
    trailing = null;
    lastWrite = now;
    const snapshot = structuredClone(state);
    options.onUpdate?.(snapshot);
    writes = writes.then(() => writePipelineState(workspace, snapshot)).catch((error: unknown) => log(`pipeline: cannot write state: ${(error as Error).message}`));
    return writes;
  };
  await save();

  const outputs: StageOutputs = {};
  const history: StageRow[] = [];
  let failure: string | undefined;
  for (const name of order) {
    const stage = state.stages[name]!;
    const def = registry[name];
    const prior = previous?.stages[name];
    if (signal.aborted) break;
    const started = performance.now();
    try {
      const missing = (await def.unavailable?.(recipe)) ?? null;
      if (missing) throw new StageUnavailableError(`stage ${name} is ${missing.startsWith('not available') ? '' : 'not available: '}${missing}`);
      const plan = await def.plan({ workspace, recipe, outputs });
      const { hash } = stageHash(name, plan.config, [...new Set([...plan.inputs, ...pathsIn(plan.config, workspace)])]);
      const forced = options.force === 'all' || (options.force ?? []).includes(name);
      if (!forced && prior && (prior.status === 'finished' || prior.status === 'skipped') && prior.hash === hash && outputsExist(prior.outputs)) {
        Object.assign(stage, { status: 'skipped', seconds: 0, hash, outputs: prior.outputs });
        outputs[name] = prior.outputs;
        history.push({ name, status: 'skipped', seconds: 0, summary: prior.summary });
        log(`${name}: unchanged, skipped`);
        await save();
        continue;
      }
      const resume = !forced && prior?.hash === hash && (prior.status === 'stopped' || prior.status === 'running' || prior.status === 'failed');
      // The same config gives the same run folder, which trainers resume from: a forced stage gets a fresh one
      // (before, `--force grpo` resumed the finished run and retrained nothing); a resumed attempt keeps its own.
      const runId = forced ? `${hash.slice(0, 10)}-f${Date.now().toString(36)}` : resume && prior?.runId ? prior.runId : hash.slice(0, 10);
      Object.assign(stage, { status: 'running', hash, runId, startedAt: new Date().toISOString(), finishedAt: undefined, seconds: 0, outputs: undefined, summary: undefined });
      log(`${name}: ${resume && prior?.status !== 'failed' ? 'resuming' : 'running'}`);
      await save();
      const dir = join(pipelineDir(workspace, recipe.name), name);
      await mkdir(dir, { recursive: true });
      const result = await def.run(plan, {
        workspace,
        recipe,
        outputs,
        dir,
        runId,
        resume,
        signal,
        history: [...history],
        log: (line) => log(line),
        progress: (p: StageProgress) => {
          const seconds = elapsed(started);
          stage.progress = p;
          stage.seconds = seconds;
          stage.etaSeconds = p.done > 0 && p.total >= p.done ? (seconds * (p.total - p.done)) / p.done : null;
          void save(true);
        },
      });
      Object.assign(stage, { status: 'finished', outputs: result.outputs, summary: result.summary, links: result.links, seconds: elapsed(started), finishedAt: new Date().toISOString(), etaSeconds: 0 });
      outputs[name] = result.outputs;
      history.push({ name, status: 'finished', seconds: stage.seconds!, summary: result.summary });
      log(`${name}: finished in ${stage.seconds!.toFixed(1)} s`);
      await save();
    } catch (error) {
      const stopped = error instanceof StageStoppedError || (signal.aborted && (error as Error).name === 'AbortError');
      const status: StageState['status'] = stopped ? 'stopped' : error instanceof StageUnavailableError ? 'unavailable' : 'failed';
      Object.assign(stage, { status, seconds: elapsed(started), error: (error as Error).message, finishedAt: new Date().toISOString() });
      history.push({ name, status, seconds: stage.seconds! });
      if (!stopped) failure = `${name}: ${(error as Error).message}`;
      log(`${name}: ${status}: ${(error as Error).message}`);
      break;
    }
  }
  state.status = failure ? 'failed' : signal.aborted || order.some((s) => state.stages[s]!.status === 'stopped') ? 'stopped' : 'finished';
  state.pid = undefined;
  const reportOutputs = outputs.report as { html?: string; markdown?: string } | undefined;
  if (reportOutputs) state.report = { html: reportOutputs.html, markdown: reportOutputs.markdown };
  await save();
  await writes;

  let scores: { before: Scores | null; sft: Scores | null; after: Scores | null } = { before: null, sft: null, after: null };
  const results = outputs.eval?.output;
  if (typeof results === 'string' && existsSync(results)) {
    try {
      const parsed = readEvalResults(results);
      if (Array.isArray(parsed.benchmarks) && Array.isArray(parsed.results)) scores = beforeAfter(parsed);
    } catch (error) {
      log(`pipeline: cannot read the evaluation results ${results}: ${(error as Error).message}`);
    }
  }
  return {
    status: state.status,
    stages: order.map((name) => {
      const stage = state.stages[name]!;
      // A stage's headline accuracy (the reward model's held-out pair accuracy) travels with its entry.
      const accuracy = stage.summary?.accuracy;
      return { name, status: stage.status, seconds: Math.round((stage.seconds ?? 0) * 10) / 10, ...(name === 'rewardModel' && typeof accuracy === 'number' ? { accuracy } : {}) };
    }),
    report: reportOutputs ? (reportOutputs.html ?? reportOutputs.markdown ?? null) : null,
    before: scores.before,
    sft: scores.sft,
    after: scores.after,
    state,
    ...(failure ? { error: failure } : {}),
  };
}
