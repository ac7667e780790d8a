// The job runner's value types: a job's record, status and progress as the UI and the CLI see them. The
// app contract (main/api/contract.ts) re-exports them. A run record pairs a training run with its job.
import type { RunState } from '../train/run/types.ts';
import type { RunInfo } from '../train/run/run-folder.ts';

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export type JobProgress = {
  /** Units done and total (total null when unknown). */
  done: number;
  total: number | null;
  unit: string;
  /** Units per second, smoothed. */
  rate: number | null;
  /** Seconds remaining, when total and rate are known. */
  etaSeconds: number | null;
  message?: string;
};

/** The structured fields of a job's title, by kind (import: `{dataset, fileName}`). */
export type JobTitleParams = Record<string, string | number>;

export type JobRecord = {
  id: string;
  kind: string;
  /** English title, for logs and the CLI; the UI builds a translated one from `kind` and `params`. */
  title: string;
  params?: JobTitleParams;
  status: JobStatus;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  progress: JobProgress | null;
  /** Job-specific result when succeeded (e.g. an ImportSummary). */
  result?: unknown;
  /** Message when failed, including the last log lines of a crashed process. */
  error?: string;
  /** The device the job runs on when its input named one (cpu, webgpu, cuda:N); such jobs queue per device. */
  device?: string;
  /** While waiting for its device: which, and the place in line (1 = next). */
  queue?: { device: string; position: number };
};

/** One run as listed: runs/<name>/run.json (its fields but the format tag and job id) plus the job that runs (or ran) it. */
export type RunRecord = Omit<RunInfo, 'format' | 'jobId' | 'status'> & {
  /**
   * The run's status. run.json says 'running' while a trainer writes it; when its job has ended without the
   * trainer updating run.json (a crash, an app restart), this says 'failed' or 'stopped' and `stale` is true.
   */
  status: RunState;
  stale?: boolean;
  /** The newest job started for this run from the app (progress, ETA, log), if the job list still has it. */
  job: { id: string; status: JobStatus; progress: JobProgress | null; error?: string } | null;
};

export type RunDetails = {
  run: RunRecord;
  /** runs/<name>/config.yaml as written (the resolved config that reproduces the run). */
  configYaml: string;
  /** The same config parsed, for forms ("start a similar run") and labels. */
  config: Record<string, unknown> | null;
  /** Steps of the checkpoints on disk (the newest one is where a resume starts). */
  checkpoints: number[];
  /** Steps with saved GRPO rollouts (runs/<name>/samples/step-<N>.jsonl), ascending. */
  sampleSteps: number[];
};
