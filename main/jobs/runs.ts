// Training runs as the app sees them: a run folder (main/train/run) plus the job that trains it. The
// `sft`, `grpo` and `rm` job kinds run them; this is what the runs.* methods do, minus the transport.
//
// A run's job is found by the `run` title parameter every job started here carries (run.json's jobId when
// the trainer wrote one), so stop and the list's progress work without the trainers knowing about the app.
// The job input is `{config, resume}`: the kind's config object (fully named) and whether to continue from
// the newest checkpoint.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { RunKindName, RunState } from '../train/run/types.ts';
import type { JobRecord, RunRecord } from './types.ts';
import { CodedError } from '../store/errors.ts';
import { RunFolder, freeRunName, listRuns, type RunInfo } from '../train/run/index.ts';
import type { MetricsPage } from '../train/run/index.ts';
import { validateConfig } from '../train/run/validate-config.ts';
import type { JobRunner } from './runner.ts';
import { exportPaths } from '../export/gguf/export-paths.ts';

/** What the `sft`, `grpo` and `rm` job kinds receive from the app. */
export type RunJobInput = { config: Record<string, unknown>; resume: boolean; /** The job's device queue (#21). */ device?: string };

/** How many recent jobs are searched for a run's job. */
const JOB_SCAN = 500;

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

/** The run folder NAME of the workspace at ROOT; not_found when there is none. */
export function existingRun(root: string, name: string): RunFolder {
  const folder = RunFolder.inWorkspace(root, name);
  if (!folder.exists()) throw new CodedError('not_found', `no run "${name}" in this workspace`);
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
  if (job && isActive(job)) throw new CodedError('conflict', `run "${name}" is already running (job ${job.id})`, { jobId: job.id });
}

function checkpointSteps(folder: RunFolder): number[] {
  if (!existsSync(folder.checkpointsDir)) return [];
  return readdirSync(folder.checkpointsDir)
    .map((n) => /^step-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** Every run of the workspace with its newest job. */
export async function listRunRecords(root: string, jobs: JobRunner): Promise<RunRecord[]> {
  const byRun = await jobsByRun(jobs);
  return listRuns(root).map((info) => runRecord(info, byRun.get(info.name) ?? null));
}

/** One run: its record, config (text, and as an object when it parses to one) and checkpoint steps. */
export async function runDetails(root: string, jobs: JobRunner, name: string) {
  const folder = existingRun(root, name);
  const info = folder.info();
  const configYaml = existsSync(folder.configPath) ? folder.configText() : '';
  let config: Record<string, unknown> | null = null;
  try {
    const parsed = parseYaml(configYaml) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) config = parsed as Record<string, unknown>;
  } catch {
    // shown as text; the form cannot prefill from it
  }
  return { folder, run: runRecord(info, await findJob(jobs, info)), configYaml, config, checkpoints: checkpointSteps(folder) };
}

/** metrics.jsonl from byte offset FROM; a resumed run truncates the file, so an offset past the end starts over. */
export function runMetrics(root: string, name: string, from: number): MetricsPage & { restarted?: true } {
  const folder = existingRun(root, name);
  const size = existsSync(folder.metricsPath) ? statSync(folder.metricsPath).size : 0;
  if (from > size) return { ...folder.readMetrics(0), restarted: true };
  return folder.readMetrics(from);
}

/** The name a new run gets (the config's, else a free one), refused when that run exists or has a live job. */
export async function newRunName(root: string, jobs: JobRunner, kind: RunKindName, config: Record<string, unknown>): Promise<string> {
  const asked = typeof config.name === 'string' && config.name ? config.name : null;
  let name: string;
  try {
    name = asked ?? freeRunName(root, kind);
    if (asked && RunFolder.inWorkspace(root, asked).exists()) {
      throw new CodedError('conflict', `a run named "${asked}" already exists: resume it or choose another name`, { run: asked });
    }
  } catch (error) {
    if (error instanceof CodedError) throw error;
    throw new CodedError('invalid_input', (error as Error).message);
  }
  await refuseIfActive(jobs, name);
  return name;
}

/** Queues the run's job (titled so the Jobs page and jobsByRun find it). */
export async function startRunJob(jobs: JobRunner, kind: RunKindName, name: string, config: Record<string, unknown>, resume: boolean, device?: string) {
  const input: RunJobInput = { config: { ...config, name }, resume, ...(device ? { device } : {}) };
  const title = `${resume ? 'Resume' : 'Train'} ${kind.toUpperCase()} run ${name}`;
  // `variant` names the UI's message (jobs.kind.<kind>.resume); `run` is how jobsByRun finds the job.
  const job = await jobs.start(kind, input, title, { run: name, ...(resume ? { variant: 'resume' } : {}) });
  return { jobId: job.id, run: name };
}

/** Cancels the run's live job; {stopped: false} when it has none. */
export async function stopRun(root: string, jobs: JobRunner, name: string): Promise<{ stopped: boolean; jobId: string | null; run: string }> {
  const info = existingRun(root, name).info();
  const job = await findJob(jobs, info);
  if (!job || !isActive(job)) return { stopped: false, jobId: job?.id ?? null, run: info.name };
  return { stopped: jobs.cancel(job.id), jobId: job.id, run: info.name };
}

/** What resuming NAME needs: its kind and its saved config, checked; refused for a finished or live run. */
export async function resumableRun(root: string, jobs: JobRunner, name: string): Promise<{ kind: RunKindName; name: string; config: Record<string, unknown> }> {
  const folder = existingRun(root, name);
  const info = folder.info();
  if (info.status === 'finished') throw new CodedError('conflict', `run "${info.name}" has finished; start a new run to train further`);
  await refuseIfActive(jobs, info.name);
  let config: unknown;
  try {
    config = parseYaml(folder.configText());
  } catch (error) {
    throw new CodedError('invalid_input', `run "${info.name}": config.yaml is not readable (${(error as Error).message})`);
  }
  if (!config || typeof config !== 'object' || Array.isArray(config)) throw new CodedError('invalid_input', `run "${info.name}": config.yaml holds no config object`);
  return { kind: info.kind, name: info.name, config: validateConfig(info.kind, config as Record<string, unknown>) };
}

/** Queues the export job of a finished run; the files it will write, for the UI to show at once. */
export async function startRunExport(root: string, jobs: JobRunner, name: string, format: 'gguf' | 'ollama', quant: string) {
  const folder = existingRun(root, name);
  const info = folder.info();
  if (info.status !== 'finished' || !info.output) throw new CodedError('conflict', `run "${info.name}" has no final output to export (status ${info.status})`);
  const paths = exportPaths(folder.dir, info.name, format, quant);
  const label = format === 'ollama' ? 'Ollama' : 'GGUF';
  const job = await jobs.start('export', { run: info.name, format, quant }, `Export ${info.name} as ${label} (${quant})`, { name: info.name, format: label, quant });
  return { jobId: job.id, files: [paths.gguf, ...(paths.modelfile ? [paths.modelfile] : [])] };
}
