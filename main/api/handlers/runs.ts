// Handlers of the runs area's contract methods (contracts/runs.ts): training runs read from the run
// folders (main/train/run) and started, stopped and resumed through the `sft`, `grpo` and `rm` job kinds.
//
// A run's job is found by the `run` title parameter every job started here carries (run.json's jobId when
// the trainer wrote one), so stop and the list's progress work without the trainers knowing about the app.
// The job input is `{config, resume}`: the kind's config object (fully named) and whether to continue from
// the newest checkpoint.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { HandlerGroup } from '../router.ts';
import type { JobRecord } from '../contract.ts';
import type { RunKindName, RunRecord, RunState } from '../contracts/runs.ts';
import type { AppSession } from '../session.ts';
import type { JobRunner } from '../../jobs/runner.ts';
import { ApiFailure } from '../errors.ts';
import { configPaths } from '../names.ts';
import { RunFolder, freeRunName, listRuns, type RunInfo } from '../../train/run/index.ts';
import { validateConfig } from './run-config.ts';
import { readSamples, sampleSteps } from './run-samples.ts';
import { startModels } from './run-start-models.ts';
import { estimateRun } from './run-memory-estimate.ts';
import { checkJobDevice } from './job-device.ts';
import { exportPaths } from '../../export/gguf/export-paths.ts';

/** What the `sft`, `grpo` and `rm` job kinds receive from the app. */
export type RunJobInput = { config: Record<string, unknown>; resume: boolean; /** The job's device queue (#21). */ device?: string };

/** How many recent jobs are searched for a run's job. */
const JOB_SCAN = 500;

// ---- Runs and their jobs -------------------------------------------------------------------------

function isActive(job: JobRecord): boolean {
  return job.status === 'running' || job.status === 'queued';
}

/** The newest job of each run: by run.json's jobId, else by the `run` title parameter set at start. */
async function jobsByRun(jobs: JobRunner): Promise<Map<string, JobRecord>> {
  const byRun = new Map<string, JobRecord>();
  for (const job of await jobs.list(JOB_SCAN)) {
    const run = job.params?.run;
    if (typeof run !== 'string' || !['sft', 'grpo', 'rm'].includes(job.kind)) continue;
    const seen = byRun.get(run);
    if (!seen || job.createdAt > seen.createdAt) byRun.set(run, job);
  }
  return byRun;
}

/** run.json plus its job; a 'running' run whose job has ended is reported as it really ended. */
function runRecord(info: RunInfo, job: JobRecord | null): RunRecord {
  let status: RunState = info.status;
  let stale = false;
  if ((status === 'running' || status === 'created') && job && !isActive(job)) {
    stale = true;
    status = job.status === 'cancelled' ? 'stopped' : 'failed';
  }
  // Trainers write run.json's step at checkpoints; while the job runs its progress is the live count.
  const progress = job && isActive(job) && job.progress?.unit === 'steps' ? job.progress : null;
  return {
    name: info.name,
    kind: info.kind,
    status,
    ...(stale ? { stale } : {}),
    createdAt: info.createdAt,
    updatedAt: info.updatedAt,
    step: Math.max(info.step, progress?.done ?? 0),
    totalSteps: info.totalSteps ?? progress?.total ?? null,
    ...(info.output ? { output: info.output } : {}),
    ...(info.error || (stale && job?.error) ? { error: info.error ?? job?.error } : {}),
    ...(info.summary ? { summary: info.summary } : {}),
    ...(info.baseModel ? { baseModel: info.baseModel } : {}),
    ...(info.data ? { data: info.data } : {}),
    ...(info.recoveries?.length ? { recoveries: info.recoveries } : {}),
    job: job ? { id: job.id, status: job.status, progress: job.progress, ...(job.error ? { error: job.error } : {}) } : null,
  };
}

function existingRun(root: string, name: string): RunFolder {
  const folder = RunFolder.inWorkspace(root, name);
  if (!folder.exists()) throw new ApiFailure('not_found', `no run "${name}" in this workspace`);
  return folder;
}

async function findJob(jobs: JobRunner, info: RunInfo): Promise<JobRecord | null> {
  if (info.jobId) {
    const byId = await jobs.get(info.jobId).catch(() => null);
    if (byId) return byId;
  }
  return (await jobsByRun(jobs)).get(info.name) ?? null;
}

/** A run of that name has a job that has not ended: starting another would write the same folder twice. */
async function refuseIfActive(jobs: JobRunner, name: string): Promise<void> {
  const job = (await jobsByRun(jobs)).get(name);
  if (job && isActive(job)) throw new ApiFailure('conflict', `run "${name}" is already running (job ${job.id})`, { jobId: job.id });
}

async function startJob(session: AppSession, kind: RunKindName, name: string, config: Record<string, unknown>, resume: boolean, device?: string) {
  const { jobs } = session.requireWorkspace();
  const input: RunJobInput = { config: { ...config, name }, resume, ...(device ? { device } : {}) };
  const title = `${resume ? 'Resume' : 'Train'} ${kind.toUpperCase()} run ${name}`;
  const job = await jobs.start(kind, input, title, { run: name });
  session.events.emit('runs.changed', { name });
  return { jobId: job.id, run: name };
}

function checkpointSteps(folder: RunFolder): number[] {
  if (!existsSync(folder.checkpointsDir)) return [];
  return readdirSync(folder.checkpointsDir)
    .map((n) => /^step-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

// ---- Handlers ------------------------------------------------------------------------------------

export const runsHandlers: HandlerGroup<'runs'> = {
  'runs.list': async (_input, ctx) => {
    const { workspace, jobs } = ctx.session.requireWorkspace();
    const byRun = await jobsByRun(jobs);
    return listRuns(workspace.root).map((info) => runRecord(info, byRun.get(info.name) ?? null));
  },

  'runs.get': async (input, ctx) => {
    const { workspace, jobs } = ctx.session.requireWorkspace();
    const folder = existingRun(workspace.root, input.name);
    const info = folder.info();
    const configYaml = existsSync(folder.configPath) ? folder.configText() : '';
    let config: Record<string, unknown> | null = null;
    try {
      const parsed = parseYaml(configYaml) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) config = parsed as Record<string, unknown>;
    } catch {
      // shown as text; the form cannot prefill from it
    }
    return {
      run: runRecord(info, await findJob(jobs, info)),
      configYaml,
      config,
      checkpoints: checkpointSteps(folder),
      sampleSteps: sampleSteps(folder),
    };
  },

  'runs.metrics': (input, ctx) => {
    const { workspace } = ctx.session.requireWorkspace();
    const folder = existingRun(workspace.root, input.name);
    // A resumed run truncates metrics.jsonl: an offset past the end means "start over".
    const size = existsSync(folder.metricsPath) ? statSync(folder.metricsPath).size : 0;
    if (input.from > size) return { ...folder.readMetrics(0), restarted: true };
    return folder.readMetrics(input.from);
  },

  'runs.start': async (input, ctx) => {
    const { workspace, jobs } = ctx.session.requireWorkspace();
    const config = validateConfig(input.kind, input.config);
    // Serve mode: every file and folder the config names must be inside the allowed folders.
    for (const { at, path } of configPaths(config)) ctx.session.checkPath(path, `${at}`);
    const asked = typeof config.name === 'string' && config.name ? config.name : null;
    let name: string;
    try {
      name = asked ?? freeRunName(workspace.root, input.kind);
      if (asked && RunFolder.inWorkspace(workspace.root, asked).exists()) {
        throw new ApiFailure('conflict', `a run named "${asked}" already exists: resume it or choose another name`, { run: asked });
      }
    } catch (error) {
      if (error instanceof ApiFailure) throw error;
      throw new ApiFailure('invalid_input', (error as Error).message);
    }
    await refuseIfActive(jobs, name);
    const device = await checkJobDevice(input.device);
    return startJob(ctx.session, input.kind, name, config, false, device);
  },

  'runs.stop': async (input, ctx) => {
    const { workspace, jobs } = ctx.session.requireWorkspace();
    const info = existingRun(workspace.root, input.name).info();
    const job = await findJob(jobs, info);
    if (!job || !isActive(job)) return { stopped: false, jobId: job?.id ?? null };
    const stopped = jobs.cancel(job.id);
    if (stopped) ctx.session.events.emit('runs.changed', { name: info.name });
    return { stopped, jobId: job.id };
  },

  'runs.resume': async (input, ctx) => {
    const { workspace, jobs } = ctx.session.requireWorkspace();
    const folder = existingRun(workspace.root, input.name);
    const info = folder.info();
    if (info.status === 'finished') throw new ApiFailure('conflict', `run "${info.name}" has finished; start a new run to train further`);
    await refuseIfActive(jobs, info.name);
    let config: unknown;
    try {
      config = parseYaml(folder.configText());
    } catch (error) {
      throw new ApiFailure('invalid_input', `run "${info.name}": config.yaml is not readable (${(error as Error).message})`);
    }
    if (!config || typeof config !== 'object' || Array.isArray(config)) throw new ApiFailure('invalid_input', `run "${info.name}": config.yaml holds no config object`);
    return startJob(ctx.session, info.kind, info.name, validateConfig(info.kind, config as Record<string, unknown>), true);
  },

  'runs.samples': (input, ctx) => {
    const { workspace } = ctx.session.requireWorkspace();
    return readSamples(existingRun(workspace.root, input.name), input.step, input.limit);
  },

  'runs.estimate': async (input, ctx) => {
    const { workspace } = ctx.session.requireWorkspace();
    // It reads the model's config.json: in serve mode only inside the allowed folders, like runs.start.
    for (const { at, path } of configPaths(input.config)) ctx.session.checkPath(path, at);
    return estimateRun(workspace.root, input.kind, input.config, input.provider, input.device);
  },

  'runs.models': (_input, ctx) => startModels(ctx.session.requireWorkspace().workspace.root),

  'runs.export': async (input, ctx) => {
    const { workspace, jobs } = ctx.session.requireWorkspace();
    const folder = existingRun(workspace.root, input.name);
    const info = folder.info();
    if (info.status !== 'finished' || !info.output) throw new ApiFailure('conflict', `run "${info.name}" has no final output to export (status ${info.status})`);
    const paths = exportPaths(folder.dir, info.name, input.format, input.quant);
    const job = await jobs.start('export', { run: info.name, format: input.format, quant: input.quant }, `Export ${info.name} as ${input.format === 'ollama' ? 'Ollama' : 'GGUF'} (${input.quant})`);
    return { jobId: job.id, files: [paths.gguf, ...(paths.modelfile ? [paths.modelfile] : [])] };
  },
};
